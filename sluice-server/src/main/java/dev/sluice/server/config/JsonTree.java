package dev.sluice.server.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * Turns a JSON tree into the {@link YamlNode} tree the section readers check, so that API requests and stored
 * resources go through exactly the validation a {@code sluice.yaml} file does. JSON strings become quoted scalars
 * (always strings); numbers and booleans become plain scalars, typed by the key that reads them.
 */
final class JsonTree {
    /** Deeper than any valid configuration; a hostile request stops here instead of exhausting the stack. */
    private static final int MAX_DEPTH = 32;

    private JsonTree() {}

    static @Nullable YamlNode toYaml(@Nullable JsonNode doc, Problems problems) {
        if (doc == null || doc.isMissingNode() || doc.isNull()) {
            return null;
        }
        return convert(doc, "", 0, problems);
    }

    private static YamlNode convert(JsonNode node, String path, int depth, Problems problems) {
        YamlNode.Mark mark = YamlNode.Mark.NONE;
        if (depth > MAX_DEPTH) {
            problems.add(mark, path, "nested too deeply (more than " + MAX_DEPTH + " levels)");
            return new YamlNode.Scalar(mark, null, true, true);
        }
        if (node.isObject()) {
            Map<String, YamlNode.Entry> entries = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                String key = e.getKey();
                entries.put(
                        key,
                        new YamlNode.Entry(
                                key, mark, convert(e.getValue(), Fields.join(path, key), depth + 1, problems), false));
            }
            return new YamlNode.Mapping(mark, entries);
        }
        if (node.isArray()) {
            List<YamlNode> items = new ArrayList<>();
            for (int i = 0; i < node.size(); i++) {
                items.add(convert(node.get(i), path + "[" + i + "]", depth + 1, problems));
            }
            return new YamlNode.Sequence(mark, items);
        }
        if (node.isNull()) {
            return new YamlNode.Scalar(mark, null, true);
        }
        if (node.isString()) {
            return new YamlNode.Scalar(mark, node.asString(), false);
        }
        // Numbers and booleans: their JSON text is also their YAML plain-scalar text.
        return new YamlNode.Scalar(mark, node.asString(), true);
    }
}
