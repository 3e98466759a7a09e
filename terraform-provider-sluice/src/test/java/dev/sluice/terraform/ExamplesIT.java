package dev.sluice.terraform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.server.fixture.ServerFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every configuration in {@code examples/terraform/} as it is in the repository, applied against a live Sluice: it
 * applies, a plan right after shows no changes, and it destroys cleanly.
 */
class ExamplesIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static String db;

    @BeforeAll
    static void start() {
        TerraformCli.assumeInstalled();
        sluice.start();
        // As the examples' README asks: the tables they stream, a publication and a slot made beforehand.
        db = sluice.database(
                "tfexamples",
                "CREATE TABLE orders (id int PRIMARY KEY, status text)",
                "CREATE TABLE order_items (id int PRIMARY KEY, order_id int)",
                "CREATE TABLE customers (id int PRIMARY KEY, name text)",
                "CREATE TABLE events (id int PRIMARY KEY, tenant_id int)",
                "CREATE TABLE notifications (id int PRIMARY KEY, body text)",
                "INSERT INTO orders SELECT g, 'paid' FROM generate_series(1, 100) g",
                "INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 100) g",
                "CREATE PUBLICATION sluice_pub FOR ALL TABLES",
                "SELECT pg_create_logical_replication_slot('sluice_slot', 'pgoutput')");
    }

    @AfterAll
    static void dropSlot() {
        try {
            ServerFixture.PG.execute(db, "SELECT pg_drop_replication_slot('sluice_slot')");
        } catch (RuntimeException e) {
            // Best effort: the shared Postgres has few slots, and a slot keeps its database from being dropped.
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sequin", "multi-sink", "backfill", "functions"})
    void example_appliesWithoutDrift_andDestroys(String example, @TempDir Path tmp) throws Exception {
        Map<String, String> env =
                new HashMap<>(TerraformCli.sluiceEnv(sluice.server().port(), ServerFixture.TOKEN));
        env.put("SEQUIN_ENDPOINT", env.get("SLUICE_ENDPOINT"));
        env.put("SEQUIN_API_KEY", ServerFixture.TOKEN);
        env.put("TF_VAR_postgres_port", String.valueOf(ServerFixture.PG.port()));
        env.put("TF_VAR_postgres_db", db);
        TerraformCli tf = TerraformCli.in(tmp, env);
        Path source = Path.of("")
                .toAbsolutePath()
                .getParent()
                .resolve("examples/terraform")
                .resolve(example);
        try (var files = Files.list(source)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".tf")).toList()) {
                Files.copy(f, tf.dir().resolve(f.getFileName()));
            }
        }
        try {
            tf.ok("apply", "-auto-approve", "-input=false", "-no-color");
            tf.assertNoChanges();
        } finally {
            // Also after a failure: the next example names the same database.
            tf.ok("destroy", "-auto-approve", "-input=false", "-no-color");
        }
        assertThat(sluice.api().get("/api/sinks").get("data")).isEmpty();
    }
}
