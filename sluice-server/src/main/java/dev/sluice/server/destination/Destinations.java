package dev.sluice.server.destination;

import dev.sluice.core.sink.ConfigField;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.core.sink.SinkProviders;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The destination types this server runs (every {@link SinkProvider} on the class path, {@code sequin_stream}
 * included), and the JSON forms of a destination derived from their schemas: the stored and exported entry (what the
 * user gave), the response (what is shown), and which keys are secrets.
 *
 * <p>The server knows a type only through its provider's schema: adding a sink module changes nothing here.
 */
public final class Destinations {
    /** The one kind of resource a {@link ConfigField.Type#REFERENCE} field may name. */
    public static final String HTTP_ENDPOINT = "http_endpoint";

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final SinkProviders INSTALLED = checked(SinkProviders.installed());
    private static final Set<String> ALL_SECRETS = allSecrets(INSTALLED);

    private Destinations() {}

    /** The installed types; found once, as the class path does not change. */
    public static SinkProviders installed() {
        return INSTALLED;
    }

    private static SinkProviders checked(SinkProviders providers) {
        for (SinkProvider<?> p : providers.all()) {
            for (ConfigField f : p.schema().fields()) {
                if (f.type() == ConfigField.Type.REFERENCE && !HTTP_ENDPOINT.equals(f.references())) {
                    throw new IllegalStateException("sink type " + p.type() + ": field " + f.name() + " references '"
                            + f.references() + "'; only " + HTTP_ENDPOINT + " can be resolved");
                }
            }
        }
        return providers;
    }

    private static Set<String> allSecrets(SinkProviders providers) {
        Set<String> out = new HashSet<>();
        providers.all().forEach(p -> out.addAll(p.schema().secretNames()));
        return Set.copyOf(out);
    }

    /** The stored and exported form: {@code type} and the values the user gave. */
    public static ObjectNode entry(Destination d) {
        return object(d.type(), d.given());
    }

    /** The response form: {@code type} and what {@link Destination#shown} lists, secrets replaced by {@code mask}. */
    public static ObjectNode shown(Destination d, @Nullable String mask) {
        ObjectNode out = object(d.type(), d.shown());
        if (mask != null) {
            mask(out, mask);
        }
        return out;
    }

    private static ObjectNode object(String type, Map<String, Object> values) {
        ObjectNode out = JSON.createObjectNode();
        out.put("type", type);
        values.forEach((k, v) -> out.set(k, JSON.valueToTree(v)));
        return out;
    }

    /**
     * The secret keys of a destination entry ({@code type} and values): its type's, or, for a type not installed, every
     * type's (so that nothing that may be a secret is shown).
     */
    public static Set<String> secretNames(JsonNode entry) {
        JsonNode type = entry.get("type");
        SinkProvider<?> p = type != null && type.isString()
                ? INSTALLED.find(type.asString()).orElse(null)
                : null;
        return p == null ? ALL_SECRETS : p.schema().secretNames();
    }

    /** Replaces the entry's secrets that are set by {@code mask}, in place. */
    public static void mask(ObjectNode entry, String mask) {
        for (String key : secretNames(entry)) {
            if (entry.get(key) instanceof JsonNode v && !v.isNull()) {
                entry.put(key, mask);
            }
        }
    }

    /** Takes the entry's secrets out of it: an object of them, or null when it has none. */
    public static @Nullable ObjectNode takeSecrets(ObjectNode entry) {
        ObjectNode secrets = JSON.createObjectNode();
        for (String key : secretNames(entry)) {
            JsonNode v = entry.remove(key);
            if (v != null && !v.isNull()) {
                secrets.set(key, v);
            }
        }
        return secrets.isEmpty() ? null : secrets;
    }

    /** In an entry, points the references of {@code kind} to {@code oldName} at {@code newName}. */
    public static void renameReferences(ObjectNode entry, String kind, String oldName, String newName) {
        JsonNode type = entry.get("type");
        SinkProvider<?> p = type != null && type.isString()
                ? INSTALLED.find(type.asString()).orElse(null)
                : null;
        if (p == null) {
            return;
        }
        for (ConfigField f : p.schema().fields()) {
            if (kind.equals(f.references())
                    && entry.get(f.name()) instanceof JsonNode ref
                    && ref.isString()
                    && ref.asString().equals(oldName)) {
                entry.put(f.name(), newName);
            }
        }
    }
}
