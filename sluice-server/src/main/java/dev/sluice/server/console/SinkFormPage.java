package dev.sluice.server.console;

import dev.sluice.core.sink.ConfigField;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.functions.FunctionSpec;
import dev.sluice.server.api.ApiViews;
import dev.sluice.server.config.DatabaseConfig;
import dev.sluice.server.config.HttpEndpointConfig;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.destination.Destinations;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Creating and editing a sink: the common fields, and the destination's fields generated from each installed sink
 * provider's config schema, so a new destination type appears here with no console change. "Test connection" checks
 * the form's sink without saving it ({@code POST /api/sinks/test_connection}); saving is {@code POST /api/sinks} or
 * {@code PATCH /api/sinks/{name}}.
 */
final class SinkFormPage implements ConsolePage {
    /** The form controls a config field becomes. */
    enum Input {
        TEXT,
        SECRET,
        NUMBER,
        CHECKBOX,
        SELECT,
        LIST,
        JSON,
        REFERENCE
    }

    /**
     * One destination field as the form shows it.
     *
     * @param value the current value (or the default) as the control takes it; "" for none
     */
    record FieldView(
            String name,
            Input input,
            boolean required,
            String doc,
            String value,
            List<String> options,
            @Nullable Long min,
            @Nullable Long max) {
        String id(String type) {
            return "dest-" + type + "-" + name;
        }

        String label() {
            String words = name.replace('_', ' ');
            return words.substring(0, 1).toUpperCase(Locale.ROOT) + words.substring(1);
        }
    }

    /** A destination type and its fields. */
    record DestinationView(String type, String description, List<FieldView> fields) {}

    /** The values the common fields start with. */
    record SinkValues(
            String name,
            String database,
            String tables,
            List<String> actions,
            String type,
            String filter,
            String transform,
            String routing,
            String enrichment,
            String batchSize,
            boolean messageGrouping,
            String maxRetryCount,
            String timestampFormat,
            String loadShedding) {}

    @Override
    public void register(ConsoleRoutes routes) {
        routes.get("/sinks/new", (ctx, r) -> form(ctx, r, null));
        routes.get("/sinks/{name}/edit", (ctx, r) -> form(ctx, r, ctx.pathParam("name")));
    }

    private void form(Context ctx, ConsoleRequest r, @Nullable String name) throws Exception {
        ConsoleServices s = r.services();
        ObjectNode sink = name == null ? null : ApiViews.sink(s.stored(), s.engine(), name);
        if (name != null && sink == null) {
            ctx.status(404);
            r.html(ctx, "missing.jte", "what", "sink", "name", name, "back", "/", "backLabel", "the overview");
            return;
        }
        SluiceConfig config = s.stored().snapshot().config();
        SinkValues values = values(sink);
        r.html(
                ctx,
                "sinkform.jte",
                "editing",
                name,
                "values",
                values,
                "databases",
                config.databases().stream().map(DatabaseConfig::name).toList(),
                "functions",
                config.functions(),
                "endpoints",
                config.httpEndpoints().stream().map(HttpEndpointConfig::name).toList(),
                "destinations",
                destinations(sink == null ? null : sink.get("destination")));
    }

    private static SinkValues values(@Nullable ObjectNode sink) {
        if (sink == null) {
            return new SinkValues(
                    "",
                    "",
                    "",
                    List.of("insert", "update", "delete"),
                    "webhook",
                    "",
                    "",
                    "",
                    "",
                    "",
                    true,
                    "",
                    "iso8601",
                    "pause_on_full");
        }
        List<String> actions = new ArrayList<>();
        sink.path("actions").forEach(a -> actions.add(a.asString()));
        List<String> tables = new ArrayList<>();
        sink.path("source").path("include_tables").forEach(t -> tables.add(t.asString()));
        return new SinkValues(
                text(sink, "name"),
                text(sink, "database"),
                String.join(", ", tables),
                actions,
                sink.path("destination").path("type").asString(""),
                text(sink, "filter"),
                text(sink, "transform"),
                text(sink, "routing"),
                text(sink, "enrichment"),
                text(sink, "batch_size"),
                sink.path("message_grouping").asBoolean(true),
                text(sink, "max_retry_count"),
                text(sink, "timestamp_format"),
                text(sink, "load_shedding_policy"));
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? "" : v.isString() ? v.asString() : v.toString();
    }

    /** Every installed type's fields; the sink's own type's filled with its current values. */
    private static List<DestinationView> destinations(@Nullable JsonNode current) {
        List<DestinationView> out = new ArrayList<>();
        for (SinkProvider<?> p : Destinations.installed().all()) {
            boolean mine =
                    current != null && p.type().equals(current.path("type").asString(""));
            List<FieldView> fields = new ArrayList<>();
            for (ConfigField f : p.schema().fields()) {
                JsonNode v = mine ? current.get(f.name()) : null;
                fields.add(field(f, v));
            }
            out.add(new DestinationView(p.type(), p.description(), fields));
        }
        return out;
    }

    private static FieldView field(ConfigField f, @Nullable JsonNode current) {
        Input input = switch (f.type()) {
            case STRING -> f.secret() ? Input.SECRET : f.allowed().isEmpty() ? Input.TEXT : Input.SELECT;
            case INTEGER -> Input.NUMBER;
            case BOOLEAN -> Input.CHECKBOX;
            case STRING_LIST -> Input.LIST;
            case OBJECT -> Input.JSON;
            case REFERENCE -> Input.REFERENCE;
        };
        String value;
        if (current != null && !current.isNull()) {
            value = switch (f.type()) {
                case STRING_LIST -> {
                    List<String> items = new ArrayList<>();
                    current.forEach(i -> items.add(i.asString()));
                    yield String.join(", ", items);
                }
                case OBJECT -> current.toString();
                default -> current.isString() ? current.asString() : current.toString();
            };
        } else if (f.defaultValue() != null) {
            value = f.defaultValue() instanceof List<?> l
                    ? String.join(", ", l.stream().map(String::valueOf).toList())
                    : String.valueOf(f.defaultValue());
        } else {
            value = "";
        }
        return new FieldView(f.name(), input, f.required(), f.doc(), value, f.allowed(), f.min(), f.max());
    }

    /** Function names of {@code type} ({@code filter}, {@code transform}, …), for a select. */
    static List<String> named(List<FunctionSpec> functions, String type) {
        return functions.stream()
                .filter(f -> f.type().name().toLowerCase(Locale.ROOT).equals(type)
                        || ("transform".equals(type) && f.type().name().equalsIgnoreCase("path")))
                .map(FunctionSpec::name)
                .toList();
    }
}
