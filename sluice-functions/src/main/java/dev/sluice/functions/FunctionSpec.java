package dev.sluice.functions;

import dev.sluice.core.sink.ConfigProblem;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A function as users define it in yaml or the console: Sequin's {@code {name, description, type, code | path,
 * sink_type}}. Construction accepts anything but a null name or type; {@link #problems()} says what is wrong, each
 * problem at its field, so a caller reports every mistake at once. {@link Functions#compile} refuses a spec with
 * problems.
 *
 * @param name unique per server; letters, digits, {@code _ . -}; not {@code none}, {@code null} or {@code nil}
 * @param description free text, or null
 * @param type what the function does
 * @param code JavaScript for transform, filter and routing; SQL for enrichment; null for path
 * @param path the path of a path function ({@code record.status}); null for the other types
 * @param sinkType the sink type a routing function routes for ({@code http_push}, {@code kafka}), normalised by
 *     {@link #sinkType(String)}; null for the other types
 */
public record FunctionSpec(
        String name,
        @Nullable String description,
        FunctionType type,
        @Nullable String code,
        @Nullable String path,
        @Nullable String sinkType) {

    /** Sequin's code limit: 10 KB of UTF-8. */
    public static final int MAX_CODE_BYTES = 10 * 1024;

    /** Sequin's path limit, in characters. */
    public static final int MAX_PATH_LENGTH = 2000;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.\\-]{1,128}");
    private static final Set<String> RESERVED = Set.of("none", "null", "nil");
    private static final Pattern PATH = Pattern.compile("^(record|changes|action|metadata)(\\.[a-zA-Z0-9_\\-.]+)*$");
    private static final Pattern SINK_TYPE = Pattern.compile("[a-z0-9_]{1,64}");
    // Sequin's signatures, or any Elixir def ... do block: users pasting Sequin functions get told what to write.
    private static final Pattern ELIXIR_DEF = Pattern.compile("\\bdefp?\\s+(transform|filter|route)\\s*\\(");
    private static final Pattern ELIXIR_BLOCK = Pattern.compile("(?m)^\\s*defp?\\s+\\w+.*\\bdo\\s*$");

    public FunctionSpec {
        Objects.requireNonNull(name, "name (use \"\" when absent: problems() then reports it)");
        Objects.requireNonNull(type, "type");
        sinkType = sinkType(sinkType);
    }

    /**
     * Normalises a sink type as Sequin does: trimmed, lower case, and {@code webhook} stored as {@code http_push}.
     *
     * @return the normalised type, or null when {@code raw} is null or blank
     */
    public static @Nullable String sinkType(@Nullable String raw) {
        if (raw == null || raw.isBlank()) {
            return null;
        }
        String t = raw.trim().toLowerCase(Locale.ROOT);
        return t.equals("webhook") ? "http_push" : t;
    }

    /**
     * What is wrong with this spec, found without running anything: each problem names its field ({@code name},
     * {@code type}, {@code code}, {@code path} or {@code sink_type}) and says how to fix it. Empty when the spec
     * passes these checks; {@link Functions#compile} then finds what needs the language (JavaScript syntax, the
     * function's definition).
     */
    public List<ConfigProblem> problems() {
        List<ConfigProblem> problems = new ArrayList<>();
        checkName(problems);
        if (type == FunctionType.PATH) {
            checkPath(problems);
            if (present(code)) {
                problems.add(new ConfigProblem("code", "path functions take a path, not code: remove code"));
            }
        } else {
            checkCode(problems);
            if (present(path)) {
                problems.add(
                        new ConfigProblem("path", "only path functions take a path: remove path or set type: path"));
            }
        }
        if (type == FunctionType.ROUTING) {
            if (sinkType == null) {
                problems.add(new ConfigProblem(
                        "sink_type",
                        "routing functions need the sink type they route for (http_push, kafka, sqs, ...)"));
            } else if (!SINK_TYPE.matcher(sinkType).matches()) {
                problems.add(new ConfigProblem(
                        "sink_type", "'" + sinkType + "' is not a sink type: use one such as http_push or kafka"));
            }
        }
        return List.copyOf(problems);
    }

    private void checkName(List<ConfigProblem> problems) {
        if (name.isBlank()) {
            problems.add(new ConfigProblem("name", "is required"));
        } else if (!NAME.matcher(name).matches()) {
            problems.add(new ConfigProblem(
                    "name",
                    "'" + abbreviate(name) + "' is not a valid name: use 1 to 128 letters, digits, '_', '.' or '-'"));
        } else if (RESERVED.contains(name.toLowerCase(Locale.ROOT))) {
            problems.add(new ConfigProblem(
                    "name", "'" + name + "' is reserved (sinks write it to mean no function): choose another name"));
        }
    }

    private void checkPath(List<ConfigProblem> problems) {
        if (!present(path)) {
            problems.add(new ConfigProblem("path", "is required for path functions, e.g. record.status"));
        } else if (path.length() > MAX_PATH_LENGTH) {
            problems.add(new ConfigProblem(
                    "path", "is " + path.length() + " characters long; at most " + MAX_PATH_LENGTH + " are allowed"));
        } else if (!PATH.matcher(path).matches()) {
            problems.add(new ConfigProblem(
                    "path",
                    "'" + abbreviate(path) + "' is not a path into the message: start with record, changes, action"
                            + " or metadata, then dot-separated keys of letters, digits, '_' or '-'"
                            + " (e.g. record.address.city)"));
        }
    }

    private void checkCode(List<ConfigProblem> problems) {
        if (!present(code)) {
            String example = type == FunctionType.ENRICHMENT
                    ? "SQL selecting by $1, e.g. select id, name from customers where id = any($1::int[])"
                    : type.signature() + " { ... }";
            problems.add(new ConfigProblem("code", "is required: write " + example));
            return;
        }
        int bytes = code.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_CODE_BYTES) {
            problems.add(new ConfigProblem(
                    "code", "is " + bytes + " bytes long; at most " + MAX_CODE_BYTES + " (10 KB) are allowed"));
        }
        if (type == FunctionType.ENRICHMENT) {
            if (!code.contains("$1")) {
                problems.add(new ConfigProblem(
                        "code",
                        "enrichment SQL must use $1, the array of the batch's primary-key values,"
                                + " e.g. where id = any($1::int[])"));
            }
        } else if (ELIXIR_DEF.matcher(code).find() || ELIXIR_BLOCK.matcher(code).find()) {
            problems.add(new ConfigProblem(
                    "code",
                    "looks like Elixir, but Sluice functions are JavaScript: write " + type.signature()
                            + " { ... } (record[\"id\"], metadata.table_name and == read as in Sequin)"));
        }
    }

    private static boolean present(@Nullable String s) {
        return s != null && !s.isBlank();
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "...";
    }
}
