package dev.sluice.client;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Every failure of a call to the Sluice API: an unchecked exception whose subclasses form a closed set, so a
 * {@code switch} over them needs no {@code default}.
 *
 * {@snippet class=dev.sluice.client.ReadmeExamplesIT region=errors}
 *
 * <p>Each carries the HTTP {@link #status()} (0 for {@link Transport}), the server's one-line {@link #summary()} and
 * the {@link #requestId()} the server gave the request ({@code X-Request-Id}), to quote when asking about it. The
 * exception's message also names the method, path and number of attempts.
 */
public abstract sealed class SluiceException extends RuntimeException {
    private final int status;
    private final String summary;
    private final @Nullable String requestId;

    private SluiceException(
            String message, int status, String summary, @Nullable String requestId, @Nullable Throwable cause) {
        super(message, cause);
        this.status = status;
        this.summary = summary;
        this.requestId = requestId;
    }

    /** The HTTP status of the answer; 0 when there was none ({@link Transport}). */
    public int status() {
        return status;
    }

    /** The server's one-line description of the problem (its {@code summary}), or the I/O error's. */
    public String summary() {
        return summary;
    }

    /** The server's id of the request ({@code X-Request-Id} or the body's {@code request_id}), when it sent one. */
    public Optional<String> requestId() {
        return Optional.ofNullable(requestId);
    }

    /** 401: the API token is missing or not valid. */
    public static final class Unauthorized extends SluiceException {
        Unauthorized(String message, String summary, @Nullable String requestId) {
            super(message, 401, summary, requestId, null);
        }
    }

    /** 403: the token may not do this. */
    public static final class Forbidden extends SluiceException {
        Forbidden(String message, String summary, @Nullable String requestId) {
            super(message, 403, summary, requestId, null);
        }
    }

    /** 404: no resource with that id or name (or, from an older server, no such route). */
    public static final class NotFound extends SluiceException {
        NotFound(String message, String summary, @Nullable String requestId) {
            super(message, 404, summary, requestId, null);
        }
    }

    /**
     * 409: the resource's state forbids the call (a sink that does not run, an unfinished backfill of the table, the
     * last API key, a job that has ended).
     */
    public static final class Conflict extends SluiceException {
        Conflict(String message, String summary, @Nullable String requestId) {
            super(message, 409, summary, requestId, null);
        }
    }

    /**
     * The request was refused as it is: 422 (validation failed, a name taken, a resource still in use, a database
     * that cannot be replicated) and 400; also any other 4xx the other types do not cover (413 too large, ...).
     */
    public static final class Validation extends SluiceException {
        private final Map<String, List<String>> fieldErrors;

        Validation(
                String message,
                int status,
                String summary,
                @Nullable String requestId,
                Map<String, List<String>> fieldErrors) {
            super(message, status, summary, requestId, null);
            this.fieldErrors = Map.copyOf(fieldErrors);
        }

        /**
         * Each invalid field (as the API names it, e.g. {@code batch_size} or {@code replication_slots[0].slot_name})
         * with its messages; {@code ""} for the request as a whole. Empty when the server named no field.
         */
        public Map<String, List<String>> fieldErrors() {
            return fieldErrors;
        }
    }

    /** 429: too many requests; retry after {@link #retryAfter()}. */
    public static final class RateLimited extends SluiceException {
        private final Duration retryAfter;

        RateLimited(String message, String summary, @Nullable String requestId, Duration retryAfter) {
            super(message, 429, summary, requestId, null);
            this.retryAfter = retryAfter;
        }

        /** The server's {@code Retry-After}; {@link Duration#ZERO} when it sent none. */
        public Duration retryAfter() {
            return retryAfter;
        }
    }

    /** 5xx: the server failed or is unavailable; {@link #status()} says which. */
    public static final class ServerError extends SluiceException {
        ServerError(String message, int status, String summary, @Nullable String requestId) {
            super(message, status, summary, requestId, null);
        }
    }

    /** No answer: the connection failed, timed out or broke, or the thread was interrupted while waiting. */
    public static final class Transport extends SluiceException {
        Transport(String message, String summary, Throwable cause) {
            super(message, 0, summary, null, cause);
        }
    }

    /** The exception for an error answer. */
    static SluiceException of(
            String call,
            int status,
            String summary,
            @Nullable String requestId,
            Map<String, List<String>> fieldErrors,
            Duration retryAfter) {
        String message = call + " answered " + status + ": " + summary
                + (requestId == null ? "" : " (request id " + requestId + ")");
        return switch (status) {
            case 401 -> new Unauthorized(message, summary, requestId);
            case 403 -> new Forbidden(message, summary, requestId);
            case 404 -> new NotFound(message, summary, requestId);
            case 409 -> new Conflict(message, summary, requestId);
            case 429 -> new RateLimited(message, summary, requestId, retryAfter);
            default ->
                status >= 500
                        ? new ServerError(message, status, summary, requestId)
                        : new Validation(message, status, summary, requestId, fieldErrors);
        };
    }
}
