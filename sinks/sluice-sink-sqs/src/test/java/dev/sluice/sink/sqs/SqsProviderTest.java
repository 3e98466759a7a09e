package dev.sluice.sink.sqs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.SinkProviders;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SqsProviderTest {
    private static final String FIFO_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders.fifo";
    private final SqsProvider provider = new SqsProvider();

    private Configured<SqsConfig> configure(Map<String, ?> given) {
        return provider.configure(ConfigValues.of(provider.schema(), given));
    }

    @Test
    void isInstalled_withSequinsFieldsAndDefaults() {
        assertThat(SinkProviders.installed().find("sqs")).containsInstanceOf(SqsProvider.class);
        assertThat(provider.schema().names())
                .containsExactly(
                        "queue_url",
                        "region",
                        "access_key_id",
                        "secret_access_key",
                        "is_fifo",
                        "endpoint_url",
                        "use_emulator",
                        "emulator_base_url",
                        "use_task_role",
                        "request_timeout_ms");
        assertThat(provider.schema().secretNames()).containsExactly("secret_access_key");
        assertThat(provider.routingKeys()).containsExactly("queue_url");
        assertThat(provider.requiredRoutingKeys()).containsExactly("queue_url");
        assertThat(provider.defaultBatchSize()).isEqualTo(10);
    }

    @Test
    void configure_infersRegionAndFifo_andReportsThemAsDerived() {
        Configured.Valid<SqsConfig> c = (Configured.Valid<SqsConfig>) configure(Map.of("queue_url", FIFO_URL));
        assertThat(c.config().region()).isEqualTo("eu-west-1");
        assertThat(c.config().fifo()).isTrue();
        assertThat(c.derived()).containsOnly(Map.entry("region", "eu-west-1"), Map.entry("is_fifo", true));

        Configured.Valid<SqsConfig> given = (Configured.Valid<SqsConfig>)
                configure(Map.of("queue_url", FIFO_URL, "region", "eu-west-1", "is_fifo", true, "use_task_role", true));
        assertThat(given.derived()).isEmpty();
    }

    @Test
    void configure_takesSequinsEmulatorFields() {
        String local = "http://localhost:9324/000000000000/orders";
        Configured.Valid<SqsConfig> emulated = (Configured.Valid<SqsConfig>) configure(Map.of(
                "queue_url",
                local,
                "region",
                "us-east-1",
                "use_emulator",
                true,
                "emulator_base_url",
                "http://localhost:9324"));
        assertThat(emulated.config().endpointUrl()).hasToString("http://localhost:9324");
        // Without use_emulator, Sequin ignores the address: a non-AWS queue host then needs endpoint_url.
        Configured<SqsConfig> off = configure(Map.of(
                "queue_url",
                local,
                "region",
                "us-east-1",
                "use_emulator",
                false,
                "emulator_base_url",
                "http://localhost:9324"));
        assertThat(off).isInstanceOf(Configured.Invalid.class);
        assertThat(((Configured.Invalid<SqsConfig>)
                                configure(Map.of("queue_url", local, "region", "us-east-1", "use_emulator", true)))
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("emulator_base_url"));
        assertThat(((Configured.Invalid<SqsConfig>) configure(Map.of(
                                "queue_url",
                                local,
                                "region",
                                "us-east-1",
                                "use_emulator",
                                true,
                                "emulator_base_url",
                                "http://localhost:9324",
                                "endpoint_url",
                                "http://other:1")))
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("emulator_base_url"));
    }

    @Test
    void configure_reportsAnUninferableRegionAtRegion() {
        assertThat(((Configured.Invalid<SqsConfig>) configure(Map.of("queue_url", "https://example.com/123/q")))
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("region"));
    }
}
