package dev.sluice.client;

import java.util.Objects;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What the request builders share: the JSON body they build, and {@link #set} for any field the API takes that the
 * builder has no method for (destination settings of a sink type, new server fields). Only the fields set are sent,
 * so the same request type serves create and partial update.
 *
 * <p>Not thread-safe; the request built is immutable.
 *
 * @param <B> the builder
 */
public abstract sealed class RequestBuilder<B extends RequestBuilder<B>>
        permits DatabaseRequest.Builder,
                SinkRequest.Builder,
                HttpEndpointRequest.Builder,
                FunctionRequest.Builder,
                BackfillRequest.Builder,
                JobSpec.Builder,
                WebhookRequest.Builder {
    final ObjectNode body = Json.object();

    RequestBuilder() {}

    /**
     * Sets {@code field} to {@code value}, converted to JSON (strings, numbers, booleans, lists, maps, records and
     * {@link JsonNode}s); {@code null} sends JSON null, which clears the field in an update.
     */
    public B set(String field, @Nullable Object value) {
        Objects.requireNonNull(field, "field");
        if (value == null) {
            body.putNull(field);
        } else {
            body.set(field, Json.tree(value));
        }
        return self();
    }

    @SuppressWarnings("unchecked")
    final B self() {
        return (B) this;
    }

    final ObjectNode object(String field) {
        JsonNode n = body.get(field);
        if (n instanceof ObjectNode o) {
            return o;
        }
        return body.putObject(field);
    }

    static String nonBlank(String field, @Nullable String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " must not be blank, got '" + value + "'");
        }
        return value;
    }

    static int atLeast(String field, int min, int value) {
        if (value < min) {
            throw new IllegalArgumentException(field + " must be at least " + min + ", got " + value);
        }
        return value;
    }
}
