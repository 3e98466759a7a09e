package dev.sluice.sink.meilisearch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.SinkProviders;
import dev.sluice.testkit.FreePort;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MeilisearchProviderTest {
    private final MeilisearchProvider provider = new MeilisearchProvider();

    private Configured<MeilisearchConfig> configure(Map<String, ?> given) {
        return provider.configure(ConfigValues.of(provider.schema(), given));
    }

    @Test
    void isInstalled_withSequinsFieldsDefaultsAndRoutingKeys() {
        assertThat(SinkProviders.installed().find("meilisearch")).containsInstanceOf(MeilisearchProvider.class);
        assertThat(provider.schema().names())
                .containsExactly(
                        "endpoint_url", "index_name", "primary_key", "api_key", "batch_size", "timeout_seconds");
        assertThat(provider.schema().secretNames()).containsExactly("api_key");
        assertThat(provider.routingKeys()).containsExactly("action", "index_name", "filter", "function", "context");
        assertThat(provider.requiredRoutingKeys()).isEmpty();
        assertThat(provider.defaultBatchSize()).isEqualTo(100);
    }

    @Test
    void configure_takesSequinsExample() {
        // sinks.create_get_update.response.meilisearch.normalized.json
        MeilisearchConfig c = configure(Map.of(
                        "endpoint_url", "http://localhost:7700",
                        "index_name", "records",
                        "primary_key", "id",
                        "api_key", "your-api-key",
                        "batch_size", 100,
                        "timeout_seconds", 5))
                .orThrow();
        assertThat(c.indexName()).isEqualTo("records");
        assertThat(c.primaryKey()).isEqualTo("id");
        assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void examples_configure_andSetTheSecret() {
        assertThat(provider.examples()).allSatisfy(e -> {
            assertThat(configure(e)).isInstanceOf(Configured.Valid.class);
            assertThat(e).containsKey("api_key");
        });
    }

    @Test
    void check_closedPort_isUnreachable_andHidesTheKey() {
        int port = FreePort.find();
        MeilisearchConfig c = configure(
                        Map.of("endpoint_url", "http://127.0.0.1:" + port, "index_name", "i", "api_key", "key-58"))
                .orThrow();
        CheckResult result = provider.check(c, Duration.ofSeconds(2));
        assertThat(result.status()).isEqualTo(CheckResult.Status.UNREACHABLE);
        assertThat(result.detail()).contains("127.0.0.1:" + port).doesNotContain("key-58");
    }
}
