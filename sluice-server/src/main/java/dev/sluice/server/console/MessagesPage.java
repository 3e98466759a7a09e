package dev.sluice.server.console;

import dev.sluice.server.api.ApiViews;
import dev.sluice.server.store.MessageTable;
import dev.sluice.server.store.MessageTable.MessageFilter;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A sink's stored messages ({@code /sinks/{name}/messages}): failed, pending (waiting behind a failed one of their
 * group, or spilled) and discarded ones, as {@code GET /api/sinks/{name}/messages} lists them, filtered by state,
 * table and error text, a page at a time. Each shows its attempts, last error and payload; redelivering and
 * discarding, one or all, are calls to that API from the browser.
 */
final class MessagesPage implements ConsolePage {
    static final int PAGE_SIZE = 50;
    /** Tables offered in the table filter (those of the stored messages). */
    static final int MAX_TABLES = 200;

    private static final Pattern CURSOR = Pattern.compile("([0-9]{1,20})-([0-9]{1,10})");

    /** One stored message as the page shows it; times already written out. */
    record MessageView(
            String id,
            String state,
            String table,
            String action,
            PageSink.When committedAt,
            int deliverCount,
            @Nullable String lastError,
            PageSink.When lastAttemptAt,
            String nextAttempt,
            PageSink.When discardedAt,
            String payload) {}

    /** The sink's stored messages by state (not narrowed by the filters). */
    record Counts(long failed, long pending, long discarded) {}

    /** What the form asks for: {@code state} is {@code live}, {@code failed}, {@code pending} or {@code discarded}. */
    record Query(String state, String table, String error) {
        /** A link to this query's page after {@code cursor} (null: the first page). */
        String href(String sink, @Nullable String cursor) {
            StringBuilder b =
                    new StringBuilder("/sinks/").append(PageSink.encode(sink)).append("/messages?state=");
            b.append(state);
            if (!table.isEmpty()) {
                b.append("&table=").append(PageSink.encode(table));
            }
            if (!error.isEmpty()) {
                b.append("&error=").append(PageSink.encode(error));
            }
            if (cursor != null) {
                b.append("&after=").append(cursor);
            }
            return b.toString();
        }

        /** The same state, any table and error. */
        Query unfiltered() {
            return new Query(state, "", "");
        }

        boolean narrowed() {
            return !table.isEmpty() || !error.isEmpty();
        }
    }

    @Override
    public void register(ConsoleRoutes routes) {
        routes.get("/sinks/{name}/messages", this::page);
    }

    private void page(Context ctx, ConsoleRequest request) throws SQLException {
        PageSink sink = PageSink.find(ctx, request);
        if (sink == null) {
            return;
        }
        Query q = new Query(state(ctx.queryParam("state")), param(ctx, "table"), param(ctx, "error"));
        MessageTable store = request.services().stored().metadata().messages();
        String filterError = null;
        MessageTable.Narrowing narrowing = MessageTable.Narrowing.NONE;
        try {
            narrowing = ApiViews.messageNarrowing(q.table(), q.error());
        } catch (IllegalArgumentException e) {
            filterError = e.getMessage();
        }
        long[] after = cursor(ctx.queryParam("after"));
        List<MessageView> rows = new ArrayList<>();
        String next = null;
        long matching = 0;
        if (filterError == null) {
            MessageFilter filter = filter(q.state());
            List<MessageTable.MessageRow> found = store.list(sink.id(), filter, narrowing, after, PAGE_SIZE + 1);
            Instant now = request.services().clock().instant();
            for (int i = 0; i < Math.min(PAGE_SIZE, found.size()); i++) {
                rows.add(view(found.get(i), now));
            }
            if (found.size() > PAGE_SIZE) {
                MessageTable.MessageRow last = found.get(PAGE_SIZE - 1);
                next = last.commitLsn() + "-" + last.commitIdx();
            }
            matching = store.count(sink.id(), filter, narrowing);
        }
        Counts counts = new Counts(
                store.count(sink.id(), MessageFilter.FAILED),
                store.count(sink.id(), MessageFilter.PENDING),
                store.count(sink.id(), MessageFilter.DISCARDED));
        List<String> tables = new ArrayList<>();
        for (String[] t : store.tables(sink.id(), MAX_TABLES)) {
            tables.add(t[0] + "." + t[1]);
        }
        if (!q.table().isEmpty() && narrowing.tableName() != null) {
            String wanted = narrowing.tableSchema() + "." + narrowing.tableName();
            if (!tables.contains(wanted)) {
                tables.add(wanted);
            }
        }
        List<String> functions = new ArrayList<>();
        sink.config().functions().forEach((key, name) -> functions.add(key + ": " + name));
        request.html(
                ctx,
                "messages.jte",
                "sink",
                sink,
                "query",
                q,
                "filterError",
                filterError,
                "rows",
                rows,
                "matching",
                matching,
                "counts",
                counts,
                "tables",
                tables,
                "selectedTable",
                narrowing.tableName() == null ? "" : narrowing.tableSchema() + "." + narrowing.tableName(),
                "functions",
                functions,
                "transform",
                sink.config().functions().transform(),
                "firstPage",
                after == null,
                "next",
                next);
    }

    private static String param(Context ctx, String name) {
        String v = ctx.queryParam(name);
        return v == null ? "" : v.strip();
    }

    /** The state asked for; anything unknown shows the live ones (failed and pending). */
    private static String state(@Nullable String given) {
        return given != null && List.of("failed", "pending", "discarded").contains(given) ? given : "live";
    }

    private static MessageFilter filter(String state) {
        return switch (state) {
            case "failed" -> MessageFilter.FAILED;
            case "pending" -> MessageFilter.PENDING;
            case "discarded" -> MessageFilter.DISCARDED;
            default -> MessageFilter.LIVE;
        };
    }

    /** The {@code after} cursor (a message id, as the API's {@code next_cursor}); a malformed one starts over. */
    private static long @Nullable [] cursor(@Nullable String text) {
        if (text == null) {
            return null;
        }
        Matcher m = CURSOR.matcher(text);
        if (!m.matches()) {
            return null;
        }
        try {
            return new long[] {Long.parseLong(m.group(1)), Integer.parseInt(m.group(2))};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The row as the API renders it, with the payload pretty-printed. */
    private static MessageView view(MessageTable.MessageRow r, Instant now) {
        ObjectNode n = ApiViews.message(r);
        JsonNode data = n.get("data");
        String next;
        if (r.nextAttemptAt() == null) {
            next = "—";
        } else {
            long ms = Duration.between(now, r.nextAttemptAt()).toMillis();
            next = ms <= 0 ? "due now" : "in " + Format.seconds(ms / 1000.0);
        }
        return new MessageView(
                n.get("id").asString(),
                n.get("state").asString(),
                r.tableSchema() + "." + r.tableName(),
                r.action(),
                PageSink.when(r.committedAt(), now),
                r.deliverCount(),
                r.lastError(),
                PageSink.when(r.lastAttemptAt(), now),
                next,
                PageSink.when(r.discardedAt(), now),
                data == null ? "" : data.toPrettyString());
    }
}
