package dev.sluice.server.api;

import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import dev.sluice.server.api.SinkLookup.SinkRef;
import dev.sluice.server.store.MessageTable;
import dev.sluice.server.store.StoredConfig;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code /api/sinks/{id_or_name}/messages}: a sink's stored messages (failed, waiting behind a failed one in their
 * group, or discarded), and redelivering or discarding them. Beyond Sequin, which shows these in its console only.
 */
final class SinkMessagesApi {
    private static final Pattern MESSAGE_ID = Pattern.compile("([0-9]{1,20})-([0-9]{1,10})");

    private final StoredConfig stored;
    private final SinkLookup sinks;
    private final Engine engine;

    SinkMessagesApi(StoredConfig stored, SinkLookup sinks, Engine engine) {
        this.stored = stored;
        this.sinks = sinks;
        this.engine = engine;
    }

    void routes(List<ManagementApi.Route> out) {
        String base = "/api/sinks/{id_or_name}/messages";
        out.add(new ManagementApi.Route("GET", base, this::list));
        out.add(new ManagementApi.Route("POST", base + "/redeliver", ctx -> redeliver(ctx, null)));
        out.add(new ManagementApi.Route("POST", base + "/discard", ctx -> discard(ctx, null)));
        out.add(new ManagementApi.Route(
                "POST", base + "/{message_id}/redeliver", ctx -> redeliver(ctx, ctx.pathParam("message_id"))));
        out.add(new ManagementApi.Route(
                "POST", base + "/{message_id}/discard", ctx -> discard(ctx, ctx.pathParam("message_id"))));
    }

    private void list(Context ctx) throws SQLException {
        SinkRef sink = sinks.find(ctx);
        String state = ctx.queryParam("state");
        MessageTable.MessageFilter filter = switch (state == null ? "" : state) {
            case "" -> MessageTable.MessageFilter.LIVE;
            case "failed" -> MessageTable.MessageFilter.FAILED;
            case "pending" -> MessageTable.MessageFilter.PENDING;
            case "discarded" -> MessageTable.MessageFilter.DISCARDED;
            default ->
                throw ApiException.invalid(
                        "state", "expected 'failed', 'pending' or 'discarded', got '" + Requests.clip(state) + "'");
        };
        MessageTable.Narrowing narrowing = narrowing(ctx.queryParam("table"), ctx.queryParam("error"));
        Integer given = Pages.limit(ctx);
        int limit = given == null ? Pages.MAX_LIMIT : given;
        Position start = Pages.after(ctx, text -> position("after", text));
        List<MessageTable.MessageRow> rows = messages()
                .list(
                        sink.id(),
                        filter,
                        narrowing,
                        start == null ? null : new long[] {start.commitLsn(), start.commitIdx()},
                        limit + 1);
        List<Object> data = new ArrayList<>();
        for (int i = 0; i < Math.min(limit, rows.size()); i++) {
            data.add(render(rows.get(i)));
        }
        MessageTable.MessageRow last = rows.size() > limit ? rows.get(limit - 1) : null;
        Pages.respond(ctx, data, last == null ? null : last.commitLsn() + "-" + last.commitIdx());
    }

    /** Longest error text to search for: more says nothing more, and the search stays cheap. */
    static final int MAX_ERROR_TEXT = 200;

    /**
     * The {@code table} ({@code schema.table} or {@code table}, in {@code public}) and {@code error} (text the last
     * error contains, any case) query parameters; 422 when malformed.
     */
    static MessageTable.Narrowing narrowing(@Nullable String table, @Nullable String error) {
        TableId t = null;
        if (table != null && !table.isBlank()) {
            try {
                t = TableId.parse(table);
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid(
                        "table", "invalid table name (" + e.getMessage() + "); write schema.table or table");
            }
        }
        String text = error == null || error.isBlank() ? null : error.strip();
        if (text != null && text.length() > MAX_ERROR_TEXT) {
            throw ApiException.invalid("error", "at most " + MAX_ERROR_TEXT + " characters");
        }
        return new MessageTable.Narrowing(t == null ? null : t.schema(), t == null ? null : t.name(), text);
    }

    private MessageTable messages() {
        return stored.metadata().messages();
    }

    static ObjectNode render(MessageTable.MessageRow r) {
        ObjectNode n = Requests.JSON.createObjectNode();
        n.put("id", r.commitLsn() + "-" + r.commitIdx());
        n.put("state", r.discardedAt() != null ? "discarded" : r.deliverCount() > 0 ? "failed" : "pending");
        n.put("group_id", r.groupId());
        n.put("idempotency_key", r.idempotencyKey());
        n.put("table_schema", r.tableSchema());
        n.put("table_name", r.tableName());
        n.put("action", r.action());
        n.put("commit_lsn", r.commitLsn());
        n.put("commit_idx", r.commitIdx());
        n.put("committed_at", r.committedAt().toString());
        n.put("deliver_count", r.deliverCount());
        n.put("last_error", r.lastError());
        n.put(
                "last_attempt_at",
                r.lastAttemptAt() == null ? null : r.lastAttemptAt().toString());
        n.put(
                "next_attempt_at",
                r.nextAttemptAt() == null ? null : r.nextAttemptAt().toString());
        n.put("discarded_at", r.discardedAt() == null ? null : r.discardedAt().toString());
        n.set("data", Requests.JSON.readTree(r.payload()));
        return n;
    }

    private void redeliver(Context ctx, @Nullable String messageId) throws SQLException {
        SinkRef sink = sinks.find(ctx);
        Position at = messageId == null ? null : storedMessage(sink, messageId);
        int n = engine.redeliver(sink.databaseId(), sink.id(), at);
        if (n < 0) {
            throw ApiException.conflict("sink '" + sink.name() + "' is not running (disabled, or its database is"
                    + " not connected); its stored messages are delivered when it runs again");
        }
        if (at != null && n == 0) {
            throw notAtHead(messageId);
        }
        ctx.json(Map.of("success", true, "redelivered_groups", n));
    }

    private void discard(Context ctx, @Nullable String messageId) throws SQLException {
        SinkRef sink = sinks.find(ctx);
        Position at = messageId == null ? null : storedMessage(sink, messageId);
        int n = engine.discard(sink.databaseId(), sink.id(), at);
        if (n < 0) {
            throw ApiException.conflict("sink '" + sink.name() + "' is not running (disabled, or its database is"
                    + " not connected); enable it to discard its failed messages");
        }
        if (at != null && n == 0) {
            throw notAtHead(messageId);
        }
        ctx.json(Map.of("success", true, "discarded", n));
    }

    private static ApiException notAtHead(String messageId) {
        return new ApiException(
                422,
                "message " + Requests.clip(messageId) + " has not failed yet or is being delivered: it waits behind"
                        + " a failed message of its group; redeliver or discard that one");
    }

    /** The message's position, when the store holds it for this sink, still to deliver; 404 or 409 otherwise. */
    private Position storedMessage(SinkRef sink, String messageId) throws SQLException {
        Position p = position("message_id", messageId);
        List<MessageTable.MessageRow> rows = messages()
                .list(sink.id(), MessageTable.MessageFilter.ANY, new long[] {p.commitLsn(), p.commitIdx() - 1L}, 1);
        if (rows.isEmpty()
                || rows.getFirst().commitLsn() != p.commitLsn()
                || rows.getFirst().commitIdx() != p.commitIdx()) {
            throw ApiException.notFound("message", Requests.clip(messageId));
        }
        if (rows.getFirst().discardedAt() != null) {
            throw ApiException.conflict("message " + Requests.clip(messageId) + " was discarded at "
                    + rows.getFirst().discardedAt() + "; discarded messages are kept for inspection only");
        }
        return p;
    }

    private static Position position(String field, String text) {
        Matcher m = MESSAGE_ID.matcher(text);
        if (!m.matches()) {
            throw ApiException.invalid(
                    field,
                    "expected a message id such as 23475832-0 (commit LSN, index), got '" + Requests.clip(text) + "'");
        }
        try {
            return new Position(Long.parseLong(m.group(1)), Integer.parseInt(m.group(2)));
        } catch (NumberFormatException e) {
            throw ApiException.invalid(field, "number out of range in '" + Requests.clip(text) + "'");
        }
    }
}
