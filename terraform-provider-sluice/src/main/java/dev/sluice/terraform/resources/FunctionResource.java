package dev.sluice.terraform.resources;

import dev.sluice.terraform.api.ApiException;
import dev.sluice.terraform.api.SluiceApi;
import dev.sluice.terraform.provider.Resource;
import dev.sluice.terraform.schema.Attribute;
import dev.sluice.terraform.schema.Schema;
import dev.sluice.terraform.wire.TfType;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code sluice_function}: a filter, transform, routing, enrichment or path function ({@code /api/functions}). */
public final class FunctionResource implements Resource {
    private static final Schema SCHEMA = new Schema(
            0,
            "A function sinks name as their filter, transform, routing or enrichment.",
            List.of(
                    Attribute.computed("id", TfType.STRING, "The function's ID."),
                    Attribute.required("name", TfType.STRING, "Unique name; sinks refer to the function by it."),
                    Attribute.optional("description", TfType.STRING, "What the function is for."),
                    Attribute.required("type", TfType.STRING, "path, transform, filter, routing or enrichment."),
                    Attribute.optional(
                            "code",
                            TfType.STRING,
                            "JavaScript (transform, filter, routing) or SQL (enrichment), at most 10 KB."),
                    Attribute.optional("path", TfType.STRING, "For a path function: e.g. record.status."),
                    Attribute.optional(
                            "sink_type", TfType.STRING, "For a routing function: the sink type it routes for.")));

    @Override
    public String typeName() {
        return "sluice_function";
    }

    @Override
    public Schema schema() {
        return SCHEMA;
    }

    @Override
    public Map<String, @Nullable Object> create(SluiceApi api, Map<String, @Nullable Object> planned)
            throws ApiException {
        return state(api.post("/api/functions", body(planned)), planned);
    }

    @Override
    public Map<String, @Nullable Object> update(
            SluiceApi api, Map<String, @Nullable Object> prior, Map<String, @Nullable Object> planned)
            throws ApiException {
        return state(api.put("/api/functions/" + id(prior), body(planned)), planned);
    }

    @Override
    public void delete(SluiceApi api, Map<String, @Nullable Object> prior) throws ApiException {
        try {
            api.delete("/api/functions/" + id(prior));
        } catch (ApiException e) {
            if (!e.notFound()) {
                throw e;
            }
        }
    }

    @Override
    public @Nullable Map<String, @Nullable Object> read(SluiceApi api, Map<String, @Nullable Object> current)
            throws ApiException {
        try {
            return state(api.get("/api/functions/" + id(current)), current);
        } catch (ApiException e) {
            if (e.notFound()) {
                return null;
            }
            throw e;
        }
    }

    @Override
    public Map<String, @Nullable Object> importState(SluiceApi api, String id) throws ApiException {
        return state(api.get("/api/functions/" + encode(id)), Map.of());
    }

    private static ObjectNode body(Map<String, @Nullable Object> s) {
        ObjectNode b = SluiceApi.JSON.createObjectNode();
        for (String k : List.of("name", "description", "type", "code", "path", "sink_type")) {
            Object v = s.get(k);
            if (v != null) {
                b.put(k, (String) v);
            } else if (k.equals("description")) {
                b.putNull(k); // clears it on update
            }
        }
        return b;
    }

    /**
     * The state from the API's answer. Where the server spells a value differently from the configuration but means
     * the same (Sequin's aliases: type {@code function} is a transform, sink type {@code webhook} is {@code
     * http_push}), the configuration's spelling is kept, so that a plan after apply shows no change.
     */
    private static Map<String, @Nullable Object> state(JsonNode f, Map<String, @Nullable Object> known) {
        Map<String, @Nullable Object> s = new LinkedHashMap<>();
        s.put("id", text(f, "id"));
        s.put("name", text(f, "name"));
        s.put("description", text(f, "description"));
        s.put("type", same(text(f, "type"), known.get("type"), Map.of("function", "transform")));
        s.put("code", text(f, "code"));
        s.put("path", text(f, "path"));
        s.put("sink_type", same(text(f, "sink_type"), known.get("sink_type"), Map.of("webhook", "http_push")));
        return s;
    }

    private static @Nullable String same(
            @Nullable String server, @Nullable Object configured, Map<String, String> alias) {
        if (server == null || !(configured instanceof String c)) {
            return server;
        }
        String a = alias.getOrDefault(c.toLowerCase(java.util.Locale.ROOT), c.toLowerCase(java.util.Locale.ROOT));
        return a.equals(server) || c.equals(server) ? c : server;
    }

    private static @Nullable String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isString() && !v.asString().isEmpty() ? v.asString() : null;
    }

    private static String id(Map<String, @Nullable Object> s) {
        Object id = s.get("id");
        return encode(id != null ? (String) id : (String) s.get("name"));
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
