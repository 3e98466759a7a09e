package dev.sluice.core.sink;

import java.net.URI;
import java.util.Map;
import java.util.Objects;

/**
 * An HTTP endpoint a {@link ConfigField.Type#REFERENCE} field names, as the server resolved it: its URL and every
 * header to send (plain and decrypted ones together).
 */
public record HttpEndpoint(String name, URI url, Map<String, String> headers) {
    public HttpEndpoint {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(url, "url");
        headers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(headers));
    }

    @Override
    public String toString() {
        // Header values may be credentials.
        return "HttpEndpoint[name=" + name + ", url=" + url + ", headers=" + headers.keySet() + "]";
    }
}
