package dev.sluice.core.sink;

import java.util.BitSet;
import org.jspecify.annotations.Nullable;

/**
 * A delivery failure reported by a sink. The message is shown to operators, so it names the peer and
 * what went wrong (status code, timeout, refused connection) and never contains secrets.
 *
 * <p>It covers the whole batch, or, when made by {@link #partial}, only some of its messages: the peer took the
 * others, and only the failed ones are tried again (or, when they can never succeed, kept as failed messages).
 */
public final class SinkException extends RuntimeException {
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
