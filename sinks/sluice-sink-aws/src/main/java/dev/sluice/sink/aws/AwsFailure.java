package dev.sluice.sink.aws;

import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.SinkException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
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
    // SNS answers a missing permission with AuthorizationError (403).
    public static final Set<String> ACCESS_DENIED =
            Set.of("AccessDenied", "AccessDeniedException", "AuthorizationError");

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

    /**
     * For a check: null when {@code credentials} resolve, else the failure saying how to give credentials.
     *
     * @param what names the peer, such as {@code "SQS queue https://..."}
     */
    static @Nullable CheckResult noCredentials(String what, AwsCredentialsProvider credentials) {
        try {
            credentials.resolveCredentials();
            return null;
        } catch (SdkClientException e) {
            return CheckResult.failed(
                    CheckResult.Status.UNAUTHORIZED,
                    what + ": no AWS credentials found; set access_key_id and secret_access_key, or configure the"
                            + " default credential chain (environment, profile or role)");
        }
    }

    /**
     * For a check whose call failed: classified by AWS error code and exception type.
     *
     * @param what names the peer, such as {@code "SQS queue https://..."}
     * @param missing what to say when the caller found (by exception type or error code) that the queue or stream
     *     does not exist, such as {@code "queue does not exist"}; null when it exists
     * @param permissions the IAM actions the sink needs, for an access-denied answer
     */
    static CheckResult checkFailure(
            String what,
            String endpoint,
            Duration timeout,
            Throwable failure,
            @Nullable String missing,
            String permissions) {
        Throwable t = unwrap(failure);
        String code = errorCode(t);
        String reason = reason(endpoint, timeout, t);
        if (missing != null) {
            return CheckResult.failed(CheckResult.Status.NOT_FOUND, what + ": " + missing + " (" + reason + ")");
        }
        if (code != null && INVALID_CREDENTIALS.contains(code)) {
            return CheckResult.failed(CheckResult.Status.UNAUTHORIZED, what + ": invalid credentials (" + reason + ")");
        }
        if (code != null && ACCESS_DENIED.contains(code)) {
            return CheckResult.failed(
                    CheckResult.Status.UNAUTHORIZED,
                    what + ": access denied; the credentials need " + permissions + " (" + reason + ")");
        }
        if (t instanceof SdkClientException) {
            return CheckResult.failed(CheckResult.Status.UNREACHABLE, what + ": endpoint unreachable; " + reason);
        }
        return CheckResult.failed(CheckResult.Status.FAILED, what + ": " + reason);
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
