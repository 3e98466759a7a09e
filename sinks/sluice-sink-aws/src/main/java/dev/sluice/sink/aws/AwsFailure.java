package dev.sluice.sink.aws;

import dev.sluice.core.sink.SinkException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * Turns AWS SDK failures into operator-facing text, classified by exception type and AWS error code. The SDK's
 * messages never contain the secret key; request ids are dropped to keep messages short.
 */
public final class AwsFailure {
    // Error codes meaning the credentials themselves are wrong (unknown key, bad secret, expired token).
    public static final Set<String> INVALID_CREDENTIALS = Set.of(
            "InvalidClientTokenId",
            "UnrecognizedClientException",
            "SignatureDoesNotMatch",
            "InvalidSignatureException",
            "IncompleteSignature",
            "MissingAuthenticationToken",
            "InvalidSecurity",
            "ExpiredToken",
            "ExpiredTokenException");
    public static final Set<String> ACCESS_DENIED = Set.of("AccessDenied", "AccessDeniedException");

    private AwsFailure() {}

    /** The SDK exception inside a future's wrapper. */
    public static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    /** The AWS error code of a service error, or null for anything else. */
    public static @Nullable String errorCode(Throwable t) {
        if (t instanceof AwsServiceException e && e.awsErrorDetails() != null) {
            return e.awsErrorDetails().errorCode();
        }
        return null;
    }

    /**
     * A retriable failure of a whole call: {@code "<what>: <reason>"}.
     *
     * @param what names the peer, such as {@code "SQS queue https://..."}
     * @param endpoint where requests went, for network failures
     */
    public static SinkException describe(String what, String endpoint, Duration timeout, Throwable failure) {
        Throwable t = unwrap(failure);
        return new SinkException(what + ": " + reason(endpoint, timeout, t), true, t);
    }

    public static String reason(String endpoint, Duration timeout, Throwable t) {
        if (t instanceof AwsServiceException e) {
            String code = errorCode(e);
            String message = e.awsErrorDetails() != null ? e.awsErrorDetails().errorMessage() : null;
            return (code == null ? "error" : code) + " (HTTP " + e.statusCode() + ")"
                    + (message == null || message.isBlank() ? "" : ": " + message);
        }
        if (t instanceof ApiCallTimeoutException || t instanceof ApiCallAttemptTimeoutException) {
            return "no response from " + endpoint + " within " + timeout.toMillis() + " ms";
        }
        if (t instanceof SdkClientException) {
            return "cannot reach " + endpoint + ": " + rootMessage(t);
        }
        return t.getClass().getSimpleName() + ": " + rootMessage(t);
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        if (m == null || m.isBlank()) {
            m = t.getMessage();
        }
        return m == null ? root.getClass().getSimpleName() : m;
    }
}
