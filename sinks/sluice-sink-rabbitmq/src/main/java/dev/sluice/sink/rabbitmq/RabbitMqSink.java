package dev.sluice.sink.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.BlockingSender;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.io.IOException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

/**
 * Publishes each message of a batch to a RabbitMQ exchange, with publisher confirms.
 *
 * <p>Messages: the body is the message JSON; properties {@code content_type} {@code application/json}, {@code
 * delivery_mode} 2 (persistent), {@code message_id} the message's idempotency key (so that a consumer can drop the
 * copies a redelivery adds), and the routed {@code headers}. The routing key is Sequin's, {@code
 * sequin.<database>.<schema>.<table>.<action>} (see {@link Route}). Not {@code mandatory}, as in Sequin: a message no
 * binding matches is dropped by the broker (or goes to the exchange's alternate exchange), and counts as delivered.
 *
 * <p>Order and failure: a delivery publishes its batch in order on one channel in confirm mode, then waits for the
 * broker's confirms (at most {@code request_timeout_ms}).
 *
 * <ul>
 *   <li>A message over {@code max_message_bytes} is rejected before publishing ({@link SinkException#partial}); the
 *       others go.
 *   <li>A message the broker nacks, or leaves unconfirmed (channel or connection closed, timeout), is left to retry,
 *       and so is every later message of its group in the batch, already published or not: a group's messages end up
 *       in order at their last copies (at least once).
 *   <li>A channel closed by the broker ({@code 404} no such exchange, {@code 403} no write permission, {@code 406} a
 *       message over the broker's own {@code max_message_size}) fails what it left unconfirmed, retriably, quoting
 *       the broker.
 * </ul>
 *
 * <p>The client does not retry or recover connections: the engine's retry policy applies, and the next delivery
 * opens a new connection. Errors name the broker, virtual host and exchange, never the password.
 *
 * <p>Concurrency: thread-safe. One connection; a channel per delivery in flight, kept for the next one. Each delivery
 * runs on a virtual thread, so {@link #deliver(Batch)} never blocks.
 */
public final class RabbitMqSink implements Sink {
    private static final String CONTENT_TYPE = "application/json";
    private static final int PERSISTENT = 2;
    /** Channels kept open between deliveries; more are opened when more deliveries are in flight. */
    private static final int MAX_IDLE_CHANNELS = 16;
    /** How long closing waits for the broker's close-ok. */
    private static final int CLOSE_TIMEOUT_MS = 2000;
    /** The routing key's database part for a message without {@code metadata.database_name}: none the engine makes. */
    private static final String UNKNOWN_DATABASE = "unknown";
    /** Aborts connections whose publishing is stuck past the deadline; shared, as it rarely fires. */
    private static final ScheduledThreadPoolExecutor WATCHDOG = watchdog();

    private final RabbitMqConfig config;
    private final String where;
    private final Route defaultRoute;
    private final ConnectionFactory factory;
    private final BlockingSender sender;
    private final ReentrantLock connecting = new ReentrantLock();
    private final ConcurrentLinkedDeque<ConfirmedChannel> idle = new ConcurrentLinkedDeque<>();
    private volatile @Nullable Connection connection;
    /** Why the broker blocks this connection's publishers ({@code connection.blocked}), or null. */
    private volatile @Nullable String blockedReason;

    /**
     * Creates the sink. No connection is opened until the first delivery.
     *
     * @param config validated configuration; not null
     */
    public RabbitMqSink(RabbitMqConfig config) {
        this.config = config;
        this.where = where(config, config.exchange());
        this.defaultRoute = Route.of(config);
        this.factory = factory(config, config.requestTimeout());
        this.sender = new BlockingSender(where, "rabbitmq-sink-");
    }

    /** The configuration this sink was created with. */
    public RabbitMqConfig config() {
        return config;
    }

    /**
     * Publishes the batch. The stage completes normally once the broker confirmed every message, or exceptionally
     * with a {@link SinkException}: for the whole batch, or {@linkplain SinkException#partial partial} when some
     * messages were confirmed or rejected for good. Never blocks.
     */
    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        Map<String, Object> routing = batch.routing();
        Route route;
        try {
            route = routing == null ? defaultRoute : Route.of(routing, config);
        } catch (SinkException e) {
            return CompletableFuture.failedFuture(e);
        }
        return sender.submit(() -> publish(batch.messages(), route));
    }

    /**
     * Delivers as {@link #deliver(Batch)} does; the trace shows the exchange and the first message's routing key,
     * and how many messages the broker confirmed. Never header values.
     */
    @Override
    public CompletionStage<@Nullable Exchange> deliverTraced(Batch batch) {
        Map<String, Object> routing = batch.routing();
        String exchange = config.exchange();
        String key = "";
        try {
            Route route = routing == null ? defaultRoute : Route.of(routing, config);
            exchange = route.exchange();
            SinkMessage first = batch.messages().getFirst();
            key = route.routingKeyOf(first, route.routingKey() == null ? databaseOf(first) : "");
        } catch (SinkException e) {
            // deliver fails the same way
        }
        String request = "basic.publish amqp" + (config.tls() ? "s" : "") + "://" + config.address() + " vhost '"
                + config.virtualHost() + "' exchange '" + exchange + "' routing_key '" + key + "'"
                + (batch.size() > 1 ? " (first of " + batch.size() + " messages)" : "");
        int n = batch.size();
        return deliver(batch).thenApply(done -> new Exchange(request, "basic.ack for " + n + " of " + n));
    }

    /** Stops taking deliveries and closes the connection; deliveries in progress fail retriably. */
    @Override
    public void close() {
        sender.close();
        connecting.lock();
        try {
            Connection c = connection;
            connection = null;
            if (c != null && c.isOpen()) {
                try {
                    c.close(CLOSE_TIMEOUT_MS); // closes its channels; unconfirmed deliveries fail retriably
                } catch (IOException | RuntimeException e) {
                    c.abort(CLOSE_TIMEOUT_MS);
                }
            }
        } finally {
            connecting.unlock();
        }
        idle.clear();
    }

    /**
     * {@link RabbitMqProvider#check}: logs in to the virtual host and declares the exchange passively (it must exist;
     * nothing is created). Never throws for the broker's answer.
     */
    static CheckResult probe(RabbitMqConfig config, Duration timeout) {
        String what = where(config, config.exchange());
        ConnectionFactory f = factory(config, timeout);
        try (Connection c = f.newConnection("sluice test_connection")) {
            Channel ch = c.createChannel();
            ch.exchangeDeclarePassive(config.exchange());
            return CheckResult.OK;
        } catch (IOException | TimeoutException | RuntimeException e) {
            return CheckResult.failed(RabbitMqFailure.status(e), what + ": " + RabbitMqFailure.describe(e));
        }
    }

    // ---- publishing (on a virtual thread) ----

    private void publish(List<SinkMessage> messages, Route route) {
        int n = messages.size();
        String at = route.exchange().equals(config.exchange()) ? where : where(config, route.exchange());
        BitSet rejected = new BitSet(n);
        for (int i = 0; i < n; i++) {
            if (messages.get(i).json().length > config.maxMessageBytes()) {
                rejected.set(i);
            }
        }
        String rejection = rejected.isEmpty() ? null : rejection(messages.get(rejected.nextSetBit(0)));
        BitSet retry = new BitSet(n);
        String failure = rejected.cardinality() == n ? null : publishAndConfirm(messages, route, rejected, retry);
        if (retry.isEmpty() && rejected.isEmpty()) {
            return;
        }
        holdBackLaterOfGroups(messages, rejected, retry);
        if (rejected.isEmpty() && retry.cardinality() == n) {
            throw new SinkException(at + ": " + failure, true);
        }
        String reason = failure != null ? failure : rejection;
        throw SinkException.partial(
                at + ": " + reason + " (" + retry.cardinality() + " of " + n + " messages to retry, "
                        + rejected.cardinality() + " rejected)",
                retry,
                rejected);
    }

    /**
     * Publishes the messages not {@code rejected} on one confirmed channel and waits for their confirms; marks in
     * {@code retry} those not confirmed. Returns the reason of the failure, or null.
     */
    private @Nullable String publishAndConfirm(List<SinkMessage> messages, Route route, BitSet rejected, BitSet retry) {
        int n = messages.size();
        ConfirmedChannel ch;
        try {
            ch = borrow();
        } catch (IOException | TimeoutException | RuntimeException e) {
            markAllBut(retry, rejected, n);
            return RabbitMqFailure.describe(e);
        }
        ch.begin();
        long deadline = System.nanoTime() + config.requestTimeout().toNanos();
        Exception publishFailure = null;
        // A socket write blocks without a timeout when the broker stops reading (a resource alarm blocks
        // publishers): past the deadline, the watchdog aborts the connection, which fails the write.
        AtomicBoolean stalled = new AtomicBoolean();
        ScheduledFuture<?> watchdog = WATCHDOG.schedule(
                () -> {
                    stalled.set(true);
                    ch.connection().abort(CLOSE_TIMEOUT_MS);
                },
                config.requestTimeout().toNanos(),
                TimeUnit.NANOSECONDS);
        int i = 0;
        try {
            for (; i < n; i++) {
                if (rejected.get(i)) {
                    continue;
                }
                SinkMessage m = messages.get(i);
                String routingKey = route.routingKeyOf(m, route.routingKey() == null ? databaseOf(m) : "");
                ch.publishing(i);
                ch.channel().basicPublish(route.exchange(), routingKey, false, properties(m, route), m.json());
            }
        } catch (IOException | RuntimeException e) {
            publishFailure = e;
            for (int j = i; j < n; j++) {
                if (!rejected.get(j)) {
                    retry.set(j);
                }
            }
        } finally {
            watchdog.cancel(false);
        }
        boolean confirmed;
        try {
            confirmed = ch.await(deadline - System.nanoTime());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            confirmed = false;
        }
        ch.notAccepted(retry);
        ShutdownSignalException closedBy = ch.shutdown();
        if (confirmed && publishFailure == null) {
            giveBack(ch);
        } else if (closedBy != null || publishFailure != null) {
            ch.abort();
        } else {
            // Late confirms would land in the next delivery's count: never reused. Closing waits for the broker's
            // close-ok, which a broker blocking publishers does not read: not on this thread.
            Thread.startVirtualThread(ch::abort);
        }
        if (retry.isEmpty()) {
            return null;
        }
        String blocked = blockedReason;
        String alarm = blocked == null
                ? "; a resource alarm (memory, disk) may be blocking publishers"
                : "; the broker blocks publishers: " + blocked;
        if (stalled.get()) {
            return "publishing did not finish within request_timeout_ms ("
                    + config.requestTimeout().toMillis() + " ms)" + alarm;
        }
        if (closedBy != null) {
            return RabbitMqFailure.describe(closedBy);
        }
        if (publishFailure != null) {
            return RabbitMqFailure.describe(publishFailure);
        }
        int nacked = ch.nackedCount();
        if (nacked > 0) {
            return "the broker refused (nacked) " + nacked + " message(s): a queue bound to the exchange rejects"
                    + " publishes (x-overflow reject-publish) or is unavailable";
        }
        return "no confirm from the broker within request_timeout_ms ("
                + config.requestTimeout().toMillis() + " ms)" + alarm;
    }

    /**
     * A later message of a group with a message to retry is retried too, though the broker took it: retried alone,
     * the earlier message would arrive after it.
     */
    static void holdBackLaterOfGroups(List<SinkMessage> messages, BitSet rejected, BitSet retry) {
        Set<String> held = new HashSet<>();
        for (int i = 0; i < messages.size(); i++) {
            String group = messages.get(i).groupId();
            if (group == null || rejected.get(i)) {
                continue;
            }
            if (retry.get(i)) {
                held.add(group);
            } else if (held.contains(group)) {
                retry.set(i);
            }
        }
    }

    private static void markAllBut(BitSet retry, BitSet rejected, int n) {
        for (int i = 0; i < n; i++) {
            if (!rejected.get(i)) {
                retry.set(i);
            }
        }
    }

    private String rejection(SinkMessage m) {
        return "message " + m.idempotencyKey() + " is " + m.json().length + " bytes, over max_message_bytes ("
                + config.maxMessageBytes() + ")";
    }

    private static AMQP.BasicProperties properties(SinkMessage m, Route route) {
        return new AMQP.BasicProperties.Builder()
                .contentType(CONTENT_TYPE)
                .deliveryMode(PERSISTENT)
                .messageId(route.messageIdOf(m))
                .headers(route.headers())
                .build();
    }

    /**
     * The source database's name for the default routing key, from the message as encoded (a transform may have left
     * {@code metadata} out of what is published; see {@link DatabaseName}).
     */
    private static String databaseOf(SinkMessage m) {
        String name = DatabaseName.of(m.sourceJson());
        return name != null ? name : UNKNOWN_DATABASE;
    }

    // ---- connection and channels ----

    private ConfirmedChannel borrow() throws IOException, TimeoutException {
        Connection c = connection();
        ConfirmedChannel ch;
        while ((ch = idle.poll()) != null) {
            if (ch.reusableOn(c)) {
                return ch;
            }
            ch.abort();
        }
        return ConfirmedChannel.open(c);
    }

    private void giveBack(ConfirmedChannel ch) {
        Connection c = connection;
        if (c != null && !sender.isClosed() && ch.reusableOn(c) && idle.size() < MAX_IDLE_CHANNELS) {
            idle.push(ch);
        } else {
            ch.abort();
        }
    }

    private Connection connection() throws IOException, TimeoutException {
        Connection c = connection;
        if (c != null && c.isOpen()) {
            return c;
        }
        connecting.lock();
        try {
            if (sender.isClosed()) {
                throw new IOException("sink is closed");
            }
            c = connection;
            if (c != null && c.isOpen()) {
                return c;
            }
            if (c != null) {
                c.abort(); // a broker restarted, or a network cut: start over
            }
            c = factory.newConnection("sluice");
            blockedReason = null;
            c.addBlockedListener(reason -> blockedReason = reason, () -> blockedReason = null);
            connection = c;
            return c;
        } finally {
            connecting.unlock();
        }
    }

    private static ScheduledThreadPoolExecutor watchdog() {
        ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(
                1, Thread.ofPlatform().name("rabbitmq-sink-watchdog").daemon().factory());
        e.setRemoveOnCancelPolicy(true); // a cancelled deadline does not linger until it would have fired
        return e;
    }

    private static String where(RabbitMqConfig config, String exchange) {
        return "RabbitMQ " + config.address() + " vhost '" + config.virtualHost() + "' exchange '" + exchange + "'";
    }

    static ConnectionFactory factory(RabbitMqConfig config, Duration timeout) {
        int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(config.host());
        f.setPort(config.port());
        f.setVirtualHost(config.virtualHost());
        f.setUsername(config.username());
        f.setPassword(config.effectivePassword());
        f.setConnectionTimeout(millis);
        f.setHandshakeTimeout(millis);
        f.setChannelRpcTimeout(millis);
        f.setShutdownTimeout(0);
        f.setRequestedHeartbeat(30); // a dead TCP peer shows within a minute, not at the OS's keepalive
        // The engine retries; a recovering connection would replay publishes behind its back.
        f.setAutomaticRecoveryEnabled(false);
        f.setTopologyRecoveryEnabled(false);
        if (config.tls()) {
            try {
                f.useSslProtocol(SSLContext.getDefault());
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("no default TLS context in this JVM", e);
            }
            f.enableHostnameVerification();
        }
        return f;
    }
}
