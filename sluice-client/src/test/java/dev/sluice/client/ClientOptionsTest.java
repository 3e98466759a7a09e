package dev.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The builder's checks, {@code fromEnv}, the retry policy's arithmetic and the request builders. */
class ClientOptionsTest {
    @Test
    void fromEnv_worksWithNothingSet_andReadsSluiceEndpointAndKey() {
        try (SluiceClient c = SluiceClient.fromEnv(Map.of())) {
            assertThat(c.baseUrl()).isEqualTo(URI.create("http://localhost:7376"));
        }
        try (SluiceClient c = SluiceClient.fromEnv(
                Map.of("SLUICE_ENDPOINT", "https://sluice.internal:8443/", "SLUICE_API_KEY", "sluice_abc"))) {
            assertThat(c.baseUrl()).isEqualTo(URI.create("https://sluice.internal:8443"));
        }
        try (SluiceClient c = SluiceClient.fromEnv()) {
            assertThat(c.baseUrl().getScheme()).startsWith("http");
        }
    }

    @Test
    void builder_rejectsBadValuesAndContradictions() {
        assertThatThrownBy(() -> SluiceClient.builder().baseUrl("ftp://x")).hasMessageContaining("http(s)://host");
        assertThatThrownBy(() -> SluiceClient.builder().apiToken("has space")).hasMessageContaining("apiToken");
        assertThatThrownBy(() -> SluiceClient.builder().requestTimeout(Duration.ZERO))
                .hasMessageContaining("requestTimeout must be positive");
        try (HttpClient http = HttpClient.newHttpClient()) {
            assertThatThrownBy(() -> SluiceClient.builder().httpClient(http).connectTimeout(Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("set the connect timeout on it");
            assertThatThrownBy(() -> SluiceClient.builder()
                            .connectTimeout(Duration.ofSeconds(1))
                            .httpClient(http))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("connectTimeout was already set to PT1S");
        }
    }

    @Test
    void retryPolicy_backsOffExponentiallyToTheCap_withJitterBelowTheExactWait() {
        RetryPolicy exact = new RetryPolicy(10, Duration.ofMillis(100), Duration.ofSeconds(1), 0);
        assertThat(exact.backoff(1)).isEqualTo(Duration.ofMillis(100));
        assertThat(exact.backoff(2)).isEqualTo(Duration.ofMillis(200));
        assertThat(exact.backoff(4)).isEqualTo(Duration.ofMillis(800));
        assertThat(exact.backoff(5)).isEqualTo(Duration.ofSeconds(1));
        assertThat(exact.backoff(200)).isEqualTo(Duration.ofSeconds(1));
        RetryPolicy jittered = exact.withJitter(0.5);
        for (int i = 0; i < 100; i++) {
            assertThat(jittered.backoff(3)).isBetween(Duration.ofMillis(200), Duration.ofMillis(400));
        }
        assertThat(RetryPolicy.none().maxAttempts()).isEqualTo(1);
        assertThatThrownBy(() -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO, 0))
                .hasMessageContaining("maxAttempts must be at least 1, got 0");
        assertThatThrownBy(() -> new RetryPolicy(2, Duration.ofSeconds(2), Duration.ofSeconds(1), 0))
                .hasMessageContaining("shorter than baseDelay");
        assertThatThrownBy(() -> exact.withJitter(1.5)).hasMessageContaining("jitter must be between 0 and 1");
    }

    @Test
    void retryAfter_readsSecondsAndHttpDates() {
        assertThat(ApiHttp.retryAfter("12")).isEqualTo(Duration.ofSeconds(12));
        assertThat(ApiHttp.retryAfter("soon")).isEqualTo(Duration.ZERO);
        assertThat(ApiHttp.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT")).isEqualTo(Duration.ZERO);
    }

    @Test
    void requestBuilders_sendOnlyWhatIsSet_andCheckValuesAtOnce() {
        SinkRequest update = SinkRequest.builder().batchSize(10).build();
        assertThat(update.body().toString()).isEqualTo("{\"batch_size\":10}");
        SinkRequest sink = SinkRequest.builder()
                .name("orders")
                .database("app")
                .tables("public.orders")
                .webhook("hook", "/cdc")
                .set("max_memory_mb", 64)
                .set("transform", null)
                .build();
        assertThat(sink.body().path("source").path("include_tables").get(0).asString())
                .isEqualTo("public.orders");
        assertThat(sink.body().path("destination").path("type").asString()).isEqualTo("webhook");
        assertThat(sink.body().path("max_memory_mb").asInt()).isEqualTo(64);
        assertThat(sink.body().get("transform").isNull()).isTrue();
        assertThatThrownBy(() -> SinkRequest.builder().batchSize(0)).hasMessage("batch_size must be at least 1, got 0");
        assertThatThrownBy(() -> SinkRequest.builder().status("stopped")).hasMessageContaining("active, paused");
        assertThatThrownBy(() -> DatabaseRequest.builder().port(70000)).hasMessageContaining("65535");
        assertThatThrownBy(() -> WebhookRequest.builder().events("sink.exploded"))
                .hasMessageContaining("unknown event type 'sink.exploded'");
        assertThatThrownBy(() -> BackfillRequest.builder().startPosition("5").build())
                .hasMessageContaining("needs sort_column");
        assertThatThrownBy(() -> JobSpec.builder("migrate", "a", "b")).hasMessageContaining("command must be one of");
        assertThatThrownBy(() -> new ColumnSelection("public.t", java.util.List.of("a"), java.util.List.of("b")))
                .hasMessageContaining("not both");
    }
}
