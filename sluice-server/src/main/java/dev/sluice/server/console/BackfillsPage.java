package dev.sluice.server.console;

import dev.sluice.server.api.ApiViews;
import dev.sluice.server.store.BackfillState;
import dev.sluice.server.store.BackfillTable.BackfillRow;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * A sink's backfills ({@code /sinks/{name}/backfills}): each with a progress bar, its rate and time left, refreshed
 * every two seconds while one runs, and pause, resume, cancel and delete; and a form to start one, of a whole table or
 * from a sort column's value. Every change is a call to {@code /api/sinks/{name}/backfills} from the browser.
 */
final class BackfillsPage implements ConsolePage {
    /**
     * One backfill as the page shows it. {@code max} and {@code value} are the progress bar's: rows expected (the
     * planner's estimate, then an exact count; never below what was read) and rows read.
     */
    record BackfillView(
            String id,
            String table,
            String state,
            long value,
            long max,
            int percent,
            long ingested,
            String rate,
            String eta,
            String started,
            String ended,
            @Nullable String sortColumn,
            @Nullable String startPosition,
            @Nullable String error) {
        boolean unfinished() {
            return state.equals("active") || state.equals("paused");
        }
    }

    @Override
    public void register(ConsoleRoutes routes) {
        routes.get("/sinks/{name}/backfills", this::page);
        routes.get("/sinks/{name}/backfills/list", this::list);
    }

    private void page(Context ctx, ConsoleRequest request) throws SQLException {
        PageSink sink = PageSink.find(ctx, request);
        if (sink == null) {
            return;
        }
        List<String> tables = List.of();
        String tablesError = null;
        try {
            tables = ApiViews.sinkTables(request.services().stored().snapshot(), sink.name());
        } catch (IllegalStateException e) {
            tablesError = e.getMessage();
        }
        String list = list(request, sink);
        request.html(
                ctx,
                "backfills.jte",
                "sink",
                sink,
                "list",
                (gg.jte.Content) output -> output.writeUnsafeContent(list),
                "tables",
                tables,
                "tablesError",
                tablesError);
    }

    /** The list alone, for the page's refresh. */
    private void list(Context ctx, ConsoleRequest request) throws SQLException {
        PageSink sink = PageSink.find(ctx, request);
        if (sink == null) {
            return;
        }
        ctx.contentType("text/html; charset=utf-8").result(list(request, sink));
    }

    private static String list(ConsoleRequest request, PageSink sink) throws SQLException {
        return request.render("backfills-list.jte", "sink", sink, "backfills", views(request, sink));
    }

    /** The sink's backfills, newest first. */
    private static List<BackfillView> views(ConsoleRequest request, PageSink sink) throws SQLException {
        List<BackfillRow> rows =
                request.services().stored().metadata().backfills().ofSink(sink.id());
        List<BackfillView> out = new ArrayList<>();
        for (BackfillRow r : rows.reversed()) {
            out.add(view(r, sink.name()));
        }
        return out;
    }

    static BackfillView view(BackfillRow r, String sinkName) {
        JsonNode api = ApiViews.backfill(r, sinkName);
        long processed = r.rowsProcessedCount();
        boolean completed = r.state() == BackfillState.COMPLETED;
        long expected = r.rowsInitialCount() == null ? 0 : r.rowsInitialCount();
        // A completed backfill read every row; an estimate may be below what was read.
        long max = completed ? Math.max(processed, 1) : Math.max(expected, processed);
        long value = completed ? max : processed;
        int percent = max == 0 ? 0 : (int) Math.min(100, value * 100 / max);
        JsonNode eta = api.get("eta_seconds");
        Instant ended =
                r.completedAt() != null ? r.completedAt() : r.canceledAt() != null ? r.canceledAt() : r.failedAt();
        return new BackfillView(
                r.id().toString(),
                api.get("table").asString(),
                api.get("state").asString(),
                value,
                max,
                percent,
                r.rowsIngestedCount(),
                rate(r),
                eta == null || eta.isNull() ? "—" : Format.seconds(eta.asLong()),
                PageSink.time(r.insertedAt()),
                PageSink.time(ended),
                r.sortColumn(),
                r.startPosition(),
                r.error());
    }

    /**
     * Rows read per second in the latest run (since it started or resumed, as its ETA is computed), up to its last
     * saved progress or its end; an em dash before there is a rate.
     */
    private static String rate(BackfillRow r) {
        if (r.resumedAt() == null) {
            return "—";
        }
        Instant until = r.completedAt() != null ? r.completedAt() : r.updatedAt();
        long ms = Duration.between(r.resumedAt(), until).toMillis();
        long rows = r.rowsProcessedCount() - r.resumedRows();
        if (ms <= 0 || rows <= 0) {
            return "—";
        }
        return Format.rate(rows * 1000.0 / ms) + " rows/s";
    }
}
