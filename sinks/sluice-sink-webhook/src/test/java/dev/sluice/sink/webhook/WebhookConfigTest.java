package dev.sluice.sink.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WebhookConfigTest {
    private static final URI URL = URI.create("https://hooks.example.com/in");

    @ParameterizedTest(name = "join({0}, {1}) = {2}")
    @CsvSource(
            nullValues = "NULL",
            value = {
                "https://h.io, /hooks, https://h.io/hooks",
                "https://h.io/, hooks, https://h.io/hooks",
                "https://h.io/api/, /hooks, https://h.io/api/hooks",
                "https://h.io/api//, //hooks/, https://h.io/api/hooks/",
                "https://h.io/api, NULL, https://h.io/api",
                "https://h.io/api, '  ', https://h.io/api",
                "https://h.io:8443/in?key=k, orders, https://h.io:8443/in/orders?key=k",
                "https://h.io/in?key=k, orders?x=1, https://h.io/in/orders?key=k&x=1",
                "http://u:p@127.0.0.1:9/a, b, http://u:p@127.0.0.1:9/a/b",
            })
    void join_putsExactlyOneSlashBetweenUrlAndPath(String url, String path, String expected) {
        assertThat(WebhookConfig.join(url, path)).isEqualTo(URI.create(expected));
    }

    @Test
    void join_rejectsInvalidUrlWithoutShowingSecrets() {
        assertThatThrownBy(() -> WebhookConfig.join("https://user:hunter2@h.io/a b?token=s3cret", "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a valid URL")
                .hasMessageNotContaining("hunter2")
                .hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> WebhookConfig.join("hooks.example.com/in", null))
                .hasMessageContaining("must be absolute");
    }

    @Test
    void rejectsSchemesOtherThanHttp() {
        assertThatThrownBy(() -> new WebhookConfig(URI.create("ftp://h.io/x"), Map.of(), true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("http:// or https://");
        assertThat(new WebhookConfig(URI.create("HTTP://h.io/x"), Map.of(), true).url())
                .hasScheme("HTTP");
    }

    @Test
    void rejectsUrlWithoutHostOrWithFragment() {
        assertThatThrownBy(() -> new WebhookConfig(URI.create("http:///x"), Map.of(), true))
                .hasMessageContaining("no host");
        assertThatThrownBy(() -> new WebhookConfig(URI.create("http://h.io/x#frag"), Map.of(), true))
                .hasMessageContaining("fragment");
    }

    @Test
    void defaultsRequestTimeoutTo30Seconds() {
        assertThat(new WebhookConfig(URL, Map.of(), false).requestTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void rejectsNonPositiveRequestTimeout() {
        assertThatThrownBy(() -> new WebhookConfig(URL, Map.of(), true, Duration.ZERO))
                .hasMessage("request_timeout_ms: must be positive, got 0 ms");
        assertThatThrownBy(() -> new WebhookConfig(URL, Map.of(), true, Duration.ofMillis(-5)))
                .hasMessageContaining("must be positive");
    }

    @Test
    void rejectsInvalidHeaderNamesAndValuesWithoutShowingValues() {
        assertThatThrownBy(() -> new WebhookConfig(URL, Map.of("X Token", "v"), true))
                .hasMessageContaining("header name 'X Token' has an invalid character");
        assertThatThrownBy(() -> new WebhookConfig(URL, Map.of("X-Token", "s3cret\r\nEvil: 1"), true))
                .hasMessage("http_endpoint: header 'X-Token' has an invalid character in its value");
        assertThatThrownBy(() -> new WebhookConfig(URL, Map.of("Content-Length", "1"), true))
                .hasMessageContaining("set by the HTTP client");
        // It would change how the body is framed on the wire.
        assertThatThrownBy(() -> new WebhookConfig(URL, Map.of("Transfer-Encoding", "chunked"), true))
                .hasMessage(
                        "http_endpoint: header 'Transfer-Encoding' is set by the HTTP client and cannot be configured");
        Map<String, String> twice = new LinkedHashMap<>();
        twice.put("X-Key", "a");
        twice.put("x-key", "b");
        assertThatThrownBy(() -> new WebhookConfig(URL, twice, true)).hasMessageContaining("configured twice");
    }

    @Test
    void headersAreCopiedAndKeepTheirOrder() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("B", "1");
        headers.put("A", "2");
        WebhookConfig config = new WebhookConfig(URL, headers, true);
        headers.put("C", "3");
        assertThat(config.headers()).containsExactly(Map.entry("B", "1"), Map.entry("A", "2"));
        assertThatThrownBy(() -> config.headers().put("D", "4")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void toString_hidesHeaderValuesUserInfoAndQueryValues() {
        WebhookConfig config = new WebhookConfig(
                URI.create("https://bob:hunter2@h.io:8443/in?token=s3cret&v=2"),
                Map.of("Authorization", "Bearer abc123"),
                true,
                Duration.ofMillis(1500));
        assertThat(config.toString())
                .isEqualTo("WebhookConfig[url=https://h.io:8443/in?token=***&v=***, headers=[Authorization],"
                        + " batch=true, requestTimeout=1500 ms]");
    }

    @Test
    void endpointUrl_isTheUrlUnlessGiven_andMustBeOnTheSameServer() {
        assertThat(new WebhookConfig(URL, Map.of(), true).endpointUrl()).isEqualTo(URL);
        URI endpoint = URI.create("https://hooks.example.com");
        assertThat(new WebhookConfig(URL, Map.of(), true, Duration.ofSeconds(1), endpoint).endpointUrl())
                .isEqualTo(endpoint);
        assertThatThrownBy(() -> new WebhookConfig(
                        URL, Map.of(), true, Duration.ofSeconds(1), URI.create("https://other.example.com")))
                .hasMessageStartingWith(
                        "http_endpoint: webhook url https://hooks.example.com/in is not on the" + " endpoint's server");
        assertThatThrownBy(() -> new WebhookConfig(
                        URL, Map.of(), true, Duration.ofSeconds(1), URI.create("http://hooks.example.com")))
                .hasMessageContaining("is not on the endpoint's server");
    }

    @Test
    void pathProblem_emptyOrSlashFirst_atMost2000Characters() {
        assertThat(WebhookConfig.pathProblem("")).isNull();
        assertThat(WebhookConfig.pathProblem("/" + "p".repeat(1999))).isNull();
        assertThat(WebhookConfig.pathProblem("orders")).isEqualTo("must start with '/'");
        assertThat(WebhookConfig.pathProblem("/" + "p".repeat(2000)))
                .isEqualTo("is 2001 characters long; at most 2000");
    }

    @Test
    void headersProblem_checksValuesThatAreNotStrings() {
        Map<String, Object> headers = new LinkedHashMap<>();
        headers.put("X-A", "1");
        headers.put("X-B", null);
        assertThat(WebhookConfig.headersProblem(headers)).isEqualTo("header 'X-B' has no value");
        assertThat(WebhookConfig.headersProblem(Map.of("X-C", true)))
                .isEqualTo("header 'X-C' has a value that is not a string");
        assertThat(WebhookConfig.headersProblem(Map.of("X-D", "ok"))).isNull();
    }
}
