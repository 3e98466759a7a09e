package dev.sluice.sink.nats;

import dev.sluice.core.Ticker;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.BlockingSender;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamOptions;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.impl.Headers;
import java.io.IOException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Publishes each message of a batch to a NATS subject: Sequin's default subject ({@link DefaultSubject}) or the
 * routed one, with the header {@code Nats-Msg-Id} set to the message's idempotency key (JetStream drops a copy it
 * has already stored within the stream's duplicate window) and any routed headers.
 *
 * <p>Delivery (see {@link BatchPublish}): a batch's messages are published in batch order on one connection, then
 * awaited: a stream's acknowledgement (PubAck) for a subject a JetStream stream captures ({@link StreamSubjects}),
 * the server's answer to a PING for the others (it has then taken every message before it; a core subject keeps no
 * copy, so "taken" is all NATS can say).
 *
 * <p>Routing: a batch's {@linkplain Batch#routing() routing} may set {@code subject} (checked with {@link
 * NatsConfig#subjectProblem}) and {@code headers} (a map of names to strings, {@link NatsConfig#headersProblem}); an
 * invalid value fails the batch, retriably.
 *
 * <p>Connection: one per sink, opened by {@link #start}; the client reconnects on its own after a failure, and
 * publishing while it does fails at once (no buffering), so the engine retries the batch. A connection the client gave
 * up on is opened again by the next delivery.
 *
 * <p>Concurrency: thread-safe. Each delivery runs on a virtual thread, so {@link #deliver(Batch)} never blocks.
 */
public final class NatsSink implements Sink {
    /** The routing key that picks the subject. */
    static final String SUBJECT = "subject";
    /** The routing key that adds headers. */
    static final String HEADERS = "headers";
    /** JetStream's de-duplication header. */
    static final String MSG_ID = "Nats-Msg-Id";
    /** The longest wait for a connection, whatever {@code request_timeout_ms} says. */
    static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** How long a failed connect waits for the client to report its reason (on another thread). */
    private static final Duration REASON_WAIT = Duration.ofMillis(500);

    /** The connection and its JetStream context. */
    record Link(Connection connection, JetStream jetStream) {}

    private final NatsConfig config;
    private final String where;
    private final BlockingSender sender;
    private final DefaultSubject defaults = new DefaultSubject();
    private final StreamSubjects streams;
    private final ServerErrors errors;
    // A lock, not synchronized: connecting blocks, and a virtual thread must not pin its carrier meanwhile (Java 21).
    private final ReentrantLock lock = new ReentrantLock();
    private volatile @Nullable Link link;
    private volatile boolean closed;

    /**
     * Creates the sink. No connection is opened until {@link #start} or the first delivery.
     *
     * @param config validated configuration; not null
     */
    public NatsSink(NatsConfig config) {
        this(config, Ticker.SYSTEM);
    }

    NatsSink(NatsConfig config, Ticker ticker) {
        this.config = config;
        this.where = "NATS " + config.address();
        this.sender = new BlockingSender(where, "nats-sink-");
        this.errors = new ServerErrors(where);
        this.streams = new StreamSubjects(ticker, errors);
    }

    /** The configuration this sink was created with. */
    public NatsConfig config() {
        return config;
    }

    /**
     * Connects.
     *
     * @throws SinkException retriable, when the server cannot be reached or refuses the credentials
     */
    @Override
    public void start(SinkContext context) {
        link();
    }

    /**
     * Publishes the batch's messages. The stage completes normally once NATS took every one, or exceptionally with a
     * {@link SinkException}: for the whole batch, or {@linkplain SinkException#partial partial} when some were taken
     * or rejected for good. Never blocks.
     */
    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        BatchPublish.Route route;
        try {
            route = BatchPublish.Route.of(batch.routing());
        } catch (SinkException e) {
            return CompletableFuture.failedFuture(e);
        }
        return sender.submit(() -> new BatchPublish(this, batch.messages(), route).run());
    }

    /** Delivers as {@link #deliver} does; the trace shows the subjects and what confirmed them, never a header. */
    @Override
    public CompletionStage<Sink.@Nullable Exchange> deliverTraced(Batch batch) {
        BatchPublish.Route route;
        try {
            route = BatchPublish.Route.of(batch.routing());
        } catch (SinkException e) {
            return CompletableFuture.failedFuture(e);
        }
        BatchPublish publish = new BatchPublish(this, batch.messages(), route);
        return sender.submit(publish::run).thenApply(done -> publish.exchange());
    }

    /** Stops taking deliveries and closes the connection; deliveries in progress fail. */
    @Override
    public void close() {
        closed = true;
        sender.close();
        Link l = link; // not under the lock: a connect in progress sees closed and closes its own connection
        link = null;
        if (l != null) {
            closeQuietly(l.connection());
        }
    }

    /**
     * {@link NatsProvider#check}: connects with the configured credentials and waits for the server's answer to a
     * PING. Never throws for the server's answer.
     */
    static CheckResult probe(NatsConfig config, Duration timeout) {
        String what = "NATS " + config.address();
        String credentials = config.credentialsProblem();
        if (credentials != null) {
            return CheckResult.failed(CheckResult.Status.UNAUTHORIZED, what + ": " + credentials);
        }
        ServerErrors errors = new ServerErrors(what);
        Connection c = null;
        try {
            c = Nats.connect(options(config, timeout, errors).noReconnect().build());
            c.flush(timeout);
            return CheckResult.OK;
        } catch (IOException e) {
            awaitReason(errors);
            return CheckResult.failed(
                    NatsFailure.status(e, errors), what + ": " + NatsFailure.describeConnect(e, errors));
        } catch (TimeoutException e) {
            return CheckResult.failed(
                    CheckResult.Status.UNREACHABLE,
                    what + ": connected, but no answer to a PING within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CheckResult.failed(CheckResult.Status.FAILED, what + ": interrupted");
        } catch (NoSuchAlgorithmException | RuntimeException e) {
            return CheckResult.failed(CheckResult.Status.FAILED, what + ": " + NatsFailure.rootMessage(e));
        } finally {
            if (c != null) {
                closeQuietly(c);
            }
        }
    }

    // ---- for BatchPublish

    String where() {
        return where;
    }

    Duration timeout() {
        return config.requestTimeout();
    }

    DefaultSubject defaults() {
        return defaults;
    }

    StreamSubjects streams() {
        return streams;
    }

    ServerErrors errors() {
        return errors;
    }

    /**
     * The connection, opened when there is none or the client gave up on it.
     *
     * @throws SinkException retriable, when it is not connected now (the client is reconnecting) or cannot connect
     */
    Link link() {
        Link l = link;
        if (l == null || l.connection().getStatus() == Connection.Status.CLOSED) {
            lock.lock();
            try {
                if (closed) {
                    throw new SinkException(where + ": sink is closed", true);
                }
                l = link;
                if (l == null || l.connection().getStatus() == Connection.Status.CLOSED) {
                    l = connect();
                    link = l;
                    if (closed) { // closed while connecting
                        link = null;
                        closeQuietly(l.connection());
                        throw new SinkException(where + ": sink is closed", true);
                    }
                }
            } finally {
                lock.unlock();
            }
        }
        Connection.Status status = l.connection().getStatus();
        if (status != Connection.Status.CONNECTED) {
            String why = errors.last();
            throw new SinkException(
                    where + ": not connected (" + status.name().toLowerCase(java.util.Locale.ROOT) + ")"
                            + (why == null ? "" : ": " + why),
                    true);
        }
        return l;
    }

    private Link connect() {
        String credentials = config.credentialsProblem();
        if (credentials != null) {
            throw new SinkException(where + ": " + credentials, true);
        }
        try {
            Connection c = Nats.connect(options(config, config.requestTimeout(), errors)
                    .maxReconnects(-1)
                    .reconnectWait(Duration.ofMillis(500))
                    .build());
            JetStream js = c.jetStream(JetStreamOptions.builder()
                    .requestTimeout(config.requestTimeout())
                    .build());
            return new Link(c, js);
        } catch (IOException e) {
            awaitReason(errors);
            throw new SinkException(where + ": " + NatsFailure.describeConnect(e, errors), true, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SinkException(where + ": interrupted while connecting", true, e);
        } catch (NoSuchAlgorithmException e) {
            throw new SinkException(where + ": no TLS in this JVM: " + e.getMessage(), true, e);
        }
    }

    /**
     * The client options for {@code config}: its server, credentials and TLS; publishing fails at once while
     * disconnected rather than buffering; requests (PubAcks) wait at most {@code timeout}.
     */
    static Options.Builder options(NatsConfig config, Duration timeout, ServerErrors errors)
            throws NoSuchAlgorithmException {
        Duration connect = timeout.compareTo(MAX_CONNECT_TIMEOUT) < 0 ? timeout : MAX_CONNECT_TIMEOUT;
        Options.Builder b = new Options.Builder()
                .server(config.url())
                .connectionName("sluice")
                .connectionTimeout(connect)
                .requestCleanupInterval(timeout)
                .reconnectBufferSize(0)
                .errorListener(errors)
                .connectionListener((conn, event) -> {});
        if (config.username() != null) {
            b.userInfo(config.username(), config.password());
        }
        if (config.nkeySeed() != null) {
            char[] jwt = config.jwt() == null ? null : config.jwt().toCharArray();
            b.authHandler(Nats.staticCredentials(jwt, config.nkeySeed().toCharArray()));
        }
        if (config.tls()) {
            // Connect by the configured name, not by the addresses the client would resolve it to: the certificate
            // is checked against the name the socket was opened with.
            b.sslContext(HostVerifyingTls.context()).hostnameResolveMode(Options.HostnameResolveMode.HappyEyeballs);
        }
        return b;
    }

    private static void awaitReason(ServerErrors errors) {
        try {
            errors.awaitAny(REASON_WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // closing anyway
        }
    }

    /** A message's headers: {@code Nats-Msg-Id}, its idempotency key, then the routed ones (which may replace it). */
    static Headers headers(SinkMessage m, Map<String, List<String>> routed) {
        Headers h = new Headers();
        h.put(MSG_ID, m.idempotencyKey());
        routed.forEach(h::put);
        return h;
    }
}
