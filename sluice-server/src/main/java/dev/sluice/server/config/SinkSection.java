package dev.sluice.server.config;

import dev.sluice.core.Action;
import dev.sluice.core.TableId;
import dev.sluice.core.TimestampFormat;
import dev.sluice.engine.LoadShedding;
import dev.sluice.server.destination.Destination;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/** Reads one entry of {@code sinks}. */
final class SinkSection {
    static final List<String> KEYS = List.of(
            "name",
            "database",
            "source",
            "schema",
            "table",
            "tables",
            "actions",
            "destination",
            "batch_size",
            "max_memory_mb",
            "max_spill_mb",
            "status",
            "max_retry_count",
            "message_grouping",
            "timestamp_format",
            "annotations",
            "load_shedding_policy",
            "retry_backoff_ms",
            "max_retry_backoff_ms",
            "filter",
            "transform",
            "enrichment",
            "routing",
            "initial_backfill",
            "reselect_unchanged_toast");
    private static final List<String> INITIAL_BACKFILL_KEYS = List.of("table", "sort_column", "start_position");
    private static final List<String> INITIAL_BACKFILL_LIST_KEYS =
            List.of("table", "type", "sort_column", "start_position");
    /** Keys of older Sequin versions that Sequin itself now ignores. */
    private static final Set<String> LEGACY_IGNORED = Set.of("consumer_start", "message_kind", "active_backfill");

    private static final Map<String, String> REJECTED =
            Map.of("filters", "column filters are not supported yet; choose tables with 'source'");
    private static final List<String> SOURCE_KEYS =
            List.of("include_schemas", "exclude_schemas", "include_tables", "exclude_tables");
    private static final List<String> TABLE_KEYS =
            List.of("name", "group_column_names", "include_columns", "exclude_columns");
    private static final Map<String, Action> ACTIONS = orderedMap(
            "insert", Action.INSERT, "update", Action.UPDATE, "delete", Action.DELETE, "truncate", Action.TRUNCATE);
    private static final Map<String, SinkStatus> STATUSES = byWireName(SinkStatus.values(), SinkStatus::wireName);
    private static final Map<String, TimestampFormat> TIMESTAMP_FORMATS =
            orderedMap("iso8601", TimestampFormat.ISO8601, "unix_microsecond", TimestampFormat.UNIX_MICROSECOND);
    private static final Map<String, LoadShedding> LOAD_SHEDDING =
            byWireName(LoadShedding.values(), LoadShedding::wireName);

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern YAML_INT = Pattern.compile("[-+]?[0-9]+");
    private static final Pattern YAML_FLOAT = Pattern.compile("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");

    private SinkSection() {}

    /**
     * Returns null if the entry has problems (all recorded). References to databases and endpoints are checked
     * against the names given, which come from the raw file so that one broken database does not also fail its
     * sinks; a reference to an endpoint resolves to the endpoint read from {@code endpoints}.
     */
    static @Nullable SinkConfig read(
            YamlNode node,
            String path,
            Problems problems,
            Set<String> databases,
            Set<String> endpointNames,
            Map<String, HttpEndpointConfig> endpoints,
            FunctionNames functions) {
        int before = problems.count();
        Fields f = Fields.of(node, path, problems, KEYS, REJECTED, LEGACY_IGNORED);
        if (f == null) {
            return null;
        }
        String name = f.requiredString("name");
        String database = f.requiredString("database");
        if (database != null && !databases.contains(database)) {
            f.problem("database", "no database named '" + database + "'" + known("databases", databases));
        }
        SourceFilter source = source(f);
        boolean grouping = Objects.requireNonNullElse(f.bool("message_grouping"), true);
        List<TableConfig> tables = tables(f, grouping);
        if (SourceFilter.ALL.equals(source) && !tables.isEmpty() && !f.has("source")) {
            // Sequin's meaning of tables: without a source, a sink streams the tables it lists. A source given, even
            // an empty one (as stored), says what is streamed: tables then only adds settings.
            source = new SourceFilter(
                    null, null, tables.stream().map(TableConfig::name).toList(), null);
        }
        Destination destination = DestinationSection.read(f, endpointNames, endpoints);
        Set<Action> actions = actions(f, destination);
        int batchSize = Objects.requireNonNullElse(
                f.integer("batch_size", 1, SinkConfig.MAX_BATCH_SIZE),
                destination == null
                        ? 1
                        : Math.min(destination.provider().defaultBatchSize(), SinkConfig.MAX_BATCH_SIZE));
        int maxMemoryMb = Objects.requireNonNullElse(
                f.integer("max_memory_mb", 1, SinkConfig.MAX_MEMORY_MB), SinkConfig.DEFAULT_MEMORY_MB);
        int maxSpillMb = Objects.requireNonNullElse(
                f.integer("max_spill_mb", 0, SinkConfig.MAX_SPILL_MB), SinkConfig.DEFAULT_SPILL_MB);
        SinkStatus status = Objects.requireNonNullElse(f.choice("status", STATUSES), SinkStatus.ACTIVE);
        Integer maxRetryCount = f.integer("max_retry_count", 0, Integer.MAX_VALUE);
        TimestampFormat timestampFormat =
                Objects.requireNonNullElse(f.choice("timestamp_format", TIMESTAMP_FORMATS), TimestampFormat.ISO8601);
        LoadShedding loadShedding =
                Objects.requireNonNullElse(f.choice("load_shedding_policy", LOAD_SHEDDING), LoadShedding.PAUSE_ON_FULL);
        String annotations = annotations(f);
        long backoff = Objects.requireNonNullElse(
                f.integer("retry_backoff_ms", 1, SinkConfig.MAX_BACKOFF_MS), (int) SinkConfig.DEFAULT_RETRY_BACKOFF_MS);
        long maxBackoff =
                Objects.requireNonNullElse(f.integer("max_retry_backoff_ms", 1, SinkConfig.MAX_BACKOFF_MS), (int)
                        Math.max(backoff, SinkConfig.DEFAULT_MAX_RETRY_BACKOFF_MS));
        if (maxBackoff < backoff) {
            f.problem("max_retry_backoff_ms", "must be at least retry_backoff_ms (" + backoff + "), got " + maxBackoff);
        }
        FunctionRefs functionRefs = SinkFunctions.read(f, functions, destination, source);
        List<InitialBackfill> initialBackfills = initialBackfills(f);
        boolean reselect = Objects.requireNonNullElse(f.bool("reselect_unchanged_toast"), false);
        if (problems.count() > before
                || name == null
                || database == null
                || source == null
                || actions == null
                || destination == null
                || annotations == null
                || functionRefs == null) {
            return null;
        }
        return new SinkConfig(
                name,
                database,
                source,
                tables,
                actions,
                destination,
                batchSize,
                maxMemoryMb,
                maxSpillMb,
                status,
                maxRetryCount,
                grouping,
                timestampFormat,
                annotations,
                loadShedding,
                backoff,
                maxBackoff,
                functionRefs,
                initialBackfills,
                reselect);
    }

    /**
     * {@code initial_backfill: true}, a mapping of {table, sort_column, start_position}, or Sequin's list of such
     * mappings (one backfill per table, each with an optional {@code type}: {@code full} or {@code partial}).
     */
    private static List<InitialBackfill> initialBackfills(Fields f) {
        YamlNode node = f.node("initial_backfill");
        if (node == null) {
            return List.of();
        }
        if (node instanceof YamlNode.Scalar) {
            Boolean on = f.bool("initial_backfill");
            return Boolean.TRUE.equals(on) ? List.of(new InitialBackfill(null, null, null)) : List.of();
        }
        if (node instanceof YamlNode.Sequence seq) {
            List<InitialBackfill> out = new ArrayList<>();
            Set<TableId> seen = new java.util.HashSet<>();
            for (int i = 0; i < seq.items().size(); i++) {
                String path = f.path("initial_backfill") + "[" + i + "]";
                Fields b = Fields.of(
                        seq.items().get(i), path, f.problems(), INITIAL_BACKFILL_LIST_KEYS, Map.of(), Set.of());
                InitialBackfill one = b == null ? null : initialBackfill(b, true);
                if (one == null) {
                    continue;
                }
                if (one.table() == null) {
                    b.problem("table", "required in the list form: the table to backfill");
                } else if (!seen.add(one.table())) {
                    b.problem("table", "backfills " + one.table() + " a second time; list each table once");
                } else {
                    out.add(one);
                }
            }
            return out;
        }
        Fields b = Fields.of(node, f.path("initial_backfill"), f.problems(), INITIAL_BACKFILL_KEYS, Map.of(), Set.of());
        InitialBackfill one = b == null ? null : initialBackfill(b, false);
        return one == null ? List.of() : List.of(one);
    }

    private static @Nullable InitialBackfill initialBackfill(Fields b, boolean typed) {
        TableId table = tableId(b, "table", b.string("table"));
        String sortColumn = b.string("sort_column");
        String startPosition = b.string("start_position");
        if (startPosition != null && sortColumn == null) {
            b.problem("start_position", "needs sort_column: rows are selected by the sort column's value");
        }
        String type = typed ? b.string("type") : null;
        if (type != null) {
            switch (type) {
                case "full" -> {
                    if (startPosition != null) {
                        b.problem("start_position", "not with type full, which reads the whole table");
                    }
                }
                case "partial" -> {
                    if (startPosition == null) {
                        b.problem("type", "partial needs sort_column and start_position: where to start");
                    }
                }
                default -> b.problem("type", "expected full or partial, got '" + type + "'");
            }
        }
        return new InitialBackfill(table, sortColumn, startPosition);
    }

    static String known(String kind, Set<String> names) {
        return names.isEmpty()
                ? "; no " + kind + " are defined"
                : "; defined " + kind + ": "
                        + String.join(", ", names.stream().sorted().toList());
    }

    private static @Nullable SourceFilter source(Fields f) {
        YamlNode node = f.node("source");
        boolean shorthand = f.has("schema") || f.has("table");
        if (node == null) {
            // Sequin's older one-schema and one-table forms.
            if (f.has("schema") && f.has("table")) {
                f.problem("table", "give 'schema' or 'table', not both");
                return null;
            }
            String schema = f.string("schema");
            if (schema != null) {
                return new SourceFilter(List.of(schema), null, null, null);
            }
            TableId table = tableId(f, "table", f.string("table"));
            return table == null
                    ? (shorthand ? null : SourceFilter.ALL)
                    : new SourceFilter(null, null, List.of(table), null);
        }
        if (shorthand) {
            f.problem(f.has("schema") ? "schema" : "table", "give either 'source' or this shorthand, not both");
        }
        Fields s = Fields.of(node, f.path("source"), f.problems(), SOURCE_KEYS, Map.of(), Set.of());
        if (s == null) {
            return null;
        }
        int before = f.problems().count();
        List<String> includeSchemas = nonEmpty(s, "include_schemas", s.stringList("include_schemas"));
        List<String> excludeSchemas = nonEmpty(s, "exclude_schemas", s.stringList("exclude_schemas"));
        List<TableId> includeTables = tableIds(s, "include_tables");
        List<TableId> excludeTables = tableIds(s, "exclude_tables");
        if (s.has("include_schemas") && s.has("exclude_schemas")) {
            s.problem("exclude_schemas", "give include_schemas or exclude_schemas, not both");
        }
        if (s.has("include_tables") && s.has("exclude_tables")) {
            s.problem("exclude_tables", "give include_tables or exclude_tables, not both");
        }
        if (f.problems().count() > before) {
            return null;
        }
        return new SourceFilter(includeSchemas, excludeSchemas, includeTables, excludeTables);
    }

    private static <T> @Nullable List<T> nonEmpty(Fields f, String key, @Nullable List<T> list) {
        if (list != null && list.isEmpty()) {
            f.problem(key, "must not be empty; omit the key to select every table");
            return null;
        }
        return list;
    }

    private static @Nullable List<TableId> tableIds(Fields f, String key) {
        List<String> names = nonEmpty(f, key, f.stringList(key));
        if (names == null) {
            return null;
        }
        List<TableId> out = new ArrayList<>();
        YamlNode.Sequence seq = (YamlNode.Sequence) Objects.requireNonNull(f.node(key));
        for (int i = 0; i < names.size(); i++) {
            try {
                out.add(TableId.parse(names.get(i)));
            } catch (IllegalArgumentException e) {
                f.problems().add(seq.items().get(i).mark(), f.path(key) + "[" + i + "]", tableError(e));
            }
        }
        return out;
    }

    private static @Nullable TableId tableId(Fields f, String key, @Nullable String text) {
        if (text == null) {
            return null;
        }
        try {
            return TableId.parse(text);
        } catch (IllegalArgumentException e) {
            f.problem(key, tableError(e));
            return null;
        }
    }

    private static String tableError(IllegalArgumentException e) {
        return "invalid table name (" + e.getMessage() + "); write schema.table, e.g. public.orders";
    }

    private static List<TableConfig> tables(Fields f, boolean grouping) {
        YamlNode node = f.node("tables");
        if (node == null) {
            return List.of();
        }
        if (!(node instanceof YamlNode.Sequence seq)) {
            f.problem(
                    "tables",
                    "expected a list of {name, group_column_names, include_columns | exclude_columns}, got "
                            + node.describe());
            return List.of();
        }
        List<TableConfig> out = new ArrayList<>();
        Map<TableId, Integer> seen = new HashMap<>();
        for (int i = 0; i < seq.items().size(); i++) {
            Fields t = Fields.of(
                    seq.items().get(i), f.path("tables") + "[" + i + "]", f.problems(), TABLE_KEYS, Map.of(), Set.of());
            if (t == null) {
                continue;
            }
            TableId id = tableId(t, "name", t.requiredString("name"));
            List<String> columns = t.stringList("group_column_names");
            if (columns != null && columns.isEmpty()) {
                // As responses and the store write "no grouping columns" (the default, the primary key).
                columns = null;
            }
            if (columns != null && !grouping) {
                t.problem("group_column_names", "cannot be used with message_grouping: false");
            }
            List<String> include = columnList(t, "include_columns");
            List<String> exclude = columnList(t, "exclude_columns");
            if (include != null && exclude != null) {
                t.problem("exclude_columns", "give include_columns or exclude_columns, not both");
                exclude = null;
            }
            if (id != null) {
                Integer first = seen.putIfAbsent(id, t.mark("name").line());
                if (first != null) {
                    t.problem("name", "table " + id + " is already configured at line " + first);
                }
                out.add(new TableConfig(id, columns == null ? List.of() : columns, include, exclude));
            }
        }
        return out;
    }

    /** A column selection list: not empty, each column once. */
    private static @Nullable List<String> columnList(Fields t, String key) {
        List<String> names = t.stringList(key);
        if (names == null) {
            return null;
        }
        if (names.isEmpty()) {
            t.problem(key, "must not be empty; omit the key to deliver every column");
            return null;
        }
        Set<String> seen = new java.util.HashSet<>();
        for (String n : names) {
            if (!seen.add(n)) {
                t.problem(key, "lists column '" + n + "' twice");
                return null;
            }
        }
        return names;
    }

    /** The listed actions; unset, the destination type's default (insert, update, delete; postgres adds truncate). */
    private static @Nullable Set<Action> actions(Fields f, @Nullable Destination destination) {
        YamlNode node = f.node("actions");
        if (node == null) {
            return destination == null
                    ? EnumSet.of(Action.INSERT, Action.UPDATE, Action.DELETE)
                    : EnumSet.copyOf(destination.provider().defaultActions());
        }
        List<String> names = f.stringList("actions");
        if (names == null) {
            return null;
        }
        if (names.isEmpty()) {
            f.problem("actions", "must list at least one of insert, update, delete, truncate");
            return null;
        }
        Set<Action> out = EnumSet.noneOf(Action.class);
        boolean ok = true;
        List<YamlNode> items = ((YamlNode.Sequence) node).items();
        for (int i = 0; i < names.size(); i++) {
            Action action = ACTIONS.get(names.get(i).strip().toLowerCase(java.util.Locale.ROOT));
            if (action == null) {
                String hint =
                        names.get(i).strip().equalsIgnoreCase("read") ? "; backfill reads are always delivered" : "";
                f.problems()
                        .add(
                                items.get(i).mark(),
                                f.path("actions") + "[" + i + "]",
                                "expected one of insert, update, delete, truncate, got '" + names.get(i) + "'" + hint);
                ok = false;
            } else {
                out.add(action);
            }
        }
        return ok ? out : null;
    }

    static @Nullable String annotations(Fields f) {
        YamlNode node = f.node("annotations");
        if (node == null) {
            return "{}";
        }
        if (!(node instanceof YamlNode.Mapping)) {
            f.problem("annotations", "expected a mapping, got " + node.describe());
            return null;
        }
        return JSON.writeValueAsString(toJson(node));
    }

    /** YAML to JSON; plain scalars are typed as YAML 1.2's core schema does, quoted ones stay strings. */
    static JsonNode toJson(YamlNode node) {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        return switch (node) {
            case YamlNode.Mapping m -> {
                ObjectNode o = nodes.objectNode();
                m.entries().values().forEach(e -> o.set(e.key(), toJson(e.value())));
                yield o;
            }
            case YamlNode.Sequence s -> {
                ArrayNode a = nodes.arrayNode();
                s.items().forEach(item -> a.add(toJson(item)));
                yield a;
            }
            case YamlNode.Scalar s when s.value() == null -> nodes.nullNode();
            case YamlNode.Scalar s when !s.plain() -> nodes.stringNode(s.value());
            case YamlNode.Scalar s -> {
                String v = Objects.requireNonNull(s.value());
                if (v.equals("true") || v.equals("false")) {
                    yield nodes.booleanNode(Boolean.parseBoolean(v));
                } else if (YAML_INT.matcher(v).matches()) {
                    yield nodes.numberNode(new BigInteger(v));
                } else if (YAML_FLOAT.matcher(v).matches()) {
                    yield nodes.numberNode(new BigDecimal(v));
                }
                yield nodes.stringNode(v);
            }
        };
    }

    /** Constants by their written name, in declaration order (the order messages list them in). */
    private static <E> Map<String, E> byWireName(E[] values, java.util.function.Function<E, String> name) {
        Map<String, E> map = new LinkedHashMap<>();
        for (E e : values) {
            map.put(name.apply(e), e);
        }
        return java.util.Collections.unmodifiableMap(map);
    }

    @SuppressWarnings("unchecked")
    static <V> Map<String, V> orderedMap(Object... keysAndValues) {
        Map<String, V> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], (V) keysAndValues[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(map);
    }
}
