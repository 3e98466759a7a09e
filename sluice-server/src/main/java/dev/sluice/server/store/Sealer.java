package dev.sluice.server.store;

import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Where each kind of resource keeps its secrets at rest, and how they go back into its entry. A database's password
 * and an endpoint's encrypted headers (as one JSON object) and a sink destination's secret keys (as one JSON object)
 * are sealed in the row's sealed column; a database primary's password is sealed inside the spec, under {@value
 * #SEALED_PRIMARY_PASSWORD}.
 */
final class Sealer {
    static final String SEALED_PRIMARY_PASSWORD = "sealed_password";
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    /** A resource's sealed secrets: the row's sealed column, and a database primary's sealed password. */
    record Sealed(@Nullable String column, @Nullable String primary) {
        static final Sealed NONE = new Sealed(null, null);
    }

    private final SecretBox box;

    Sealer(SecretBox box) {
        this.box = box;
    }

    /** The sealed secrets of a stored row; takes the primary's sealed password out of {@code spec}. */
    static Sealed fromRow(Kind kind, ObjectNode spec, @Nullable String column) {
        String primary = null;
        if (kind == Kind.DATABASE
                && spec.get("primary") instanceof ObjectNode p
                && p.remove(SEALED_PRIMARY_PASSWORD) instanceof JsonNode sealed
                && sealed.isString()) {
            primary = sealed.asString();
        }
        return column == null && primary == null ? Sealed.NONE : new Sealed(column, primary);
    }

    /** Decrypts {@code sealed} into {@code entry}, a resource of {@code kind}, in place. */
    void reveal(Kind kind, ObjectNode entry, Sealed sealed) {
        String column = sealed.column();
        switch (kind) {
            case DATABASE -> {
                if (column != null) {
                    entry.put("password", box.decrypt(column));
                }
                if (sealed.primary() != null && entry.get("primary") instanceof ObjectNode primary) {
                    primary.put("password", box.decrypt(sealed.primary()));
                }
            }
            case HTTP_ENDPOINT -> {
                if (column != null) {
                    entry.set("encrypted_headers", JSON.readTree(box.decrypt(column)));
                }
            }
            case FUNCTION -> {} // no secrets
            case SINK -> {
                if (column != null && entry.get("destination") instanceof ObjectNode d) {
                    for (Map.Entry<String, JsonNode> e :
                            JSON.readTree(box.decrypt(column)).properties()) {
                        d.set(e.getKey(), e.getValue());
                    }
                }
            }
        }
    }

    /**
     * {@code secret} sealed; {@code before}, the stored ciphertext, when it holds the same secret. Sealing is
     * randomized: keeping the ciphertext keeps an unchanged resource from being reported as updated.
     */
    String seal(String secret, @Nullable String before) {
        return before != null && secret.equals(box.decrypt(before)) ? before : box.encrypt(secret);
    }
}
