package dev.sluice.sink.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigProblem;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.HttpEndpoint;
import dev.sluice.core.sink.SinkProviders;
import dev.sluice.testkit.FreePort;
import dev.sluice.testkit.WebhookReceiver;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookProviderTest {
    private final WebhookProvider provider = new WebhookProvider();

    private Configured<WebhookConfig> configure(Map<String, ?> given, HttpEndpoint endpoint) {
        return provider.configure(ConfigValues.of(provider.schema(), given).withEndpoint("http_endpoint", endpoint));
    }

    @Test
    void isInstalled_withSequinsFieldsDefaultsAndRoutingKeys() {
        assertThat(SinkProviders.installed().find("webhook")).containsInstanceOf(WebhookProvider.class);
        assertThat(provider.schema().names())
                .containsExactly("http_endpoint", "http_endpoint_path", "batch", "request_timeout_ms");
        assertThat(provider.schema().field("http_endpoint").orElseThrow().references())
                .isEqualTo("http_endpoint");
        assertThat(provider.schema().secretNames()).isEmpty();
        assertThat(provider.routingKeys()).containsExactly("method", "endpoint_path", "headers");
        assertThat(provider.requiredRoutingKeys()).containsExactly("method");
        assertThat(provider.defaultBatchSize()).isEqualTo(1);
    }

    @Test
    void configure_joinsTheResolvedEndpointAndPath_andTakesItsHeaders() {
        HttpEndpoint ep = new HttpEndpoint("api", URI.create("https://h.io/in/"), Map.of("Authorization", "Bearer t"));
        WebhookConfig c = ((Configured.Valid<WebhookConfig>)
                        configure(Map.of("http_endpoint", "api", "http_endpoint_path", "/orders"), ep))
                .config();
        assertThat(c.url()).isEqualTo(URI.create("https://h.io/in/orders"));
        assertThat(c.endpointUrl()).as("where a routed endpoint_path goes").isEqualTo(URI.create("https://h.io/in/"));
        assertThat(c.headers()).containsEntry("Authorization", "Bearer t");
        assertThat(c.batch()).isTrue();
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void configure_takesAUrlInPlaceOfAnEndpoint_withoutHeaders() {
        Configured<WebhookConfig> c = provider.configure(ConfigValues.of(
                provider.schema(),
                Map.of("http_endpoint", "http://localhost:8080/h", "batch", false, "request_timeout_ms", 500)));
        WebhookConfig config = ((Configured.Valid<WebhookConfig>) c).config();
        assertThat(config.url()).isEqualTo(URI.create("http://localhost:8080/h"));
        assertThat(config.headers()).isEmpty();
        assertThat(config.batch()).isFalse();
        assertThat(config.requestTimeout()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void configure_reportsProblemsAtTheirField() {
        HttpEndpoint ep = new HttpEndpoint("api", URI.create("https://h.io"), Map.of());
        assertThat(((Configured.Invalid<WebhookConfig>)
                                configure(Map.of("http_endpoint", "api", "http_endpoint_path", "orders"), ep))
                        .problems())
                .containsExactly(new ConfigProblem("http_endpoint_path", "must start with '/', got 'orders'"));
        assertThat(((Configured.Invalid<WebhookConfig>) configure(
                                Map.of("http_endpoint", "api", "http_endpoint_path", "/" + "p".repeat(2000)), ep))
                        .problems())
                .containsExactly(new ConfigProblem("http_endpoint_path", "is 2001 characters long; at most 2000"));
        HttpEndpoint fragment = new HttpEndpoint("api", URI.create("https://h.io/x#f"), Map.of());
        assertThat(((Configured.Invalid<WebhookConfig>) configure(Map.of("http_endpoint", "api"), fragment)).problems())
                .singleElement()
                .extracting(ConfigProblem::field)
                .isEqualTo("http_endpoint");
        assertThat(((Configured.Invalid<WebhookConfig>)
                                configure(Map.of("http_endpoint", "api", "http_endpoint_path", "/a b"), ep))
                        .problems())
                .singleElement()
                .extracting(ConfigProblem::field)
                .isEqualTo("http_endpoint_path");
    }

    @Test
    void check_sendsHeadWithTheHeaders_andClassifiesRefusalAnd401() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            WebhookConfig config =
                    new WebhookConfig(receiver.url("/check"), Map.of("Authorization", "Bearer s3cret"), true);
            assertThat(provider.check(config, Duration.ofSeconds(5))).isEqualTo(CheckResult.OK);
            WebhookReceiver.Request head = receiver.requests().getFirst();
            assertThat(head.method()).isEqualTo("HEAD");
            assertThat(head.header("Authorization")).hasValue("Bearer s3cret");

            receiver.respondWith(401);
            CheckResult denied = provider.check(config, Duration.ofSeconds(5));
            assertThat(denied.status()).isEqualTo(CheckResult.Status.UNAUTHORIZED);
            assertThat(denied.detail()).contains("401").doesNotContain("s3cret");
        }
        int closed = FreePort.find();
        CheckResult refused = provider.check(
                new WebhookConfig(URI.create("http://127.0.0.1:" + closed + "/x"), Map.of(), true),
                Duration.ofSeconds(5));
        assertThat(refused.status()).isEqualTo(CheckResult.Status.UNREACHABLE);
        assertThat(refused.detail()).contains("127.0.0.1:" + closed);
    }
}
