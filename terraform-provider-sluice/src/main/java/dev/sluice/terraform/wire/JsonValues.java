package dev.sluice.terraform.wire;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * Values from JSON against a type: a stored state (UpgradeResourceState's raw state) or a DynamicValue sent as JSON.
 * Attributes the JSON lacks are null; attributes the type lacks are dropped (an older or newer schema's).
 */
public final class JsonValues {
    private JsonValues() {}

    public static @Nullable Object read(JsonNode n, TfType type) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return null;
        }
        return switch (type) {
            case TfType.Primitive p ->
                switch (p.name()) {
                    case "string" -> n.isString() ? n.asString() : n.toString();
                    case "bool" -> n.isBoolean() ? n.asBoolean() : Boolean.parseBoolean(n.asString());
                    default -> n.isNumber() ? n.decimalValue() : new BigDecimal(n.asString());
                };
            case TfType.Collection c
            when c.kind() == TfType.Collection.Kind.MAP -> {
                Map<String, @Nullable Object> m = new LinkedHashMap<>();
                for (Map.Entry<String, JsonNode> e : n.properties()) {
                    m.put(e.getKey(), read(e.getValue(), c.element()));
                }
                yield m;
            }
            case TfType.Collection c -> {
                List<@Nullable Object> l = new ArrayList<>();
                for (JsonNode e : n) {
                    l.add(read(e, c.element()));
                }
                yield l;
            }
            case TfType.ObjectType o -> {
                Map<String, @Nullable Object> m = new LinkedHashMap<>();
                for (Map.Entry<String, TfType> a : o.attributes().entrySet()) {
                    m.put(a.getKey(), read(n.get(a.getKey()), a.getValue()));
                }
                yield m;
            }
        };
    }
}
