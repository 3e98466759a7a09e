package dev.sluice.sink.postgres;

import dev.sluice.core.Action;
import dev.sluice.core.TableId;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

/**
 * One message as the sink applies it: its action, table, row values and, for an update, the old values of the
 * changed columns. Values are kept as the JSON wrote them ({@link JsonValue}): a number's own digits, an object's or
 * array's exact text, so that {@link PgText} can give each target column its Postgres text form without a round trip
 * through Java numbers.
 *
 * @param target where the row goes (the source table, moved by the sink's schema or the message's routing)
 * @param record the row: after the change for insert, update and read; the old row or its key for delete
 * @param changes for an update, the old values of the columns that changed; empty when unknown
 * @param unchangedToast columns whose value Postgres did not send (unchanged TOAST): they are left as they are
 * @param truncateOptions for a truncate, the statement's options ({@code cascade}, {@code restart_identity})
 * @param commitLsn the source transaction's commit LSN
 * @param arrayBounds array columns whose lower bounds are not 1, with their bounds ({@code [0:2]}) from the
 *     message's {@code metadata.array_bounds}
 */
record ChangeRow(
        Action action,
        TableId source,
        TableId target,
        Map<String, JsonValue> record,
        Map<String, JsonValue> changes,
        Set<String> unchangedToast,
        Set<String> truncateOptions,
        long commitLsn,
        Map<String, String> arrayBounds) {
    static final String ROUTE_SCHEMA = "target_schema";
    static final String ROUTE_TABLE = "target_table";

    private static final JsonFactory JSON = new JsonFactory();

    /** A JSON value: SQL NULL, a scalar with its exact text, or an object or array as its exact JSON text. */
    sealed interface JsonValue {
        record Null() implements JsonValue {}

        record Text(String value) implements JsonValue {}

        record Number(String digits) implements JsonValue {}

        record Bool(boolean value) implements JsonValue {}

        record Structured(String json) implements JsonValue {}

        JsonValue NULL = new Null();
    }

    /** The row of {@code m}, written to {@code schema} when given (else the source table's schema). */
    static ChangeRow of(SinkMessage m, @Nullable String schema) {
        byte[] json = m.json();
        Action action = m.action();
        Map<String, JsonValue> record = null;
        Map<String, JsonValue> changes = Map.of();
        Set<String> toast = new HashSet<>();
        Set<String> options = new HashSet<>();
        Map<String, String> bounds = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(ObjectReadContext.empty(), json)) {
            expect(p.nextToken(), JsonToken.START_OBJECT, m);
            for (String name = p.nextName(); name != null; name = p.nextName()) {
                JsonToken t = p.nextToken();
                switch (name) {
                    case "record" -> record = t == JsonToken.START_OBJECT ? object(p, json) : null;
                    case "changes" -> changes = t == JsonToken.START_OBJECT ? object(p, json) : Map.of();
                    case "metadata" -> {
                        if (t == JsonToken.START_OBJECT) {
                            metadata(p, toast, options, bounds);
                        } else {
                            p.skipChildren();
                        }
                    }
                    default -> p.skipChildren();
                }
            }
        } catch (JacksonException e) {
            throw new SinkException("message " + m.idempotencyKey() + " is not valid JSON: " + e.getMessage(), false);
        }
        if (record == null && action == Action.TRUNCATE) {
            record = Map.of(); // a truncate has no row to reshape
        } else if (record == null) {
            throw new SinkException(
                    "message " + m.idempotencyKey() + " has no \"record\" object: the postgres sink applies messages"
                            + " as Sluice writes them, so a transform function cannot reshape them (use a filter, or"
                            + " routing with " + ROUTE_SCHEMA + "/" + ROUTE_TABLE + ")",
                    false);
        }
        TableId target = new TableId(
                schema != null ? schema : m.table().schema(), m.table().name());
        Map<String, Object> routing = m.routing();
        if (routing != null) {
            Object s = routing.get(ROUTE_SCHEMA);
            Object t = routing.get(ROUTE_TABLE);
            target = new TableId(
                    s instanceof String str ? str : target.schema(), t instanceof String str ? str : target.name());
        }
        return new ChangeRow(
                action,
                m.table(),
                target,
                record,
                changes,
                toast,
                options,
                m.position().commitLsn(),
                bounds);
    }

    private static void expect(@Nullable JsonToken t, JsonToken want, SinkMessage m) {
        if (t != want) {
            throw new SinkException("message " + m.idempotencyKey() + " is not a JSON object", false);
        }
    }

    private static Map<String, JsonValue> object(JsonParser p, byte[] json) {
        Map<String, JsonValue> values = new LinkedHashMap<>();
        for (String name = p.nextName(); name != null; name = p.nextName()) {
            values.put(name, value(p, p.nextToken(), json));
        }
        return values;
    }

    private static JsonValue value(JsonParser p, JsonToken t, byte[] json) {
        return switch (t) {
            case VALUE_NULL -> JsonValue.NULL;
            case VALUE_STRING -> new JsonValue.Text(p.getString());
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> new JsonValue.Number(p.getText());
            case VALUE_TRUE -> new JsonValue.Bool(true);
            case VALUE_FALSE -> new JsonValue.Bool(false);
            case START_OBJECT, START_ARRAY -> {
                int start = (int) p.currentTokenLocation().getByteOffset();
                p.skipChildren();
                int end = (int) p.currentLocation().getByteOffset();
                yield new JsonValue.Structured(new String(json, start, end - start, StandardCharsets.UTF_8));
            }
            default -> throw new IllegalStateException("unexpected JSON token " + t);
        };
    }

    // The metadata's unchanged_toast_columns, truncate_options and array_bounds.
    private static void metadata(JsonParser p, Set<String> toast, Set<String> options, Map<String, String> bounds) {
        for (String name = p.nextName(); name != null; name = p.nextName()) {
            JsonToken t = p.nextToken();
            if (name.equals("array_bounds") && t == JsonToken.START_OBJECT) {
                for (String column = p.nextName(); column != null; column = p.nextName()) {
                    if (p.nextToken() == JsonToken.VALUE_STRING) {
                        bounds.put(column, p.getString());
                    } else {
                        p.skipChildren();
                    }
                }
                continue;
            }
            Set<String> into =
                    name.equals("unchanged_toast_columns") ? toast : name.equals("truncate_options") ? options : null;
            if (into != null && t == JsonToken.START_ARRAY) {
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    if (e == JsonToken.VALUE_STRING) {
                        into.add(p.getString());
                    } else {
                        p.skipChildren();
                    }
                }
            } else {
                p.skipChildren();
            }
        }
    }

    /** Column {@code name}'s Postgres text for a column of {@code kind}, with its array bounds when it has any. */
    @Nullable
    String text(String name, ValueKind kind) {
        String text = PgText.of(record.getOrDefault(name, JsonValue.NULL), kind);
        String b = arrayBounds.get(name);
        return b != null && text != null && text.startsWith("{") ? b + "=" + text : text;
    }

    /**
     * For an update that moved the row to another primary key, the old key (the row to move, which keeps the columns
     * this update does not carry); null when the key stayed.
     */
    @Nullable
    Map<String, JsonValue> movedFrom(List<String> key) {
        if (action != Action.UPDATE || key.stream().noneMatch(changes::containsKey)) {
            return null;
        }
        Map<String, JsonValue> old = new LinkedHashMap<>();
        boolean moved = false;
        for (String k : key) {
            JsonValue was = changes.getOrDefault(k, record.getOrDefault(k, JsonValue.NULL));
            old.put(k, was);
            moved |= !was.equals(record.getOrDefault(k, JsonValue.NULL));
        }
        return moved ? old : null;
    }

    /** Whether this message empties its table. */
    boolean isTruncate() {
        return action == Action.TRUNCATE;
    }

    /** Whether this row changes or removes a row by key (update, delete) rather than adding one. */
    boolean isDelete() {
        return action == Action.DELETE;
    }

    /** The columns this row writes: every record column but those left unchanged. */
    Map<String, JsonValue> written() {
        if (unchangedToast.isEmpty()) {
            return record;
        }
        Map<String, JsonValue> w = new LinkedHashMap<>(record);
        w.keySet().removeAll(unchangedToast);
        return w;
    }

    /** The row before an update: the record with the changed columns' old values. */
    Map<String, JsonValue> before() {
        Map<String, JsonValue> old = new LinkedHashMap<>(record);
        old.putAll(changes);
        old.keySet().removeAll(unchangedToast);
        return old;
    }
}
