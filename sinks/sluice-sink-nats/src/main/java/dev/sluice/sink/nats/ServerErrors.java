package dev.sluice.sink.nats;

import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the client reports asynchronously: the server's {@code -ERR} lines (an authorization or permissions violation)
 * and the exceptions of connection attempts (refused, TLS). Kept so that a failure can say why the connection is down,
 * and so that a batch learns which of its subjects the server refused to take ({@code Permissions Violation for
 * Publish to "<subject>"}: the server drops such a message and only says so in this error line).
 *
 * <p>NATS errors are protocol text, so they are told apart by the protocol's fixed prefixes, as the client itself does
 * for authentication errors. Thread-safe.
 */
final class ServerErrors implements ErrorListener {
    private static final Logger LOG = LoggerFactory.getLogger(ServerErrors.class);
    private static final String PUBLISH_VIOLATION = "permissions violation for publish to ";
    private static final int KEPT_VIOLATIONS = 256;

    private record Violation(long seq, String subject) {}

    private final String where;
    private final Deque<Violation> violations = new ArrayDeque<>();
    private long seq;
    private long lines;
    private @Nullable String last;
    private boolean lastWasTls;

    ServerErrors(String where) {
        this.where = where;
    }

    @Override
    public void errorOccurred(Connection conn, String error) {
        LOG.debug("{}: server error: {}", where, error);
        String lower = error.toLowerCase(Locale.ROOT);
        synchronized (this) {
            seq++;
            lines++;
            notifyAll();
            if (lower.startsWith(PUBLISH_VIOLATION)) {
                String subject = error.substring(PUBLISH_VIOLATION.length()).strip();
                if (subject.length() >= 2 && subject.startsWith("\"") && subject.endsWith("\"")) {
                    subject = subject.substring(1, subject.length() - 1);
                }
                violations.addLast(new Violation(seq, subject));
                if (violations.size() > KEPT_VIOLATIONS) {
                    violations.removeFirst();
                }
            }
            last = "the server said '" + error + "'";
            lastWasTls = false;
        }
    }

    @Override
    public void exceptionOccurred(Connection conn, Exception exp) {
        LOG.debug("{}: connection problem", where, exp);
        synchronized (this) {
            seq++;
            notifyAll();
            lastWasTls = isTls(exp);
            last = NatsFailure.rootMessage(exp);
        }
    }

    /** A mark to ask {@link #publishViolations} from. */
    synchronized long mark() {
        return seq;
    }

    /** How many {@code -ERR} lines were reported so far. */
    synchronized long lines() {
        return lines;
    }

    /**
     * Waits until {@code count} error lines were reported, or {@code timeout} passed: the client counts an error line
     * when it reads it but tells this listener later, on another thread.
     */
    synchronized void awaitLines(long count, java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (lines < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /**
     * Waits until anything was reported, or {@code timeout} passed: a failed connect is reported to this listener
     * after the client gave up, on another thread, and its reason is only here.
     */
    synchronized void awaitAny(java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (seq == 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** The subjects the server refused a publish to since {@code mark}. */
    synchronized List<String> publishViolations(long mark) {
        List<String> out = new ArrayList<>();
        for (Violation v : violations) {
            if (v.seq > mark) {
                out.add(v.subject);
            }
        }
        return out;
    }

    /** The last error or connection problem, for a failure's message; null when none. */
    synchronized @Nullable String last() {
        return last;
    }

    /** Whether the last problem was a failed TLS handshake. */
    synchronized boolean lastWasTls() {
        return lastWasTls;
    }

    static boolean isTls(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SSLException) {
                return true;
            }
        }
        return false;
    }
}
