package dev.sluice.sink.nats;

import dev.sluice.core.Ticker;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.support.JsonParseException;
import io.nats.client.support.JsonParser;
import io.nats.client.support.JsonValue;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Which subjects a JetStream stream captures, asked of the server ({@code $JS.API.STREAM.NAMES} with the subject as
 * filter) and remembered for {@link #TTL}, so that a batch waits for a stream's acknowledgement (PubAck) where there
 * is one and for the server's PONG where there is not.
 *
 * <p>A server or account without JetStream answers with no responders or an API error, and a user who may not use
 * JetStream's API gets a {@code Permissions Violation}: no subject is captured then. A
 * stream made or deleted meanwhile is noticed within {@link #TTL}; until then a message to a new stream is published
 * without waiting for its PubAck (the stream still stores it), and one to a deleted stream fails to be retried.
 *
 * <p>Thread-safe. Bounded: the map is emptied when it holds {@link #CAPACITY} subjects, so that a routing function
 * making a subject per message cannot grow it without end.
 */
final class StreamSubjects {
    static final Duration TTL = Duration.ofSeconds(30);
    static final int CAPACITY = 1024;
    private static final String API = "$JS.API.STREAM.NAMES";

    private record Entry(boolean captured, long expiresNanos) {}

    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final Ticker ticker;
    private final ServerErrors errors;

    StreamSubjects(Ticker ticker, ServerErrors errors) {
        this.ticker = ticker;
        this.errors = errors;
    }

    /**
     * Whether a stream captures {@code subject}, from memory or asked now.
     *
     * @throws StreamLookupException when the server did not answer within {@code timeout}
     * @throws InterruptedException when interrupted while waiting
     */
    boolean captured(Connection connection, String subject, Duration timeout)
            throws StreamLookupException, InterruptedException {
        long now = ticker.nanos();
        Entry e = entries.get(subject);
        if (e != null && now - e.expiresNanos < 0) {
            return e.captured;
        }
        boolean captured = ask(connection, subject, timeout);
        if (entries.size() >= CAPACITY) {
            entries.clear();
        }
        entries.put(subject, new Entry(captured, now + TTL.toNanos()));
        return captured;
    }

    /** Forgets what is known of {@code subject}: its stream went away. */
    void forget(String subject) {
        entries.remove(subject);
    }

    private boolean ask(Connection connection, String subject, Duration timeout)
            throws StreamLookupException, InterruptedException {
        byte[] request = ("{\"subject\":" + new JsonValue(subject).toJson() + "}").getBytes(StandardCharsets.UTF_8);
        Message reply = null;
        long mark = errors.mark();
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            CompletableFuture<Message> answer = connection.request(API, request);
            while (reply == null) {
                try {
                    reply = answer.get(
                            Math.min(POLL_NANOS, Math.max(0, deadline - System.nanoTime())), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    if (errors.publishViolations(mark).contains(API)) {
                        answer.cancel(false);
                        return false; // a user without JetStream permissions publishes plainly
                    }
                    if (System.nanoTime() - deadline >= 0) {
                        throw new StreamLookupException(
                                "no answer from JetStream within " + timeout.toMillis() + " ms", e);
                    }
                }
            }
        } catch (CancellationException noResponders) {
            return false; // no JetStream on this server
        } catch (ExecutionException e) {
            throw new StreamLookupException("JetStream lookup failed: " + e.getCause(), e);
        } catch (IllegalStateException e) { // not connected
            throw new StreamLookupException(e.getMessage(), e);
        }
        if (reply.isStatusMessage()) {
            return false; // 503: no responders
        }
        try {
            JsonValue answer = JsonParser.parse(reply.getData());
            if (answer.map == null || answer.map.containsKey("error")) {
                return false; // JetStream not enabled for the account
            }
            JsonValue streams = answer.map.get("streams");
            return streams != null && streams.array != null && !streams.array.isEmpty();
        } catch (JsonParseException e) {
            throw new StreamLookupException("unreadable JetStream answer", e);
        }
    }

    /** The server did not tell whether a subject is captured. */
    static final class StreamLookupException extends Exception {
        StreamLookupException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
