package dev.sluice.terraform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.server.api.ApiClient;
import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.WebhookReceiver;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sinks and backfills through the real {@code terraform} CLI: a configuration in the seeds' terms ({@code
 * sequin_sink_consumer}, {@code sequin_backfill}, {@code source} as a block, the database by ID, Kafka's {@code
 * sasl_mechanism} in capitals, an SQS queue whose region and FIFO flag the server infers) beside Sluice's own
 * resources (a webhook sink to an HTTP endpoint, a filter function), with no drift after apply or import, updates in
 * place, a replaced backfill, a cancelled one, data sources, and a sink deleted behind Terraform's back.
 */
class SinkConsumerResourceIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static ApiClient api;
    static String db;
    static WebhookReceiver receiver;

    @BeforeAll
    static void start() {
        TerraformCli.assumeInstalled();
        sluice.start();
        api = sluice.api();
        receiver = sluice.receiver();
        db = sluice.database(
                "tfsink",
                "CREATE TABLE orders (id int PRIMARY KEY, status text)",
                "CREATE TABLE customers (id int PRIMARY KEY, name text)",
                "INSERT INTO orders SELECT g, 'new' FROM generate_series(1, 200) g",
                "INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 50) g");
        ApiClient.Reply created = api.post("/api/postgres_databases", sluice.databaseJson("tf-source", db));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
    }

    private static String config(int batchSize, String topic, String backfillTable, String backfillState) {
        return config(
                batchSize,
                topic,
                backfillTable,
                backfillState,
                api.get("/api/postgres_databases/tf-source").get("id").asString(),
                "SCRAM-SHA-256");
    }

    private static String config(
            int batchSize, String topic, String backfillTable, String backfillState, String dbId, String sasl) {
        return """
                terraform {
                  required_providers {
                    sequin = { source = "sluice/sluice" }
                    sluice = { source = "sluice/sluice" }
                  }
                }
                provider "sequin" {}
                provider "sluice" {}

                resource "sluice_function" "only_new" {
                  name = "tf-only-new"
                  type = "filter"
                  code = "function filter(action, record, changes, metadata) { return record.status === 'new'; }"
                }
                resource "sluice_http_endpoint" "hook" {
                  name = "tf-receiver"
                  url  = "%s"
                }
                resource "sluice_sink_consumer" "hook" {
                  name     = "tf-hook"
                  database = "tf-source"
                  source {
                    include_tables = ["public.orders", "public.customers"]
                  }
                  tables = []
                  destination = {
                    type          = "webhook"
                    http_endpoint = sluice_http_endpoint.hook.name
                  }
                  filter = sluice_function.only_new.name
                }
                resource "sequin_sink_consumer" "direct" {
                  name     = "tf-direct"
                  database = "tf-source"
                  tables   = [{ name = "public.orders", group_column_names = ["id"] }]
                  actions  = ["insert"]
                  destination = {
                    type               = "webhook"
                    http_endpoint      = "%s"
                    http_endpoint_path = "/orders"
                    batch              = true
                  }
                }
                resource "sequin_sink_consumer" "kafka" {
                  name     = "tf-kafka"
                  database = "%s"
                  tables   = [{ name = "orders" }]
                  actions  = ["insert", "update"]
                  destination = {
                    type           = "kafka"
                    hosts          = "127.0.0.1:1"
                    topic          = "%s"
                    username       = "sluice"
                    password       = "hunter2"
                    sasl_mechanism = "%s"
                  }
                  batch_size = %d
                }
                resource "sequin_sink_consumer" "sqs" {
                  name     = "tf-sqs"
                  database = "tf-source"
                  tables   = [{ name = "public.customers", group_column_names = ["name"] }]
                  destination = {
                    type              = "sqs"
                    queue_url         = "https://sqs.eu-west-1.amazonaws.com/123456789012/customers"
                    access_key_id     = "AKIAEXAMPLE"
                    secret_access_key = "s3cret"
                  }
                }
                resource "sequin_backfill" "orders" {
                  sink_consumer = sluice_sink_consumer.hook.name
                  table         = "%s"
                  state         = "%s"
                }
                data "sluice_sink_consumer" "kafka" {
                  name = sequin_sink_consumer.kafka.name
                }
                output "kafka_topic" {
                  value = data.sluice_sink_consumer.kafka.destination.topic
                }
                """.formatted(
                        receiver.url(), receiver.url(), dbId, topic, sasl, batchSize, backfillTable, backfillState);
    }

    @Test
    void sinksAndBackfills_noDrift_updateReplaceCancelImportAndRecreate(@TempDir Path tmp) throws Exception {
        receiver.respondWith(500); // the backfill stays active until it is cancelled
        Map<String, String> env = Map.of(
                "SLUICE_ENDPOINT", "http://127.0.0.1:" + sluice.server().port(), "SLUICE_API_KEY", ServerFixture.TOKEN);
        TerraformCli tf = TerraformCli.in(tmp, env);
        tf.write(config(50, "orders", "public.orders", "active"));
        tf.ok("apply", "-auto-approve", "-input=false", "-no-color");
        ApiClient.Reply kafka = api.get("/api/sinks/tf-kafka");
        assertThat(kafka.status()).as(kafka.text()).isEqualTo(200);
        assertThat(kafka.get("destination").get("password").asString()).doesNotContain("hunter2");
        assertThat(api.get("/api/sinks/tf-sqs").get("destination").get("region").asString())
                .isEqualTo("eu-west-1");
        assertThat(api.get("/api/sinks/tf-hook").get("filter").asString()).isEqualTo("tf-only-new");
        String backfillId = backfillId(tf);
        assertThat(api.get("/api/sinks/tf-hook/backfills/" + backfillId)
                        .get("state")
                        .asString())
                .isEqualTo("active");
        assertThat(tf.ok("output", "-raw", "kafka_topic")).isEqualTo("orders");
        tf.assertNoChanges();

        // In place: a new batch size and topic.
        tf.write(config(25, "orders-v2", "public.orders", "active"));
        assertThat(tf.ok("apply", "-auto-approve", "-input=false", "-no-color")).contains("1 changed");
        ApiClient.Reply kafkaNow = api.get("/api/sinks/tf-kafka");
        assertThat(kafkaNow.get("destination").get("topic").asString()).isEqualTo("orders-v2");
        assertThat(kafkaNow.get("batch_size").asInt()).isEqualTo(25);
        tf.assertNoChanges();

        // Cancel in place.
        tf.write(config(25, "orders-v2", "public.orders", "cancelled"));
        assertThat(tf.ok("apply", "-auto-approve", "-input=false", "-no-color")).contains("1 changed");
        assertThat(api.get("/api/sinks/tf-hook/backfills/" + backfillId)
                        .get("state")
                        .asString())
                .isEqualTo("cancelled");
        tf.assertNoChanges();

        // Another table is another backfill.
        tf.write(config(25, "orders-v2", "public.customers", "active"));
        String replaced = tf.ok("apply", "-auto-approve", "-input=false", "-no-color");
        assertThat(replaced).contains("must be replaced").contains("1 added").contains("1 destroyed");
        String customersBackfill = backfillId(tf);
        assertThat(customersBackfill).isNotEqualTo(backfillId);
        assertThat(api.get("/api/sinks/tf-hook/backfills/" + customersBackfill)
                        .get("table")
                        .asString())
                .isEqualTo("public.customers");
        tf.assertNoChanges();

        // Imported elsewhere, in the seeds' ID forms: no changes.
        TerraformCli other = TerraformCli.in(tmp.resolve("other"), env);
        // An import knows no configuration: the state holds the server's spelling of a choice, which a configuration
        // written from the API's answers uses (another spelling is one no-op update), and the database as the seeds'
        // configurations give it to sequin_ sinks (by ID) and Sluice's examples to sluice_ sinks (by name).
        String dbId = api.get("/api/postgres_databases/tf-source").get("id").asString();
        other.write(config(25, "orders-v2", "public.customers", "active", dbId, "scram_sha_256")
                .replace("tables   = [{ name = \"orders\" }]", "tables   = [{ name = \"public.orders\" }]")
                .replaceAll(
                        "(name\\s+=\\s+\"tf-(direct|sqs)\"\\s+database\\s+=\\s+)\"tf-source\"", "$1\"" + dbId + "\""));
        other.ok("import", "-input=false", "-no-color", "sluice_function.only_new", "tf-only-new");
        other.ok("import", "-input=false", "-no-color", "sluice_http_endpoint.hook", "tf-receiver");
        for (String sink : new String[] {"hook", "kafka", "sqs", "direct"}) {
            String type = sink.equals("hook") ? "sluice_sink_consumer" : "sequin_sink_consumer";
            other.ok(
                    "import",
                    "-input=false",
                    "-no-color",
                    type + "." + sink,
                    api.get("/api/sinks/tf-" + sink).get("id").asString());
        }
        other.ok("import", "-input=false", "-no-color", "sequin_backfill.orders", "tf-hook/" + customersBackfill);
        other.assertNoChanges();
        TerraformCli.Result bad = other.run("import", "-input=false", "-no-color", "sequin_backfill.x", "no-slash");
        assertThat(bad.exit()).isNotZero();

        // Deleted behind Terraform's back: planned again, and created again.
        assertThat(api.delete("/api/sinks/tf-sqs").status()).isEqualTo(200);
        TerraformCli.Result plan = tf.run("plan", "-detailed-exitcode", "-input=false", "-no-color");
        assertThat(plan.exit()).as(plan.out()).isEqualTo(2);
        assertThat(plan.out()).contains("sequin_sink_consumer.sqs will be created");
        tf.ok("apply", "-auto-approve", "-input=false", "-no-color");
        tf.assertNoChanges();

        receiver.respondWith(200);
        tf.ok("destroy", "-auto-approve", "-input=false", "-no-color");
        for (String sink : new String[] {"tf-hook", "tf-kafka", "tf-sqs", "tf-direct"}) {
            assertThat(api.get("/api/sinks/" + sink).status()).isEqualTo(404);
        }
        assertThat(api.get("/api/functions/tf-only-new").status()).isEqualTo(404);
    }

    private static String backfillId(TerraformCli tf) throws Exception {
        String shown = tf.ok("state", "show", "-no-color", "sequin_backfill.orders");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^\\s*id\\s*=\\s*\"([^\"]+)\"")
                .matcher(shown);
        assertThat(m.find()).as(shown).isTrue();
        return m.group(1);
    }
}
