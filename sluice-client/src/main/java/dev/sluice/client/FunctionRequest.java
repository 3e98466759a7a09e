package dev.sluice.client;

import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * The body of {@link Functions#create} and {@link Functions#update}: only the fields set are sent.
 *
 * @param body the JSON object sent
 */
public record FunctionRequest(JsonNode body) {
    public FunctionRequest {
        body = body.deepCopy();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link FunctionRequest}; each setter checks its value at once. */
    public static final class Builder extends RequestBuilder<Builder> {
        private static final List<String> TYPES = List.of("filter", "transform", "path", "routing", "enrichment");

        Builder() {}

        public Builder name(String name) {
            return set("name", nonBlank("name", name));
        }

        /** {@code filter}, {@code transform}, {@code path}, {@code routing} or {@code enrichment}. */
        public Builder type(String type) {
            if (!TYPES.contains(type)) {
                throw new IllegalArgumentException("type must be one of " + TYPES + ", got '" + type + "'");
            }
            return set("type", type);
        }

        /** JavaScript (SQL for an enrichment). */
        public Builder code(String code) {
            return set("code", nonBlank("code", code));
        }

        /** The path a {@code path} function picks, {@code record.address.city}. */
        public Builder path(String path) {
            return set("path", nonBlank("path", path));
        }

        public Builder description(String description) {
            return set("description", description);
        }

        /** Routing only: the sink type it routes for. */
        public Builder sinkType(String sinkType) {
            return set("sink_type", nonBlank("sink_type", sinkType));
        }

        public FunctionRequest build() {
            return new FunctionRequest(body);
        }
    }
}
