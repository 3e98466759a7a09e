package dev.sluice.client;

import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The body of {@link Databases#create} and {@link Databases#update}: only the fields set are sent.
 *
 * {@snippet class=dev.sluice.client.ReadmeExamplesIT region=create-database}
 *
 * @param body the JSON object sent
 */
public record DatabaseRequest(JsonNode body) {
    public DatabaseRequest {
        body = body.deepCopy();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link DatabaseRequest}; each setter checks its value at once. */
    public static final class Builder extends RequestBuilder<Builder> {
        Builder() {}

        public Builder name(String name) {
            return set("name", nonBlank("name", name));
        }

        /** The connection as one URL, {@code postgres://user:password@host:port/database?sslmode=...}. */
        public Builder url(String url) {
            return set("url", nonBlank("url", url));
        }

        public Builder hostname(String hostname) {
            return set("hostname", nonBlank("hostname", hostname));
        }

        public Builder port(int port) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port must be between 1 and 65535, got " + port);
            }
            return set("port", port);
        }

        public Builder database(String database) {
            return set("database", nonBlank("database", database));
        }

        public Builder username(String username) {
            return set("username", nonBlank("username", username));
        }

        /** The password; stored encrypted and never shown back. */
        public Builder password(String password) {
            return set("password", password);
        }

        public Builder ssl(boolean ssl) {
            return set("ssl", ssl);
        }

        public Builder poolSize(int poolSize) {
            return set("pool_size", atLeast("pool_size", 1, poolSize));
        }

        /**
         * The replication slot and publication to read through; {@code createIfNotExists} has Sluice create them
         * when missing.
         */
        public Builder slot(String slotName, String publicationName, boolean createIfNotExists) {
            return set(
                    "replication_slots",
                    java.util.List.of(Map.of(
                            "slot_name", nonBlank("slot_name", slotName),
                            "publication_name", nonBlank("publication_name", publicationName),
                            "create_if_not_exists", createIfNotExists)));
        }

        /** Carried into every message's {@code metadata.database.annotations}. */
        public Builder annotations(Map<String, ?> annotations) {
            return set("annotations", annotations);
        }

        public DatabaseRequest build() {
            return new DatabaseRequest(body);
        }
    }
}
