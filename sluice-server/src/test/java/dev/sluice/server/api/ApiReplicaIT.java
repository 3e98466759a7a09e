package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.TestPostgres;
import dev.sluice.testkit.TestStandby;
import dev.sluice.testkit.WebhookReceiver;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reading from a real streaming standby, with the primary given in a {@code primary} block: Sequin's replica
 * examples are accepted, the primary's password is sealed and masked like the replica's, and changes written on the
 * primary reach a sink through a slot on the standby (which needs Postgres 16; older standbys are refused with the
 * reason). Misconfigurations answer 422 with what to fix.
 */
class ApiReplicaIT {
    private static final String PRIMARY_PASSWORD = "primary-pw-Zq81";

    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static TestStandby pair;
    static ApiClient api;
    static WebhookReceiver receiver;
    static String db;

    @BeforeAll
    static void start() throws Exception {
        pair = sluice.closeAfter(TestStandby.start(Files.createTempDirectory("sluice-standby")));
        sluice.start();
        api = sluice.api();
        receiver = sluice.receiver();
        db = pair.createDatabase("replica");
        pair.primary().execute(db, "CREATE TABLE items (id bigint PRIMARY KEY, label text)");
        pair.awaitReplay();
    }

    private static boolean decodesOnStandby() {
        return pair.standby().majorVersion() >= 16;
    }

    /** Sequin's replica create example, pointed at the standby and its primary. */
    private static ObjectNode replicaBody(String name, String slot) {
        ObjectNode body =
                (ObjectNode) ApiContractIT.fixture("postgres_databases.create.request.connecting-to-a-replica.json")
                        .deepCopy();
        body.put("name", name);
        body.put("hostname", "localhost");
        body.put("port", pair.standby().port());
        body.put("database", db);
        body.put("ssl", false);
        // The test servers trust local connections: any password is accepted, and must still be kept secret.
        ObjectNode primary = (ObjectNode) body.get("primary");
        primary.put("hostname", "localhost");
        primary.put("port", pair.primary().port());
        primary.put("database", db);
        primary.put("password", PRIMARY_PASSWORD);
        primary.put("ssl", false);
        ObjectNode s = (ObjectNode) body.get("replication_slots").get(0);
        s.put("slot_name", slot);
        s.put("publication_name", slot + "_pub");
        s.put("create_if_not_exists", true);
        return body;
    }

    @Test
    void replicaExamples_createAndUpdate_thenChangesOnThePrimaryFlowThroughTheStandby() throws Exception {
        ApiClient.Reply created = api.post(
                "/api/postgres_databases",
                replicaBody("replica-db", "standby_slot").toString());
        if (!decodesOnStandby()) {
            assertThat(created.status()).as(created.text()).isEqualTo(422);
            assertThat(created.text()).contains("is a standby").contains("PostgreSQL 16 or later");
            return;
        }
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        JsonNode primary = created.get("primary");
        assertThat(primary.get("hostname").asString()).isEqualTo("localhost");
        assertThat(primary.get("port").asInt()).isEqualTo(pair.primary().port());
        assertThat(primary.get("password").asString()).isEqualTo(Obfuscate.MASK);
        // The slot lives on the standby; the publication was created on the primary and replayed.
        assertThat(single(pair.standby(), "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'standby_slot'"))
                .isEqualTo("1");
        assertThat(single(pair.primary(), "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'standby_slot'"))
                .isEqualTo("0");
        assertThat(single(pair.primary(), "SELECT count(*) FROM pg_publication WHERE pubname = 'standby_slot_pub'"))
                .isEqualTo("1");

        // Sealed at rest, masked in every response, shown only on request.
        assertThat(String.join(
                        "\n",
                        metadataRows("SELECT concat_ws(' ', spec::text, sealed_password)"
                                + " FROM sluice.postgres_databases")))
                .doesNotContain(PRIMARY_PASSWORD)
                .contains("sealed_password");
        assertThat(api.get("/api/postgres_databases/replica-db").text()).doesNotContain(PRIMARY_PASSWORD);
        String exported = api.get("/api/config/export").get("yaml").asString();
        assertThat(exported).doesNotContain(PRIMARY_PASSWORD).contains("primary:");
        // The export applies back unchanged: its masks keep the stored passwords.
        assertThat(api.send("POST", "/api/config/plan", exported, "application/yaml")
                        .get("changes"))
                .as(exported)
                .isEmpty();
        assertThat(api.get("/api/postgres_databases/replica-db?show_sensitive=true")
                        .get("primary")
                        .get("password")
                        .asString())
                .isEqualTo(PRIMARY_PASSWORD);

        // A sink on the replica: every row written on the primary arrives, once.
        ApiClient.Reply sink = api.post("/api/sinks", """
                {"name": "from-replica", "database": "replica-db", "batch_size": 10,
                 "destination": {"type": "webhook", "http_endpoint": "%s"}}""".formatted(receiver.url()));
        assertThat(sink.status()).as(sink.text()).isEqualTo(201);
        awaitSinkRunning();
        for (int i = 1; i <= 50; i++) {
            pair.primary().execute(db, "INSERT INTO items VALUES (" + i + ", 'row " + i + "')");
        }
        List<JsonNode> messages = receiver.awaitMessages(50, Duration.ofSeconds(60));
        List<Long> ids = new ArrayList<>();
        messages.forEach(m -> ids.add(m.get("record").get("id").asLong()));
        ids.sort(null); // each row is its own group: rows arrive in parallel, every one once
        assertThat(ids).hasSize(50);
        for (int i = 0; i < 50; i++) {
            assertThat(ids.get(i)).isEqualTo(i + 1L);
        }

        // Sequin's update example: only the primary's hostname changes; its port and password are kept.
        ObjectNode update =
                (ObjectNode) ApiContractIT.fixture("postgres_databases.update.request.updating-replica-connection.json")
                        .deepCopy();
        update.put("hostname", "127.0.0.1");
        ((ObjectNode) update.get("primary")).put("hostname", "127.0.0.1");
        ApiClient.Reply updated = api.put("/api/postgres_databases/replica-db", update.toString());
        assertThat(updated.status()).as(updated.text()).isEqualTo(200);
        assertThat(updated.get("name").asString()).isEqualTo("replica-db-renamed");
        JsonNode after = api.get("/api/postgres_databases/replica-db-renamed?show_sensitive=true")
                .body();
        assertThat(after.get("hostname").asString()).isEqualTo("127.0.0.1");
        assertThat(after.get("primary").get("hostname").asString()).isEqualTo("127.0.0.1");
        assertThat(after.get("primary").get("port").asInt())
                .isEqualTo(pair.primary().port());
        assertThat(after.get("primary").get("password").asString()).isEqualTo(PRIMARY_PASSWORD);
        assertThat(after.get("primary").get("database").asString()).isEqualTo(db);

        // The restarted pipeline goes on from where it was: the next rows arrive once, after the first 50.
        for (int i = 51; i <= 60; i++) {
            pair.primary().execute(db, "INSERT INTO items VALUES (" + i + ", 'row " + i + "')");
        }
        List<JsonNode> all = receiver.awaitMessages(60, Duration.ofSeconds(60));
        assertThat(all.stream()
                        .map(m -> m.get("record").get("id").asLong())
                        .distinct()
                        .count())
                .isEqualTo(60);

        // A backfill reads the standby, its watermarks written on the primary: every row arrives as a read.
        ApiClient.Reply backfill = api.post("/api/sinks/from-replica/backfills", "{\"table\": \"public.items\"}");
        assertThat(backfill.status()).as(backfill.text()).isEqualTo(201);
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .until(() -> api.get("/api/sinks/from-replica/backfills/"
                                + backfill.get("id").asString())
                        .get("state")
                        .asString()
                        .equals("completed"));
        List<JsonNode> withReads = receiver.awaitMessages(120, Duration.ofSeconds(60));
        assertThat(withReads.stream()
                        .filter(m -> m.get("action").asString().equals("read"))
                        .map(m -> m.get("record").get("label").asString())
                        .sorted()
                        .distinct()
                        .count())
                .isEqualTo(60);

        // Removing the primary from a standby's configuration is refused with the reason.
        ApiClient.Reply noPrimary = api.send(
                "PATCH", "/api/postgres_databases/replica-db-renamed", "{\"primary\": null}", "application/json");
        assertThat(noPrimary.status()).as(noPrimary.text()).isEqualTo(422);
        assertThat(noPrimary.text()).contains("is a standby").contains("'primary'");

        assertThat(api.delete("/api/sinks/from-replica").status()).isEqualTo(200);
        assertThat(api.delete("/api/postgres_databases/replica-db-renamed").status())
                .isEqualTo(200);
        pair.standby().execute(db, "SELECT pg_drop_replication_slot('standby_slot')");
    }

    @Test
    void aStandbyWithoutPrimary_isRefusedNamingTheFix() {
        ObjectNode body = replicaBody("no-primary", "no_primary_slot");
        body.remove("primary");
        ApiClient.Reply r = api.post("/api/postgres_databases", body.toString());
        assertThat(r.status()).as(r.text()).isEqualTo(422);
        assertThat(r.text()).contains("is a standby");
        if (decodesOnStandby()) {
            assertThat(r.text()).contains("Add a 'primary' block");
        }
        assertThat(api.get("/api/postgres_databases/no-primary").status()).isEqualTo(404);
    }

    @Test
    void aPrimaryThatIsNoPrimary_orUnreachable_isRefused() {
        // 'primary' on a database that is not a standby.
        ObjectNode notStandby = replicaBody("not-standby", "not_standby_slot");
        notStandby.put("port", pair.primary().port());
        ApiClient.Reply r = api.post("/api/postgres_databases", notStandby.toString());
        assertThat(r.status()).as(r.text()).isEqualTo(422);
        assertThat(r.text()).contains("is not a standby").contains("Remove 'primary'");

        // 'primary' naming the standby itself.
        ObjectNode twoStandbys = replicaBody("two-standbys", "two_standbys_slot");
        ((ObjectNode) twoStandbys.get("primary")).put("port", pair.standby().port());
        ApiClient.Reply s = api.post("/api/postgres_databases", twoStandbys.toString());
        assertThat(s.status()).as(s.text()).isEqualTo(422);
        assertThat(s.text()).contains("is itself a standby");

        // A primary nobody listens on.
        ObjectNode unreachable = replicaBody("unreachable-primary", "unreachable_slot");
        ((ObjectNode) unreachable.get("primary")).put("port", dev.sluice.testkit.FreePort.find());
        ApiClient.Reply u = api.post("/api/postgres_databases", unreachable.toString());
        assertThat(u.status()).as(u.text()).isEqualTo(422);
        assertThat(u.text()).contains("primary").doesNotContain(PRIMARY_PASSWORD);

        // A primary block without a hostname names the missing key.
        ObjectNode noHost = replicaBody("no-host", "no_host_slot");
        ((ObjectNode) noHost.get("primary")).remove("hostname");
        ApiClient.Reply h = api.post("/api/postgres_databases", noHost.toString());
        assertThat(h.status()).as(h.text()).isEqualTo(422);
        assertThat(h.get("validation_errors").has("primary.hostname"))
                .as(h.text())
                .isTrue();

        assertThat(api.get("/api/postgres_databases").get("data")).isEmpty();
    }

    private static void awaitSinkRunning() {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
            JsonNode health = api.get("/api/sinks/from-replica").get("health");
            return health != null && "healthy".equals(health.path("status").asString());
        });
    }

    private static String single(TestPostgres pg, String sql) throws Exception {
        try (Connection c = pg.connect(db);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static List<String> metadataRows(String sql) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = ServerFixture.PG.connect(sluice.metaDb());
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
