package dev.sluice.server.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Typed, checked access to the keys of one YAML mapping. Every getter returns null when the key is absent (or
 * YAML null) and also when the value is invalid, in which case it has recorded a problem; callers apply defaults
 * and build records only if no problem was recorded.
 */
final class Fields {
    private static final Pattern INTEGER = Pattern.compile("[-+]?[0-9]+");

    private final YamlNode.Mapping map;
    private final String path;
    private final Problems problems;

    private Fields(YamlNode.Mapping map, String path, Problems problems) {
        this.map = map;
        this.path = path;
        this.problems = problems;
    }

    /**
     * Checks that {@code node} is a mapping whose keys are all known.
     *
     * @param accepted keys this object understands, listed in "unknown key" messages
     * @param rejected keys Sequin accepts but Sluice does not, with the message to give
     * @param ignored keys that only matter to Sequin, accepted and ignored
     * @return null if {@code node} is not a mapping (a problem has been recorded)
     */
    static @Nullable Fields of(
            YamlNode node,
            String path,
            Problems problems,
            List<String> accepted,
            Map<String, String> rejected,
            Set<String> ignored) {
        if (!(node instanceof YamlNode.Mapping map)) {
            problems.add(node.mark(), path, "expected a mapping, got " + node.describe());
            return null;
        }
        for (YamlNode.Entry e : map.entries().values()) {
            String key = e.key();
            String keyPath = join(path, key);
            String reason = rejected.get(key);
            if (reason != null) {
                problems.add(e.keyMark(), keyPath, reason);
            } else if (!accepted.contains(key) && !ignored.contains(key)) {
                problems.add(e.keyMark(), keyPath, unknownKey(key, accepted));
            }
        }
        return new Fields(map, path, problems);
    }

    static String unknownKey(String key, List<String> accepted) {
        String suggestion = suggest(key, accepted);
        return "unknown key"
                + (suggestion == null ? "." : "; did you mean '" + suggestion + "'?")
                + " Accepted keys: " + String.join(", ", accepted);
    }

    static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    YamlNode.Mark mark() {
        return map.mark();
    }

    String path() {
        return path;
    }

    String path(String key) {
        return join(path, key);
    }

    Problems problems() {
        return problems;
    }

    /** Marks the value of {@code key}, or this mapping when the key is absent. */
    YamlNode.Mark mark(String key) {
        YamlNode.Entry e = map.entries().get(key);
        return e == null ? map.mark() : e.value().mark();
    }

    /** The value node, or null when absent or YAML null. */
    @Nullable
    YamlNode node(String key) {
        YamlNode.Entry e = map.entries().get(key);
        return e != null && has(key) && !YamlNode.isBroken(e.value()) ? e.value() : null;
    }

    /** Whether the key is given with a non-null value (which may be broken). */
    boolean has(String key) {
        YamlNode.Entry e = map.entries().get(key);
        return e != null && !(e.value() instanceof YamlNode.Scalar s && s.value() == null);
    }

    /** Whether the key is written at all, even with a null value. */
    boolean present(String key) {
        return map.entries().containsKey(key);
    }

    void problem(String key, String message) {
        problems.add(mark(key), path(key), message);
    }

    @Nullable
    String string(String key) {
        YamlNode node = node(key);
        if (node == null) {
            return null;
        }
        if (node instanceof YamlNode.Scalar s) {
            return s.value();
        }
        problem(key, "expected a string, got " + node.describe());
        return null;
    }

    /** A string that must be present and not blank. */
    @Nullable
    String requiredString(String key) {
        if (!has(key)) {
            problems.add(map.mark(), path(key), "required key is missing");
            return null;
        }
        String value = string(key);
        if (value != null && value.isBlank()) {
            problem(key, "must not be empty");
            return null;
        }
        return value;
    }

    @Nullable
    Integer integer(String key, long min, long max) {
        Long value = longInteger(key, Math.max(min, Integer.MIN_VALUE), Math.min(max, Integer.MAX_VALUE));
        return value == null ? null : (int) (long) value;
    }

    /** An integer within {@code [min, max]}; a problem names the range otherwise. */
    @Nullable
    Long longInteger(String key, long min, long max) {
        YamlNode node = node(key);
        if (node == null) {
            return null;
        }
        String text = node instanceof YamlNode.Scalar s ? s.value() : null;
        if (text == null || !INTEGER.matcher(text.strip()).matches()) {
            problem(key, "expected an integer, got " + node.describe());
            return null;
        }
        long value;
        try {
            value = Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            value = text.strip().startsWith("-") ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        if (value < min || value > max) {
            problem(key, range(min, max) + ", got " + text.strip());
            return null;
        }
        return value;
    }

    private static String range(long min, long max) {
        return max >= Integer.MAX_VALUE ? "must be at least " + min : "must be between " + min + " and " + max;
    }

    @Nullable
    Boolean bool(String key) {
        YamlNode node = node(key);
        if (node == null) {
            return null;
        }
        if (node instanceof YamlNode.Scalar s && s.value() != null) {
            String text = s.value().strip();
            if (text.equalsIgnoreCase("true")) {
                return true;
            }
            if (text.equalsIgnoreCase("false")) {
                return false;
            }
        }
        problem(key, "expected true or false, got " + node.describe());
        return null;
    }

    /** One of the given lower-case names; the message lists them. */
    <E> @Nullable E choice(String key, Map<String, E> choices) {
        String text = string(key);
        if (text == null) {
            return null;
        }
        E value = choices.get(text.strip().toLowerCase(java.util.Locale.ROOT));
        if (value == null) {
            problem(key, "expected one of " + String.join(", ", choices.keySet()) + ", got '" + text + "'");
        }
        return value;
    }

    /** A list of non-blank strings; a single string is not accepted, to keep the file unambiguous. */
    @Nullable
    List<String> stringList(String key) {
        YamlNode node = node(key);
        if (node == null) {
            return null;
        }
        if (!(node instanceof YamlNode.Sequence seq)) {
            problem(key, "expected a list of strings, got " + node.describe());
            return null;
        }
        List<String> out = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < seq.items().size(); i++) {
            YamlNode item = seq.items().get(i);
            if (YamlNode.isBroken(item)) {
                ok = false;
            } else if (item instanceof YamlNode.Scalar s
                    && s.value() != null
                    && !s.value().isBlank()) {
                out.add(s.value());
            } else {
                problems.add(
                        item.mark(), path(key) + "[" + i + "]", "expected a non-empty string, got " + item.describe());
                ok = false;
            }
        }
        return ok ? List.copyOf(out) : null;
    }

    /** The closest accepted key within a small edit distance, if any. */
    static @Nullable String suggest(String key, List<String> accepted) {
        String best = null;
        int bestDistance = Math.max(2, key.length() / 3) + 1;
        for (String candidate : accepted) {
            int d = distance(key.toLowerCase(java.util.Locale.ROOT), candidate);
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        return best;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
