package dev.sluice.sink.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Method;
import com.rabbitmq.client.PossibleAuthenticationFailureException;
import com.rabbitmq.client.ShutdownSignalException;
import dev.sluice.core.sink.CheckResult;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;

/**
 * Classifies what went wrong talking to RabbitMQ, once, by exception type and by the AMQP reply code of the broker's
 * {@code connection.close} or {@code channel.close} ({@code 403 ACCESS_REFUSED}, {@code 404 NOT_FOUND}, {@code 530
 * NOT_ALLOWED}, …), never by the text of a message. The broker's reply text names the exchange or virtual host, never
 * a password, so failures quote it.
 */
final class RabbitMqFailure {
    private RabbitMqFailure() {}

    /** The status a {@code test_connection} reports for {@code e}. */
    static CheckResult.Status status(Throwable e) {
        if (isAuth(e)) {
            return CheckResult.Status.UNAUTHORIZED;
        }
        int code = replyCode(e);
        if (code == AMQP.NOT_FOUND) {
            return CheckResult.Status.NOT_FOUND;
        }
        if (code == AMQP.ACCESS_REFUSED || code == AMQP.NOT_ALLOWED) {
            return CheckResult.Status.UNAUTHORIZED;
        }
        if (isUnreachable(e)) {
            return CheckResult.Status.UNREACHABLE;
        }
        return CheckResult.Status.FAILED;
    }

    /**
     * Whether the broker refused the login: a wrong user or password ({@code ACCESS_REFUSED} during the handshake),
     * or a connection closed while authenticating.
     */
    static boolean isAuth(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof PossibleAuthenticationFailureException) {
                return true;
            }
        }
        return false;
    }

    /** The reply code of the broker's close that ended the connection or channel, or 0 when it did not close it. */
    static int replyCode(Throwable e) {
        Method reason = closeReason(e);
        if (reason instanceof AMQP.Channel.Close c) {
            return c.getReplyCode();
        }
        if (reason instanceof AMQP.Connection.Close c) {
            return c.getReplyCode();
        }
        return 0;
    }

    /**
     * An operator's description of {@code e}: what failed and, for a close by the broker, its reply text. Never the
     * password.
     */
    static String describe(Throwable e) {
        if (isAuth(e)) {
            return "login refused: check username and password (RabbitMQ answers a wrong user or password alike)";
        }
        Method reason = closeReason(e);
        int code = replyCode(e);
        if (reason instanceof AMQP.Connection.Close c) {
            String text = c.getReplyText();
            if (code == AMQP.NOT_ALLOWED) {
                return "connection refused by the broker (" + text + "): check that virtual_host exists and that"
                        + " the user has permissions on it";
            }
            return "connection closed by the broker (" + text + ")";
        }
        if (reason instanceof AMQP.Channel.Close c) {
            String text = c.getReplyText();
            if (code == AMQP.NOT_FOUND) {
                return "the broker refused the publish (" + text + "): declare the exchange first";
            }
            if (code == AMQP.ACCESS_REFUSED) {
                return "the broker refused the publish (" + text + "): the user needs write permission on the"
                        + " exchange";
            }
            return "channel closed by the broker (" + text + ")";
        }
        if (has(e, SSLException.class)) {
            return "TLS handshake failed (" + rootMessage(e) + "); check tls, the port, and that the broker's"
                    + " certificate is trusted by the JVM for this host name";
        }
        if (isUnreachable(e)) {
            return "cannot reach the broker (" + rootMessage(e) + ")";
        }
        if (has(e, ShutdownSignalException.class)) {
            return "connection lost (" + rootMessage(e) + ")";
        }
        return rootMessage(e);
    }

    private static boolean isUnreachable(Throwable e) {
        if (has(e, SSLException.class)) {
            return false;
        }
        return has(e, ConnectException.class)
                || has(e, NoRouteToHostException.class)
                || has(e, UnknownHostException.class)
                || has(e, SocketTimeoutException.class)
                || has(e, TimeoutException.class)
                || (has(e, java.io.IOException.class) && closeReason(e) == null && !isAuth(e) && isSocketLevel(e));
    }

    /** An I/O failure of the socket itself (reset, broken pipe, end of stream), not a broker's answer. */
    private static boolean isSocketLevel(Throwable e) {
        return has(e, java.net.SocketException.class) || has(e, java.io.EOFException.class);
    }

    /** The broker's close method behind {@code e}, or null when the broker did not close. */
    private static @Nullable Method closeReason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ShutdownSignalException s && !s.isInitiatedByApplication()) {
                Object reason = s.getReason();
                if (reason instanceof AMQP.Channel.Close || reason instanceof AMQP.Connection.Close) {
                    return (Method) reason;
                }
            }
        }
        return null;
    }

    private static boolean has(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
