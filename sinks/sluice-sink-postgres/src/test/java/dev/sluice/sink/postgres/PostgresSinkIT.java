package dev.sluice.sink.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.Action;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import dev.sluice.core.Ticker;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.core.sink.SourceCatalog;
import dev.sluice.testkit.TestPostgres;
import dev.sluice.testkit.TypeCases;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The postgres sink against a real target database (the shared embedded Postgres). */
class PostgresSinkIT {
    private static final TestPostgres PG = TestPostgres.shared();
    private static final PostgresSinkProvider PROVIDER = new PostgresSinkProvider();
    private static final AtomicInteger LSN = new AtomicInteger(1000);
    private static String db;

    private final List<PostgresSink> sinks = new ArrayList<>();

    @BeforeAll
    static void target() {
        db = PG.createDatabase("pgsink");
        PG.execute(db, TypeCases.setupSql());
        PG.execute(
                db,
                "CREATE TABLE fidelity (id int PRIMARY KEY, " + TypeCases.columnsDdl() + ")",
                "CREATE TABLE expected (id int PRIMARY KEY, " + TypeCases.columnsDdl() + ")",
                "INSERT INTO expected VALUES (1, " + TypeCases.valuesSql() + ")",
                "CREATE TABLE orders (id text PRIMARY KEY, name text, seq bigint)",
                "CREATE TABLE pairs (a int, b text, n int, PRIMARY KEY (b, a))",
                "CREATE TABLE keyless (x int, doc json, note text)",
                "CREATE TABLE generated (id int PRIMARY KEY, n int,"
                        + " twice int GENERATED ALWAYS AS (n * 2) STORED,"
                        + " serial_no int GENERATED ALWAYS AS IDENTITY)",
                "CREATE TABLE widened (id int PRIMARY KEY)",
                "CREATE SCHEMA replica",
                "CREATE TABLE replica.orders (id text PRIMARY KEY, name text, seq bigint)");
    }

    @AfterEach
    void closeSinks() {
        sinks.forEach(PostgresSink::close);
    }

    private PostgresSink sink(Map<String, Object> extra) {
        return sink(extra, SourceCatalog.NONE);
    }

    private PostgresSink sink(Map<String, Object> extra, SourceCatalog source) {
        Map<String, Object> values = new HashMap<>(
                Map.of("host", "localhost", "port", (long) PG.port(), "database_name", db, "username", "postgres"));
        values.putAll(extra);
        PostgresSinkConfig config = configure(values);
        PostgresSink s = (PostgresSink)
                PROVIDER.create(config, new SinkContext("s1", "replica-sink", 1000, Ticker.SYSTEM, source));
        sinks.add(s);
        return s;
    }

    private static PostgresSinkConfig configure(Map<String, Object> values) {
        return PROVIDER.configure(ConfigValues.of(PROVIDER.schema(), values)).orThrow();
    }

    static SinkMessage message(String table, Action action, String record) {
        return message(table, action, record, null, null);
    }

    static SinkMessage message(
            String table, Action action, String record, @Nullable String changes, @Nullable String routing) {
        return message(table, action, record, changes, routing, "");
    }

    /** {@code metadata} is spliced into the message's metadata object, e.g. {@code ,"array_bounds":{...}}. */
    static SinkMessage message(
            String table,
            Action action,
            String record,
            @Nullable String changes,
            @Nullable String routing,
            String metadata) {
        int idx = LSN.incrementAndGet();
        String json = "{\"record\":" + record + ",\"changes\":" + (changes == null ? "null" : changes)
                + ",\"action\":\"" + action.name().toLowerCase() + "\",\"metadata\":{\"table_schema\":\"public\","
                + "\"table_name\":\"" + table + "\",\"commit_lsn\":1,\"commit_idx\":" + idx + metadata + "}}";
        Map<String, Object> route = null;
        if (routing != null) {
            route = new HashMap<>();
            route.put(ChangeRow.ROUTE_SCHEMA, routing);
        }
        return new SinkMessage(
                new Position(1, idx),
                new TableId("public", table),
                action,
                Instant.EPOCH,
                json.getBytes(StandardCharsets.UTF_8),
                null,
                "k" + idx,
                route);
    }

    private static void deliver(PostgresSink sink, SinkMessage... messages) throws Exception {
        sink.deliver(new Batch(List.of(messages))).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static List<String> rows(String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = PG.connect(db);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= n; i++) {
                    row.append(i > 1 ? "|" : "").append(rs.getString(i));
                }
                out.add(row.toString());
            }
        }
        return out;
    }

    @Test
    void everyTypeOfTheFidelityTableArrivesExactly() throws Exception {
        StringBuilder iso = new StringBuilder("{\"id\":1");
        StringBuilder unix = new StringBuilder("{\"id\":2");
        for (int i = 0; i < TypeCases.ALL.size(); i++) {
            TypeCases.Case c = TypeCases.ALL.get(i);
            iso.append(",\"").append(TypeCases.column(i)).append("\":").append(c.json());
            String u = c.unixJson() != null ? c.unixJson() : c.json();
            unix.append(",\"").append(TypeCases.column(i)).append("\":").append(u);
        }
        // The message JSON carries an array as a plain array and its lower bounds, when not 1, in array_bounds.
        StringBuilder bounds = new StringBuilder(",\"array_bounds\":{");
        for (int i = 0; i < TypeCases.ALL.size(); i++) {
            String literal = TypeCases.ALL.get(i).literal();
            if (literal.startsWith("'[") && literal.contains("]=")) {
                bounds.append(bounds.length() > 17 ? "," : "")
                        .append('"')
                        .append(TypeCases.column(i))
                        .append("\":\"")
                        .append(literal, 1, literal.indexOf('='))
                        .append('"');
            }
        }
        String metadata = bounds.append('}').toString();
        deliver(
                sink(Map.of()),
                message("fidelity", Action.INSERT, iso.append('}').toString(), null, null, metadata),
                message("fidelity", Action.READ, unix.append('}').toString(), null, null, metadata));

        for (int id : new int[] {1, 2}) {
            List<String> got = new ArrayList<>();
            List<String> want = new ArrayList<>();
            for (int i = 0; i < TypeCases.ALL.size(); i++) {
                String col = TypeCases.column(i);
                got.add(TypeCases.label(
                        i,
                        rows("SELECT " + col + "::text FROM fidelity WHERE id = " + id)
                                .getFirst()));
                want.add(TypeCases.label(
                        i, rows("SELECT " + col + "::text FROM expected").getFirst()));
            }
            assertThat(got).as("row %d", id).containsExactlyElementsOf(want);
        }
    }

    @Test
    void upsertsAndDeletesByKeyInOrderWithinABatchAndReplaysConverge() throws Exception {
        PostgresSink sink = sink(Map.of());
        SinkMessage[] batch = {
            message("orders", Action.INSERT, "{\"id\":\"a\",\"name\":\"first\",\"seq\":1}"),
            message("orders", Action.INSERT, "{\"id\":\"b\",\"name\":\"b1\",\"seq\":1}"),
            message(
                    "orders",
                    Action.UPDATE,
                    "{\"id\":\"a\",\"name\":\"second\",\"seq\":2}",
                    "{\"name\":\"first\"}",
                    null),
            message("orders", Action.DELETE, "{\"id\":\"b\",\"name\":null,\"seq\":null}"),
            message("orders", Action.INSERT, "{\"id\":\"b\",\"name\":\"b2\",\"seq\":3}"),
            message("orders", Action.DELETE, "{\"id\":\"gone\",\"name\":null,\"seq\":null}"),
            message("orders", Action.UPDATE, "{\"id\":\"a\",\"name\":\"third\",\"seq\":4}"),
        };
        deliver(sink, batch);
        List<String> once = rows("SELECT id, name, seq FROM orders WHERE id IN ('a', 'b') ORDER BY id");
        assertThat(once).containsExactly("a|third|4", "b|b2|3");

        deliver(sink, batch); // delivered again, as after a crash: same final state
        assertThat(rows("SELECT id, name, seq FROM orders WHERE id IN ('a', 'b') ORDER BY id"))
                .isEqualTo(once);
    }

    @Test
    void anUpdateThatChangesThePrimaryKeyMovesTheRow() throws Exception {
        PostgresSink sink = sink(Map.of());
        deliver(
                sink,
                message("orders", Action.INSERT, "{\"id\":\"from\",\"name\":\"moved\",\"seq\":1}"),
                message("pairs", Action.INSERT, "{\"a\":1,\"b\":\"x\",\"n\":1}"));
        SinkMessage[] batch = {
            message(
                    "orders",
                    Action.UPDATE,
                    "{\"id\":\"to\",\"name\":\"moved\",\"seq\":2}",
                    "{\"id\":\"from\",\"seq\":1}",
                    null),
            message("pairs", Action.UPDATE, "{\"a\":2,\"b\":\"x\",\"n\":2}", "{\"a\":1}", null),
            // A key changed and changed back within one batch: the row ends where it started.
            message("orders", Action.UPDATE, "{\"id\":\"back\",\"name\":\"b\",\"seq\":3}", "{\"id\":\"to\"}", null),
            message("orders", Action.UPDATE, "{\"id\":\"to\",\"name\":\"b\",\"seq\":4}", "{\"id\":\"back\"}", null),
        };
        deliver(sink, batch);
        assertThat(rows("SELECT id, name, seq FROM orders WHERE id IN ('from', 'to', 'back') ORDER BY id"))
                .containsExactly("to|b|4");
        assertThat(rows("SELECT a, b, n FROM pairs WHERE b = 'x'")).containsExactly("2|x|2");
        deliver(sink, batch); // a replay converges
        assertThat(rows("SELECT id, name, seq FROM orders WHERE id IN ('from', 'to', 'back') ORDER BY id"))
                .containsExactly("to|b|4");

        // The moved row keeps a column the update does not carry (an unchanged TOAST value).
        deliver(sink, message("orders", Action.INSERT, "{\"id\":\"t1\",\"name\":\"keep me\",\"seq\":1}"));
        deliver(
                sink,
                message(
                        "orders",
                        Action.UPDATE,
                        "{\"id\":\"t2\",\"name\":\"unchanged_toast\",\"seq\":2}",
                        "{\"id\":\"t1\"}",
                        null,
                        ",\"unchanged_toast_columns\":[\"name\"]"));
        assertThat(rows("SELECT id, name, seq FROM orders WHERE id IN ('t1', 't2')"))
                .containsExactly("t2|keep me|2");
    }

    @Test
    void compositeKeysAreMatchedInTheirOwnOrder() throws Exception {
        PostgresSink sink = sink(Map.of());
        deliver(
                sink,
                message("pairs", Action.INSERT, "{\"a\":1,\"b\":\"x\",\"n\":1}"),
                message("pairs", Action.INSERT, "{\"a\":2,\"b\":\"x\",\"n\":1}"),
                message("pairs", Action.UPDATE, "{\"a\":1,\"b\":\"x\",\"n\":5}"),
                message("pairs", Action.DELETE, "{\"a\":2,\"b\":\"x\",\"n\":null}"));
        assertThat(rows("SELECT a, b, n FROM pairs")).containsExactly("1|x|5");
    }

    @Test
    void aTableWithoutAKeyIsMatchedByItsWholeOldRow() throws Exception {
        PostgresSink sink = sink(Map.of());
        deliver(
                sink,
                message("keyless", Action.INSERT, "{\"x\":1,\"doc\":{\"k\": [1]},\"note\":\"same\"}"),
                message("keyless", Action.INSERT, "{\"x\":1,\"doc\":{\"k\": [1]},\"note\":\"same\"}"),
                message("keyless", Action.INSERT, "{\"x\":2,\"doc\":null,\"note\":\"other\"}"));
        deliver(
                sink,
                // REPLICA IDENTITY FULL: the update's changes hold the old values of what changed.
                message(
                        "keyless",
                        Action.UPDATE,
                        "{\"x\":1,\"doc\":{\"k\": [1]},\"note\":\"changed\"}",
                        "{\"note\":\"same\"}",
                        null),
                message("keyless", Action.DELETE, "{\"x\":2,\"doc\":null,\"note\":\"other\"}"));
        assertThat(rows("SELECT x, doc::text, note FROM keyless ORDER BY note"))
                .containsExactly("1|{\"k\": [1]}|changed", "1|{\"k\": [1]}|same");
    }

    @Test
    void unchangedToastColumnsAreLeftAsTheyAre() throws Exception {
        PostgresSink sink = sink(Map.of());
        deliver(sink, message("orders", Action.INSERT, "{\"id\":\"t\",\"name\":\"big value\",\"seq\":1}"));
        String json = "{\"record\":{\"id\":\"t\",\"name\":\"unchanged_toast\",\"seq\":2},\"changes\":{},"
                + "\"action\":\"update\",\"metadata\":{\"unchanged_toast_columns\":[\"name\"]}}";
        deliver(
                sink,
                new SinkMessage(
                        new Position(1, LSN.incrementAndGet()),
                        new TableId("public", "orders"),
                        Action.UPDATE,
                        Instant.EPOCH,
                        json.getBytes(StandardCharsets.UTF_8),
                        null,
                        "toast"));
        assertThat(rows("SELECT name, seq FROM orders WHERE id = 't'")).containsExactly("big value|2");
    }

    @Test
    void generatedColumnsAreLeftToTheTargetAndIdentityColumnsKeepTheSourceValue() throws Exception {
        deliver(sink(Map.of()), message("generated", Action.INSERT, "{\"id\":1,\"n\":4,\"twice\":8,\"serial_no\":77}"));
        assertThat(rows("SELECT id, n, twice, serial_no FROM generated")).containsExactly("1|4|8|77");
    }

    @Test
    void targetSchemaAndRoutingChooseTheTable() throws Exception {
        deliver(
                sink(Map.of("target_schema", "replica")),
                message("orders", Action.INSERT, "{\"id\":\"r1\",\"name\":\"n\",\"seq\":1}"));
        deliver(
                sink(Map.of()),
                message("orders", Action.INSERT, "{\"id\":\"r2\",\"name\":\"n\",\"seq\":1}", null, "replica"));
        assertThat(rows("SELECT id FROM replica.orders ORDER BY id")).containsExactly("r1", "r2");
        assertThat(rows("SELECT id FROM orders WHERE id LIKE 'r%'")).isEmpty();
    }

    @Test
    void aMissingTableOrColumnFailsRetriablyWithTheFix() {
        PostgresSink sink = sink(Map.of());
        assertThatThrownBy(() -> deliver(sink, message("nowhere", Action.INSERT, "{\"id\":1}")))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOfSatisfying(SinkException.class, e -> {
                    assertThat(e.retriable()).isTrue();
                    assertThat(e.getMessage()).contains("target table public.nowhere does not exist");
                });
        assertThatThrownBy(() -> deliver(sink, message("widened", Action.INSERT, "{\"id\":1,\"extra\":\"x\"}")))
                .cause()
                .isInstanceOfSatisfying(SinkException.class, e -> {
                    assertThat(e.retriable()).isTrue();
                    assertThat(e.getMessage())
                            .contains("column \"extra\"")
                            .contains("ALTER TABLE \"public\".\"widened\" ADD COLUMN \"extra\"")
                            .contains("auto_add_columns");
                });
    }

    @Test
    void autoAddColumnsAddsTheSourceColumnsType() throws Exception {
        SourceCatalog source = (table, column) -> column.equals("price") ? "numeric(10,2)" : null;
        PostgresSink sink = sink(Map.of("auto_add_columns", true), source);
        deliver(sink, message("widened", Action.INSERT, "{\"id\":2,\"price\":\"12.50\"}"));
        assertThat(rows("SELECT id, price, pg_typeof(price)::text FROM widened WHERE id = 2"))
                .containsExactly("2|12.50|numeric");
        assertThat(rows("SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                        + " WHERE attrelid = 'widened'::regclass AND attname = 'price'"))
                .containsExactly("numeric(10,2)");
    }

    @Test
    void aValueTheTargetRefusesFailsThatMessageAloneForGood() {
        PostgresSink sink = sink(Map.of());
        SinkMessage bad = message("pairs", Action.INSERT, "{\"a\":\"not a number\",\"b\":\"y\",\"n\":1}");
        assertThatThrownBy(() -> deliver(sink, bad, message("orders", Action.INSERT, "{\"id\":\"ok\"}")))
                .cause()
                .isInstanceOfSatisfying(
                        SinkException.class, e -> assertThat(e.retriable()).isTrue());
        assertThatThrownBy(() -> deliver(sink, bad)).cause().isInstanceOfSatisfying(SinkException.class, e -> {
            assertThat(e.retriable()).isFalse();
            assertThat(e.getMessage()).contains("invalid input syntax for type integer");
        });
    }

    @Test
    void checkReportsReachabilityAndTheSchema() {
        Map<String, Object> base =
                Map.of("host", "localhost", "port", (long) PG.port(), "database_name", db, "username", "postgres");
        assertThat(PROVIDER.check(configure(base), Duration.ofSeconds(5))).isEqualTo(CheckResult.OK);

        Map<String, Object> noSchema = new HashMap<>(base);
        noSchema.put("target_schema", "absent");
        assertThat(PROVIDER.check(configure(noSchema), Duration.ofSeconds(5)).status())
                .isEqualTo(CheckResult.Status.NOT_FOUND);

        Map<String, Object> noDb = new HashMap<>(base);
        noDb.put("database_name", "no_such_db");
        assertThat(PROVIDER.check(configure(noDb), Duration.ofSeconds(5)).status())
                .isEqualTo(CheckResult.Status.NOT_FOUND);

        Map<String, Object> closed = new HashMap<>(base);
        closed.put("port", (long) dev.sluice.testkit.FreePort.find());
        assertThat(PROVIDER.check(configure(closed), Duration.ofSeconds(5)).status())
                .isEqualTo(CheckResult.Status.UNREACHABLE);
    }
}
