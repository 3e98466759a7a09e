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

/** {@code sluice_function}: a filter, transform, routing, enrichment or path function ({@code /api/functions}). */
final class FunctionResource extends RestResource {
    private static final List<String> FIELDS = List.of("name", "description", "type", "code", "path", "sink_type");

    FunctionResource() {
        super(
                "sluice_function",
                "/api/functions",
                new Schema(
                        0,
                        "A function sinks name as their filter, transform, routing or enrichment.",
                        List.of(
                                Attribute.computed("id", TfType.STRING, "The function's ID."),
                                Attribute.required(
                                        "name", TfType.STRING, "Unique name; sinks refer to the function by it."),
                                Attribute.optional("description", TfType.STRING, "What the function is for."),
                                Attribute.required(
                                        "type", TfType.STRING, "path, transform, filter, routing or enrichment."),
                                Attribute.optional(
                                        "code",
                                        TfType.STRING,
                                        "JavaScript (transform, filter, routing) or SQL (enrichment), at most 10 KB."),
                                Attribute.optional("path", TfType.STRING, "For a path function: e.g. record.status."),
                                Attribute.optional(
                                        "sink_type",
                                        TfType.STRING,
                                        "For a routing function: the sink type it routes for."))));
    }

    @Override
    ObjectNode body(Map<String, @Nullable Object> s, boolean update) {
        ObjectNode b = SluiceApi.JSON.createObjectNode();
        for (String k : FIELDS) {
            Values.put(b, k, s.get(k));
        }
        if (s.get("description") == null) {
            b.putNull("description"); // clears it on update
        }
        return b;
    }

    /**
     * The state from the API's answer. Where the server spells a value differently from the configuration but means
     * the same (Sequin's aliases: type {@code function} is a transform, sink type {@code webhook} is {@code
     * http_push}), the configuration's spelling is kept, so that a plan after apply shows no change.
     */
    @Override
    Map<String, @Nullable Object> state(SluiceApi api, JsonNode f, Map<String, @Nullable Object> known) {
        Map<String, @Nullable Object> s = new LinkedHashMap<>();
        s.put("id", Values.text(f, "id"));
        s.put("name", Values.text(f, "name"));
        s.put("description", Values.text(f, "description"));
        s.put("type", Values.alias(Values.text(f, "type"), known.get("type"), Map.of("function", "transform")));
        s.put("code", Values.text(f, "code"));
        s.put("path", Values.text(f, "path"));
        s.put(
                "sink_type",
                Values.alias(Values.text(f, "sink_type"), known.get("sink_type"), Map.of("webhook", "http_push")));
        return s;
    }
}
