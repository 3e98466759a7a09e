package dev.sluice.client;

import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The body of {@link HttpEndpoints#create} and {@link HttpEndpoints#update}: only the fields set are sent (but an
 * update's {@code encrypted_headers} replace the whole map: send every key, {@code ************} keeping a value).
 *
 * @param body the JSON object sent
 */
public record HttpEndpointRequest(JsonNode body) {
    public HttpEndpointRequest {
        body = body.deepCopy();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds an {@link HttpEndpointRequest}; each setter checks its value at once. */
    public static final class Builder extends RequestBuilder<Builder> {
        Builder() {}

        public Builder name(String name) {
            return set("name", nonBlank("name", name));
        }

        public Builder url(String url) {
            java.net.URI u = java.net.URI.create(nonBlank("url", url));
            if (u.getScheme() == null || !u.getScheme().startsWith("http")) {
                throw new IllegalArgumentException("url must be http:// or https://, got '" + url + "'");
            }
            return set("url", url);
        }

        /** Adds a header sent with every request. */
        public Builder header(String name, String value) {
            object("headers").put(nonBlank("header name", name), value);
            return this;
        }

        /** Adds a header stored encrypted (a credential); never shown back. */
        public Builder encryptedHeader(String name, String value) {
            object("encrypted_headers").put(nonBlank("header name", name), value);
            return this;
        }

        public Builder headers(Map<String, String> headers) {
            return set("headers", headers);
        }

        public Builder encryptedHeaders(Map<String, String> headers) {
            return set("encrypted_headers", headers);
        }

        public HttpEndpointRequest build() {
            return new HttpEndpointRequest(body);
        }
    }
}
