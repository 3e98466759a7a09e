package dev.sluice.sink.s2;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.SinkProviders;
import dev.sluice.testkit.FreePort;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class S2ProviderTest {
    private final S2Provider provider = new S2Provider();

    private Configured<S2Config> configure(Map<String, ?> given) {
        return provider.configure(ConfigValues.of(provider.schema(), given));
    }

    @Test
    void isInstalled_withSequinsFieldsRoutingKeysAndBatchSize() {
        assertThat(SinkProviders.installed().find("s2")).containsInstanceOf(S2Provider.class);
        assertThat(provider.schema().names())
                .containsExactly("basin", "stream", "access_token", "endpoint_url", "request_timeout_ms");
        assertThat(provider.schema().secretNames()).containsExactly("access_token");
        assertThat(provider.routingKeys()).containsExactly("basin", "stream");
        assertThat(provider.requiredRoutingKeys()).containsExactly("basin", "stream");
        assertThat(provider.defaultBatchSize()).isEqualTo(10);
    }

    @Test
    void configure_takesSequinsExample() {
        // sinks.create_get_update.response.s2.normalized.json
        S2Config c = configure(Map.of("basin", "my-basin", "stream", "my-stream", "access_token", "my-access-token"))
                .orThrow();
        assertThat(c.basin()).isEqualTo("my-basin");
        assertThat(c.accessToken()).isEqualTo("my-access-token");
        assertThat(c.endpointUrl()).isNull();
        assertThat(configure(Map.of(
                                "basin", "my-basin",
                                "stream", "s",
                                "access_token", "t",
                                "endpoint_url", "http://localhost:8080/v1"))
                        .orThrow()
                        .endpointUrl())
                .isEqualTo(URI.create("http://localhost:8080/v1"));
    }

    @Test
    void configure_reportsProblemsAtTheirFields() {
        assertThat(((Configured.Invalid<S2Config>)
                                configure(Map.of("basin", "Bad_Basin", "stream", "s", "access_token", "t")))
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("basin"));
    }

    @Test
    void examples_configure_andSetTheToken() {
        assertThat(provider.examples()).allSatisfy(e -> {
            assertThat(e).containsKey("access_token");
            assertThat(configure(e)).isInstanceOf(Configured.Valid.class);
        });
    }

    @Test
    void check_closedPort_isUnreachable_withoutTheToken() {
        S2Config c = new S2Config(
                "my-basin",
                "s",
                "tok-9f",
                URI.create("http://127.0.0.1:" + FreePort.find() + "/v1"),
                Duration.ofSeconds(2));
        CheckResult result = provider.check(c, Duration.ofSeconds(2));
        assertThat(result.status()).isEqualTo(CheckResult.Status.UNREACHABLE);
        assertThat(result.detail()).contains("my-basin/s").doesNotContain("tok-9f");
    }
}
