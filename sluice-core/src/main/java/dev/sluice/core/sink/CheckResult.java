package dev.sluice.core.sink;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What {@link SinkProvider#check} found: whether the peer is reachable with the configured credentials and its
 * topic, queue, stream or index exists. The status classifies the failure once, where it is known (by exception
 * type, status code or error code), so that callers never read the detail to tell failures apart.
 *
 * @param status what kind of outcome
 * @param detail for a failure, what is wrong for an operator (names the peer, never a secret); null when OK
 */
public record CheckResult(Status status, @Nullable String detail) {
    /** Outcome kinds. */
    public enum Status {
        /** The peer answered as it should. */
        OK,
        /** No connection could be made, or the peer did not answer in time. */
        UNREACHABLE,
        /** The peer refused the credentials, or they are not allowed to do what the sink does. */
        UNAUTHORIZED,
        /** The peer answered, but the topic, queue, stream, index or path does not exist. */
        NOT_FOUND,
        /** Any other failure. */
        FAILED
    }

    public static final CheckResult OK = new CheckResult(Status.OK, null);

    public CheckResult {
        Objects.requireNonNull(status, "status");
        if ((status == Status.OK) != (detail == null)) {
            throw new IllegalArgumentException("a failed check has a detail, a passed one none");
        }
    }

    public static CheckResult failed(Status status, String detail) {
        return new CheckResult(status, detail);
    }

    public boolean ok() {
        return status == Status.OK;
    }
}
