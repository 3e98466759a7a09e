package dev.sluice.server.destination;

import dev.sluice.core.sink.ConfigField;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.core.sink.SinkProviders;
import java.util.Locale;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The OpenAPI schemas of destinations, made from the providers' schemas: for each type {@code <Type>Destination} (a
 * response's) and {@code <Type>DestinationInput} (a request's), and the {@code oneOf} lists of the {@code Sink} and
 * {@code SinkInput} schemas' {@code destination}. The served document is the written one with these put in.
 */
public final class DestinationOpenApi {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String SECRET_NOTE = "Sealed at rest; `************` unless show_sensitive=true.";

    private DestinationOpenApi() {}

    /** Puts the destination schemas of {@code providers} into {@code doc}, an OpenAPI document, in place. */
    public static void addTo(ObjectNode doc, SinkProviders providers) {
        ObjectNode schemas = (ObjectNode) doc.path("components").path("schemas");
        ArrayNode outputs = oneOf(schemas, "Sink");
        ArrayNode inputs = oneOf(schemas, "SinkInput");
        for (SinkProvider<?> p : providers.all()) {
            String name = pascal(p.type()) + "Destination";
            schemas.set(name, schema(p, false));
            schemas.set(name + "Input", schema(p, true));
            outputs.addObject().put("$ref", "#/components/schemas/" + name);
            inputs.addObject().put("$ref", "#/components/schemas/" + name + "Input");
        }
    }

    private static ArrayNode oneOf(ObjectNode schemas, String owner) {
        JsonNode destination = schemas.path(owner).path("properties").path("destination");
        if (!(destination instanceof ObjectNode d)) {
            throw new IllegalStateException("openapi.json: no " + owner + ".properties.destination");
        }
        return d.putArray("oneOf");
    }

    /** {@code sequin_stream} → {@code SequinStream}. */
    static String pascal(String type) {
        StringBuilder b = new StringBuilder();
        for (String part : type.split("_")) {
            if (!part.isEmpty()) {
                b.append(part.substring(0, 1).toUpperCase(Locale.ROOT)).append(part.substring(1));
            }
        }
        return b.toString();
    }

    private static ObjectNode schema(SinkProvider<?> p, boolean input) {
        ObjectNode s = JSON.createObjectNode();
        s.put("type", "object");
        s.put("additionalProperties", false);
        s.put(
                "description",
                p.description() + ". See docs/sinks/" + p.type() + ".md."
                        + (input
                                ? " In an update, a destination of the same type changes only the keys it gives."
                                : ""));
        ArrayNode required = s.putArray("required");
        required.add("type");
        ObjectNode props = s.putObject("properties");
        props.putObject("type").put("const", p.type());
        for (ConfigField f : p.schema().fields()) {
            props.set(f.name(), property(f, input));
            // A response shows every value that has a default; a request needs only the required ones.
            if (f.required() || !input && f.defaultValue() != null) {
                required.add(f.name());
            }
        }
        return s;
    }

    private static ObjectNode property(ConfigField f, boolean input) {
        ObjectNode n = JSON.createObjectNode();
        String doc = f.doc();
        switch (f.type()) {
            case STRING, REFERENCE -> {
                if (f.allowed().isEmpty() || input) {
                    n.put("type", "string");
                } else {
                    ArrayNode values = n.putArray("enum");
                    f.allowed().forEach(values::add);
                }
                if (!f.allowed().isEmpty() && input) {
                    doc += "; one of " + String.join(", ", f.allowed()) + " (any case)";
                }
                if (f.type() == ConfigField.Type.REFERENCE) {
                    doc += " (refers to a " + f.references() + ")";
                }
            }
            case INTEGER -> {
                n.put("type", "integer");
                if (input && f.min() != null) {
                    n.put("minimum", f.min());
                }
                if (input && f.max() != null && f.max() < Integer.MAX_VALUE) {
                    n.put("maximum", f.max());
                }
            }
            case BOOLEAN -> n.put("type", "boolean");
            case STRING_LIST -> {
                n.put("type", "array");
                n.putObject("items").put("type", "string");
            }
            case OBJECT -> n.put("type", "object");
        }
        if (input && f.defaultValue() != null) {
            n.set("default", JSON.valueToTree(f.defaultValue()));
        }
        n.put("description", f.secret() ? doc + ". " + SECRET_NOTE : doc);
        return n;
    }
}
