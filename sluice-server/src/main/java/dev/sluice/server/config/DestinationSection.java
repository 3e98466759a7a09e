package dev.sluice.server.config;

import dev.sluice.core.sink.ConfigField;
import dev.sluice.core.sink.ConfigSchema;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.HttpEndpoint;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.server.destination.Destination;
import dev.sluice.server.destination.Destinations;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a sink's {@code destination} for any installed type: its {@code type} picks the provider, whose schema says
 * which keys are accepted and how each is typed, required, defaulted and bounded; the provider's own checks then
 * report at their fields. A reference to an HTTP endpoint is checked against the endpoints known and resolved to the
 * endpoint's URL and headers (or, given as an absolute http(s) URL, checked as one).
 *
 * <p>An optional string given blank counts as not given: Sequin's clients send {@code ""} for unset values.
 */
final class DestinationSection {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private DestinationSection() {}

    /**
     * Returns null if the destination has problems (all recorded), or if it refers to an endpoint whose own entry is
     * broken (which that entry reports).
     *
     * @param endpointNames every endpoint name a sink may refer to, including those of broken entries
     * @param endpoints the endpoints that could be read, by name
     */
    static @Nullable Destination read(
            Fields sink, Set<String> endpointNames, Map<String, HttpEndpointConfig> endpoints) {
        String path = sink.path("destination");
        YamlNode node = sink.node("destination");
        if (node == null) {
            sink.problems()
                    .add(sink.mark(), path, "required key is missing (e.g. {type: webhook, http_endpoint: <name>})");
            return null;
        }
        if (!(node instanceof YamlNode.Mapping map)) {
            sink.problems().add(node.mark(), path, "expected a mapping, got " + node.describe());
            return null;
        }
        SinkProvider<?> provider = provider(map, path, sink.problems());
        if (provider == null) {
            return null;
        }
        ConfigSchema schema = provider.schema();
        List<String> accepted = new ArrayList<>();
        accepted.add("type");
        accepted.addAll(schema.names());
        // Unknown keys are reported here and do not stop the provider's checks below.
        Fields d = Fields.of(node, path, sink.problems(), accepted, Map.of(), Set.of());
        if (d == null) {
            return null;
        }
        int before = sink.problems().count();
        Map<String, Object> given = new LinkedHashMap<>();
        Map<String, String> references = new LinkedHashMap<>();
        for (ConfigField field : schema.fields()) {
            Object value = value(d, field, endpointNames);
            if (value != null) {
                given.put(field.name(), value);
                if (field.type() == ConfigField.Type.REFERENCE && !isUrl((String) value)) {
                    references.put(field.name(), (String) value);
                }
            }
        }
        if (sink.problems().count() > before) {
            return null;
        }
        ConfigValues values = ConfigValues.of(schema, given);
        for (var r : references.entrySet()) {
            HttpEndpointConfig e = endpoints.get(r.getValue());
            if (e == null) {
                return null;
            }
            Map<String, String> headers = new LinkedHashMap<>(e.headers());
            headers.putAll(e.encryptedHeaders());
            values = values.withEndpoint(r.getKey(), new HttpEndpoint(e.name(), e.url(), headers));
        }
        return switch (provider.configure(values)) {
            case Configured.Valid<?> v -> new Destination(provider, v.config(), values, v.derived());
            case Configured.Invalid<?> i -> {
                i.problems().forEach(p -> d.problem(p.field().isEmpty() ? "type" : p.field(), p.message()));
                yield null;
            }
        };
    }

    private static @Nullable SinkProvider<?> provider(YamlNode.Mapping map, String path, Problems problems) {
        String supported =
                "supported types: " + String.join(", ", Destinations.installed().types());
        YamlNode.Entry type = map.entries().get("type");
        String name = type != null && type.value() instanceof YamlNode.Scalar s ? s.value() : null;
        if (name == null) {
            if (type == null || !YamlNode.isBroken(type.value())) {
                problems.add(
                        type == null ? map.mark() : type.value().mark(),
                        Fields.join(path, "type"),
                        "required key is missing; " + supported);
            }
            return null;
        }
        SinkProvider<?> provider = Destinations.installed().find(name).orElse(null);
        if (provider == null) {
            problems.add(
                    type.value().mark(),
                    Fields.join(path, "type"),
                    "destination type '" + name + "' is not supported yet; " + supported);
        }
        return provider;
    }

    /** The field's value as {@link ConfigValues} holds it, or null when absent or invalid (then recorded). */
    private static @Nullable Object value(Fields d, ConfigField field, Set<String> endpointNames) {
        String name = field.name();
        boolean textual = field.type() == ConfigField.Type.STRING || field.type() == ConfigField.Type.REFERENCE;
        if (field.required() && !textual && !d.has(name)) { // strings: requiredString reports it
            d.problems().add(d.mark(), d.path(name), "required key is missing");
            return null;
        }
        return switch (field.type()) {
            case STRING -> string(d, field);
            case REFERENCE -> {
                String text = string(d, field);
                yield text == null ? null : reference(d, name, text, endpointNames);
            }
            case INTEGER ->
                d.longInteger(
                        name,
                        field.min() == null ? Long.MIN_VALUE : field.min(),
                        field.max() == null ? Long.MAX_VALUE : field.max());
            case BOOLEAN -> d.bool(name);
            case STRING_LIST -> d.stringList(name);
            case OBJECT -> object(d, name);
        };
    }

    private static @Nullable String string(Fields d, ConfigField field) {
        String name = field.name();
        String text = field.required() ? d.requiredString(name) : d.string(name);
        if (text == null || text.isBlank()) {
            return null;
        }
        if (field.allowed().isEmpty()) {
            return text;
        }
        String canonical = field.canonical(text);
        if (canonical == null) {
            d.problem(name, "expected one of " + String.join(", ", field.allowed()) + ", got '" + text + "'");
        }
        return canonical;
    }

    /** An endpoint's name, which must be known, or an absolute http(s) URL in its place. */
    private static @Nullable String reference(Fields d, String name, String text, Set<String> endpointNames) {
        if (isUrl(text)) {
            // A base URL instead of an endpoint name, as the Terraform provider's examples write it.
            URI url = HttpEndpointSection.url(d, name, text.strip());
            return url == null ? null : url.toString();
        }
        if (!endpointNames.contains(text)) {
            d.problem(
                    name, "no HTTP endpoint named '" + text + "'" + SinkSection.known("http_endpoints", endpointNames));
            return null;
        }
        return text;
    }

    /** Whether a reference holds a URL rather than the name of an endpoint. */
    static boolean isUrl(String reference) {
        String s = reference.strip().toLowerCase(Locale.ROOT);
        return s.startsWith("http://") || s.startsWith("https://");
    }

    private static @Nullable Map<String, Object> object(Fields d, String name) {
        YamlNode node = d.node(name);
        if (node == null) {
            return null;
        }
        if (!(node instanceof YamlNode.Mapping)) {
            d.problem(name, "expected a mapping, got " + node.describe());
            return null;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = JSON.treeToValue(SinkSection.toJson(node), Map.class);
        return map;
    }
}
