package dev.sluice.client;

import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The body of {@link Sinks#create} and {@link Sinks#update}: the keys of a {@code sinks} entry of sluice.yaml (see
 * docs/configuration.md); only the fields set are sent. Settings of a destination type without a method here go in
 * through {@link #builder()}{@code .destination(Map)} or {@code set(...)}.
 *
 * {@snippet class=dev.sluice.client.ReadmeExamplesIT region=create-sink}
 *
 * @param body the JSON object sent
 */
public record SinkRequest(JsonNode body) {
    public SinkRequest {
        body = body.deepCopy();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link SinkRequest}; each setter checks its value at once. */
    public static final class Builder extends RequestBuilder<Builder> {
        Builder() {}

        public Builder name(String name) {
            return set("name", nonBlank("name", name));
        }

        /** The database it reads, by name or id. */
        public Builder database(String database) {
            return set("database", nonBlank("database", database));
        }

        /** Streams exactly these tables ({@code schema.table}). */
        public Builder tables(String... tables) {
            if (tables.length == 0) {
                throw new IllegalArgumentException("tables: give at least one schema.table");
            }
            object("source").set("include_tables", Json.tree(List.of(tables)));
            return this;
        }

        /** Streams every table of these schemas. */
        public Builder schemas(String... schemas) {
            if (schemas.length == 0) {
                throw new IllegalArgumentException("schemas: give at least one schema");
            }
            object("source").set("include_schemas", Json.tree(List.of(schemas)));
            return this;
        }

        /** A webhook destination: POSTs to {@code httpEndpoint}'s URL plus {@code path} (may be empty). */
        public Builder webhook(String httpEndpoint, String path) {
            ObjectNode d = Json.object();
            d.put("type", "webhook");
            d.put("http_endpoint", nonBlank("http_endpoint", httpEndpoint));
            d.put("http_endpoint_path", path);
            body.set("destination", d);
            return this;
        }

        /** Any destination: a map with its {@code type} and the type's settings. */
        public Builder destination(Map<String, ?> destination) {
            if (!(destination.get("type") instanceof String)) {
                throw new IllegalArgumentException("destination needs a 'type' (webhook, kafka, sqs, ...)");
            }
            return set("destination", destination);
        }

        public Builder batchSize(int batchSize) {
            return set("batch_size", atLeast("batch_size", 1, batchSize));
        }

        /** {@code active}, {@code paused} or {@code disabled}. */
        public Builder status(String status) {
            if (!List.of("active", "paused", "disabled").contains(status)) {
                throw new IllegalArgumentException("status must be active, paused or disabled, got '" + status + "'");
            }
            return set("status", status);
        }

        /** The filter function's name, or {@code none}. */
        public Builder filter(String function) {
            return set("filter", nonBlank("filter", function));
        }

        /** The transform function's name, or {@code none}. */
        public Builder transform(String function) {
            return set("transform", nonBlank("transform", function));
        }

        /** The enrichment function's name, or {@code none}. */
        public Builder enrichment(String function) {
            return set("enrichment", nonBlank("enrichment", function));
        }

        /** The routing function's name, or {@code none}. */
        public Builder routing(String function) {
            return set("routing", nonBlank("routing", function));
        }

        /** Failed attempts after which a message is discarded. */
        public Builder maxRetryCount(int maxRetryCount) {
            return set("max_retry_count", atLeast("max_retry_count", 0, maxRetryCount));
        }

        public SinkRequest build() {
            return new SinkRequest(body);
        }
    }
}
