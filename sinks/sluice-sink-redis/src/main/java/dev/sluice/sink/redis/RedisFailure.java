package dev.sluice.sink.redis;

import dev.sluice.core.sink.CheckResult;
import java.util.Set;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Classifies what went wrong talking to Redis, once, by exception type and by the error code Redis puts first in an
 * error reply ({@code WRONGPASS}, {@code NOAUTH}, {@code NOPERM}, {@code OOM}, …), never by the rest of a message.
 */
final class RedisFailure {
    /** Error codes of refused credentials or permissions. */
    private static final Set<String> AUTH_CODES = Set.of("WRONGPASS", "NOAUTH", "NOPERM");

    private RedisFailure() {}

    /** The status a {@code test_connection} reports for {@code e}. */
    static CheckResult.Status status(RuntimeException e) {
        if (isAuth(e)) {
            return CheckResult.Status.UNAUTHORIZED;
        }
        if (e instanceof JedisConnectionException && !isTls(e)) {
            return CheckResult.Status.UNREACHABLE;
        }
        return CheckResult.Status.FAILED;
    }

    /** Whether Redis refused the credentials or the user's permissions. */
    static boolean isAuth(Throwable e) {
        return e instanceof JedisAccessControlException
                || (e instanceof JedisDataException && AUTH_CODES.contains(code(e.getMessage())));
    }

    /**
     * An operator's description of {@code e}: what failed and, for an error reply, Redis' own text (which names no
     * secret). Never the password.
     */
    static String describe(RuntimeException e) {
        if (isAuth(e)) {
            return "authentication or permission refused (" + code(e.getMessage())
                    + "): check username, password and the user's ACL (the commands and keys it may use)";
        }
        if (isTls(e)) {
            return "TLS handshake failed (" + rootMessage(e) + "); check tls and that the server's certificate is"
                    + " trusted by the JVM for this host name";
        }
        if (e instanceof JedisConnectionException) {
            return "cannot reach the server (" + rootMessage(e) + ")";
        }
        return String.valueOf(e.getMessage());
    }

    /** The error code of a Redis error reply: its first word, such as {@code WRONGTYPE}; empty when none. */
    static String code(@Nullable String reply) {
        if (reply == null) {
            return "";
        }
        int space = reply.indexOf(' ');
        return space < 0 ? reply : reply.substring(0, space);
    }

    private static boolean isTls(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SSLException) {
                return true;
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
