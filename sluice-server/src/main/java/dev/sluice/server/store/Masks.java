package dev.sluice.server.store;

import dev.sluice.server.destination.Destinations;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * How secrets look outside the store: a fixed mask that tells nothing, not even the length, and that, sent back in an
 * update or an applied export, means "keep the stored value". The secrets of an entry are the passwords of a
 * database and its primary, an endpoint's encrypted headers, and the keys a sink's destination type declares secret.
 */
public final class Masks {
    /** The mask of every secret in responses and exports. */
    public static final String MASK = "************";

    private Masks() {}

    /** Whether a secret value is a mask from a response or an export, which means "keep the stored value". */
    public static boolean isMask(@Nullable String value) {
        return value != null && !value.isEmpty() && value.chars().allMatch(ch -> ch == '*');
    }

    /**
     * Replaces every secret of a whole configuration document by {@link #MASK}, in place. {@link #keepMasked} undoes
     * it when the document comes back.
     */
    public static void maskDocument(ObjectNode doc) {
        String mask = MASK;
        for (JsonNode d : doc.withArray(Kind.DATABASE.section)) {
            for (JsonNode holder : List.of(d, d.path("primary"))) {
                if (holder instanceof ObjectNode o && o.get("password") instanceof JsonNode p && !p.isNull()) {
                    o.put("password", mask);
                }
            }
        }
        for (JsonNode h : doc.withArray(Kind.HTTP_ENDPOINT.section)) {
            if (h.get("encrypted_headers") instanceof ObjectNode e) {
                e.propertyNames().forEach(n -> e.put(n, mask));
            }
        }
        for (JsonNode s : doc.withArray(Kind.SINK.section)) {
            if (s.get("destination") instanceof ObjectNode d) {
                Destinations.mask(d, mask);
            }
        }
    }

    /** Replaces masked secrets in {@code incoming} by the values in {@code existing}. */
    public static void keepMasked(ObjectNode incoming, @Nullable ObjectNode existing) {
        keepMaskedPassword(incoming, existing);
        if (incoming.get("primary") instanceof ObjectNode primary) {
            keepMaskedPassword(
                    primary, existing == null ? null : existing.get("primary") instanceof ObjectNode o ? o : null);
        }
        if (incoming.get("destination") instanceof ObjectNode destination) {
            JsonNode old = existing == null ? null : existing.get("destination");
            for (String key : Destinations.secretNames(destination)) {
                if (destination.get(key) instanceof JsonNode v && v.isString() && isMask(v.asString())) {
                    JsonNode kept = old instanceof ObjectNode o ? o.get(key) : null;
                    if (kept != null) {
                        destination.set(key, kept);
                    } else {
                        destination.remove(key);
                    }
                }
            }
        }
        if (incoming.get("encrypted_headers") instanceof ObjectNode headers) {
            JsonNode old = existing == null ? null : existing.get("encrypted_headers");
            for (String name : List.copyOf(headers.propertyNames())) {
                if (headers.get(name).isString() && isMask(headers.get(name).asString())) {
                    JsonNode kept = old instanceof ObjectNode o ? o.get(name) : null;
                    if (kept != null) {
                        headers.set(name, kept);
                    } else {
                        headers.remove(name);
                    }
                }
            }
        }
    }

    private static void keepMaskedPassword(ObjectNode incoming, @Nullable ObjectNode existing) {
        if (incoming.get("password") instanceof JsonNode p && p.isString() && isMask(p.asString())) {
            if (existing != null && existing.get("password") instanceof JsonNode old && old.isString()) {
                incoming.set("password", old);
            } else {
                incoming.remove("password");
            }
        }
    }
}
