package dev.sluice.sink.eventhubs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.SinkProviders;
import dev.sluice.testkit.FreePort;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventHubProviderTest {
    private final EventHubProvider provider = new EventHubProvider();

    private Configured<EventHubConfig> configure(Map<String, ?> given) {
        return provider.configure(ConfigValues.of(provider.schema(), given));
    }

    @Test
    void isInstalled_withSequinsFieldsAndDefaults() {
        assertThat(SinkProviders.installed().find("azure_event_hub")).containsInstanceOf(EventHubProvider.class);
        assertThat(provider.schema().names())
                .containsExactly(
                        "namespace",
                        "event_hub_name",
                        "shared_access_key_name",
                        "shared_access_key",
                        "endpoint_url",
                        "max_batch_bytes",
                        "request_timeout_ms");
        assertThat(provider.schema().secretNames()).containsExactly("shared_access_key");
        assertThat(provider.routingKeys()).containsExactly("event_hub_name");
        assertThat(provider.requiredRoutingKeys()).containsExactly("event_hub_name");
        assertThat(provider.defaultBatchSize()).isEqualTo(10);
    }

    @Test
    void configure_takesSequinsExample() {
        // sinks.create_get_update.response.azure-event-hub.normalized.json
        EventHubConfig c = configure(Map.of(
                        "namespace", "my-namespace",
                        "event_hub_name", "records",
                        "shared_access_key_name", "RootManageSharedAccessKey",
                        "shared_access_key", "your-shared-access-key"))
                .orThrow();
        assertThat(c.baseUrl()).isEqualTo("https://my-namespace.servicebus.windows.net");
        assertThat(c.sharedAccessKey()).isEqualTo("your-shared-access-key");
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void configure_reportsProblemsAtTheirFields() {
        assertThat(((Configured.Invalid<EventHubConfig>) configure(Map.of(
                                "namespace", "my-namespace.servicebus.windows.net",
                                "event_hub_name", "records",
                                "shared_access_key_name", "k",
                                "shared_access_key", "s")))
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("namespace"));
    }

    @Test
    void examples_configure_andSetTheSecret() {
        assertThat(provider.examples()).isNotEmpty().allSatisfy(example -> {
            assertThat(example).containsKey("shared_access_key");
            assertThat(configure(example)).isInstanceOf(Configured.Valid.class);
        });
    }

    @Test
    void check_closedPort_isUnreachable_andShowsNoKey() throws Exception {
        int port = FreePort.find();
        EventHubConfig c = configure(Map.of(
                        "namespace", "my-namespace",
                        "event_hub_name", "records",
                        "shared_access_key_name", "k",
                        "shared_access_key", "secret-9b2c",
                        "endpoint_url", "http://127.0.0.1:" + port))
                .orThrow();
        CheckResult result = provider.check(c, Duration.ofSeconds(2));
        assertThat(result.status()).isEqualTo(CheckResult.Status.UNREACHABLE);
        assertThat(result.detail()).contains("127.0.0.1:" + port).doesNotContain("secret-9b2c");
    }
}
