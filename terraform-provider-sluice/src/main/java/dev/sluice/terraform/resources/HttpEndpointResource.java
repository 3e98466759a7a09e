package dev.sluice.terraform.resources;

import dev.sluice.terraform.api.SluiceApi;
import dev.sluice.terraform.schema.Attribute;
import dev.sluice.terraform.schema.Schema;
import dev.sluice.terraform.wire.TfType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code sluice_http_endpoint}: a webhook destination's endpoint ({@code /api/destinations/http_endpoints}), with
 * plain headers and encrypted ones. The encrypted headers are never read back (the API answers a digest), so the state
 * keeps what was applied; an endpoint without headers reads back as null, not as an empty map, matching a
 * configuration that leaves them out.
 */
final class HttpEndpointResource extends RestResource {
    static final String PATH = "/api/destinations/http_endpoints";

    private static final Schema SCHEMA = new Schema(
            0,
            "An HTTP endpoint webhook sinks deliver to.",
            List.of(
                    Attribute.computed("id", TfType.STRING, "The endpoint's ID."),
                    Attribute.required("name", TfType.STRING, "Unique name; sinks refer to it."),
                    Attribute.optional("url", TfType.STRING, "The endpoint's URL."),
                    Attribute.optional("headers", TfType.map(TfType.STRING), "Headers sent with every request."),
                    Attribute.optional(
                                    "encrypted_headers",
                                    TfType.map(TfType.STRING),
                                    "Headers stored encrypted (tokens, keys).")
                            .asSensitive()));

    HttpEndpointResource() {
        super("sluice_http_endpoint", PATH, SCHEMA);
    }

    @Override
    @SuppressWarnings("unchecked")
    ObjectNode body(Map<String, @Nullable Object> s, boolean update) {
        ObjectNode b = SluiceApi.JSON.createObjectNode();
        Values.copy(b, s, "name", "url");
        for (String field : List.of("headers", "encrypted_headers")) {
            ObjectNode h = b.putObject(field); // an empty object clears them on update
            if (s.get(field) instanceof Map<?, ?> m) {
                ((Map<String, @Nullable Object>) m).forEach((k, v) -> Values.put(h, k, v));
            }
        }
        return b;
    }

    @Override
    Map<String, @Nullable Object> state(SluiceApi api, JsonNode e, Map<String, @Nullable Object> known) {
        Map<String, @Nullable Object> s = new LinkedHashMap<>();
        s.put("id", Values.text(e, "id"));
        s.put("name", Values.text(e, "name"));
        s.put("url", Values.text(e, "url"));
        Map<String, @Nullable Object> headers = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> h : e.path("headers").properties()) {
            headers.put(h.getKey(), h.getValue().asString());
        }
        s.put("headers", headers.isEmpty() && known.get("headers") == null ? null : headers);
        s.put("encrypted_headers", known.get("encrypted_headers"));
        return s;
    }
}
