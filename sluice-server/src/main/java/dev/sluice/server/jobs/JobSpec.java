package dev.sluice.server.jobs;

import dev.sluice.server.config.PostgresUrl;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A replication job's request, the seed's JobSpec: {@code schema_version} ("1.0"), {@code command}, {@code
 * source_url}, {@code target_url}, {@code filter} and {@code options}. {@link #parse} checks every field and reports
 * each problem at its field; {@link #toString()} never shows the URLs, which hold passwords.
 */
public record JobSpec(
        String schemaVersion, JobCommand command, String sourceUrl, String targetUrl, Filter filter, Options options) {
    public static final String SCHEMA_VERSION = "1.0";

    /**
     * The target database for source database {@code db}: the target URL's, or with {@code include_databases} each
     * database's namesake on the target server.
     */
    String targetDatabase(String db) {
        return filter.includeDatabases().isEmpty()
                ? dev.sluice.server.config.PostgresUrl.parse(targetUrl).database()
                : db;
    }
    /** The largest spec accepted, in bytes of JSON. */
    public static final int MAX_BYTES = 15 * 1024;
    /** The longest URL accepted. */
    public static final int MAX_URL_LENGTH = 2048;

    private static final Set<String> FIELDS =
            Set.of("schema_version", "command", "source_url", "target_url", "filter", "options");
    private static final Set<String> FILTER_FIELDS = Set.of(
            "include_databases",
            "exclude_databases",
            "include_tables",
            "exclude_tables",
            "schema_only_tables",
            "table_filters");

    /**
     * What a job covers. Tables are written {@code schema.table} (or {@code table} for {@code public}), optionally
     * prefixed by a database ({@code db.schema.table}); {@code tableFilters} maps a table to a SQL predicate on its
     * rows.
     */
    public record Filter(
            List<String> includeDatabases,
            List<String> excludeDatabases,
            List<String> includeTables,
            List<String> excludeTables,
            List<String> schemaOnlyTables,
            Map<String, String> tableFilters) {
        public static final Filter NONE = new Filter(List.of(), List.of(), List.of(), List.of(), List.of(), Map.of());

        /** The databases a job covers: {@code include_databases}, else the URL's, without {@code exclude_databases}. */
        List<String> databases(String urlDatabase) {
            return (includeDatabases.isEmpty() ? List.of(urlDatabase) : includeDatabases)
                    .stream().filter(d -> !excludeDatabases.contains(d)).toList();
        }

        /** Whether a table is in the job: named by {@code include_tables} (when given) and not by {@code exclude_tables}. */
        boolean selects(SourceTable t) {
            return (includeTables.isEmpty()
                            || includeTables.stream().map(TableName::parse).anyMatch(t::is))
                    && excludeTables.stream().map(TableName::parse).noneMatch(t::is);
        }
    }

    /**
     * @param dropExisting whether {@code init} may drop what the target already has (a safety valve)
     * @param parallelism how many tables are copied or verified at once
     */
    public record Options(boolean dropExisting, int parallelism) {
        public static final int DEFAULT_PARALLELISM = 2;
        public static final Options DEFAULTS = new Options(false, DEFAULT_PARALLELISM);
    }

    /** A spec that is not valid: the problems by field ({@code filter.include_tables}, …). */
    public static final class InvalidSpecException extends Exception {
        private final Map<String, List<String>> errors;

        InvalidSpecException(Map<String, List<String>> errors) {
            super("invalid job spec: " + errors);
            this.errors = Map.copyOf(errors);
        }

        public Map<String, List<String>> errors() {
            return errors;
        }
    }

    public static JobSpec parse(JsonNode body) throws InvalidSpecException {
        Map<String, List<String>> errors = new LinkedHashMap<>();
        if (!(body instanceof ObjectNode o)) {
            errors.put("body", List.of("must be a JSON object"));
            throw new InvalidSpecException(errors);
        }
        for (String name : o.propertyNames()) {
            if (!FIELDS.contains(name)) {
                add(errors, name, "is not a field of a job spec (fields: " + String.join(", ", sorted(FIELDS)) + ")");
            }
        }
        String version = string(o, "schema_version", errors, true);
        if (version != null && !version.equals(SCHEMA_VERSION)) {
            add(errors, "schema_version", "must be \"" + SCHEMA_VERSION + "\" (the only version this server speaks)");
        }
        String commandText = string(o, "command", errors, true);
        JobCommand command = null;
        if (commandText != null) {
            try {
                command = JobCommand.parse(commandText);
            } catch (IllegalArgumentException e) {
                add(errors, "command", e.getMessage());
            }
        }
        String source = url(o, "source_url", errors);
        String target = url(o, "target_url", errors);
        Filter filter = filter(o.get("filter"), errors);
        Options options = options(o.get("options"), errors);
        if (!errors.isEmpty()) {
            throw new InvalidSpecException(errors);
        }
        return new JobSpec(version, command, source, target, filter, options);
    }

    private static @Nullable String url(ObjectNode o, String field, Map<String, List<String>> errors) {
        String url = string(o, field, errors, true);
        if (url == null) {
            return null;
        }
        if (url.length() > MAX_URL_LENGTH) {
            add(errors, field, "is longer than " + MAX_URL_LENGTH + " characters");
            return null;
        }
        try {
            PostgresUrl.parse(url);
        } catch (IllegalArgumentException e) {
            add(errors, field, "is not a Postgres URL: " + e.getMessage());
            return null;
        }
        return url;
    }

    private static Filter filter(@Nullable JsonNode n, Map<String, List<String>> errors) {
        if (n == null || n.isNull()) {
            return Filter.NONE;
        }
        if (!(n instanceof ObjectNode f)) {
            add(errors, "filter", "must be an object");
            return Filter.NONE;
        }
        for (String name : f.propertyNames()) {
            if (!FILTER_FIELDS.contains(name)) {
                add(
                        errors,
                        "filter." + name,
                        "is not a filter (filters: " + String.join(", ", sorted(FILTER_FIELDS)) + ")");
            }
        }
        Map<String, String> tableFilters = new LinkedHashMap<>();
        JsonNode tf = f.get("table_filters");
        if (tf != null && !tf.isNull()) {
            if (!(tf instanceof ObjectNode tfo)) {
                add(errors, "filter.table_filters", "must be an object of table: SQL predicate");
            } else {
                for (var e : tfo.properties()) {
                    if (!e.getValue().isString() || e.getValue().asString().isBlank()) {
                        add(errors, "filter.table_filters." + e.getKey(), "must be a SQL predicate, like id > 100");
                    } else {
                        tableFilters.put(e.getKey(), e.getValue().asString());
                    }
                }
            }
        }
        return new Filter(
                strings(f, "include_databases", errors),
                strings(f, "exclude_databases", errors),
                strings(f, "include_tables", errors),
                strings(f, "exclude_tables", errors),
                strings(f, "schema_only_tables", errors),
                tableFilters);
    }

    private static Options options(@Nullable JsonNode n, Map<String, List<String>> errors) {
        if (n == null || n.isNull()) {
            return Options.DEFAULTS;
        }
        if (!(n instanceof ObjectNode o)) {
            add(errors, "options", "must be an object");
            return Options.DEFAULTS;
        }
        boolean drop = false;
        int parallelism = Options.DEFAULT_PARALLELISM;
        for (var e : o.properties()) {
            switch (e.getKey()) {
                case "drop_existing" -> {
                    if (e.getValue().isBoolean()) {
                        drop = e.getValue().asBoolean();
                    } else {
                        add(errors, "options.drop_existing", "must be true or false");
                    }
                }
                case "parallelism" -> {
                    if (e.getValue().isInt()
                            && e.getValue().asInt() >= 1
                            && e.getValue().asInt() <= 64) {
                        parallelism = e.getValue().asInt();
                    } else {
                        add(errors, "options.parallelism", "must be a whole number from 1 to 64");
                    }
                }
                default ->
                    add(errors, "options." + e.getKey(), "is not an option (options: drop_existing, parallelism)");
            }
        }
        return new Options(drop, parallelism);
    }

    private static List<String> strings(ObjectNode o, String field, Map<String, List<String>> errors) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (!n.isArray()) {
            add(errors, "filter." + field, "must be a list of names");
            return List.of();
        }
        for (JsonNode e : n) {
            if (!e.isString() || e.asString().isBlank()) {
                add(errors, "filter." + field, "must hold names only");
                return List.of();
            }
            out.add(e.asString());
        }
        return List.copyOf(out);
    }

    private static @Nullable String string(
            ObjectNode o, String field, Map<String, List<String>> errors, boolean required) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            if (required) {
                add(errors, field, "is required");
            }
            return null;
        }
        if (!n.isString() || n.asString().isBlank()) {
            add(errors, field, "must be a non-empty string");
            return null;
        }
        return n.asString();
    }

    private static void add(Map<String, List<String>> errors, String field, String message) {
        errors.computeIfAbsent(field, k -> new ArrayList<>()).add(message);
    }

    private static List<String> sorted(Set<String> names) {
        return names.stream().sorted().toList();
    }

    @Override
    public String toString() {
        return "JobSpec[" + command + ", source=***, target=***, " + filter + ", " + options + "]";
    }
}
