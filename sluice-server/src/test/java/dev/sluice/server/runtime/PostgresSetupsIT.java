package dev.sluice.server.runtime;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.engine.DatabasePipeline;
import dev.sluice.server.fixture.Messages;
import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.server.fixture.Slot;
import dev.sluice.server.fixture.SluiceYaml;
import dev.sluice.testkit.TestPostgres;
import dev.sluice.testkit.WebhookReceiver;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Source setups users have beyond a plain keyed table: partitions, quoted names, composite and missing
 * keys, replica identities, generated columns, and the ways of connecting (url, IPv6, TLS).
 */
class PostgresSetupsIT {
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final Duration WAIT = Duration.ofSeconds(20);

    @RegisterExtension
    final ServerFixture sluice = new ServerFixture();

    private String db;
    private Slot slot;
    private WebhookReceiver receiver;

    @BeforeEach
    void setUp() {
        db = sluice.database("setups");
        slot = sluice.slot(db);
        receiver = sluice.receiver();
    }

    private void start(String connection, String sinkExtra) {
        sluice.start(SluiceYaml.webhook(connection, slot.name(), receiver.url(), "", sinkExtra));
    }

    private void startStreaming(String sinkExtra) {
        start(SluiceYaml.hostConnection(PG.port(), db), sinkExtra);
        sluice.awaitStreaming();
    }

    /** Waits for {@code n} messages, then until the slot confirmed every change, so that an extra one shows. */
    private List<JsonNode> awaitExactly(int n) {
        return awaitExactly(n, slot);
    }

    private List<JsonNode> awaitExactly(int n, Slot slot) {
        receiver.awaitMessages(n, WAIT);
        slot.awaitCaughtUp();
        // In commit order: delivery keeps each row's order, not the order across rows.
        List<JsonNode> got = Messages.inCommitOrder(receiver.messages());
        assertThat(got).as("messages").hasSize(n);
        return got;
    }

    /** The parts of a message that depend on the table setup. */
    private static void assertChange(
            JsonNode m, String action, String schema, String table, String record, String changes, String pks) {
        JsonNode meta = m.get("metadata");
        assertThat(m.get("action").asString()).isEqualTo(action);
        assertThat(meta.get("table_schema").asString()).isEqualTo(schema);
        assertThat(meta.get("table_name").asString()).isEqualTo(table);
        assertThat(m.get("record")).as("record of %s", action).isEqualTo(JSON.readTree(record));
        assertThat(m.get("changes")).as("changes of %s", action).isEqualTo(JSON.readTree(changes));
        assertThat(meta.get("record_pks")).as("record_pks of %s", action).isEqualTo(JSON.readTree(pks));
    }

    @Test
    void partitionedTableIsDeliveredUnderTheRootTableName() throws Exception {
        PG.execute(
                db,
                "CREATE TABLE measurements (id int, taken date, v int, PRIMARY KEY (id, taken))"
                        + " PARTITION BY RANGE (taken)",
                "CREATE TABLE measurements_2024 PARTITION OF measurements"
                        + " FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
                "CREATE TABLE measurements_2025 PARTITION OF measurements"
                        + " FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')");
        // The publication is created by Sluice, with publish_via_partition_root.
        startStreaming("""
                source:
                  include_tables: [public.measurements]
                """);
        PG.execute(
                db,
                "INSERT INTO measurements VALUES (1, '2024-05-01', 10)",
                "INSERT INTO measurements VALUES (2, '2025-05-01', 20)",
                "UPDATE measurements SET v = 11 WHERE id = 1",
                "DELETE FROM measurements WHERE id = 2",
                // moves the row to the other partition
                "UPDATE measurements SET taken = '2025-06-01' WHERE id = 1");
        List<JsonNode> got = awaitExactly(6);
        String t = "measurements";
        assertChange(
                got.get(0),
                "insert",
                "public",
                t,
                "{\"id\":1,\"taken\":\"2024-05-01\",\"v\":10}",
                "null",
                "[\"1\",\"2024-05-01\"]");
        assertChange(
                got.get(1),
                "insert",
                "public",
                t,
                "{\"id\":2,\"taken\":\"2025-05-01\",\"v\":20}",
                "null",
                "[\"2\",\"2025-05-01\"]");
        assertChange(
                got.get(2),
                "update",
                "public",
                t,
                "{\"id\":1,\"taken\":\"2024-05-01\",\"v\":11}",
                "{}",
                "[\"1\",\"2024-05-01\"]");
        assertChange(
                got.get(3),
                "delete",
                "public",
                t,
                "{\"id\":2,\"taken\":\"2025-05-01\",\"v\":null}",
                "null",
                "[\"2\",\"2025-05-01\"]");
        // A row moving between partitions is a delete from one and an insert into the other.
        assertChange(
                got.get(4),
                "delete",
                "public",
                t,
                "{\"id\":1,\"taken\":\"2024-05-01\",\"v\":null}",
                "null",
                "[\"1\",\"2024-05-01\"]");
        assertChange(
                got.get(5),
                "insert",
                "public",
                t,
                "{\"id\":1,\"taken\":\"2025-06-01\",\"v\":11}",
                "null",
                "[\"1\",\"2025-06-01\"]");
    }

    @Test
    void quotedMixedCaseNamesAreMatchedAndDeliveredExactly() throws Exception {
        PG.execute(
                db,
                "CREATE SCHEMA \"Sales\"",
                "CREATE TABLE \"Sales\".\"Order Items\" (\"Id\" int PRIMARY KEY, \"Qty\" int)",
                // Same name folded to lower case: a different table, not included.
                "CREATE TABLE \"Sales\".\"order items\" (id int PRIMARY KEY, qty int)");
        startStreaming("""
                source:
                  include_tables: ['"Sales"."Order Items"']
                """);
        PG.execute(
                db,
                "INSERT INTO \"Sales\".\"order items\" VALUES (9, 9)",
                "INSERT INTO \"Sales\".\"Order Items\" VALUES (1, 3)",
                "UPDATE \"Sales\".\"Order Items\" SET \"Qty\" = 4",
                "DELETE FROM \"Sales\".\"Order Items\"");
        List<JsonNode> got = awaitExactly(3);
        assertChange(got.get(0), "insert", "Sales", "Order Items", "{\"Id\":1,\"Qty\":3}", "null", "[\"1\"]");
        assertChange(got.get(1), "update", "Sales", "Order Items", "{\"Id\":1,\"Qty\":4}", "{}", "[\"1\"]");
        assertChange(got.get(2), "delete", "Sales", "Order Items", "{\"Id\":1,\"Qty\":null}", "null", "[\"1\"]");
    }

    @Test
    void compositePrimaryKeyValuesComeInKeyOrder() throws Exception {
        // Key order (line_no, order_id) differs from column order.
        PG.execute(
                db, "CREATE TABLE order_lines (order_id int, line_no int, sku text, PRIMARY KEY (line_no, order_id))");
        startStreaming("message_grouping: true");
        PG.execute(
                db,
                "INSERT INTO order_lines VALUES (10, 2, 'a')",
                "UPDATE order_lines SET sku = 'b'",
                "DELETE FROM order_lines");
        List<JsonNode> got = awaitExactly(3);
        String t = "order_lines";
        assertChange(
                got.get(0),
                "insert",
                "public",
                t,
                "{\"order_id\":10,\"line_no\":2,\"sku\":\"a\"}",
                "null",
                "[\"2\",\"10\"]");
        assertChange(
                got.get(1),
                "update",
                "public",
                t,
                "{\"order_id\":10,\"line_no\":2,\"sku\":\"b\"}",
                "{}",
                "[\"2\",\"10\"]");
        assertChange(
                got.get(2),
                "delete",
                "public",
                t,
                "{\"order_id\":10,\"line_no\":2,\"sku\":null}",
                "null",
                "[\"2\",\"10\"]");
    }

    @Test
    void keylessTableWithReplicaIdentityFullCarriesWholeOldRows() throws Exception {
        PG.execute(db, "CREATE TABLE audit (at int, line text, note text)", "ALTER TABLE audit REPLICA IDENTITY FULL");
        startStreaming("");
        PG.execute(db, "INSERT INTO audit VALUES (1, 'a', 'n')", "UPDATE audit SET line = 'b'", "DELETE FROM audit");
        List<JsonNode> got = awaitExactly(3);
        assertChange(got.get(0), "insert", "public", "audit", "{\"at\":1,\"line\":\"a\",\"note\":\"n\"}", "null", "[]");
        assertChange(
                got.get(1),
                "update",
                "public",
                "audit",
                "{\"at\":1,\"line\":\"b\",\"note\":\"n\"}",
                "{\"line\":\"a\"}",
                "[]");
        assertChange(got.get(2), "delete", "public", "audit", "{\"at\":1,\"line\":\"b\",\"note\":\"n\"}", "null", "[]");
    }

    @Test
    void replicaIdentityUsingAUniqueIndexCarriesThoseColumns() throws Exception {
        PG.execute(
                db,
                "CREATE TABLE devices (code text NOT NULL, name text, seen int)",
                "CREATE UNIQUE INDEX devices_code ON devices (code)",
                "ALTER TABLE devices REPLICA IDENTITY USING INDEX devices_code");
        startStreaming("");
        PG.execute(
                db,
                "INSERT INTO devices VALUES ('d1', 'lamp', 1)",
                "UPDATE devices SET name = 'bulb'",
                "UPDATE devices SET code = 'd2'",
                "DELETE FROM devices");
        List<JsonNode> got = awaitExactly(4);
        String t = "devices";
        assertChange(got.get(0), "insert", "public", t, "{\"code\":\"d1\",\"name\":\"lamp\",\"seen\":1}", "null", "[]");
        // The identity did not change: Postgres sends no old row.
        assertChange(got.get(1), "update", "public", t, "{\"code\":\"d1\",\"name\":\"bulb\",\"seen\":1}", "{}", "[]");
        // The identity changed: the old key comes along.
        assertChange(
                got.get(2),
                "update",
                "public",
                t,
                "{\"code\":\"d2\",\"name\":\"bulb\",\"seen\":1}",
                "{\"code\":\"d1\"}",
                "[]");
        assertChange(got.get(3), "delete", "public", t, "{\"code\":\"d2\",\"name\":null,\"seen\":null}", "null", "[]");
    }

    @Test
    void storedGeneratedColumnsAreSentOnlyWhenThePublicationPublishesThem() throws Exception {
        PG.execute(
                db,
                "CREATE TABLE prices (id int PRIMARY KEY, net numeric(8,2),"
                        + " gross numeric(8,2) GENERATED ALWAYS AS (net * 1.2) STORED)");
        startStreaming("");
        PG.execute(db, "INSERT INTO prices (id, net) VALUES (1, 10)");
        List<JsonNode> got = awaitExactly(1);
        // Before 18 pgoutput never sends generated columns; from 18 only with publish_generated_columns,
        // which the publication Sluice creates leaves at its default (none).
        assertChange(got.get(0), "insert", "public", "prices", "{\"id\":1,\"net\":\"10.00\"}", "null", "[\"1\"]");

        if (PG.majorVersion() >= 18) {
            PG.execute(db, "ALTER PUBLICATION " + slot.publication() + " SET (publish_generated_columns = stored)");
            PG.execute(db, "INSERT INTO prices (id, net) VALUES (2, 12)");
            got = awaitExactly(2);
            assertChange(
                    got.get(1),
                    "insert",
                    "public",
                    "prices",
                    "{\"id\":2,\"net\":\"12.00\",\"gross\":\"14.40\"}",
                    "null",
                    "[\"2\"]");
        }
    }

    @Test
    void connectsWithAPostgresUrl() throws Exception {
        PG.execute(db, "CREATE TABLE items (id int PRIMARY KEY)");
        start("url: " + PG.postgresUrl(db), "");
        sluice.awaitStreaming();
        PG.execute(db, "INSERT INTO items VALUES (1)");
        JsonNode m = awaitExactly(1).getFirst();
        assertChange(m, "insert", "public", "items", "{\"id\":1}", "null", "[\"1\"]");
        assertThat(m.get("metadata").get("database").get("hostname").asString()).isEqualTo("localhost");
        assertThat(m.get("metadata").get("database").get("database").asString()).isEqualTo(db);
    }

    private static boolean reachableOverIpv6Loopback(int port) {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("connectTimeout", "3");
        try (Connection ignored = DriverManager.getConnection("jdbc:postgresql://[::1]:" + port + "/postgres", p)) {
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    @Test
    void connectsToAnIpv6LiteralWithAndWithoutTheIpv6Flag() throws Exception {
        // The shared server listens on "localhost", which may be IPv4 only: listen on ::1 explicitly.
        TestPostgres v6 = sluice.closeAfter(TestPostgres.startPrivate(Map.of("listen_addresses", "'127.0.0.1,::1'")));
        assumeTrue(reachableOverIpv6Loopback(v6.port()), "this machine has no IPv6 loopback (::1)");
        v6.execute("postgres", "CREATE DATABASE app");
        v6.execute("app", "CREATE TABLE items (id int PRIMARY KEY)");
        String connection = """
                hostname: "::1"
                port: %d
                database: app
                username: postgres
                """.formatted(v6.port());
        int id = 0;
        for (String flag : List.of("ipv6: true\n", "")) {
            id++;
            Slot v6Slot = new Slot(v6, "app", "slot_v6_" + id);
            // A fresh metadata database each time: the server meets this configuration for the first time.
            sluice.start(new ServerOptions(
                    sluice.home(),
                    0,
                    sluice.writeConfig(SluiceYaml.webhook(connection + flag, v6Slot.name(), receiver.url(), "", "")),
                    null,
                    PG.jdbcUrl(PG.createDatabase("meta")),
                    null,
                    ServerFixture.TOKEN));
            sluice.awaitStatus(
                    st -> st.state() == DatabasePipeline.State.STREAMING, "streaming over IPv6 (" + flag + ")");
            v6.execute("app", "INSERT INTO items VALUES (" + id + ")");
            JsonNode m = awaitExactly(id, v6Slot).getLast();
            assertChange(m, "insert", "public", "items", "{\"id\":" + id + "}", "null", "[\"" + id + "\"]");
            assertThat(m.get("metadata").get("database").get("hostname").asString())
                    .isEqualTo("::1");
            sluice.stop();
        }
    }

    @Test
    void sslAgainstAServerWithoutTlsSaysToTurnSslOff() throws Exception {
        start(SluiceYaml.hostConnection(PG.port(), db) + "ssl: true\n", "");
        DatabasePipeline.Status s = sluice.awaitStatus(
                st -> st.state() == DatabasePipeline.State.RETRYING && st.lastError() != null,
                "the pipeline to retry with an error");
        assertThat(s.lastError())
                .contains("does not support SSL")
                .contains("ssl: false")
                .contains("localhost:" + PG.port())
                .doesNotContain("\n")
                .doesNotContain("Check the hostname and port");
    }
}
