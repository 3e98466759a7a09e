package dev.sluice.testkit.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.core.Position;
import dev.sluice.core.Ticker;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.testkit.TestMessages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The conformance suite every sink runs against its real peer: what the engine relies on, checked the same way for
 * each sink. A sink module gets it by extending this class in one IT and handing over a {@link SinkHarness}:
 *
 * <pre>{@code
 * class KafkaConformanceIT extends SinkConformance<KafkaConfig> {
 *     @Override
 *     protected SinkHarness<KafkaConfig> harness() {
 *         return new KafkaHarness(); // starts TestKafka, makes topics, reads them back
 *     }
 * }
 * }</pre>
 *
 * <p>The tests drive the sink as the engine does ({@link EngineLikeDelivery}): concurrent lanes of batches, one
 * batch in flight per group, a failed batch delivered again later unchanged (after a partial failure, only the
 * messages to retry), and read back what arrived at the peer:
 *
 * <ul>
 *   <li><b>order per group</b>: many groups, several batches in flight, each group's messages in order at the peer,
 *       once each;
 *   <li><b>peer stopped and restarted mid-stream</b>: deliveries fail while it is down and go through once it is
 *       back; nothing is lost and each group's order holds (at least once: copies may arrive, an older message never
 *       ends up after a newer one);
 *   <li><b>an oversized message</b> (where the peer has a size limit): a visible, non-retriable rejection of that
 *       message, while the others of its batch and the next batches flow;
 *   <li><b>check</b>: OK against the running peer, UNREACHABLE with the peer stopped and with a closed port,
 *       UNAUTHORIZED with bad credentials (where the peer takes credentials);
 *   <li>throughout: no failure message and no check detail shows a secret of the configuration.
 * </ul>
 *
 * <p>That secrets are masked in API responses and exports is the server's part: its {@code SinkSecretsIT} runs over
 * every installed provider. What is specific to one sink (compression byte-exactness, FIFO deduplication, a peer's
 * request limits, …) stays in that module's own ITs.
 *
 * @param <C> the provider's configuration type
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class SinkConformance<C> {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(3);

    private final AtomicLong lsn = new AtomicLong(1_000);
    private final AtomicInteger destinations = new AtomicInteger();
    private final List<Sink> sinks = new ArrayList<>();
    private SinkHarness<C> harness;
    private SinkProvider<C> provider;

    /** The module's harness; called once, before the first test. */
    protected abstract SinkHarness<C> harness();

    @BeforeAll
    final void startPeer() throws Exception {
        harness = harness();
        provider = harness.provider();
        harness.start();
    }

    @AfterAll
    final void stopPeer() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    @AfterEach
    final void closeSinks() {
        sinks.forEach(Sink::close);
        sinks.clear();
    }

    @Test
    void deliver_manyGroupsWithBatchesInFlight_keepsEachGroupsOrderAtThePeer() throws Exception {
        Destination d = newDestination("order");
        Lanes lanes = new Lanes(4, 5, 6, 3);
        EngineLikeDelivery delivery = new EngineLikeDelivery(started(d.config(), lanes.batchSize()), WAIT);

        delivery.lanes(lanes.batches()).get(WAIT.toSeconds(), TimeUnit.SECONDS);

        assertThat(delivery.failures()).as("failures against a running peer").isEmpty();
        GroupOrder.of(arrived(d, lanes.messages())).assertExactly(lanes.sent());
    }

    @Test
    void deliver_peerStoppedAndRestartedMidStream_losesNothingAndKeepsEachGroupsOrder() throws Exception {
        Destination d = newDestination("restart");
        Lanes lanes = new Lanes(3, 4, 9, 4);
        EngineLikeDelivery delivery = new EngineLikeDelivery(started(d.config(), lanes.batchSize()), WAIT);

        // Each lane delivers a third of its batches, then holds until the peer is down, then goes on.
        CompletableFuture<Void> peerDown = new CompletableFuture<>();
        CompletableFuture<Void> done = delivery.lanes(lanes.batches(), 3, peerDown);
        await().atMost(WAIT)
                .until(() -> delivery.batchesDone() == 3 * lanes.batches().size());
        harness.stopPeer();
        try {
            peerDown.complete(null);
            // Down until the deliveries noticed: failures reported while it is stopped.
            await().atMost(WAIT).until(() -> !delivery.failures().isEmpty());
        } finally {
            harness.restartPeer();
        }
        done.get(WAIT.toSeconds(), TimeUnit.SECONDS);

        assertThat(delivery.failures())
                .allSatisfy(e -> assertThat(e.retriable())
                        .as("a failure while the peer is down is retriable: %s", e.getMessage())
                        .isTrue());
        assertThat(delivery.rejected()).isEmpty();
        assertNoSecrets(d.config(), delivery.failures().stream().map(Throwable::getMessage));
        GroupOrder.of(arrived(d, lanes.messages())).assertAtLeastOnceInOrder(lanes.sent());
    }

    @Test
    void deliver_oversizedMessage_isRejectedVisiblyWhileTheRestFlows() throws Exception {
        OptionalInt oversized = harness.oversizedBytes();
        assumeTrue(oversized.isPresent(), "the peer has no size limit a message can hit");
        Destination d = newDestination("oversized");
        List<SinkMessage> first = List.of(
                message("a", 0, ""),
                message("a", 1, ""),
                message("a", 2, "x".repeat(oversized.getAsInt())),
                message("a", 3, ""),
                message("b", 0, ""));
        Batch next = new Batch(List.of(message("a", 4, ""), message("b", 1, "")));
        EngineLikeDelivery delivery = new EngineLikeDelivery(started(d.config(), first.size()), WAIT);

        delivery.deliver(new Batch(first)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        delivery.deliver(next).get(WAIT.toSeconds(), TimeUnit.SECONDS);

        assertThat(delivery.rejected()).as("rejected for good").containsExactly(first.get(2));
        SinkException failure = delivery.failures().getFirst();
        assertThat(failure.rejected(2)).as("the oversized message is rejected").isTrue();
        assertThat(failure.retriable() && !failure.isPartial())
                .as("not a retriable failure of the whole batch: %s", failure.getMessage())
                .isFalse();
        assertThat(failure.getMessage()).as("a visible reason").isNotBlank();
        assertNoSecrets(d.config(), delivery.failures().stream().map(Throwable::getMessage));
        Map<String, List<Long>> expected = new LinkedHashMap<>();
        expected.put("a", List.of(0L, 1L, 3L, 4L));
        expected.put("b", List.of(0L, 1L));
        GroupOrder.of(arrived(d, 6)).assertLastCopiesInOrder(expected);
    }

    @Test
    void check_runningPeer_isOk() throws Exception {
        Destination d = newDestination("check");
        assertThat(check(d.config())).isEqualTo(CheckResult.OK);
    }

    @Test
    void check_stoppedPeer_isUnreachable() throws Exception {
        Destination d = newDestination("stopped");
        harness.stopPeer();
        CheckResult result;
        try {
            result = check(d.config());
        } finally {
            harness.restartPeer();
        }
        assertThat(result.status()).as(String.valueOf(result.detail())).isEqualTo(CheckResult.Status.UNREACHABLE);
        assertNoSecrets(d.config(), java.util.stream.Stream.of(result.detail()));
    }

    @Test
    void check_closedPort_isUnreachable() throws Exception {
        ConfigValues values = harness.unreachable();
        CheckResult result = check(values);
        assertThat(result.status()).as(String.valueOf(result.detail())).isEqualTo(CheckResult.Status.UNREACHABLE);
        assertThat(result.detail()).isNotBlank();
        assertNoSecrets(values, java.util.stream.Stream.of(result.detail()));
    }

    @Test
    void check_badCredentials_isUnauthorized() throws Exception {
        Destination d = newDestination("badauth");
        Optional<ConfigValues> bad = harness.badCredentials(d);
        assumeTrue(bad.isPresent(), "the peer takes no credentials");
        CheckResult result = check(bad.get());
        assertThat(result.status()).as(String.valueOf(result.detail())).isEqualTo(CheckResult.Status.UNAUTHORIZED);
        assertNoSecrets(bad.get(), java.util.stream.Stream.of(result.detail()));
    }

    // ---- helpers

    private Destination newDestination(String purpose) throws Exception {
        return harness.newDestination("conf-" + purpose + "-" + destinations.incrementAndGet());
    }

    private List<List<String>> arrived(Destination d, int atLeast) throws Exception {
        try {
            return harness.arrived(d, atLeast);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(
                    "fewer than " + atLeast + " messages arrived at " + d.name() + ": some were lost", e);
        }
    }

    private C configured(ConfigValues values) {
        return provider.configure(values).orThrow();
    }

    private Sink started(ConfigValues values, int batchSize) {
        SinkContext context = new SinkContext("conformance", "conformance", batchSize, Ticker.SYSTEM);
        Sink sink = provider.create(configured(values), context);
        sinks.add(sink);
        sink.start(context);
        return sink;
    }

    private CheckResult check(ConfigValues values) throws InterruptedException {
        long start = System.nanoTime();
        CheckResult result = provider.check(configured(values), CHECK_TIMEOUT);
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .as("check returns within about its timeout")
                .isLessThan(CHECK_TIMEOUT.multipliedBy(5));
        return result;
    }

    private SinkMessage message(String group, long seq, String padding) {
        return TestMessages.sequenced(group, seq, new Position(lsn.incrementAndGet(), 0), padding);
    }

    /** No text shows the value of a secret field of {@code values}. */
    private static void assertNoSecrets(ConfigValues values, java.util.stream.Stream<String> texts) {
        List<String> secrets = new ArrayList<>();
        for (String name : values.schema().secretNames()) {
            if (values.asMap().get(name) instanceof String s && !s.isEmpty()) {
                secrets.add(s);
            }
        }
        texts.filter(java.util.Objects::nonNull).forEach(text -> {
            for (String secret : secrets) {
                assertThat(text).as("shows no secret").doesNotContain(secret);
            }
        });
    }

    /**
     * Lanes of batches as the engine makes them: lane {@code l} owns groups {@code l-0 .. l-(groups-1)}; its batch
     * {@code b} holds, for each of them, sequence numbers {@code b*perGroup .. b*perGroup + perGroup - 1}, groups
     * interleaved.
     */
    private final class Lanes {
        private final List<List<Batch>> batches = new ArrayList<>();
        private final Map<String, Integer> sent = new LinkedHashMap<>();
        private final int batchSize;

        Lanes(int lanes, int groups, int batchesPerLane, int perGroup) {
            this.batchSize = groups * perGroup;
            for (int l = 0; l < lanes; l++) {
                List<Batch> lane = new ArrayList<>();
                for (int b = 0; b < batchesPerLane; b++) {
                    List<SinkMessage> messages = new ArrayList<>();
                    for (int i = 0; i < perGroup; i++) {
                        for (int g = 0; g < groups; g++) {
                            messages.add(message("lane" + l + "-" + g, (long) b * perGroup + i, ""));
                        }
                    }
                    lane.add(new Batch(messages));
                }
                batches.add(lane);
                for (int g = 0; g < groups; g++) {
                    sent.put("lane" + l + "-" + g, batchesPerLane * perGroup);
                }
            }
        }

        List<List<Batch>> batches() {
            return batches;
        }

        Map<String, Integer> sent() {
            return sent;
        }

        int batchSize() {
            return batchSize;
        }

        int messages() {
            return sent.values().stream().mapToInt(Integer::intValue).sum();
        }
    }
}
