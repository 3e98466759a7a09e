package dev.sluice.sink.typesense;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.sink.InvalidConfigException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TypesenseConfigTest {
    private static TypesenseConfig of(String url, String collection, String key) {
        return TypesenseConfig.of(url, collection, key, null, null);
    }

    private static void assertProblemAt(Runnable r, String field, String text) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(InvalidConfigException.class, e -> {
            assertThat(e.problems().getFirst().field()).isEqualTo(field);
            assertThat(e.problems().getFirst().message()).contains(text);
        });
    }

    @Test
    void of_fillsSequinsDefaults_andDropsATrailingSlash() {
        TypesenseConfig c = of("http://localhost:8108/", "records", "k");
        assertThat(c.endpointUrl()).hasToString("http://localhost:8108");
        assertThat(c.batchSize()).isEqualTo(40);
        assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void of_keepsAPathPrefix() {
        assertThat(of("https://proxy.example.com/typesense/", "c", "k").endpointUrl())
                .hasToString("https://proxy.example.com/typesense");
    }

    @Test
    void endpointUrl_followsSequinsRules() {
        assertProblemAt(() -> of(null, "c", "k"), "endpoint_url", "is required");
        assertProblemAt(() -> of("localhost:8108", "c", "k"), "endpoint_url", "valid scheme");
        assertProblemAt(() -> of("//localhost:8108", "c", "k"), "endpoint_url", "scheme");
        assertProblemAt(() -> of("ftp://localhost", "c", "k"), "endpoint_url", "http or https");
        assertProblemAt(() -> of("http://localhost:8108?x=1", "c", "k"), "endpoint_url", "query params");
        assertProblemAt(() -> of("http://localhost:8108#top", "c", "k"), "endpoint_url", "fragment");
        assertProblemAt(() -> of("http://u:p@localhost:8108", "c", "k"), "endpoint_url", "credentials");
    }

    @Test
    void collectionName_isRequired_andAtMost1024Characters() {
        assertProblemAt(() -> of("http://h", null, "k"), "collection_name", "is required");
        assertProblemAt(() -> of("http://h", "c".repeat(1025), "k"), "collection_name", "at most 1024");
        assertThat(of("http://h", "c".repeat(1024), "k").collectionName()).hasSize(1024);
    }

    @Test
    void apiKey_isRequired() {
        assertProblemAt(() -> of("http://h", "c", ""), "api_key", "is required");
        assertProblemAt(() -> of("http://h", "c", null), "api_key", "is required");
    }

    @Test
    void batchSizeAndTimeout_haveSequinsBounds() {
        assertProblemAt(() -> TypesenseConfig.of("http://h", "c", "k", 0, null), "batch_size", "between 1 and 10000");
        assertProblemAt(
                () -> TypesenseConfig.of("http://h", "c", "k", 10_001, null), "batch_size", "between 1 and 10000");
        assertProblemAt(
                () -> TypesenseConfig.of("http://h", "c", "k", null, 0), "timeout_seconds", "between 1 and 3600");
        assertProblemAt(
                () -> TypesenseConfig.of("http://h", "c", "k", null, 3601), "timeout_seconds", "between 1 and 3600");
    }

    @Test
    void toString_hidesTheApiKey() {
        assertThat(of("http://h", "c", "secret-key-77").toString())
                .doesNotContain("secret-key-77")
                .contains("apiKey=***");
    }
}
