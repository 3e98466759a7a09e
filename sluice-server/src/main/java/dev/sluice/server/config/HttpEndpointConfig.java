package dev.sluice.server.config;

import java.net.URI;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An HTTP endpoint that webhook sinks post to.
 *
 * @param name unique among endpoints; sinks refer to it
 * @param url an absolute {@code http} or {@code https} URL
 * @param headers sent with every request, in file order
 * @param encryptedHeaders like {@code headers}, but secret: never shown by the API or in logs
 */
public record HttpEndpointConfig(
        String name, URI url, Map<String, String> headers, Map<String, String> encryptedHeaders) {
    public HttpEndpointConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(url, "url");
        String scheme = url.getScheme();
        if (!("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme)) || url.getHost() == null) {
            throw new IllegalArgumentException("url must be an absolute http(s) URL: " + url);
        }
        headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
        encryptedHeaders = Collections.unmodifiableMap(new LinkedHashMap<>(encryptedHeaders));
    }

    @Override
    public String toString() {
        return "HttpEndpointConfig[name=" + name + ", url=" + url + ", headers=" + headers + ", encryptedHeaders="
                + encryptedHeaders.keySet() + "]";
    }
}
