package dev.sluice.sink.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Action;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.core.sink.SinkProviders;
import dev.sluice.testkit.FreePort;
import dev.sluice.testkit.TestMessages;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ElasticsearchProviderTest {
    private final ElasticsearchProvider provider = new ElasticsearchProvider();

    private Configured<ElasticsearchConfig> configure(Map<String, ?> given) {
        return provider.configure(ConfigValues.of(provider.schema(), given));
    }

    @Test
    void isInstalled_withSequinsFieldsRoutingKeyAndDefaults() {
        assertThat(SinkProviders.installed().find("elasticsearch")).containsInstanceOf(ElasticsearchProvider.class);
        assertThat(provider.schema().names())
                .containsExactly(
                        "endpoint_url",
                        "index_name",
                        "auth_type",
                        "auth_value",
                        "batch_size",
                        "max_request_bytes",
                        "request_timeout_ms");
        assertThat(provider.schema().secretNames()).containsExactly("auth_value");
        assertThat(provider.routingKeys()).containsExactly("index_name");
        assertThat(provider.requiredRoutingKeys()).containsExactly("index_name");
        assertThat(provider.defaultBatchSize()).isEqualTo(100);
        assertThat(provider.defaultActions()).doesNotContain(Action.TRUNCATE);
    }

    @Test
    void configure_takesSequinsExample_andFillsDefaults() {
        // sinks.create_get_update.response.elasticsearch.normalized.json
        ElasticsearchConfig c = configure(Map.of(
                        "endpoint_url", "http://localhost:9200",
                        "index_name", "records",
                        "auth_type", "basic",
                        "auth_value", "base64-encoded-credentials",
                        "batch_size", 100))
                .orThrow();
        assertThat(c.authorization()).isEqualTo("Basic base64-encoded-credentials");
        assertThat(c.batchSize()).isEqualTo(100);
        assertThat(c.maxRequestBytes()).isEqualTo(100 * 1024 * 1024);
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(30));
        ElasticsearchConfig minimal = configure(
                        Map.of("endpoint_url", "http://localhost:9200", "index_name", "records"))
                .orThrow();
        assertThat(minimal.authType()).isEqualTo("api_key");
        assertThat(minimal.authValue()).isNull();
    }

    @Test
    void configure_reportsProblemsAtTheirFields() {
        assertThat(((Configured.Invalid<ElasticsearchConfig>)
                                configure(Map.of("endpoint_url", "localhost:9200", "index_name", "records")))
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("endpoint_url"));
        assertThat(((Configured.Invalid<ElasticsearchConfig>)
                                configure(Map.of("endpoint_url", "http://h", "index_name", "Records")))
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("index_name"));
    }

    @Test
    void examples_configure_andSetTheSecret() {
        for (Map<String, Object> e : provider.examples()) {
            assertThat(configure(e).orThrow().authValue()).isNotBlank();
        }
    }

    @Test
    void check_closedPort_isUnreachable_andShowsNoSecret() {
        int port = FreePort.find();
        ElasticsearchConfig c = configure(Map.of(
                        "endpoint_url", "http://127.0.0.1:" + port,
                        "index_name", "records",
                        "auth_value", "secret-k-31"))
                .orThrow();
        CheckResult result = provider.check(c, Duration.ofSeconds(2));
        assertThat(result.status()).isEqualTo(CheckResult.Status.UNREACHABLE);
        assertThat(result.detail()).contains("127.0.0.1:" + port).doesNotContain("secret-k-31");
    }

    @Test
    void documentId_isTheRecordPksJoinedWithDash() throws Exception {
        assertThat(BulkEntry.documentId(TestMessages.insert("o-1", "x", 0).json()))
                .isEqualTo("o-1");
        assertThat(BulkEntry.documentId(json("{\"record\":{},\"metadata\":{\"a\":{\"record_pks\":[9]},"
                        + "\"record_pks\":[\"7\",\"x-y\"]}}")))
                .isEqualTo("7-x-y");
        assertThat(BulkEntry.documentId(json("{\"metadata\":{\"record_pks\":[12, true]}}")))
                .isEqualTo("12-true");
    }

    @Test
    void entry_withoutAKeyOrNotAnObject_isUnfit() {
        assertUnfit(json("{\"id\":1}"), Action.INSERT, "no metadata.record_pks");
        assertUnfit(json("{\"metadata\":{\"record_pks\":[]}}"), Action.INSERT, "no primary key");
        assertUnfit(
                json("{\"metadata\":{\"record_pks\":[\"" + "k".repeat(513) + "\"]}}"), Action.INSERT, "at most 512");
        assertUnfit(json("[1]"), Action.INSERT, "no metadata.record_pks");
        assertUnfit(json("{\"metadata\":{\"record_pks\":[\"1\",}}"), Action.INSERT, "not valid JSON");
        assertUnfit(TestMessages.insert("a", "b", 0).json(), Action.TRUNCATE, "truncate");
    }

    @Test
    void entry_isOneActionLineAndOneSourceLine_deleteOnlyTheAction() throws Exception {
        byte[] json = json("{\"record\":{\"note\":\"a\\nb\"},\n\"metadata\":{\"record_pks\":[\"q\\\"1\"]}}");
        String index = new String(BulkEntry.of(0, message(json, Action.UPDATE)).bytes(), StandardCharsets.UTF_8);
        assertThat(index)
                .isEqualTo("{\"index\":{\"_id\":\"q\\\"1\"}}\n"
                        + "{\"record\":{\"note\":\"a\\nb\"}, \"metadata\":{\"record_pks\":[\"q\\\"1\"]}}\n");
        String delete = new String(BulkEntry.of(3, message(json, Action.DELETE)).bytes(), StandardCharsets.UTF_8);
        assertThat(delete).isEqualTo("{\"delete\":{\"_id\":\"q\\\"1\"}}\n");
    }

    @Test
    void entry_afterATransformThatDroppedMetadata_takesTheIdFromTheChange() throws Exception {
        SinkMessage change = TestMessages.insert("o-7", "x", 0);
        SinkMessage transformed = change.with(json("{\"name\":\"x\"}"), null);
        String entry = new String(BulkEntry.of(0, transformed).bytes(), StandardCharsets.UTF_8);
        assertThat(entry).isEqualTo("{\"index\":{\"_id\":\"o-7\"}}\n{\"name\":\"x\"}\n");
    }

    private static void assertUnfit(byte[] json, Action action, String reason) {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> BulkEntry.of(0, message(json, action)))
                .isInstanceOf(BulkEntry.Unfit.class)
                .hasMessageContaining(reason);
    }

    private static SinkMessage message(byte[] json, Action action) {
        SinkMessage m = TestMessages.insert("x", "y", 0);
        return new SinkMessage(m.position(), m.table(), action, m.committedAt(), json, m.groupId(), m.idempotencyKey());
    }

    private static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
