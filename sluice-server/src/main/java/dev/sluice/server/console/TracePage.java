package dev.sluice.server.console;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkException;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.Kind;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sink's live trace: each request to the sink as it ends, with the messages as sent (after functions) and what the
 * sink tells of it (a webhook: method, URL and status; a failure: its reason, which names no secret), over server-sent
 * events. The page watches only while its stream is open: the engine is told of a watcher through {@link
 * dev.sluice.server.metrics.SinkTraces}, and delivers untraced when there is none. Each stream keeps at most {@link
 * #BUFFER} deliveries not yet sent to its page, dropping newer ones (and saying so) when the page falls behind.
 */
final class TracePage implements ConsolePage {
    private static final Logger log = LoggerFactory.getLogger(TracePage.class);
    static final int BUFFER = 100;
    static final int PAYLOADS = 3;
    static final int PAYLOAD_CHARS = 1_000;
    static final int REASON_CHARS = 1_000;
    private static final Duration PUSH = Duration.ofMillis(500);

    /**
     * One request to the sink, as the page shows it.
     *
     * @param request what was sent, as the sink describes it (else the sink's type)
     * @param response the peer's answer, or why the request failed
     * @param payloads the first messages' JSON, each clipped to {@link #PAYLOAD_CHARS}
     * @param more messages of the request not in {@code payloads}
     */
    record Entry(
            Instant at,
            String request,
            String response,
            boolean ok,
            long millis,
            int messages,
            List<String> payloads,
            int more) {
        /** {@code 14:03:27.120 UTC}. */
        String time() {
            return java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss.SSS 'UTC'")
                    .withZone(java.time.ZoneOffset.UTC)
                    .format(at);
        }
    }

    private final LiveUpdates live;

    TracePage(LiveUpdates live) {
        this.live = live;
    }

    @Override
    public void register(ConsoleRoutes routes) {
        routes.get("/sinks/{name}/trace", this::page);
        routes.events("/console/events/sinks/{name}/trace", this::stream);
    }

    private void page(Context ctx, ConsoleRequest request) {
        ConfigSnapshot s = request.services().stored().snapshot();
        int i = s.indexOf(Kind.SINK, ctx.pathParam("name"));
        if (i < 0) {
            SinkPage.missing(ctx, request, ctx.pathParam("name"));
            return;
        }
        var c = s.config().sinks().get(i);
        request.html(
                ctx,
                "trace.jte",
                "name",
                c.name(),
                "type",
                c.destination().type(),
                "status",
                c.status().wireName(),
                "keep",
                BUFFER);
    }

    private void stream(SseClient client, ConsoleRequest request) {
        ConfigSnapshot s = request.services().stored().snapshot();
        int i = s.indexOf(Kind.SINK, client.ctx().pathParam("name"));
        if (i < 0) {
            client.close();
            return;
        }
        String name = s.config().sinks().get(i).name();
        String type = s.config().sinks().get(i).destination().type();
        BlockingQueue<Entry> pending = new ArrayBlockingQueue<>(BUFFER);
        int[] dropped = new int[1];
        java.time.Clock clock = request.services().clock();
        AutoCloseable watch = request.services().metrics().traces().watch(name, (batch, exchange, failure, took) -> {
            if (!pending.offer(entry(type, clock.instant(), batch, exchange, failure, took))) {
                synchronized (dropped) {
                    dropped[0]++;
                }
            }
        });
        live.stream(client, PUSH, c -> {
            int skipped;
            synchronized (dropped) {
                skipped = dropped[0];
                dropped[0] = 0;
            }
            if (skipped > 0) {
                c.sendEvent("trace", request.render("trace-dropped.jte", "count", skipped));
            }
            List<Entry> batch = new ArrayList<>();
            pending.drainTo(batch);
            for (Entry e : batch) {
                c.sendEvent("trace", request.render("trace-entry.jte", "e", e));
            }
            if (batch.isEmpty() && skipped == 0) {
                // Finds a closed page: the write fails and the stream ends, and with it the watch.
                c.sendComment("idle");
            }
        });
        // Replaces the stream's own close callback: the stream ends itself on its next tick once closed.
        client.onClose(() -> unwatch(watch));
        if (client.terminated()) {
            // Closed before the callback was set: it will not be called.
            unwatch(watch);
        }
    }

    private static void unwatch(AutoCloseable watch) {
        try {
            watch.close();
        } catch (Exception e) {
            log.debug("closing a trace watch failed", e);
        }
    }

    /** Copies what the page shows of one request; on the sink's completion thread, so it keeps only clipped text. */
    static Entry entry(
            String type,
            Instant at,
            Batch batch,
            Sink.@Nullable Exchange exchange,
            @Nullable Throwable failure,
            Duration took) {
        List<String> payloads = new ArrayList<>(PAYLOADS);
        for (int i = 0; i < Math.min(PAYLOADS, batch.size()); i++) {
            byte[] json = batch.messages().get(i).json();
            String text = new String(json, 0, Math.min(json.length, PAYLOAD_CHARS), StandardCharsets.UTF_8);
            payloads.add(json.length > PAYLOAD_CHARS ? text + "…" : text);
        }
        String response;
        if (failure == null) {
            response = exchange == null ? "accepted" : exchange.response();
        } else {
            String reason = failure instanceof SinkException
                    ? Objects.toString(failure.getMessage())
                    : failure.getClass().getSimpleName() + ": " + failure.getMessage();
            response = reason.length() > REASON_CHARS ? reason.substring(0, REASON_CHARS) + "…" : reason;
        }
        return new Entry(
                at,
                exchange == null
                        ? type + " sink, " + batch.size() + (batch.size() == 1 ? " message" : " messages")
                        : exchange.request(),
                response,
                failure == null,
                took.toMillis(),
                batch.size(),
                payloads,
                batch.size() - payloads.size());
    }
}
