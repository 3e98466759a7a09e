package dev.sluice.terraform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.server.api.ApiClient;
import dev.sluice.server.fixture.ServerFixture;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A configuration written for the seeds' Sequin provider ({@code sequin_database}, provider {@code sequin}), pointed
 * at Sluice's provider: create with the server's defaults left out, no drift, rename in place, import, destroy.
 */
class DatabaseResourceIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static ApiClient api;
    static String db;

    @BeforeAll
    static void start() {
        TerraformCli.assumeInstalled();
        sluice.start();
        api = sluice.api();
        db = sluice.database(
                "tfdb",
                "CREATE TABLE orders (id int PRIMARY KEY, status text)",
                // As a Sequin user prepares the source: the publication and the slot exist before the database is
                // added.
                "CREATE PUBLICATION tf_pub FOR ALL TABLES",
                "SELECT pg_create_logical_replication_slot('tf_slot_' || current_database(), 'pgoutput')");
    }

    @AfterAll
    static void dropSlot() {
        try {
            ServerFixture.PG.execute(db, "SELECT pg_drop_replication_slot('tf_slot_' || current_database())");
        } catch (RuntimeException e) {
            // Best effort: the shared Postgres has few slots, and a slot keeps its database from being dropped.
        }
    }

    private static String config(String name) {
        return """
                terraform {
                  required_providers {
                    sequin = { source = "sluice/sluice" }
                  }
                }
                provider "sequin" {
                  endpoint = "%s"
                  api_key  = "%s"
                }
                resource "sequin_database" "source" {
                  name     = "%s"
                  hostname = "localhost"
                  port     = %d
                  database = "%s"
                  username = "postgres"
                  ssl      = false
                  replication_slots = [{
                    publication_name = "%s"
                    slot_name        = "%s"
                  }]
                }
                """.formatted(
                        "http://127.0.0.1:" + sluice.server().port(),
                        ServerFixture.TOKEN,
                        name,
                        ServerFixture.PG.port(),
                        db,
                        "tf_pub",
                        "tf_slot_" + db);
    }

    @Test
    void sequinConfig_createNoDriftRenameImportDestroy(@TempDir Path tmp) throws Exception {
        TerraformCli tf = TerraformCli.in(tmp, Map.of());
        tf.write(config("tf-source"));
        tf.ok("apply", "-auto-approve", "-input=false", "-no-color");
        ApiClient.Reply got = api.get("/api/postgres_databases/tf-source");
        assertThat(got.status()).as(got.text()).isEqualTo(200);
        tf.assertNoChanges();

        tf.write(config("tf-renamed"));
        assertThat(tf.ok("apply", "-auto-approve", "-input=false", "-no-color")).contains("1 changed");
        assertThat(api.get("/api/postgres_databases/tf-renamed").status()).isEqualTo(200);
        tf.assertNoChanges();

        TerraformCli other = TerraformCli.in(tmp.resolve("other"), Map.of());
        other.write(config("tf-renamed"));
        other.ok(
                "import",
                "-input=false",
                "-no-color",
                "sequin_database.source",
                got.get("id").asString());
        other.assertNoChanges();

        tf.ok("destroy", "-auto-approve", "-input=false", "-no-color");
        assertThat(api.get("/api/postgres_databases/tf-renamed").status()).isEqualTo(404);
    }
}
