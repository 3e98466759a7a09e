package dev.sluice.server.runtime;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.WebhookReceiver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code GET /metrics} of a running server, scraped over HTTP while it moves real changes. */
class MetricsIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @RegisterExtension
    final ServerFixture sluice = new ServerFixture();

    private String db;
    private WebhookReceiver receiver;
    private SluiceServer server;

    @BeforeEach
    void setUp() {
        db = sluice.database("metrics", "CREATE TABLE users (id int PRIMARY KEY, name text)");
        receiver = sluice.receiver();
        server = sluice.start(sluice.yaml(db, "batch: true", ""));
        sluice.awaitStreaming();
    }

    @Test
    void countsIngestedDeliveredAndFailedMessagesPerSinkAndExposesLatencyAndSlotLag() throws Exception {
        String hook = "{sink=\"hook\"}";
        // Registered at zero before anything moved.
        String before = scrape();
        assertThat(value(before, "sluice_messages_ingested_total" + hook)).isEqualTo(0.0);
        assertThat(value(before, "sluice_messages_failed_total" + hook)).isEqualTo(0.0);

        for (int i = 1; i <= 5; i++) {
            PG.execute(db, "INSERT INTO users VALUES (" + i + ", 'u" + i + "')");
        }
        receiver.awaitMessages(5, WAIT);
        await().atMost(WAIT).until(() -> value(scrape(), "sluice_messages_delivered_total" + hook) == 5.0);
        String afterFive = scrape();
        assertThat(value(afterFive, "sluice_messages_ingested_total" + hook)).isEqualTo(5.0);
        assertThat(value(afterFive, "sluice_messages_failed_total" + hook)).isEqualTo(0.0);
        assertThat(value(afterFive, "sluice_messages_discarded_total" + hook)).isEqualTo(0.0);
        // This node, alone, runs the one database's pipeline.
        assertThat(afterFive).containsPattern("sluice_node_pipelines\\{node=\"[^\"]+\"\\} 1\\.0");
        assertThat(afterFive).containsPattern("sluice_node_info\\{node=\"[^\"]+\"\\} 1(\\.0)?\\n");
        // The bytes of the five messages' JSON as sent: each body is {"data":[m1,m2,...]}.
        double sent = receiver.requests().stream()
                .mapToDouble(r -> r.body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                        - "{\"data\":[]}".length()
                        - (r.messages().size() - 1))
                .sum();
        assertThat(value(afterFive, "sluice_delivered_bytes_total" + hook)).isEqualTo(sent);

        receiver.respondNext(500);
        PG.execute(db, "INSERT INTO users VALUES (6, 'u6')");
        await().atMost(WAIT).until(() -> value(scrape(), "sluice_messages_delivered_total" + hook) == 6.0);
        String afterRetry = scrape();
        assertThat(value(afterRetry, "sluice_messages_ingested_total" + hook)).isEqualTo(6.0);
        assertThat(value(afterRetry, "sluice_messages_failed_total" + hook)).isEqualTo(1.0);
        assertThat(value(afterRetry, "sluice_messages_discarded_total" + hook)).isEqualTo(0.0);

        // One latency observation per delivered batch; with batch: true each batch is one request, so
        // the count is the number of requests answered 2xx.
        long acceptedRequests = receiver.requests().stream()
                .filter(WebhookReceiver.Request::accepted)
                .count();
        assertThat(value(afterRetry, "sluice_delivery_latency_seconds_count" + hook))
                .isEqualTo((double) acceptedRequests);
        assertThat(value(afterRetry, "sluice_delivery_latency_seconds_sum" + hook))
                .isGreaterThan(0.0);
        assertThat(afterRetry)
                .contains("sluice_delivery_latency_seconds_bucket{sink=\"hook\",le=\"+Inf\"} " + acceptedRequests);

        String lag = "sluice_replication_slot_lag_bytes{database=\"source\",slot=\""
                + sluice.slot(db).name() + "\"}";
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            Double v = value(scrape(), lag);
            return v != null && v >= 0;
        });
        assertThat(afterRetry).contains("jvm_memory_used_bytes");

        // The same numbers under Sequin's names, for its dashboard: per sink as consumer_id and consumer_name.
        String sinkId = sluice.api().get("/api/sinks/hook").get("id").asString();
        String consumer = "{consumer_id=\"" + sinkId + "\",consumer_name=\"hook\"}";
        assertThat(value(afterRetry, "sequin_message_deliver_success_count" + consumer))
                .isEqualTo(6.0);
        assertThat(value(afterRetry, "sequin_message_deliver_failure_count" + consumer))
                .isEqualTo(1.0);
        assertThat(value(afterRetry, "sequin_message_deliver_attempt_count" + consumer))
                .isEqualTo(7.0);
        String latency = "{consumer_id=\"" + sinkId + "\",consumer_name=\"hook\",success=\"ok\"";
        assertThat(value(afterRetry, "sequin_delivery_latency_us_count" + latency + "}"))
                .isEqualTo((double) acceptedRequests);
        assertThat(value(afterRetry, "sequin_delivery_latency_us_bucket" + latency + ",le=\"+Inf\"}"))
                .isEqualTo((double) acceptedRequests);
        assertThat(afterRetry)
                .contains("# TYPE sequin_message_deliver_success_count counter")
                .contains("# TYPE sequin_delivery_latency_us histogram");
        String dbId =
                sluice.api().get("/api/postgres_databases/source").get("id").asString();
        String slot = "sequin_replication_slot_size{replication_slot_id=\"" + dbId + "\",slot_name=\""
                + sluice.slot(db).name() + "\",database_name=\"source\"}";
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            Double v = value(scrape(), slot);
            return v != null && v >= 0;
        });
    }

    @Test
    void servesThePrometheusTextFormat() throws Exception {
        HttpResponse<String> r = get();
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type"))
                .hasValueSatisfying(ct -> assertThat(ct).startsWith("text/plain; version=0.0.4"));
        assertThat(r.body()).contains("# TYPE sluice_messages_delivered_total counter");
    }

    private HttpResponse<String> get() throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + "/metrics"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String scrape() throws Exception {
        return get().body();
    }

    /** The sample value of the line naming exactly {@code series} (name and labels), or null. */
    private static @Nullable Double value(String body, String series) {
        for (String line : body.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return null;
    }
}
