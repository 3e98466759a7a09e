package dev.sluice.core.sink;

/**
 * A delivery failure reported by a sink. The message is shown to operators, so it names the peer and
 * what went wrong (status code, timeout, refused connection) and never contains secrets.
 */
public final class SinkException extends RuntimeException {
    private final boolean retriable;

    public SinkException(String message, boolean retriable, Throwable cause) {
        super(message, cause);
        this.retriable = retriable;
    }

    public SinkException(String message, boolean retriable) {
        this(message, retriable, null);
    }

    /** False when retrying the same batch cannot succeed (for example, a message over a size limit). */
    public boolean retriable() {
        return retriable;
    }
}
