package dev.sluice.client;

import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * An HTTP endpoint that webhook sinks deliver to.
 *
 * @param id its id (a UUID)
 * @param name its unique name
 * @param url the base URL
 * @param headers headers sent with every request
 * @param encryptedHeaders headers stored encrypted; values are {@code ************} unless read with
 *     {@code show_sensitive}
 * @param raw the whole JSON object
 */
public record HttpEndpoint(
        String id,
        String name,
        String url,
        Map<String, String> headers,
        Map<String, String> encryptedHeaders,
        JsonNode raw) {

    static HttpEndpoint from(JsonNode n) {
        return new HttpEndpoint(
                Json.str(n, "id", ""),
                Json.str(n, "name", ""),
                Json.str(n, "url", ""),
                Json.stringMap(n, "headers"),
                Json.stringMap(n, "encrypted_headers"),
                n);
    }
}
