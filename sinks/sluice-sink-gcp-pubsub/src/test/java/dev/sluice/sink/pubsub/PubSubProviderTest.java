package dev.sluice.sink.pubsub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.SinkProviders;
import dev.sluice.testkit.FreePort;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PubSubProviderTest {
    private final PubSubProvider provider = new PubSubProvider();

    private Configured<PubSubConfig> configure(Map<String, ?> given) {
        return provider.configure(ConfigValues.of(provider.schema(), given));
    }

    @Test
    void isInstalled_withSequinsFieldsAndDefaults() {
        assertThat(SinkProviders.installed().find("gcp_pubsub")).containsInstanceOf(PubSubProvider.class);
        assertThat(provider.schema().names())
                .containsExactly(
                        "project_id",
                        "topic_id",
                        "credentials",
                        "use_emulator",
                        "emulator_base_url",
                        "endpoint_url",
                        "request_timeout_ms");
        assertThat(provider.schema().secretNames()).containsExactly("credentials");
        assertThat(provider.routingKeys()).containsExactly("topic_id");
        assertThat(provider.requiredRoutingKeys()).containsExactly("topic_id");
        assertThat(provider.defaultBatchSize()).isEqualTo(10);
    }

    @Test
    void configure_takesSequinsExample_withARealKeyFile() {
        // sinks.create_get_update.response.gcp-pubsub.normalized.json, its placeholder credentials replaced
        Map<String, Object> destination = new HashMap<>(Map.of(
                "project_id", "my-project",
                "topic_id", "records",
                "credentials", "base64-encoded-credentials",
                "use_emulator", false,
                "emulator_base_url", "http://localhost:8085"));
        assertThat(((Configured.Invalid<PubSubConfig>) configure(destination)).problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("credentials"));

        TestAccount account = TestAccount.create("fixture");
        destination.put("credentials", account.keyFile(URI.create("https://oauth2.googleapis.com/token")));
        PubSubConfig c = configure(destination).orThrow();
        assertThat(c.serviceAccount().clientEmail()).isEqualTo(account.email());
        assertThat(c.useEmulator()).isFalse();
        assertThat(c.emulatorBaseUrl()).isEqualTo(URI.create("http://localhost:8085"));
        assertThat(c.baseUrl()).isEqualTo(URI.create("https://pubsub.googleapis.com"));
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void configure_onTheEmulator_needsNoCredentials() {
        PubSubConfig c = configure(Map.of(
                        "project_id", "my-project",
                        "topic_id", "records",
                        "use_emulator", true,
                        "emulator_base_url", "http://localhost:8085"))
                .orThrow();
        assertThat(c.credentials()).isNull();
        assertThat(c.serviceAccount()).isNull();
        assertThat(c.baseUrl()).isEqualTo(URI.create("http://localhost:8085"));
    }

    @Test
    void configure_reportsProblemsAtTheirFields() {
        assertThat(((Configured.Invalid<PubSubConfig>)
                                configure(Map.of("project_id", "my-project", "topic_id", "records")))
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("credentials"));
        assertThat(((Configured.Invalid<PubSubConfig>) configure(Map.of(
                                "project_id", "my-project",
                                "topic_id", "records",
                                "use_emulator", true,
                                "emulator_base_url", "ftp://x")))
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("emulator_base_url"));
    }

    @Test
    void examples_configure_andSetTheSecret() {
        assertThat(provider.examples()).isNotEmpty().allSatisfy(example -> {
            assertThat(example).containsKey("credentials");
            assertThat(configure(example)).isInstanceOf(Configured.Valid.class);
        });
    }

    @Test
    void check_closedPort_isUnreachable_andShowsNoKey() throws Exception {
        int port = FreePort.find();
        TestAccount account = TestAccount.create("closed");
        String keyFile = account.keyFile(URI.create("http://127.0.0.1:" + port + "/token"));
        PubSubConfig c = configure(Map.of(
                        "project_id",
                        "my-project",
                        "topic_id",
                        "records",
                        "credentials",
                        keyFile,
                        "endpoint_url",
                        "http://127.0.0.1:" + port))
                .orThrow();
        CheckResult result = provider.check(c, Duration.ofSeconds(2));
        assertThat(result.status()).isEqualTo(CheckResult.Status.UNREACHABLE);
        assertThat(result.detail()).contains("127.0.0.1:" + port).doesNotContain("PRIVATE");
    }
}
