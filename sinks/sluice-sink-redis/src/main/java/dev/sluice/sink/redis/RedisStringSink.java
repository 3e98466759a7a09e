package dev.sluice.sink.redis;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.BlockingSender;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Keeps one Redis string per row, as Sequin's Redis String sink does: {@code SET key value [PX expire_ms]} for an
 * insert, update or read, {@code DEL key} for a delete, a batch's commands pipelined in batch order on one connection
 * (one round trip).
 *
 * <p>Key: {@code sequin:<table>:<primary key values joined by '-'>}, from the message's {@code metadata.record_pks}
 * (Sequin's default route). Value: the message JSON, or, when a transform returned a JSON string, that string itself.
 *
 * <p>Order and failure:
 *
 * <ul>
 *   <li>Redis runs a connection's commands in the order sent, so each key's writes land in batch order. Each command
 *       has its own reply: a refused command (out of memory, no permission for the key, a read-only replica) leaves
 *       its message to retry, together with every later message of the same key or group (that some of them ran does
 *       no harm: the retry writes them again, in order, and the last write wins as before).
 *   <li>A failed connection leaves the whole batch to retry; the commands that ran are written again (at least once,
 *       in order).
 *   <li>Rejected before sending ({@link SinkException#partial}), while the others go: a value over {@code
 *       max_value_bytes}; a message with no key (its table has no primary key, and no routing function set {@code
 *       key}); a truncate (no per-row command).
 * </ul>
 *
 * <p>Routing: a batch's {@linkplain Batch#routing() routing} may set {@code key} (1 to 512 characters, no whitespace;
 * a number is taken as its text), {@code action} ({@code set} or {@code del}) and {@code expire_ms} (positive, or null
 * for no expiry), each checked as Sequin checks it; an invalid value fails the batch, retriably.
 *
 * <p>Concurrency: thread-safe. A small pool of connections; each delivery runs on a virtual thread of its own.
 */
public final class RedisStringSink implements Sink {
    static final String KEY = "key";
    static final String ACTION = "action";
    static final String EXPIRE_MS = "expire_ms";

    private static final byte[] PX = "PX".getBytes(StandardCharsets.US_ASCII);

    private final RedisStringConfig config;
    private final String where;
    private final ConnectionPool pool;
    private final BlockingSender sender;

    /** Creates the sink and its connection pool; no connection is opened until the first delivery. */
    public RedisStringSink(RedisStringConfig config) {
        this.config = config;
        this.where = where(config);
        this.pool = config.connection().pool();
        this.sender = new BlockingSender(where, "redis-string-sink-");
    }

    /** The configuration this sink was created with. */
    public RedisStringConfig config() {
        return config;
    }

    /**
     * Writes the batch. The stage completes normally once Redis ran every command, or exceptionally with a {@link
     * SinkException}: for the whole batch, or {@linkplain SinkException#partial partial}. Never blocks.
     */
    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        Route route;
        try {
            route = Route.of(batch.routing(), config);
        } catch (SinkException e) {
            return CompletableFuture.failedFuture(e);
        }
        return sender.submit(() -> send(batch.messages(), route));
    }

    /** Stops taking deliveries and closes the connections; deliveries in progress fail. */
    @Override
    public void close() {
        sender.close();
        pool.close();
    }

    /** {@link RedisStringProvider#check}: connects (with {@code AUTH} and {@code SELECT}) and sends {@code PING}. */
    static CheckResult probe(RedisStringConfig config, Duration timeout) {
        return config.connection().ping(where(config), timeout);
    }

    /**
     * What a batch's routing sets, each null when left to the default: the key, the action ({@code set} or {@code
     * del}), and the expiry in milliseconds (0: none).
     */
    private record Route(@Nullable String key, @Nullable String action, long expireMs) {
        static Route of(@Nullable Map<String, Object> routing, RedisStringConfig config) {
            long configured = config.expire() == null ? 0 : config.expire().toMillis();
            if (routing == null) {
                return new Route(null, null, configured);
            }
            String key = null;
            if (routing.containsKey(KEY)) {
                Object v = routing.get(KEY);
                if (v instanceof Number num) {
                    v = numberText(num); // as Sequin casts a numeric key to text
                }
                if (!(v instanceof String s)) {
                    throw SinkException.invalidRouting(
                            KEY, v, "must be a string, the Redis key" + (v == null ? ", not null" : ""));
                }
                String problem = RedisStringConfig.keyProblem(s);
                if (problem != null) {
                    throw SinkException.invalidRouting(KEY, s, problem);
                }
                key = s;
            }
            String action = null;
            if (routing.containsKey(ACTION)) {
                Object v = routing.get(ACTION);
                if (!"set".equals(v) && !"del".equals(v)) {
                    throw SinkException.invalidRouting(ACTION, v, "must be \"set\" or \"del\"");
                }
                action = (String) v;
            }
            long expireMs = configured;
            if (routing.containsKey(EXPIRE_MS)) {
                Object v = routing.get(EXPIRE_MS);
                if (v == null) {
                    expireMs = 0;
                } else if (v instanceof Long || v instanceof Integer) {
                    long ms = ((Number) v).longValue();
                    String problem = RedisStringConfig.expireProblem(ms);
                    if (problem != null) {
                        throw SinkException.invalidRouting(EXPIRE_MS, v, problem);
                    }
                    expireMs = ms;
                } else {
                    throw SinkException.invalidRouting(
                            EXPIRE_MS, v, "must be a whole number of milliseconds, or null for no expiry");
                }
            }
            return new Route(key, action, expireMs);
        }

        private static String numberText(Number n) {
            if (n instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15) {
                return Long.toString(d.longValue());
            }
            return n.toString();
        }
    }

    // ---- sending (on a virtual thread) ----

    private void send(List<SinkMessage> messages, Route route) {
        int n = messages.size();
        byte[][] keys = new byte[n][];
        byte[][] values = new byte[n][]; // null: DEL
        BitSet rejected = new BitSet(n);
        String firstRejection = null;
        for (int i = 0; i < n; i++) {
            String problem = plan(messages.get(i), route, i, keys, values);
            if (problem != null) {
                rejected.set(i);
                if (firstRejection == null) {
                    firstRejection = "message " + messages.get(i).idempotencyKey() + " " + problem;
                }
            }
        }
        BitSet retry = new BitSet(n);
        String failure = rejected.cardinality() == n ? null : pipeline(keys, values, route.expireMs(), rejected, retry);
        if (failure != null) {
            holdBack(messages, keys, retry, rejected);
        }
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

    /** Sets message {@code i}'s key and value (null for {@code DEL}); returns why it cannot be written, or null. */
    private @Nullable String plan(SinkMessage m, Route route, int i, byte[][] keys, byte[][] values) {
        String action = route.action();
        if (action == null) {
            action = switch (m.action()) {
                case INSERT, UPDATE, READ -> "set";
                case DELETE -> "del";
                case TRUNCATE -> null;
            };
            if (action == null) {
                return "is a truncate: a Redis String sink writes rows; leave truncate out of actions";
            }
        }
        String key = route.key();
        if (key == null) {
            // The change's own key, whatever a transform kept of the message.
            List<String> pks = EntryFields.recordPks(m.sourceJson());
            if (pks == null || pks.isEmpty()) {
                return "has no primary key values (a table without a primary key, or a truncate): set key with a"
                        + " routing function";
            }
            key = "sequin:" + m.table().name() + ":" + String.join("-", pks);
        }
        keys[i] = key.getBytes(StandardCharsets.UTF_8);
        if (action.equals("set")) {
            byte[] value = EntryFields.stringValue(m.json());
            if (value.length > config.maxValueBytes()) {
                return "is " + value.length + " bytes, over max_value_bytes (" + config.maxValueBytes() + ")";
            }
            values[i] = value;
        }
        return null;
    }

    /**
     * Sends a {@code SET} or {@code DEL} per message not rejected, in order, then reads every reply; marks in {@code
     * retry} the messages whose command failed. Returns the reason of the first failure, or null.
     */
    private @Nullable String pipeline(byte[][] keys, byte[][] values, long expireMs, BitSet rejected, BitSet retry) {
        int n = keys.length;
        List<Object> replies;
        try (Connection c = pool.getResource()) {
            for (int i = 0; i < n; i++) {
                if (rejected.get(i)) {
                    continue;
                }
                if (values[i] == null) {
                    c.sendCommand(new CommandArguments(Protocol.Command.DEL).key(keys[i]));
                } else {
                    CommandArguments set = new CommandArguments(Protocol.Command.SET)
                            .key(keys[i])
                            .add(values[i]);
                    if (expireMs > 0) {
                        set.add(PX).add(Long.toString(expireMs).getBytes(StandardCharsets.US_ASCII));
                    }
                    c.sendCommand(set);
                }
            }
            replies = c.getMany(n - rejected.cardinality());
        } catch (JedisException e) {
            if (e instanceof JedisConnectionException) {
                pool.clear(); // the idle connections went the same way, most likely (a restarted server)
            }
            for (int i = 0; i < n; i++) {
                if (!rejected.get(i)) {
                    retry.set(i);
                }
            }
            return RedisFailure.describe(e);
        }
        String first = null;
        for (int i = 0, k = 0; i < n; i++) {
            if (rejected.get(i)) {
                continue;
            }
            Object reply = replies.get(k++);
            if (reply instanceof JedisDataException e) {
                retry.set(i);
                if (first == null) {
                    first = RedisFailure.describe(e);
                }
            }
        }
        return first;
    }

    /**
     * Marks to retry every message after one left to retry that has its key or its group: written again after it,
     * so that the key ends at its last message.
     */
    private static void holdBack(List<SinkMessage> messages, byte[][] keys, BitSet retry, BitSet rejected) {
        Set<ByteBuffer> heldKeys = new HashSet<>();
        Set<String> heldGroups = new HashSet<>();
        for (int i = 0; i < messages.size(); i++) {
            if (rejected.get(i)) {
                continue;
            }
            ByteBuffer key = ByteBuffer.wrap(keys[i]);
            String group = messages.get(i).groupId();
            if (heldKeys.contains(key) || (group != null && heldGroups.contains(group))) {
                retry.set(i);
            }
            if (retry.get(i)) {
                heldKeys.add(key);
                if (group != null) {
                    heldGroups.add(group);
                }
            }
        }
    }

    private static String where(RedisStringConfig config) {
        return "Redis " + config.address() + " database " + config.database();
    }
}
