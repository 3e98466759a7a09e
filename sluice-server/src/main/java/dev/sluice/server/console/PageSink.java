package dev.sluice.server.console;

import dev.sluice.engine.DatabasePipeline;
import dev.sluice.server.api.ApiViews;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.store.ConfigSnapshot;
import io.javalin.http.Context;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * The sink a page under {@code /sinks/{name}/...} shows, as the saved configuration has it, and whether its pipeline
 * runs it now (redeliver, discard and backfills need that).
 */
record PageSink(String name, UUID id, SinkConfig config, boolean running) {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    /** The sink named by the path's {@code name}; null after answering 404 with a page that says so. */
    static @Nullable PageSink find(Context ctx, ConsoleRequest request) {
        String name = ctx.pathParam("name");
        ConsoleServices s = request.services();
        ConfigSnapshot snapshot = s.stored().snapshot();
        UUID id = snapshot.sinkIds().get(name);
        SinkConfig config = snapshot.config().sinks().stream()
                .filter(c -> c.name().equals(name))
                .findFirst()
                .orElse(null);
        if (id == null || config == null) {
            ctx.status(404);
            ApiViews.errorPageWritten(ctx);
            request.html(ctx, "nosink.jte", "name", name);
            return null;
        }
        DatabasePipeline.Status database = s.pipelines().get().stream()
                .filter(p -> p.database().equals(config.database()))
                .findFirst()
                .orElse(null);
        return new PageSink(name, id, config, ApiViews.liveSink(database, config) != null);
    }

    /** The sink's API path, {@code /api/sinks/<name>}, its name encoded. */
    String api() {
        return "/api/sinks/" + encode(name);
    }

    /** {@code text} encoded for a URL's path segment or query value. */
    static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A time for a table cell: {@code shown} short (the time of day when it is today, UTC), {@code iso} exact. */
    record When(String iso, String shown) {
        static final When NONE = new When("", "—");
    }

    private static final DateTimeFormatter TODAY =
            DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter OTHER_DAY =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneOffset.UTC);

    static When when(@Nullable Instant at, Instant now) {
        if (at == null) {
            return When.NONE;
        }
        boolean today = at.atZone(ZoneOffset.UTC)
                .toLocalDate()
                .equals(now.atZone(ZoneOffset.UTC).toLocalDate());
        return new When(at.toString(), (today ? TODAY : OTHER_DAY).format(at));
    }

    /** {@code 3,000}. */
    static String count(long n) {
        return String.format(java.util.Locale.ROOT, "%,d", n);
    }

    /** {@code 2026-12-07 05:51:26 UTC}; an em dash for none. */
    static String time(@Nullable Instant at) {
        return at == null ? "—" : TIME.format(at);
    }
}
