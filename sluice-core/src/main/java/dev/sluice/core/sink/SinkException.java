package dev.sluice.core.sink;

import java.util.BitSet;
import java.util.Collection;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A delivery failure reported by a sink. The message is shown to operators, so it names the peer and
 * what went wrong (status code, timeout, refused connection) and never contains secrets.
 *
 * <p>It covers the whole batch, or, when made by {@link #partial}, only some of its messages: the peer took the
 * others, and only the failed ones are tried again (or, when they can never succeed, kept as failed messages).
 */
public final class SinkException extends RuntimeException {
    /** Most characters of a routed value that {@link #invalidRouting} shows. */
    private static final int ROUTED_VALUE_CHARS = 100;

    private final boolean retriable;
    private final @Nullable BitSet retry;
    private final @Nullable BitSet rejected;

    public SinkException(String message, boolean retriable, @Nullable Throwable cause) {
        super(message, cause);
        this.retriable = retriable;
        this.retry = null;
        this.rejected = null;
    }

    public SinkException(String message, boolean retriable) {
        this(message, retriable, null);
    }

    private SinkException(String message, BitSet retry, BitSet rejected) {
        super(message);
        this.retriable = !retry.isEmpty();
        this.retry = (BitSet) retry.clone();
        this.rejected = (BitSet) rejected.clone();
    }

    /**
     * Some messages of the batch failed, by their index in {@link Batch#messages()}: those in {@code retry} may
     * succeed when sent again, those in {@code rejected} never can (say, a message over the peer's size limit).
     * Every other message of the batch was delivered.
     *
     * @throws IllegalArgumentException when both sets are empty (then the batch succeeded)
     */
    public static SinkException partial(String message, BitSet retry, BitSet rejected) {
        if (retry.isEmpty() && rejected.isEmpty()) {
            throw new IllegalArgumentException("a partial failure names at least one failed message");
        }
        return new SinkException(message, retry, rejected);
    }

    /**
     * A batch whose routing (see {@link SinkMessage#routing()}) the sink cannot follow: the routing function set
     * {@code key} to {@code value}, which breaks {@code rule}. The message reads {@code routing: <key> <value> <rule>},
     * the value as JSON cut to {@value #ROUTED_VALUE_CHARS} characters, such as {@code routing: topic "a b" is not a
     * valid Kafka topic name (...)}. Retriable: the batch can go once the user fixes the function.
     *
     * <p><b>Warning:</b> the value is shown; pass null, or leave it out of the rule, when it may be a secret (a header
     * value).
     *
     * @param key the routing key, as users write it
     * @param value what the function set; a string, number, boolean, null, list or map, as read from JSON
     * @param rule what the value breaks, starting with a verb: {@code "must be a string"}
     */
    public static SinkException invalidRouting(String key, @Nullable Object value, String rule) {
        StringBuilder text = new StringBuilder("routing: ").append(key).append(' ');
        StringBuilder shown = new StringBuilder();
        appendJson(shown, value);
        if (shown.length() > ROUTED_VALUE_CHARS) {
            shown.setLength(ROUTED_VALUE_CHARS);
            shown.append('…');
        }
        return new SinkException(text.append(shown).append(' ').append(rule).toString(), true);
    }

    private static void appendJson(StringBuilder out, @Nullable Object value) {
        if (out.length() > ROUTED_VALUE_CHARS) {
            return; // cut anyway
        }
        switch (value) {
            case null -> out.append("null");
            case String s -> {
                out.append('"');
                for (int i = 0; i < s.length() && out.length() <= ROUTED_VALUE_CHARS; i++) {
                    char c = s.charAt(i);
                    switch (c) {
                        case '"' -> out.append("\\\"");
                        case '\\' -> out.append("\\\\");
                        case '\n' -> out.append("\\n");
                        case '\r' -> out.append("\\r");
                        case '\t' -> out.append("\\t");
                        default -> {
                            if (c < 0x20) {
                                out.append(String.format("\\u%04x", (int) c));
                            } else {
                                out.append(c);
                            }
                        }
                    }
                }
                out.append('"');
            }
            case Map<?, ?> map -> {
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (!first) {
                        out.append(", ");
                    }
                    first = false;
                    appendJson(out, String.valueOf(e.getKey()));
                    out.append(": ");
                    appendJson(out, e.getValue());
                }
                out.append('}');
            }
            case Collection<?> list -> {
                out.append('[');
                boolean first = true;
                for (Object o : list) {
                    if (!first) {
                        out.append(", ");
                    }
                    first = false;
                    appendJson(out, o);
                }
                out.append(']');
            }
            default -> out.append(value);
        }
    }

    /**
     * False when retrying cannot succeed (for example, a message over a size limit): for the whole batch, or, for a
     * {@link #partial} failure, for every failed message.
     */
    public boolean retriable() {
        return retriable;
    }

    /** Whether only some messages failed ({@link #partial}); otherwise the whole batch did. */
    public boolean isPartial() {
        return retry != null;
    }

    /** For a partial failure: whether message {@code index} of the batch failed and may succeed when sent again. */
    public boolean toRetry(int index) {
        return retry != null ? retry.get(index) : retriable;
    }

    /** For a partial failure: whether message {@code index} of the batch failed and never can succeed. */
    public boolean rejected(int index) {
        return rejected != null ? rejected.get(index) : !retriable;
    }
}
