package dev.sluice.sink.meilisearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.sink.InvalidConfigException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MeilisearchConfigTest {
    private static MeilisearchConfig of(String url, String index, String key) {
        return MeilisearchConfig.of(url, index, null, key, null, null);
    }

    private static void assertProblemAt(Runnable r, String field, String text) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(InvalidConfigException.class, e -> {
            assertThat(e.problems().getFirst().field()).isEqualTo(field);
            assertThat(e.problems().getFirst().message()).contains(text);
        });
    }

    @Test
    void of_fillsSequinsDefaults() {
        MeilisearchConfig c = of("http://localhost:7700/", "records", "k");
        assertThat(c.endpointUrl()).hasToString("http://localhost:7700");
        assertThat(c.primaryKey()).isEqualTo("id");
        assertThat(c.batchSize()).isEqualTo(100);
        assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void endpointUrl_followsSequinsRules() {
        assertProblemAt(() -> of(null, "i", "k"), "endpoint_url", "is required");
        assertProblemAt(() -> of("ftp://localhost", "i", "k"), "endpoint_url", "http or https");
        assertProblemAt(() -> of("http://localhost:7700?x=1", "i", "k"), "endpoint_url", "query params");
        assertProblemAt(() -> of("http://localhost:7700#x", "i", "k"), "endpoint_url", "fragment");
    }

    @Test
    void indexName_followsMeilisearchsUidRule() {
        assertProblemAt(() -> of("http://h", null, "k"), "index_name", "is required");
        assertProblemAt(() -> of("http://h", "my index", "k"), "index_name", "letters, digits");
        assertProblemAt(() -> of("http://h", "i".repeat(401), "k"), "index_name", "at most 400");
        assertThat(of("http://h", "Products_2024-v2", "k").indexName()).isEqualTo("Products_2024-v2");
    }

    @Test
    void primaryKeyAndApiKey_areRequired_andBoundsAreSequins() {
        assertProblemAt(() -> MeilisearchConfig.of("http://h", "i", " ", "k", null, null), "primary_key", "empty");
        assertProblemAt(() -> of("http://h", "i", ""), "api_key", "is required");
        assertProblemAt(() -> MeilisearchConfig.of("http://h", "i", null, "k", 0, null), "batch_size", "between 1");
        assertProblemAt(
                () -> MeilisearchConfig.of("http://h", "i", null, "k", null, 301),
                "timeout_seconds",
                "between 1 and 300");
    }

    @Test
    void toString_hidesTheApiKey() {
        assertThat(of("http://h", "i", "secret-key-31").toString())
                .doesNotContain("secret-key-31")
                .contains("apiKey=***");
    }
}
