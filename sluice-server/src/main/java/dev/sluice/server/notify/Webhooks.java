package dev.sluice.server.notify;

import dev.sluice.server.store.SecretBox;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notification webhooks: the subscriptions (kept in the metadata store, secrets sealed with the server's key) and
 * the events published to them. {@link #publish} never blocks: matching and delivery happen on the webhooks thread,
 * requests asynchronously (see {@link Deliveries}).
 *
 * <p>Concurrency: thread-safe. Failure: a failing endpoint only delays its own retries; events that cannot be read
 * or matched are logged and dropped. Deliveries pending when the server stops are lost.
 */
public final class Webhooks implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Webhooks.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    // Other nodes sharing the store may change subscriptions: read them again at least this often.
    private static final Duration CACHE_FOR = Duration.ofSeconds(10);

    /** A subscription just made (or with a new secret), and the secret, shown this once. */
    public record Created(Subscription subscription, String secret) {}

    /** What {@link #test} answers. */
    public record TestResult(
            boolean delivered,
            @Nullable Integer status,
            @Nullable String error,
            Duration duration) {}

    private final WebhookTable table;
    private final SecretBox secrets;
    private final WebhookSettings settings;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final Deliveries deliveries;
    private volatile @Nullable List<Subscription> cached;
    private volatile long cachedAtNanos;
    // (subscription, database) pairs whose lag is above the subscription's threshold: the event went out once.
    private final Set<String> lagExceeded = ConcurrentHashMap.newKeySet();

    public Webhooks(DataSource dataSource, SecretBox secrets, WebhookSettings settings, Clock clock) {
        this.table = new WebhookTable(dataSource);
        this.secrets = secrets;
        this.settings = settings;
        this.clock = clock;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("webhooks").daemon().factory());
        this.deliveries = new Deliveries(table, secrets, settings, clock, scheduler);
    }

    public WebhookSettings settings() {
        return settings;
    }

    public Clock clock() {
        return clock;
    }

    // ---- subscriptions

    public List<Subscription> list() throws SQLException {
        return table.list();
    }

    public @Nullable Subscription get(UUID id) throws SQLException {
        return table.get(id);
    }

    /** Creates a subscription with a fresh secret; null when the name is taken. */
    public @Nullable Created create(Subscription.Spec spec) throws SQLException {
        String secret = newSecret();
        UUID id = UUID.randomUUID();
        Subscription s = new Subscription(
                id,
                spec.name(),
                spec.url(),
                spec.events(),
                spec.sinkId(),
                spec.databaseId(),
                spec.lagThresholdBytes(),
                spec.lagThresholdSeconds(),
                spec.enabled(),
                secrets.encrypt(secret),
                null,
                clock.instant(),
                clock.instant());
        if (!table.insert(s)) {
            return null;
        }
        invalidate();
        return new Created(table.get(id), secret);
    }

    /**
     * Saves {@code spec} on subscription {@code id}; false when its name is taken by another. A subscription deleted
     * meanwhile stays deleted (and true is returned: there is no name conflict to report).
     */
    public boolean update(UUID id, Subscription.Spec spec) throws SQLException {
        Subscription old = table.get(id);
        if (old == null) {
            return true;
        }
        boolean saved = table.update(new Subscription(
                id,
                spec.name(),
                spec.url(),
                spec.events(),
                spec.sinkId(),
                spec.databaseId(),
                spec.lagThresholdBytes(),
                spec.lagThresholdSeconds(),
                spec.enabled(),
                old.secretSealed(),
                old.lastDelivery(),
                old.insertedAt(),
                old.updatedAt()));
        invalidate();
        return saved;
    }

    public boolean delete(UUID id) throws SQLException {
        boolean deleted = table.delete(id);
        invalidate();
        return deleted;
    }

    /** Gives subscription {@code id} a new secret; null when there is no such subscription. */
    public @Nullable Created rotateSecret(UUID id) throws SQLException {
        String secret = newSecret();
        table.rotate(id, secrets.encrypt(secret));
        invalidate();
        Subscription s = table.get(id);
        return s == null ? null : new Created(s, secret);
    }

    /** {@code whsec_} and 32 random bytes, base64url without padding. */
    static String newSecret() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return "whsec_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** Sends a {@code webhook.test} event to {@code s} now, once; blocks until it is answered or timed out. */
    public TestResult test(Subscription s) {
        WebhookEvent e = WebhookEvent.of(
                EventType.TEST,
                clock.instant(),
                WebhookEvent.fields(
                        "webhook_id", s.publicId(),
                        "webhook_name", s.name(),
                        "message", "a test event sent by POST /api/webhooks/" + s.publicId() + "/test"),
                null,
                null);
        Deliveries.Outcome o = deliveries.once(s, e);
        invalidate();
        return new TestResult(o.delivered(), o.status(), o.error(), o.duration());
    }

    // ---- events

    /** Delivers {@code e} to every subscription that wants it, in the background. Never blocks; never throws. */
    public void publish(WebhookEvent e) {
        try {
            scheduler.execute(() -> {
                for (Subscription s : subscriptions()) {
                    if (s.wants(e)) {
                        deliveries.start(s, e);
                    }
                }
            });
        } catch (RejectedExecutionException closing) {
            log.debug("webhooks stopped: event {} dropped", e.id());
        }
    }

    /**
     * The replication lag of a streaming database, as last seen: each subscription to {@code database.lag_exceeded}
     * gets one event when the lag rises above its threshold, and another only after it has fallen back below.
     *
     * @param bytes the slot's lag in bytes; negative when unknown
     */
    public void observeLag(UUID databaseId, String databaseName, long bytes, Duration lag) {
        for (Subscription s : subscriptions()) {
            if (!s.wants(EventType.DATABASE_LAG_EXCEEDED, null, databaseId)) {
                continue;
            }
            long byteLimit = s.lagThresholdBytes() != null
                    ? s.lagThresholdBytes()
                    : s.lagThresholdSeconds() == null ? Subscription.DEFAULT_LAG_BYTES : Long.MAX_VALUE;
            long secondLimit = s.lagThresholdSeconds() != null
                    ? s.lagThresholdSeconds()
                    : s.lagThresholdBytes() == null ? Subscription.DEFAULT_LAG_SECONDS : Long.MAX_VALUE;
            boolean over = (bytes >= 0 && bytes > byteLimit) || lag.toSeconds() > secondLimit;
            String key = s.id() + "/" + databaseId;
            if (!over) {
                lagExceeded.remove(key);
            } else if (lagExceeded.add(key)) {
                WebhookEvent e = WebhookEvent.of(
                        EventType.DATABASE_LAG_EXCEEDED,
                        clock.instant(),
                        WebhookEvent.fields(
                                "database_id",
                                databaseId.toString(),
                                "database_name",
                                databaseName,
                                "lag_bytes",
                                bytes < 0 ? null : bytes,
                                "lag_seconds",
                                lag.toSeconds(),
                                "threshold_bytes",
                                byteLimit == Long.MAX_VALUE ? null : byteLimit,
                                "threshold_seconds",
                                secondLimit == Long.MAX_VALUE ? null : secondLimit),
                        null,
                        databaseId);
                try {
                    scheduler.execute(() -> deliveries.start(s, e));
                } catch (RejectedExecutionException closing) {
                    return;
                }
            }
        }
    }

    private List<Subscription> subscriptions() {
        List<Subscription> c = cached;
        if (c != null && System.nanoTime() - cachedAtNanos < CACHE_FOR.toNanos()) {
            return c;
        }
        try {
            c = table.list();
        } catch (SQLException e) {
            log.warn("webhooks: cannot read the subscriptions: {}", e.getMessage());
            return c == null ? List.of() : c;
        }
        cached = c;
        cachedAtNanos = System.nanoTime();
        return c;
    }

    private void invalidate() {
        cached = null;
    }

    /** Stops sending; retries not yet made are dropped. */
    @Override
    public void close() {
        scheduler.shutdownNow();
        deliveries.close();
    }
}
