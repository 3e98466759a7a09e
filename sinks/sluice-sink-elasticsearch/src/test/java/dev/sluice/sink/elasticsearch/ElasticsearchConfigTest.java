package dev.sluice.sink.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.sink.InvalidConfigException;
import java.net.URI;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class ElasticsearchConfigTest {
    private static ElasticsearchConfig config(String url, String index, String type, String value) {
        return new ElasticsearchConfig(URI.create(url), index, type, value);
    }

    private static void assertInvalid(Runnable r, String field, String messagePart) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(InvalidConfigException.class, e -> {
            assertThat(e.field()).isEqualTo(field);
            assertThat(e.getMessage()).contains(messagePart);
        });
    }

    @Test
    void endpointUrl_keepsAPathPrefix_withoutTrailingSlash() {
        assertThat(config("https://es.example.com:9200/", "orders", "api_key", "k")
                        .endpointUrl())
                .isEqualTo(URI.create("https://es.example.com:9200"));
        assertThat(config("HTTP://proxy.example.com/es/", "orders", "api_key", "k")
                        .endpointUrl())
                .isEqualTo(URI.create("http://proxy.example.com/es"));
    }

    @Test
    void endpointUrl_mustBeHttpWithAHost_noCredentialsNoQuery() {
        assertInvalid(() -> config("ftp://es.example.com", "o", "api_key", "k"), "endpoint_url", "http or https");
        assertInvalid(() -> config("es.example.com:9200", "o", "api_key", "k"), "endpoint_url", "http or https");
        assertInvalid(() -> config("https://u:p@es.example.com", "o", "api_key", "k"), "endpoint_url", "credentials");
        assertInvalid(() -> config("https://es.example.com/?pretty", "o", "api_key", "k"), "endpoint_url", "query");
    }

    @Test
    void indexName_followsElasticsearchsRules() {
        assertInvalid(() -> config("http://h", "Orders", "api_key", "k"), "index_name", "lowercase");
        assertInvalid(() -> config("http://h", "_orders", "api_key", "k"), "index_name", "cannot start with '_'");
        assertInvalid(() -> config("http://h", "a b", "api_key", "k"), "index_name", "cannot contain ' '");
        assertInvalid(() -> config("http://h", "a*", "api_key", "k"), "index_name", "cannot contain '*'");
        assertInvalid(() -> config("http://h", "..", "api_key", "k"), "index_name", "'.' or '..'");
        assertInvalid(() -> config("http://h", "x".repeat(256), "api_key", "k"), "index_name", "at most 255");
        assertInvalid(() -> config("http://h", "", "api_key", "k"), "index_name", "required");
        assertThat(config("http://h", "orders-2025.01_v2", "api_key", "k").indexName())
                .isEqualTo("orders-2025.01_v2");
    }

    @Test
    void authorization_isSequinsHeaderPerAuthType() {
        assertThat(config("http://h", "o", "api_key", "a2V5").authorization()).isEqualTo("ApiKey a2V5");
        assertThat(config("http://h", "o", "bearer", "tok").authorization()).isEqualTo("Bearer tok");
        assertThat(config("http://h", "o", "basic", "dTpw").authorization()).isEqualTo("Basic dTpw");
        assertThat(config("http://h", "o", "basic", "user:pa:ss").authorization())
                .isEqualTo("Basic " + Base64.getEncoder().encodeToString("user:pa:ss".getBytes()));
        assertThat(config("http://h", "o", "api_key", null).authorization()).isNull();
        assertThat(config("http://h", "o", "api_key", "  ").authorization()).isNull();
    }

    @Test
    void authType_isOneOfSequins() {
        assertInvalid(() -> config("http://h", "o", "oauth", "k"), "auth_type", "api_key, basic or bearer");
        assertInvalid(() -> config("http://h", "o", "api_key", "a\nb"), "auth_value", "control character");
    }

    @Test
    void limits_areChecked() {
        URI u = URI.create("http://h");
        assertInvalid(
                () -> new ElasticsearchConfig(u, "o", "api_key", null, 0, 1 << 20, Duration.ofSeconds(1)),
                "batch_size",
                "between 1 and 10000");
        assertInvalid(
                () -> new ElasticsearchConfig(u, "o", "api_key", null, 10_001, 1 << 20, Duration.ofSeconds(1)),
                "batch_size",
                "between 1 and 10000");
        assertInvalid(
                () -> new ElasticsearchConfig(u, "o", "api_key", null, 10, 100, Duration.ofSeconds(1)),
                "max_request_bytes",
                "at least 1024");
        assertInvalid(
                () -> new ElasticsearchConfig(u, "o", "api_key", null, 10, 1 << 20, Duration.ZERO),
                "request_timeout_ms",
                "positive");
    }

    @Test
    void toString_hidesAuthValue() {
        assertThat(config("http://h", "o", "api_key", "secret-k-77").toString())
                .doesNotContain("secret-k-77")
                .contains("authValue=***");
    }
}
