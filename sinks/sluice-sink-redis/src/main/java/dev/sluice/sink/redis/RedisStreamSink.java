package dev.sluice.sink.redis;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Adds each message of a batch to a Redis stream with {@code XADD}, the batch in one {@code MULTI}/{@code EXEC}
 * transaction sent in one round trip.
 *
 * <p>Entries: Sequin's fields, one per top-level key of the message ({@code record}, {@code changes}, {@code action},
 * {@code metadata}; see {@link EntryFields}), then {@code idempotency_key}, the message's idempotency key, so that a
 * consumer can drop the copies a redelivery adds. Entry ids are Redis' ({@code *}).
 *
 * <p>Order and failure:
 *
 * <ul>
 *   <li>A transaction runs whole and alone, in batch order, so a group's messages keep their order in the stream.
 *       When Redis refuses a queued command (out of memory, no permission) it runs none: the batch is left to retry
 *       whole. A failed connection leaves the batch to retry whole too; if the transaction had run before the
 *       connection failed, the retry adds copies after it (at least once, in order).
 *   <li>A message over {@code max_entry_bytes}, or whose JSON is not an object, is rejected before sending
 *       ({@link SinkException#partial}): the others of the batch go in the transaction.
 *   <li>An error reply for one entry inside {@code EXEC} (a key of another type) leaves that message to retry.
 * </ul>
 *
 * <p>Routing: a batch's {@linkplain Batch#routing() routing} may set {@code stream_key}, the stream its entries are
 * added to instead of the configured one, checked as the configured key is; an invalid value fails the batch,
 * retriably.
 *
 * <p>The client does not retry: the engine's retry policy applies. Errors name the server and the stream, never
 * the password.
 *
 * <p>Concurrency: thread-safe. A small pool of connections; each delivery runs on a virtual thread and borrows one,
 * so {@link #deliver(Batch)} never blocks.
 */
public final class RedisStreamSink implements Sink {
    /** The field that carries the message's idempotency key, after the message's own fields. */
    static final byte[] IDEMPOTENCY_FIELD = "idempotency_key".getBytes(StandardCharsets.UTF_8);
    /** The routing key that picks another stream. */
    static final String STREAM_KEY = "stream_key";

    private static final byte[] QUEUED = "QUEUED".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] AUTO_ID = {'*'};

    private final RedisStreamConfig config;
    private final String where;
    private final byte[] streamKey;
    private final ConnectionPool pool;
    private final ExecutorService executor;
    private volatile boolean closed;

    /**
     * Creates the sink and its connection pool. No connection is opened until the first delivery.
     *
     * @param config validated configuration; not null
     */
    public RedisStreamSink(RedisStreamConfig config) {
        this.config = config;
        this.where = where(config, config.streamKey());
        this.streamKey = config.streamKey().getBytes(StandardCharsets.UTF_8);
        this.pool = config.connection().pool();
        this.executor = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("redis-sink-", 0).factory());
    }

    /** The configuration this sink was created with. */
    public RedisStreamConfig config() {
        return config;
    }

    /**
     * Adds the batch's entries. The stage completes normally once Redis ran the transaction with every entry, or
     * exceptionally with a {@link SinkException}: for the whole batch, or {@linkplain SinkException#partial partial}
     * when some messages were added or rejected for good. Never blocks.
     */
    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        if (closed) {
            return CompletableFuture.failedFuture(new SinkException(where + ": sink is closed", true));
        }
        Map<String, Object> routing = batch.routing();
        byte[] key = streamKey;
        String at = where;
        if (routing != null && routing.containsKey(STREAM_KEY)) {
            Object routed = routing.get(STREAM_KEY);
            if (!(routed instanceof String s)) {
                return CompletableFuture.failedFuture(SinkException.invalidRouting(
                        STREAM_KEY,
                        routed,
                        "must be a string, the key of a stream" + (routed == null ? ", not null" : "")));
            }
            String problem = RedisStreamConfig.streamKeyProblem(s);
            if (problem != null) {
                return CompletableFuture.failedFuture(SinkException.invalidRouting(STREAM_KEY, s, problem));
            }
            key = s.getBytes(StandardCharsets.UTF_8);
            at = where(config, s);
        }
        byte[] toKey = key;
        String toWhere = at;
        CompletableFuture<Void> result = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    send(batch.messages(), toKey, toWhere);
                    result.complete(null);
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
        } catch (RuntimeException e) { // closed concurrently
            result.completeExceptionally(new SinkException(where + ": sink is closed", true, e));
        }
        return result;
    }

    /** Stops taking deliveries and closes the connections; deliveries in progress fail. */
    @Override
    public void close() {
        closed = true;
        executor.shutdown();
        pool.close();
    }

    /**
     * {@link RedisStreamProvider#check}: connects (with {@code AUTH} and {@code SELECT}), sends {@code PING} and asks
     * the {@code TYPE} of the stream key, which must be a stream or absent ({@code XADD} creates it). Never throws
     * for the server's answer.
     */
    static CheckResult probe(RedisStreamConfig config, Duration timeout) {
        String what = where(config, config.streamKey());
        try (Connection c = config.connection().connect(timeout)) {
            c.executeCommand(new CommandArguments(Protocol.Command.PING));
            Object type = c.executeCommand(new CommandArguments(Protocol.Command.TYPE).key(config.streamKey()));
            String kind = type instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(type);
            if (!kind.equals("stream") && !kind.equals("none")) {
                return CheckResult.failed(
                        CheckResult.Status.FAILED,
                        what + ": the key holds a " + kind + ", not a stream; use another stream_key");
            }
            return CheckResult.OK;
        } catch (JedisException e) {
            return CheckResult.failed(RedisFailure.status(e), what + ": " + RedisFailure.describe(e));
        }
    }

    // ---- sending (on a virtual thread) ----

    private void send(List<SinkMessage> messages, byte[] key, String where) {
        int n = messages.size();
        BitSet rejected = new BitSet(n);
        List<byte[]>[] fields = entries(messages, rejected);
        String firstRejection = rejected.isEmpty() ? null : rejection(messages, rejected.nextSetBit(0));
        int[] sent = new int[n - rejected.cardinality()];
        for (int i = 0, k = 0; i < n; i++) {
            if (!rejected.get(i)) {
                sent[k++] = i;
            }
        }
        BitSet retry = new BitSet(n);
        String failure = sent.length == 0 ? null : transaction(messages, key, fields, sent, retry);
        if (retry.isEmpty() && rejected.isEmpty()) {
            return;
        }
        if (rejected.isEmpty() && retry.cardinality() == n) {
            throw new SinkException(where + ": " + failure, true);
        }
        String reason = failure != null ? failure : firstRejection;
        throw SinkException.partial(
                where + ": " + reason + " (" + retry.cardinality() + " of " + n + " messages to retry, "
                        + rejected.cardinality() + " rejected)",
                retry,
                rejected);
    }

    /** Each message's entry fields; a message that cannot be an entry is marked in {@code rejected}. */
    @SuppressWarnings("unchecked")
    private List<byte[]>[] entries(List<SinkMessage> messages, BitSet rejected) {
        List<byte[]>[] out = new List[messages.size()];
        for (int i = 0; i < out.length; i++) {
            byte[] json = messages.get(i).json();
            if (json.length > config.maxEntryBytes()) {
                rejected.set(i);
                continue;
            }
            try {
                out[i] = EntryFields.of(json);
            } catch (IllegalArgumentException e) {
                rejected.set(i);
            }
        }
        return out;
    }

    private String rejection(List<SinkMessage> messages, int i) {
        SinkMessage m = messages.get(i);
        if (m.json().length > config.maxEntryBytes()) {
            return "message " + m.idempotencyKey() + " is " + m.json().length + " bytes, over max_entry_bytes ("
                    + config.maxEntryBytes() + ")";
        }
        String why;
        try {
            EntryFields.of(m.json());
            why = "?";
        } catch (IllegalArgumentException e) {
            why = e.getMessage();
        }
        return "message " + m.idempotencyKey() + " cannot be a stream entry: " + why;
    }

    /**
     * Sends {@code MULTI}, an {@code XADD} per message of {@code sent}, and {@code EXEC}, and reads the replies;
     * marks in {@code retry} the messages not added. Returns the reason of the first failure, or null.
     */
    private @Nullable String transaction(
            List<SinkMessage> messages, byte[] key, List<byte[]>[] fields, int[] sent, BitSet retry) {
        List<Object> replies;
        try (Connection c = pool.getResource()) {
            c.sendCommand(Protocol.Command.MULTI);
            for (int i : sent) {
                CommandArguments xadd =
                        new CommandArguments(Protocol.Command.XADD).key(key).add(AUTO_ID);
                fields[i].forEach(xadd::add);
                xadd.add(IDEMPOTENCY_FIELD).add(messages.get(i).idempotencyKey().getBytes(StandardCharsets.UTF_8));
                c.sendCommand(xadd);
            }
            c.sendCommand(Protocol.Command.EXEC);
            replies = c.getMany(sent.length + 2);
        } catch (JedisException e) {
            if (e instanceof JedisConnectionException) {
                pool.clear(); // the idle connections went the same way, most likely (a restarted server)
            }
            for (int i : sent) {
                retry.set(i);
            }
            return RedisFailure.describe(e);
        }
        return outcome(replies, sent, retry);
    }

    /**
     * Reads the transaction's replies: {@code MULTI}'s, one per queued {@code XADD} ({@code QUEUED}, an error, or,
     * should {@code MULTI} have failed, the entry id of an {@code XADD} that ran on its own), then {@code EXEC}'s
     * (an array of entry ids and errors, or an error when nothing ran).
     */
    private @Nullable String outcome(List<Object> replies, int[] sent, BitSet retry) {
        String first = replies.getFirst() instanceof JedisDataException e ? e.getMessage() : null;
        Object exec = replies.getLast();
        List<?> results = exec instanceof List<?> l && l.size() == sent.length ? l : null;
        for (int k = 0; k < sent.length; k++) {
            Object queued = replies.get(k + 1);
            Object result;
            if (queued instanceof JedisDataException e) {
                result = e;
            } else if (queued instanceof byte[] b && Arrays.equals(b, QUEUED)) {
                result = results != null ? results.get(k) : exec;
            } else {
                result = queued; // ran outside a transaction: its reply is its entry id
            }
            if (result instanceof JedisDataException e) {
                retry.set(sent[k]);
                if (first == null) {
                    first = e.getMessage();
                }
            } else if (!(result instanceof byte[])) {
                retry.set(sent[k]);
                if (first == null) {
                    first = "unexpected reply " + result;
                }
            }
        }
        return first == null ? null : RedisFailure.describe(new JedisDataException(first));
    }

    private static String where(RedisStreamConfig config, String streamKey) {
        return "Redis " + config.address() + " stream '" + streamKey + "'";
    }
}
