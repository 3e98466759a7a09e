package dev.sluice.sink.s2;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.BlockingSender;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.RouteCache;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * Appends each message of a batch as one record to an S2 stream: the record's body is the message JSON, with no
 * headers, as Sequin sends it. A batch goes in appends of at most {@value S2Api#MAX_RECORDS} records and 1 MiB of
 * metered bytes (S2's limits), sent one after the other in batch order.
 *
 * <p>Order and failure:
 *
 * <ul>
 *   <li>An append is atomic and a stream keeps the order of acknowledged appends, so sending them one at a time keeps
 *       the batch's order. When one fails, it and every later one are left to retry; the earlier ones are
 *       delivered.
 *   <li>A message whose record is over 1 MiB of metered bytes ({@code 8 + body}) is rejected before sending ({@link
 *       SinkException#partial}), while the others go.
 *   <li>An append S2 finds invalid ({@code 400}, {@code 413}, {@code 422}) is sent again one record at a time, so
 *       that only the record at fault is rejected.
 *   <li>Any other failure (no answer, {@code 401}/{@code 403}, {@code 404}, {@code 408}, {@code 409}, {@code 429},
 *       {@code 5xx}) is retriable. A request that timed out may have been appended: the retry appends it again (at
 *       least once, in order).
 * </ul>
 *
 * <p>Routing: a batch's {@linkplain Batch#routing() routing} may set {@code basin} and {@code stream}, checked as the
 * configured ones are; an invalid value fails the batch, retriably.
 *
 * <p>Concurrency: thread-safe; each delivery runs on a virtual thread of its own.
 */
public final class S2Sink implements Sink {
    static final String BASIN = "basin";
    static final String STREAM = "stream";

    /** Metered bytes of a record without headers, besides its body (S2's formula: {@code 8 + 2 * headers + ...}). */
    static final int RECORD_OVERHEAD = 8;

    private final S2Config config;
    private final S2Api api;
    private final S2Api.Target target;
    private final RouteCache<S2Api.Target> routed = new RouteCache<>(64);
    private final BlockingSender sender;

    /** Creates the sink and its HTTP client; nothing is sent until the first delivery. */
    public S2Sink(S2Config config) {
        this.config = config;
        this.api = new S2Api(config);
        this.target = S2Api.Target.of(config, config.basin(), config.stream());
        this.sender = new BlockingSender(target.where(), "s2-sink-");
    }

    /** The configuration this sink was created with. */
    public S2Config config() {
        return config;
    }

    /**
     * Appends the batch's records. The stage completes normally once S2 acknowledged every append, or exceptionally
     * with a {@link SinkException}: for the whole batch, or {@linkplain SinkException#partial partial}. Never blocks.
     */
    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        S2Api.Target to;
        try {
            to = targetOf(batch.routing());
        } catch (SinkException e) {
            return CompletableFuture.failedFuture(e);
        }
        return sender.submit(() -> send(batch.messages(), to));
    }

    /** Stops taking deliveries and closes the HTTP client. */
    @Override
    public void close() {
        sender.close();
        api.close();
    }

    /** {@link S2Provider#check}: a check-tail of the configured stream. */
    static CheckResult probe(S2Config config, Duration timeout) {
        try (S2Api api = new S2Api(config)) {
            return api.checkTail(S2Api.Target.of(config, config.basin(), config.stream()), timeout);
        }
    }

    private S2Api.Target targetOf(@Nullable Map<String, Object> routing) {
        if (routing == null || !(routing.containsKey(BASIN) || routing.containsKey(STREAM))) {
            return target;
        }
        String basin = routing.containsKey(BASIN) ? checked(routing, BASIN) : config.basin();
        String stream = routing.containsKey(STREAM) ? checked(routing, STREAM) : config.stream();
        // A basin never holds '/', so the pair is one unique key.
        return routed.get(basin + "/" + stream, k -> S2Api.Target.of(config, basin, stream));
    }

    private static String checked(Map<String, Object> routing, String key) {
        Object v = routing.get(key);
        if (!(v instanceof String s)) {
            throw SinkException.invalidRouting(key, v, "must be a string" + (v == null ? ", not null" : ""));
        }
        String problem = key.equals(BASIN) ? S2Config.basinProblem(s) : S2Config.streamProblem(s);
        if (problem != null) {
            throw SinkException.invalidRouting(key, s, problem);
        }
        return s;
    }

    // ---- sending (on a virtual thread) ----

    private void send(List<SinkMessage> messages, S2Api.Target to) {
        int n = messages.size();
        BitSet rejected = new BitSet(n);
        BitSet retry = new BitSet(n);
        String firstRejection = null;
        List<int[]> appends = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < n; i++) {
            long metered = RECORD_OVERHEAD + (long) messages.get(i).json().length;
            if (metered > S2Api.MAX_METERED_BYTES) {
                rejected.set(i);
                if (firstRejection == null) {
                    firstRejection = "message " + messages.get(i).idempotencyKey() + " is " + metered
                            + " metered bytes as a record, over S2's limit of " + S2Api.MAX_METERED_BYTES;
                }
                continue;
            }
            if (current.size() == S2Api.MAX_RECORDS || bytes + metered > S2Api.MAX_METERED_BYTES) {
                appends.add(indexes(current));
                current.clear();
                bytes = 0;
            }
            current.add(i);
            bytes += metered;
        }
        if (!current.isEmpty()) {
            appends.add(indexes(current));
        }
        String failure = null;
        for (int a = 0; a < appends.size() && failure == null; a++) {
            Outcome outcome = append(messages, to, appends.get(a), rejected);
            if (outcome.failure() != null) {
                failure = outcome.failure();
                for (int b = a; b < appends.size(); b++) {
                    for (int i : appends.get(b)) {
                        if (i >= outcome.firstUnsent() && !rejected.get(i)) {
                            retry.set(i);
                        }
                    }
                }
            } else if (outcome.rejection() != null && firstRejection == null) {
                firstRejection = outcome.rejection();
            }
        }
        if (retry.isEmpty() && rejected.isEmpty()) {
            return;
        }
        if (rejected.isEmpty() && retry.cardinality() == n) {
            throw new SinkException(to.where() + ": " + failure, true);
        }
        String reason = failure != null ? failure : firstRejection;
        throw SinkException.partial(
                to.where() + ": " + reason + " (" + retry.cardinality() + " of " + n + " messages to retry, "
                        + rejected.cardinality() + " rejected)",
                retry,
                rejected);
    }

    /**
     * How one append went: a retriable failure (with the index of the first message not appended: it and the later
     * ones are left to retry), or appended with some records rejected (an invalid append sent again record by record).
     */
    private record Outcome(
            @Nullable String failure,
            int firstUnsent,
            @Nullable String rejection) {
        static final Outcome APPENDED = new Outcome(null, Integer.MAX_VALUE, null);
    }

    private Outcome append(List<SinkMessage> messages, S2Api.Target to, int[] indexes, BitSet rejected) {
        S2Api.Reply reply;
        try {
            reply = api.append(to, bodies(messages, indexes));
        } catch (IOException e) {
            return new Outcome(S2Api.describe(e), indexes[0], null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome("interrupted", indexes[0], null);
        }
        if (reply.ok()) {
            return Outcome.APPENDED;
        }
        if (!reply.invalid()) {
            return new Outcome(reply.describe(), indexes[0], null);
        }
        if (indexes.length == 1) {
            rejected.set(indexes[0]);
            return new Outcome(
                    null,
                    Integer.MAX_VALUE,
                    "message " + messages.get(indexes[0]).idempotencyKey() + " refused: " + reply.describe());
        }
        String rejection = null;
        for (int i : indexes) { // find the record at fault, keeping the order
            Outcome single = append(messages, to, new int[] {i}, rejected);
            if (single.failure() != null) {
                return single;
            }
            if (rejection == null) {
                rejection = single.rejection();
            }
        }
        return new Outcome(null, Integer.MAX_VALUE, rejection);
    }

    private static List<byte[]> bodies(List<SinkMessage> messages, int[] indexes) {
        List<byte[]> out = new ArrayList<>(indexes.length);
        for (int i : indexes) {
            out.add(messages.get(i).json());
        }
        return out;
    }

    private static int[] indexes(List<Integer> list) {
        return list.stream().mapToInt(Integer::intValue).toArray();
    }
}
