package dev.sluice.engine.queue;

import dev.sluice.core.Ticker;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.engine.DeliveryTrace;
import dev.sluice.engine.MessageFunctions;
import dev.sluice.engine.MessageFunctions.Outcome;
import dev.sluice.engine.PipelineMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * Hands one dispatched batch to the sink, through the sink's functions when it has any: messages the filter rejects
 * are done without being sent, a message a function failed on fails (and the rest of its group in this batch waits
 * for it), and the others go out in one request per routing, one request after the other so that each group's
 * messages still arrive in order.
 *
 * <p>The outcome is that of the batch as {@link Outcomes} reads it: normal when every message was delivered or
 * filtered out, otherwise a {@link SinkException#partial} naming the failed messages by their index in the batch.
 *
 * <p>While someone watches the sink ({@link PipelineMetrics#trace}, asked once per batch), each request goes through
 * {@link dev.sluice.core.sink.Sink#deliverTraced} and the watcher is told of it; otherwise nothing changes.
 *
 * <p>Runs on the dispatcher's thread (functions and request building), then on the sink's completion threads.
 */
final class Delivery {
    private static final int MAX_REASON = 2_000;
    // The route of messages without routing, as a map key.
    private static final Object NO_ROUTING = new Object();

    private final QueueConfig config;
    private final @Nullable DeliveryTrace trace;
    private final Ticker ticker;
    private final List<Msg> msgs;
    private final List<SinkMessage> messages;
    // Requests in sending order: indexes into msgs, all with the same routing.
    private final List<List<Integer>> requests = new ArrayList<>();
    private final BitSet retry = new BitSet();
    private final BitSet rejected = new BitSet();
    private final Set<String> reasons = new LinkedHashSet<>();
    // Groups with a failed message in this batch: their later messages are not sent.
    private final Set<Object> blocked = new HashSet<>();

    private Delivery(
            QueueConfig config,
            @Nullable DeliveryTrace trace,
            Ticker ticker,
            List<Msg> msgs,
            List<SinkMessage> messages) {
        this.config = config;
        this.trace = trace;
        this.ticker = ticker;
        this.msgs = msgs;
        this.messages = messages;
    }

    /** Delivers {@code msgs} (a dispatched batch, in its order) to the config's sink, remembering them in {@code recent}. */
    static CompletionStage<Void> deliver(
            QueueConfig c, List<Msg> msgs, PipelineMetrics metrics, RecentMessages recent, Ticker ticker) {
        List<SinkMessage> messages = new ArrayList<>(msgs.size());
        List<byte[]> jsons;
        try {
            jsons = c.jsons(msgs);
        } catch (Exception e) {
            return CompletableFuture.failedFuture(new SinkException(
                    "cannot read unchanged TOAST values from the source (reselect_unchanged_toast): " + e, true, e));
        }
        for (int i = 0; i < msgs.size(); i++) {
            Msg m = msgs.get(i);
            m.sentBytes = jsons.get(i).length;
            messages.add(new SinkMessage(m.position, m.table, m.action, m.committedAt, jsons.get(i), m.groupId, m.key));
        }
        recent.add(jsons);
        DeliveryTrace trace = metrics.trace(c.spec().name());
        MessageFunctions functions = c.spec().functions();
        if (functions == MessageFunctions.NONE) {
            return send(c, new Batch(messages), trace, ticker);
        }
        Delivery d = new Delivery(c, trace, ticker, msgs, messages);
        int filtered = d.apply(functions);
        if (filtered > 0) {
            metrics.filtered(c.spec().name(), filtered);
        }
        return d.next(0);
    }

    private static CompletionStage<Void> send(
            QueueConfig c, Batch batch, @Nullable DeliveryTrace trace, Ticker ticker) {
        try {
            return trace == null ? c.sink().deliver(batch) : traced(c, batch, trace, ticker);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Sends through {@link dev.sluice.core.sink.Sink#deliverTraced} and tells {@code trace}; a failing trace is ignored. */
    private static CompletionStage<Void> traced(QueueConfig c, Batch batch, DeliveryTrace trace, Ticker ticker) {
        long start = ticker.nanos();
        return c.sink().deliverTraced(batch).handle((exchange, error) -> {
            Throwable cause =
                    error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            try {
                trace.delivered(batch, exchange, cause, Duration.ofNanos(ticker.nanos() - start));
            } catch (RuntimeException e) {
                // A watcher's bug must not change the delivery's outcome.
            }
            if (cause != null) {
                throw cause instanceof RuntimeException r ? r : new CompletionException(cause);
            }
            return null;
        });
    }

    /** Runs the functions and plans the requests; returns how many messages the filter rejected. */
    private int apply(MessageFunctions functions) {
        List<Outcome> outcomes;
        try {
            outcomes = functions.apply(messages);
            if (outcomes.size() != messages.size()) {
                throw new IllegalStateException(
                        "functions returned " + outcomes.size() + " outcomes for " + messages.size() + " messages");
            }
        } catch (RuntimeException e) {
            outcomes = new ArrayList<>();
            for (int i = 0; i < messages.size(); i++) {
                outcomes.add(new Outcome.Failed("functions failed: " + e));
            }
        }
        int filtered = 0;
        // A routing's current request, and per group the last request holding one of its messages: a message joins
        // its routing's request only if no earlier message of its group goes in a later one.
        Map<Object, Integer> requestOfRoute = new HashMap<>();
        Map<Object, Integer> lastOfGroup = new HashMap<>();
        for (int i = 0; i < messages.size(); i++) {
            Object group = group(i);
            if (group != null && blocked.contains(group)) {
                retry.set(i);
                continue;
            }
            switch (outcomes.get(i)) {
                case Outcome.Skip s -> filtered++;
                case Outcome.Failed f -> fail(i, f.reason(), true);
                case Outcome.Send s -> {
                    messages.set(i, messages.get(i).with(s.json(), s.routing()));
                    Object route = s.routing() == null ? NO_ROUTING : s.routing();
                    Integer r = requestOfRoute.get(route);
                    Integer last = group == null ? null : lastOfGroup.get(group);
                    if (r == null || (last != null && last > r)) {
                        r = requests.size();
                        requests.add(new ArrayList<>());
                        requestOfRoute.put(route, r);
                    }
                    requests.get(r).add(i);
                    if (group != null) {
                        lastOfGroup.put(group, r);
                    }
                }
            }
        }
        return filtered;
    }

    private @Nullable Object group(int i) {
        Msg m = msgs.get(i);
        return config.key(m);
    }

    private void fail(int i, String reason, boolean retriable) {
        (retriable ? retry : rejected).set(i);
        reasons.add(reason);
        Object group = group(i);
        if (group != null) {
            blocked.add(group);
        }
    }

    /** Sends request {@code k} and those after it, one at a time. */
    private CompletionStage<Void> next(int k) {
        if (k == requests.size()) {
            return outcome();
        }
        List<Integer> planned = requests.get(k);
        List<Integer> indexes = new ArrayList<>(planned.size());
        for (int i : planned) {
            Object group = group(i);
            if (group != null && blocked.contains(group)) {
                retry.set(i); // an earlier message of its group failed in an earlier request
            } else {
                indexes.add(i);
            }
        }
        if (indexes.isEmpty()) {
            return next(k + 1);
        }
        List<SinkMessage> batch = new ArrayList<>(indexes.size());
        indexes.forEach(i -> batch.add(messages.get(i)));
        return send(config, new Batch(batch), trace, ticker)
                .handle((ok, error) -> {
                    if (error != null) {
                        failed(indexes, error);
                    }
                    return null;
                })
                .thenCompose(ignored -> next(k + 1));
    }

    private void failed(List<Integer> indexes, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        String reason = cause instanceof SinkException ? Objects.toString(cause.getMessage()) : cause.toString();
        SinkException se = cause instanceof SinkException e ? e : null;
        for (int j = 0; j < indexes.size(); j++) {
            int i = indexes.get(j);
            if (se == null) {
                fail(i, reason, true);
            } else if (se.toRetry(j)) {
                fail(i, reason, true);
            } else if (se.rejected(j)) {
                fail(i, reason, false);
            }
        }
    }

    private CompletionStage<Void> outcome() {
        if (retry.isEmpty() && rejected.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        String reason = String.join("; ", reasons);
        if (reason.length() > MAX_REASON) {
            reason = reason.substring(0, MAX_REASON) + "…";
        }
        return CompletableFuture.failedFuture(SinkException.partial(reason, retry, rejected));
    }
}
