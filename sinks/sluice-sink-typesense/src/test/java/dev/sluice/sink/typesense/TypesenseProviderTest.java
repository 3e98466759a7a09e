package dev.sluice.sink.typesense;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.SinkProviders;
import dev.sluice.testkit.FreePort;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TypesenseProviderTest {
    private final TypesenseProvider provider = new TypesenseProvider();

    private Configured<TypesenseConfig> configure(Map<String, ?> given) {
        return provider.configure(ConfigValues.of(provider.schema(), given));
    }

    @Test
    void isInstalled_withSequinsFieldsDefaultsAndRoutingKeys() {
        assertThat(SinkProviders.installed().find("typesense")).containsInstanceOf(TypesenseProvider.class);
        assertThat(provider.schema().names())
                .containsExactly("endpoint_url", "collection_name", "api_key", "batch_size", "timeout_seconds");
        assertThat(provider.schema().secretNames()).containsExactly("api_key");
        assertThat(provider.routingKeys()).containsExactly("action", "collection_name");
        assertThat(provider.requiredRoutingKeys()).isEmpty();
        assertThat(provider.defaultBatchSize()).isEqualTo(40);
    }

    @Test
    void configure_takesSequinsExample() {
        // sinks.create_get_update.response.typesense.normalized.json
        TypesenseConfig c = configure(Map.of(
                        "endpoint_url", "http://localhost:8108",
                        "collection_name", "records",
                        "api_key", "your-api-key",
                        "batch_size", 100,
                        "timeout_seconds", 5))
                .orThrow();
        assertThat(c.collectionName()).isEqualTo("records");
        assertThat(c.batchSize()).isEqualTo(100);
        assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void configure_reportsProblemsAtTheirFields() {
        assertThat(((Configured.Invalid<TypesenseConfig>)
                                configure(Map.of("endpoint_url", "localhost", "collection_name", "c", "api_key", "k")))
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("endpoint_url"));
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
        TypesenseConfig c = configure(
                        Map.of("endpoint_url", "http://127.0.0.1:" + port, "collection_name", "c", "api_key", "key-93"))
                .orThrow();
        CheckResult result = provider.check(c, Duration.ofSeconds(2));
        assertThat(result.status()).isEqualTo(CheckResult.Status.UNREACHABLE);
        assertThat(result.detail()).contains("127.0.0.1:" + port).doesNotContain("key-93");
    }
}
