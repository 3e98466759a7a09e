package dev.sluice.terraform.resources;

import static dev.sluice.terraform.schema.Attribute.Presence.COMPUTED;
import static dev.sluice.terraform.schema.Attribute.Presence.OPTIONAL;
import static dev.sluice.terraform.schema.Attribute.Presence.REQUIRED;

import dev.sluice.terraform.api.ApiException;
import dev.sluice.terraform.api.SluiceApi;
import dev.sluice.terraform.schema.Attribute;
import dev.sluice.terraform.schema.Schema;
import dev.sluice.terraform.wire.TfType;
import dev.sluice.terraform.wire.Unknown;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code sluice_sink_consumer}, and the seeds' {@code sequin_sink_consumer} with the same schema: a sink
 * ({@code /api/sinks}).
 *
 * <p>No drift, where the seeds' provider had it: a database given by ID stays an ID in state (the API answers its
 * name); values the server spells otherwise keep the configuration's spelling ({@code PLAIN} for {@code plain}, a
 * type's alias, a table without its schema); server defaults and inferred values ({@code batch_size}, an SQS {@code
 * region} and {@code is_fifo}) are computed, planned unknown only when what they follow changes; functions the API
 * shows as {@code "none"} are null; secrets are kept from state; {@code status_info} is unknown only in a plan that
 * changes the sink.
 */
final class SinkConsumerResource extends RestResource {
    private static final List<String> FUNCTIONS = List.of("filter", "transform", "enrichment", "routing");
    private static final List<String> SOURCE =
            List.of("include_schemas", "exclude_schemas", "include_tables", "exclude_tables");
    private static final List<String> NUMBERS = List.of(
            "batch_size",
            "max_retry_count",
            "max_memory_mb",
            "max_spill_mb",
            "retry_backoff_ms",
            "max_retry_backoff_ms");
    private static final DestinationTypes TYPES = DestinationTypes.load();

    static final Schema SCHEMA = buildSchema();

    SinkConsumerResource(String typeName) {
        super(typeName, "/api/sinks", SCHEMA);
    }

    private static Schema buildSchema() {
        List<Attribute> a = new ArrayList<>();
        a.add(Attribute.computed("id", TfType.STRING, "The sink's ID."));
        a.add(Attribute.required("name", TfType.STRING, "Unique name."));
        a.add(Attribute.optionalComputed("status", TfType.STRING, "active, disabled or paused; active when unset."));
        a.add(Attribute.required("database", TfType.STRING, "The source database, by name or ID."));
        List<Attribute> source = new ArrayList<>();
        for (String s : SOURCE) {
            source.add(Attribute.optional(s, TfType.list(TfType.STRING), "Schemas or schema.table names."));
        }
        a.add(Attribute.nested(
                        "source",
                        OPTIONAL,
                        Attribute.Nesting.SINGLE,
                        "Which schemas and tables to stream (one of include_ or exclude_ per kind).",
                        source.toArray(Attribute[]::new))
                .asBlock());
        // Computed too: an import reads [] for a sink without tables, which a configuration may write as [] or leave
        // out.
        a.add(Attribute.nested(
                "tables",
                Attribute.Presence.OPTIONAL_COMPUTED,
                Attribute.Nesting.LIST,
                "Tables and their grouping columns; without source, exactly the tables streamed.",
                Attribute.required("name", TfType.STRING, "schema.table, or table in public."),
                Attribute.optional(
                        "group_column_names",
                        TfType.list(TfType.STRING),
                        "Columns whose values order messages; the primary key when unset.")));
        a.add(Attribute.optionalComputed(
                "actions", TfType.list(TfType.STRING), "insert, update, delete; all three when unset."));
        a.add(Attribute.nested(
                "destination",
                REQUIRED,
                Attribute.Nesting.SINGLE,
                "Where messages go: type, and that type's fields.",
                TYPES.attributes().toArray(Attribute[]::new)));
        for (String f : FUNCTIONS) {
            a.add(Attribute.optional(f, TfType.STRING, "The " + f + " function's name; none when unset."));
        }
        a.add(Attribute.optionalComputed(
                "message_grouping", TfType.BOOL, "Order messages per group; true when unset."));
        a.add(Attribute.optionalComputed(
                "batch_size", TfType.NUMBER, "Messages per batch; the type's default when unset."));
        a.add(Attribute.optional("max_retry_count", TfType.NUMBER, "Delivery attempts before a message is dropped."));
        a.add(Attribute.optionalComputed("load_shedding_policy", TfType.STRING, "pause_on_full or discard_on_full."));
        a.add(Attribute.optionalComputed("timestamp_format", TfType.STRING, "iso8601 or unix_microsecond."));
        a.add(Attribute.optionalComputed("max_memory_mb", TfType.NUMBER, "Sluice: memory for the sink's buffer."));
        a.add(Attribute.optionalComputed("max_spill_mb", TfType.NUMBER, "Sluice: spill budget in the message store."));
        a.add(Attribute.optionalComputed("retry_backoff_ms", TfType.NUMBER, "Sluice: first retry pause."));
        a.add(Attribute.optionalComputed("max_retry_backoff_ms", TfType.NUMBER, "Sluice: longest retry pause."));
        a.add(Attribute.nested(
                "status_info",
                COMPUTED,
                Attribute.Nesting.SINGLE,
                "The sink's state as the server reports it.",
                Attribute.computed("state", TfType.STRING, "active, disabled or paused."),
                Attribute.computed("created_at", TfType.STRING, "When it was created."),
                Attribute.computed("updated_at", TfType.STRING, "When it was last changed."),
                Attribute.computed("last_error", TfType.STRING, "The last delivery error, if any.")));
        return new Schema(0, "A sink: changes of a database's tables, delivered to a destination.", a);
    }

    @Override
    String importQuery() {
        // The destination's secrets into state, so that a plan after import matches a configuration that sets them.
        return "?show_sensitive=true";
    }

    @Override
    @SuppressWarnings("unchecked")
    ObjectNode body(Map<String, @Nullable Object> s, boolean update) {
        ObjectNode b = SluiceApi.JSON.createObjectNode();
        Values.copy(
                b,
                s,
                "name",
                "status",
                "database",
                "actions",
                "message_grouping",
                "load_shedding_policy",
                "timestamp_format");
        for (String n : NUMBERS) {
            Values.put(b, n, s.get(n));
        }
        if (s.get("source") instanceof Map<?, ?> src) {
            ObjectNode o = b.putObject("source");
            SOURCE.forEach(k -> Values.put(o, k, src.get(k)));
        } else if (update) {
            b.putObject("source"); // every table
        }
        // An empty list (the seeds' module writes tables = [] beside a source block) is the same as none.
        if (s.get("tables") instanceof List<?> tables && !tables.isEmpty()) {
            var arr = b.putArray("tables");
            for (Object t : tables) {
                Map<String, @Nullable Object> m = (Map<String, @Nullable Object>) t;
                ObjectNode o = arr.addObject();
                Values.put(o, "name", m.get("name"));
                Values.put(o, "group_column_names", m.get("group_column_names"));
            }
        } else if (update) {
            b.putNull("tables");
        }
        Map<String, @Nullable Object> d = (Map<String, @Nullable Object>) Objects.requireNonNull(s.get("destination"));
        ObjectNode dest = b.putObject("destination");
        Values.put(dest, "type", d.get("type"));
        DestinationTypes.Type type = TYPES.find((String) d.get("type"));
        for (Attribute f : TYPES.attributes()) {
            Object v = d.get(f.name());
            if (f.name().equals("type") || type != null && !type.has(f.name())) {
                continue;
            }
            if (v == null || v instanceof Unknown) {
                if (update) {
                    dest.putNull(f.name()); // the server's default, or a value it infers again
                }
            } else {
                Values.put(dest, f.name(), v);
            }
        }
        for (String f : FUNCTIONS) {
            Object v = s.get(f);
            if (v == null) {
                if (update) {
                    b.putNull(f);
                }
            } else {
                Values.put(b, f, v);
            }
        }
        if (update && s.get("max_retry_count") == null) {
            b.putNull("max_retry_count");
        }
        return b;
    }

    @Override
    @SuppressWarnings("unchecked")
    Map<String, @Nullable Object> state(SluiceApi api, JsonNode n, Map<String, @Nullable Object> known)
            throws ApiException {
        Map<String, @Nullable Object> s = new LinkedHashMap<>();
        s.put("id", Values.text(n, "id"));
        s.put("name", Values.text(n, "name"));
        s.put("status", Values.text(n, "status"));
        s.put("database", database(api, Values.text(n, "database"), known.get("database")));
        s.put("source", source(n.path("source"), n.path("tables"), known));
        s.put("tables", tables(n.path("tables"), known.get("tables"), !known.containsKey("tables")));
        s.put("actions", Values.texts(n, "actions"));
        Map<String, @Nullable Object> knownDest =
                known.get("destination") instanceof Map<?, ?> m ? (Map<String, @Nullable Object>) m : Map.of();
        s.put("destination", destination(n.path("destination"), knownDest));
        for (String f : FUNCTIONS) {
            String v = Values.text(n, f);
            s.put(f, v == null || v.equals("none") ? null : v);
        }
        s.put("message_grouping", Values.bool(n, "message_grouping"));
        for (String f : List.of("load_shedding_policy", "timestamp_format")) {
            s.put(f, Values.alias(Values.text(n, f), known.get(f), Map.of()));
        }
        for (String f : NUMBERS) {
            s.put(f, Values.number(n, f));
        }
        JsonNode info = n.path("status_info");
        Map<String, @Nullable Object> si = new LinkedHashMap<>();
        for (String f : List.of("state", "created_at", "updated_at", "last_error")) {
            si.put(f, Values.text(info, f));
        }
        s.put("status_info", si);
        return s;
    }

    /**
     * An import knows no configuration. Configurations written for the seeds' provider name the database by ID
     * ({@code sequin_database.x.id}, as the seeds' examples do), Sluice's examples by name: a {@code sequin_} sink's
     * import records the ID, a {@code sluice_} sink's the name, so the plan after importing either is clean.
     */
    @Override
    public Map<String, @Nullable Object> importState(SluiceApi api, String id) throws ApiException {
        Map<String, @Nullable Object> s = super.importState(api, id);
        if (typeName().startsWith("sequin_") && s.get("database") instanceof String name) {
            String dbId = Values.text(api.get("/api/postgres_databases/" + Values.segment(name)), "id");
            if (dbId != null) {
                s.put("database", dbId);
            }
        }
        return s;
    }

    /** The configured spelling of the database (an ID, or a name in another case) when it is the one the API names. */
    private static @Nullable String database(SluiceApi api, @Nullable String server, @Nullable Object configured)
            throws ApiException {
        if (server == null || !(configured instanceof String c) || c.equals(server)) {
            return server;
        }
        try {
            JsonNode db = api.get("/api/postgres_databases/" + Values.segment(c));
            return server.equals(Values.text(db, "name")) ? c : server;
        } catch (ApiException e) {
            if (e.notFound()) {
                return server;
            }
            throw e;
        }
    }

    /**
     * The source block. The API always shows a source, and one that a sink's {@code tables} imply (their names as
     * {@code include_tables}): a configuration without the block reads null, and so does an import whose source is
     * only what its tables imply.
     */
    private static @Nullable Map<String, @Nullable Object> source(
            JsonNode src, JsonNode tables, Map<String, @Nullable Object> known) {
        if (known.containsKey("source") && known.get("source") == null) {
            return null;
        }
        Map<String, @Nullable Object> out = new LinkedHashMap<>();
        boolean onlyImplied = true;
        for (String k : SOURCE) {
            List<String> v = Values.texts(src, k);
            out.put(k, v);
            if (v != null && !(k.equals("include_tables") && v.equals(tableNames(tables)))) {
                onlyImplied = false;
            }
        }
        return known.containsKey("source") || !onlyImplied ? out : null;
    }

    private static List<String> tableNames(JsonNode tables) {
        List<String> out = new ArrayList<>();
        tables.forEach(t -> out.add(t.path("name").asString()));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static @Nullable List<Object> tables(JsonNode tables, @Nullable Object known, boolean imported) {
        List<?> k = known instanceof List<?> l ? l : List.of();
        if (!tables.isArray() || tables.isEmpty()) {
            return known == null && !imported ? null : new ArrayList<>();
        }
        List<Object> out = new ArrayList<>();
        int i = 0;
        for (JsonNode t : tables) {
            Map<String, @Nullable Object> kt =
                    i < k.size() && k.get(i) instanceof Map<?, ?> m ? (Map<String, @Nullable Object>) m : Map.of();
            String name = Values.text(t, "name");
            Object kn = kt.get("name");
            if (name != null && kn instanceof String c && name.equals("public." + c)) {
                name = c; // the configuration's unqualified name for a table in public
            }
            List<String> groups = Values.texts(t, "group_column_names");
            Map<String, @Nullable Object> row = new LinkedHashMap<>();
            row.put("name", name);
            row.put(
                    "group_column_names",
                    groups == null || groups.isEmpty() ? kt.get("group_column_names") == null ? null : groups : groups);
            out.add(row);
            i++;
        }
        return out;
    }

    private static Map<String, @Nullable Object> destination(JsonNode d, Map<String, @Nullable Object> known) {
        Map<String, @Nullable Object> out = new LinkedHashMap<>();
        String serverType = Values.text(d, "type");
        DestinationTypes.Type type = TYPES.find(serverType);
        Object knownType = known.get("type");
        out.put("type", type != null && knownType instanceof String c && type.equals(TYPES.find(c)) ? c : serverType);
        for (Attribute a : TYPES.attributes()) {
            if (a.name().equals("type")) {
                continue;
            }
            DestinationTypes.Field f = type == null ? null : type.field(a.name());
            Object value = null;
            if (f != null && f.secret()) {
                String shown = Values.text(d, a.name());
                // Masked in answers: what state holds stands; on import, the secret as show_sensitive reveals it.
                value = known.containsKey(a.name()) || shown == null || shown.matches("\\*+")
                        ? known.get(a.name())
                        : shown;
            } else if (f != null) {
                JsonNode v = d.path(a.name());
                value = switch (f.type()) {
                    case "integer" -> v.isNumber() ? v.decimalValue() : null;
                    case "boolean" -> v.isBoolean() ? v.asBoolean() : null;
                    case "string_list" -> Values.texts(d, a.name());
                    case "object" -> v.isObject() ? objectOf(v) : null;
                    // A choice keeps the configuration's spelling; any other text is the server's as it is.
                    default ->
                        f.allowed().isEmpty()
                                ? Values.text(d, a.name())
                                : Values.alias(Values.text(d, a.name()), known.get(a.name()), Map.of());
                };
            }
            out.put(a.name(), value);
        }
        return out;
    }

    private static Map<String, @Nullable Object> objectOf(JsonNode v) {
        Map<String, @Nullable Object> m = new LinkedHashMap<>();
        v.properties()
                .forEach(e -> m.put(
                        e.getKey(),
                        e.getValue().isString()
                                ? e.getValue().asString()
                                : e.getValue().toString()));
        return m;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void refinePlan(
            Map<String, @Nullable Object> planned,
            @Nullable Map<String, @Nullable Object> prior,
            Map<String, @Nullable Object> config) {
        Map<String, @Nullable Object> dest = (Map<String, @Nullable Object>) planned.get("destination");
        Map<String, @Nullable Object> configDest =
                config.get("destination") instanceof Map<?, ?> m ? (Map<String, @Nullable Object>) m : Map.of();
        Map<String, @Nullable Object> priorDest = prior != null && prior.get("destination") instanceof Map<?, ?> m
                ? (Map<String, @Nullable Object>) m
                : null;
        if (dest != null && !(dest.get("type") instanceof Unknown)) {
            DestinationTypes.Type type = TYPES.find((String) dest.get("type"));
            boolean sameType =
                    priorDest != null && type != null && type.equals(TYPES.find((String) priorDest.get("type")));
            // What the server infers or defaults follows what is configured: unknown again when that changes.
            boolean changed = !sameType
                    || configDest.entrySet().stream()
                            .anyMatch(e ->
                                    e.getValue() != null && !Objects.equals(e.getValue(), priorDest.get(e.getKey())));
            for (Attribute a : TYPES.attributes()) {
                if (a.name().equals("type") || configDest.get(a.name()) != null) {
                    continue;
                }
                if (type != null && !type.has(a.name())) {
                    dest.put(a.name(), null);
                } else if (a.computed() && changed) {
                    dest.put(a.name(), Unknown.VALUE);
                }
            }
            if (!sameType && config.get("batch_size") == null) {
                planned.put("batch_size", Unknown.VALUE); // each type has its own default
            }
        }
        if (prior != null) {
            Map<String, @Nullable Object> before = new LinkedHashMap<>(prior);
            Map<String, @Nullable Object> after = new LinkedHashMap<>(planned);
            before.remove("status_info");
            after.remove("status_info");
            if (!before.equals(after)) {
                planned.put("status_info", Unknown.VALUE); // updated_at moves with the change
            }
        }
    }
}
