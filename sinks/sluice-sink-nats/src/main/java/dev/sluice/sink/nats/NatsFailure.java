package dev.sluice.sink.nats;

import dev.sluice.core.sink.CheckResult;
import io.nats.client.AuthenticationException;
import io.nats.client.JetStreamApiException;
import org.jspecify.annotations.Nullable;

/**
 * Classifies what went wrong talking to NATS, once, by exception type ({@link AuthenticationException} for refused
 * credentials, an {@link javax.net.ssl.SSLException} in a connection attempt for TLS) and by JetStream's numeric
 * error codes, never by the text of a message.
 */
final class NatsFailure {
    /** JetStream's {@code JSStreamMessageExceedsMaximumErr}: the stream's {@code max_msg_size} is smaller. */
    static final int STREAM_MESSAGE_TOO_LARGE = 10054;

    private NatsFailure() {}

    /** The status a {@code test_connection} reports for a failed connect. */
    static CheckResult.Status status(Exception e, ServerErrors errors) {
        if (e instanceof AuthenticationException) {
            return CheckResult.Status.UNAUTHORIZED;
        }
        if (errors.lastWasTls() || ServerErrors.isTls(e)) {
            return CheckResult.Status.FAILED;
        }
        return CheckResult.Status.UNREACHABLE;
    }

    /** An operator's description of a failed connect: what failed and why, never a credential. */
    static String describeConnect(Exception e, ServerErrors errors) {
        if (e instanceof AuthenticationException) {
            return "authentication refused (" + e.getMessage() + "): check username and password, or jwt and nkey_seed";
        }
        if (errors.lastWasTls() || ServerErrors.isTls(e)) {
            return "TLS handshake failed (" + errors.last() + "); check tls and that the server's certificate is"
                    + " trusted by the JVM for this host name";
        }
        String why = errors.last();
        return "cannot reach the server" + (why == null ? "" : " (" + why + ")");
    }

    /** Whether a publish's failure can never succeed: the stream refuses a message of this size. */
    static boolean isPermanent(@Nullable Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof JetStreamApiException api) {
                return api.getApiErrorCode() == STREAM_MESSAGE_TOO_LARGE;
            }
        }
        return false;
    }

    /** The innermost cause's class and message. */
    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        if (t instanceof JetStreamApiException api) {
            return "JetStream error " + api.getApiErrorCode() + ": " + api.getErrorDescription();
        }
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
