package dev.sluice.server.config;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A YAML document as a small tree whose nodes remember where they start, so that every problem can name a line.
 * Scalars hold text after {@code ${VAR}} substitution; typing happens later, by the key that reads them.
 */
sealed interface YamlNode {
    Mark mark();

    /** What the node is, for "expected X, got Y" messages. */
    String describe();

    /** Whether the node is a scalar whose problem has already been reported. */
    static boolean isBroken(YamlNode node) {
        return node instanceof Scalar s && s.broken();
    }

    /** A 1-based position in the file. */
    record Mark(int line, int column) {
        static final Mark NONE = new Mark(0, 0);
    }

    /** {@code anchored}: the value defines a YAML anchor ({@code &name}), so it may be a template for others. */
    record Entry(String key, Mark keyMark, YamlNode value, boolean anchored) {}

    /** Entries in file order; keys are unique. */
    record Mapping(Mark mark, Map<String, Entry> entries) implements YamlNode {
        @Override
        public String describe() {
            return "a mapping";
        }
    }

    record Sequence(Mark mark, List<YamlNode> items) implements YamlNode {
        @Override
        public String describe() {
            return "a list";
        }
    }

    /**
     * A scalar; {@code value} is null for YAML null ({@code ~}, {@code null} or nothing). {@code plain} is false for
     * quoted and block scalars, which are always strings. {@code broken}: substitution failed and was reported, so
     * readers skip the value rather than report it again.
     */
    record Scalar(Mark mark, @Nullable String value, boolean plain, boolean broken) implements YamlNode {
        Scalar(Mark mark, @Nullable String value, boolean plain) {
            this(mark, value, plain, false);
        }

        @Override
        public String describe() {
            return value == null ? "null" : "'" + value + "'";
        }
    }
}
