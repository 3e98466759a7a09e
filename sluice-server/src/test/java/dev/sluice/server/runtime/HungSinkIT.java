package dev.sluice.server.runtime;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static dev.sluice.server.fixture.ServerFixture.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.engine.SinkSpec;
import dev.sluice.server.fixture.Messages;
import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.server.fixture.Slot;
import dev.sluice.server.fixture.SluiceYaml;
import dev.sluice.testkit.FaultProxy;
import dev.sluice.testkit.WebhookReceiver;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * The webhook's peer accepts connections and never answers, for 20 s, while 2,000 changes over 200 rows are written.
 * A {@link FaultProxy} between the sink and the receiver holds every byte and counts the connections the sink keeps
 * open. Requests time out and are retried, timed-out connections are closed rather than piling up, the JVM's
 * platform threads do not grow, and once the peer answers again every change arrives, each row's in order.
 */
class HungSinkIT {
    private static final Duration HANG = Duration.ofSeconds(20);
    private static final Duration HANG_GRACE = Duration.ofSeconds(40);
    private static final int ROWS = 200;
    private static final int ROUNDS = 10; // an insert and nine updates per row: 2,000 changes
    private static final Duration ROUND_EVERY = Duration.ofMillis(300);
    private static final int WARM_UP_ROWS = 100;
    // A retry's new connection may be accepted before the close of a timed-out one reaches the proxy.
    private static final int CONNECTION_SLACK = 4;
    // Platform threads that may come and go on their own (JDBC, the API server, carrier threads of virtual threads).
    private static final int THREAD_SLACK = 8;

    @RegisterExtension
    final ServerFixture sluice = new ServerFixture();

    private String db;
    private Slot slot;
    private WebhookReceiver receiver;
    private FaultProxy proxy;

    @BeforeEach
    void setUp() {
        db = sluice.database("hung", "CREATE TABLE events (id int PRIMARY KEY, seq int NOT NULL)");
        slot = sluice.slot(db);
        receiver = sluice.receiver();
        proxy = sluice.closeAfter(FaultProxy.start("127.0.0.1", receiver.port()));
    }

    @Test
    void hungPeerTimesOutAndIsRetriedWithoutPilingUpConnectionsOrThreadsThenEveryChangeArrivesInOrder()
            throws Exception {
        // A short back-off cap keeps the outage probes coming within the hang (the default cap is 30 s).
        URI viaProxy = URI.create("http://127.0.0.1:" + proxy.port() + "/");
        String yaml = SluiceYaml.webhook(
                SluiceYaml.hostConnection(PG.port(), db),
                slot.name(),
                viaProxy,
                "request_timeout_ms: 300",
                "batch_size: 5\nretry_backoff_ms: 200\nmax_retry_backoff_ms: 1000");
        sluice.start(yaml);
        sluice.closeAfter(proxy::restore); // before the server stops: a silent path would hold up its shutdown
        sluice.awaitStreaming();

        // Warm up: the client's connection pool and the threads of normal delivery exist before the baseline.
        List<String> written = new ArrayList<>();
        PG.execute(
                db,
                "INSERT INTO events SELECT g, 0 FROM generate_series(" + ROWS + ", " + (ROWS + WARM_UP_ROWS - 1)
                        + ") g");
        for (int id = ROWS; id < ROWS + WARM_UP_ROWS; id++) {
            written.add(id + ":0");
        }
        awaitDistinct(written.size());
        slot.awaitCaughtUp(); // every warm-up delivery answered and acknowledged: delivery is idle
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        int threadsBefore = threads.getThreadCount();
        threads.resetPeakThreadCount();
        int openBefore = proxy.openClientConnections();
        long acceptedBefore = proxy.acceptedCount();

        proxy.blackhole();
        long hangStart = System.nanoTime();
        long hangEnd = hangStart + HANG.toNanos();
        int round = 0;
        int maxThreads = threadsBefore;
        long acceptedAtHalf = -1;
        String lastErrorInHang = null;
        // The hang lasts HANG, and longer (up to HANG_GRACE) until the client has closed more timed-out connections
        // than were ever open at once: on a loaded machine the retries come slower, and the window is what the
        // assertions below need, not a clock.
        long graceEnd = hangEnd + HANG_GRACE.toNanos();
        while (System.nanoTime() < hangEnd
                || (System.nanoTime() < graceEnd
                        && openBefore + (proxy.acceptedCount() - acceptedBefore) - proxy.openClientConnections()
                                <= proxy.maxOpenClientConnections())) {
            long now = System.nanoTime();
            if (round < ROUNDS && now - hangStart >= round * ROUND_EVERY.toNanos()) {
                PG.execute(
                        db,
                        round == 0
                                ? "INSERT INTO events SELECT g, 0 FROM generate_series(0, " + (ROWS - 1) + ") g"
                                : "UPDATE events SET seq = " + round + " WHERE id < " + ROWS);
                for (int id = 0; id < ROWS; id++) {
                    written.add(id + ":" + round);
                }
                round++;
            }
            if (acceptedAtHalf < 0 && now - hangStart >= HANG.toNanos() / 2) {
                acceptedAtHalf = proxy.acceptedCount();
            }
            maxThreads = Math.max(maxThreads, threads.getThreadCount());
            String error = sinkError();
            if (error != null) {
                lastErrorInHang = error;
            }
            Thread.sleep(50);
        }
        int openAtEnd = proxy.openClientConnections();
        int maxOpen = proxy.maxOpenClientConnections();
        long acceptedInHang = proxy.acceptedCount() - acceptedBefore;
        long acceptedSecondHalf = proxy.acceptedCount() - acceptedAtHalf;
        int threadsAtEnd = threads.getThreadCount();
        int peakThreads = threads.getPeakThreadCount();
        // Pooled connections from the warm-up carried the first requests; keep-alive outlasts the hang, so every
        // connection gone by now was closed by the client after a timeout.
        long closedInHang = openBefore + acceptedInHang - openAtEnd;
        int notDelivered = written.size() - distinctAccepted();
        proxy.restore();
        long restoredAt = System.nanoTime();

        // Printed: the measured figures are what this test reports (docs/delivery.md quotes them).
        System.out.printf(
                "[hung] connections: open before %d, max open %d (max in flight %d), open at the end %d, accepted"
                        + " during the hang %d (%d in its second half), closed during the hang %d; platform threads:"
                        + " before %d, max sampled %d, peak %d, at the end %d; undelivered at the end %d of %d; last"
                        + " error: %s%n",
                openBefore,
                maxOpen,
                SinkSpec.DEFAULT_MAX_IN_FLIGHT,
                openAtEnd,
                acceptedInHang,
                acceptedSecondHalf,
                closedInHang,
                threadsBefore,
                maxThreads,
                peakThreads,
                threadsAtEnd,
                notDelivered,
                written.size(),
                lastErrorInHang);

        // Nothing was delivered while the peer hung: the proxy carried no byte.
        assertThat(notDelivered).isEqualTo(ROWS * ROUNDS);
        // (1) Timed-out requests close their connections: never more open than batches in flight, plus slack.
        assertThat(maxOpen).isLessThanOrEqualTo(SinkSpec.DEFAULT_MAX_IN_FLIGHT + CONNECTION_SLACK);
        assertThat(openAtEnd).isLessThanOrEqualTo(1 + CONNECTION_SLACK);
        assertThat(closedInHang)
                .as("more connections closed over the hang than were ever open at once")
                .isGreaterThan(maxOpen);
        // (2) No thread per hung request.
        assertThat(maxThreads - threadsBefore).isLessThanOrEqualTo(THREAD_SLACK);
        assertThat(peakThreads - threadsBefore).isLessThanOrEqualTo(THREAD_SLACK);
        // (3) Requests kept being retried, each timing out.
        assertThat(acceptedSecondHalf).isGreaterThanOrEqualTo(3);
        assertThat(lastErrorInHang).contains("no response from").contains("300");

        // (4) Every change arrives once the peer answers; held requests of abandoned connections arrive too, as
        // copies with the same idempotency keys.
        awaitDistinct(written.size());
        long deliveredAfter = System.nanoTime() - restoredAt;
        slot.awaitCaughtUp(); // every copy still held by an abandoned connection has arrived
        List<JsonNode> all = receiver.acceptedMessages();
        System.out.printf(
                "[hung] every change delivered %d ms after the peer answered again; %d copies of %d changes%n",
                deliveredAfter / 1_000_000, all.size(), written.size());
        EventWriter.assertExactlyOnceInRowOrder(Messages.firstCopies(all), written);
        await().atMost(WAIT).until(() -> sinkError() == null);
        assertThat(proxy.openClientConnections()).isLessThanOrEqualTo(SinkSpec.DEFAULT_MAX_IN_FLIGHT);
    }

    private @Nullable String sinkError() {
        return sluice.server().status().getFirst().sinks().getFirst().lastError();
    }

    private int distinctAccepted() {
        return (int) Messages.distinct(receiver.acceptedMessages());
    }

    /** Waits until {@code n} distinct changes were accepted. */
    private void awaitDistinct(int n) {
        receiver.awaitAccepted(m -> Messages.distinct(m) >= n, WAIT, n + " distinct changes");
    }
}
