package dev.sluice.server.notify;

import dev.sluice.server.store.SecretBox;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends events to subscriptions and retries them.
 *
 * <p>State: none kept between attempts but the scheduled retries themselves (event body, subscription id, attempt
 * number); each attempt reads the subscription again, so a deleted or disabled one stops getting retries and a
 * rotated secret signs the next attempt. Pending retries are lost when the server stops.
 *
 * <p>Concurrency: attempts start on the {@code scheduler} (one thread, which also records outcomes in the store);
 * requests run asynchronously in the JDK client, so a slow endpoint holds no thread and no pipeline waits.
 *
 * <p>Failure: anything but a 2xx, an I/O error or a timeout is retried after {@link WebhookSettings#backoff} with
 * ±20% jitter, until {@link WebhookSettings#maxAttempts} or {@link WebhookSettings#maxAge} is reached.
 */
final class Deliveries implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Deliveries.class);
    static final String USER_AGENT = "Sluice-Webhooks/1.0";

    /** The outcome of one attempt. */
    record Outcome(
            boolean delivered,
            @Nullable Integer status,
            @Nullable String error,
            Duration duration) {}

    private final WebhookTable table;
    private final SecretBox secrets;
    private final WebhookSettings settings;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final HttpClient http;

    Deliveries(
            WebhookTable table,
            SecretBox secrets,
            WebhookSettings settings,
            Clock clock,
            ScheduledExecutorService scheduler) {
        this.table = table;
        this.secrets = secrets;
        this.settings = settings;
        this.clock = clock;
        this.scheduler = scheduler;
        this.http = HttpClient.newBuilder()
                .connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** Makes the first attempt of {@code e} to {@code s}; on the scheduler thread. */
    void start(Subscription s, WebhookEvent e) {
        attempt(s.id(), e, e.body(), 1);
    }

    private void attempt(UUID id, WebhookEvent e, byte[] body, int n) {
        Subscription s;
        try {
            s = table.get(id);
        } catch (SQLException x) {
            log.warn("webhook {}: cannot read the subscription: {}", Subscription.publicId(id), x.getMessage());
            retry(id, null, e, body, n, "cannot read the subscription: " + x.getMessage());
            return;
        }
        if (s == null || !s.enabled()) {
            return; // deleted or disabled meanwhile
        }
        Instant at = clock.instant();
        send(s, e, body, at).whenComplete((o, x) -> {
            try {
                scheduler.execute(() -> {
                    record(s, e, o, at);
                    if (!o.delivered()) {
                        retry(id, s, e, body, n, o.error());
                    }
                });
            } catch (RejectedExecutionException closing) {
                // stopping: the outcome and any retry are lost, as documented
            }
        });
    }

    private void retry(UUID id, @Nullable Subscription s, WebhookEvent e, byte[] body, int n, @Nullable String error) {
        String name = s == null ? Subscription.publicId(id) : s.name();
        if (n >= settings.maxAttempts()) {
            log.warn(
                    "webhook {}: event {} ({}) not delivered after {} attempts: {}",
                    name,
                    e.id(),
                    e.type().wireName(),
                    n,
                    error);
            return;
        }
        Duration base = settings.backoff(n);
        long jittered = (long) (base.toMillis() * ThreadLocalRandom.current().nextDouble(0.8, 1.2));
        Duration delay =
                Duration.ofMillis(Math.min(jittered, settings.maxBackoff().toMillis()));
        if (clock.instant().plus(delay).isAfter(e.createdAt().plus(settings.maxAge()))) {
            log.warn(
                    "webhook {}: event {} ({}) not delivered within {}: {}",
                    name,
                    e.id(),
                    e.type().wireName(),
                    settings.maxAge(),
                    error);
            return;
        }
        try {
            scheduler.schedule(() -> attempt(id, e, body, n + 1), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // stopping: lost, as documented
        }
    }

    /** One attempt, now: for {@code POST /api/webhooks/{id}/test}; records its outcome, never retries. */
    Outcome once(Subscription s, WebhookEvent e) {
        Instant at = clock.instant();
        Outcome o = send(s, e, e.body(), at).join();
        record(s, e, o, at);
        return o;
    }

    private CompletableFuture<Outcome> send(Subscription s, WebhookEvent e, byte[] body, Instant at) {
        long started = System.nanoTime();
        HttpRequest request;
        try {
            String secret = secrets.decrypt(s.secretSealed());
            request = HttpRequest.newBuilder(URI.create(s.url()))
                    .timeout(settings.timeout())
                    .header("Content-Type", "application/json")
                    .header("User-Agent", USER_AGENT)
                    .header("Sluice-Event-Id", e.id())
                    .header("Sluice-Event-Type", e.type().wireName())
                    .header("Sluice-Signature", WebhookSignature.header(at.getEpochSecond(), body, secret))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build();
        } catch (RuntimeException x) {
            return CompletableFuture.completedFuture(
                    new Outcome(false, null, "cannot build the request: " + x.getMessage(), Duration.ZERO));
        }
        return http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).handle((r, x) -> {
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            if (x != null) {
                return new Outcome(false, null, describe(x, request.uri()), took);
            }
            int status = r.statusCode();
            boolean ok = status >= 200 && status < 300;
            return new Outcome(ok, status, ok ? null : "the endpoint answered HTTP " + status, took);
        });
    }

    private String describe(Throwable x, URI uri) {
        while (x instanceof CompletionException && x.getCause() != null) {
            x = x.getCause();
        }
        String where = uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
        if (x instanceof HttpTimeoutException) {
            return "no answer from " + where + " within " + settings.timeout().toSeconds() + " s";
        }
        if (x instanceof ConnectException) {
            return "cannot connect to " + where + " (connection refused or unreachable)";
        }
        if (x instanceof IOException) {
            return "I/O error talking to " + where + ": " + (x.getMessage() == null ? x.toString() : x.getMessage());
        }
        return x.toString();
    }

    private void record(Subscription s, WebhookEvent e, Outcome o, Instant at) {
        try {
            table.delivered(s.id(), new Subscription.LastDelivery(at, e.type().wireName(), o.status(), o.error()));
        } catch (SQLException x) {
            log.warn("webhook {}: cannot record the delivery of {}: {}", s.name(), e.id(), x.getMessage());
        }
    }

    @Override
    public void close() {
        http.shutdownNow();
    }
}
