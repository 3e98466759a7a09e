package dev.sluice.sink.sns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.SinkProviders;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SnsProviderTest {
    private static final String FIFO_ARN = "arn:aws:sns:eu-west-1:123456789012:orders.fifo";
    private final SnsProvider provider = new SnsProvider();

    private Configured<SnsConfig> configure(Map<String, ?> given) {
        return provider.configure(ConfigValues.of(provider.schema(), given));
    }

    @Test
    void isInstalled_withSequinsFieldsAndDefaults() {
        assertThat(SinkProviders.installed().find("sns")).containsInstanceOf(SnsProvider.class);
        assertThat(provider.schema().names())
                .containsExactly(
                        "topic_arn",
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
        assertThat(provider.routingKeys()).containsExactly("topic_arn");
        assertThat(provider.requiredRoutingKeys()).containsExactly("topic_arn");
        assertThat(provider.defaultBatchSize()).isEqualTo(10);
    }

    @Test
    void configure_takesSequinsFixture() {
        // The destination of Sequin's sinks API example, as given.
        Configured.Valid<SnsConfig> c = (Configured.Valid<SnsConfig>) configure(Map.of(
                "topic_arn", "arn:aws:sns:us-east-1:123456789012:MyTopic",
                "region", "us-east-1",
                "access_key_id", "AKIAIOSFODNN7EXAMPLE",
                "secret_access_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "is_fifo", false));
        assertThat(c.config().fifo()).isFalse();
        assertThat(c.config().endpointUrl()).isNull();
        assertThat(c.derived()).isEmpty();
    }

    @Test
    void configure_infersRegionAndFifo_andReportsThemAsDerived() {
        Configured.Valid<SnsConfig> c = (Configured.Valid<SnsConfig>) configure(Map.of("topic_arn", FIFO_ARN));
        assertThat(c.config().region()).isEqualTo("eu-west-1");
        assertThat(c.config().fifo()).isTrue();
        assertThat(c.derived()).containsOnly(Map.entry("region", "eu-west-1"), Map.entry("is_fifo", true));

        Configured.Valid<SnsConfig> given = (Configured.Valid<SnsConfig>)
                configure(Map.of("topic_arn", FIFO_ARN, "region", "eu-west-1", "is_fifo", true, "use_task_role", true));
        assertThat(given.derived()).isEmpty();
    }

    @Test
    void configure_takesSequinsEmulatorFields() {
        Configured.Valid<SnsConfig> emulated = (Configured.Valid<SnsConfig>) configure(
                Map.of("topic_arn", FIFO_ARN, "use_emulator", true, "emulator_base_url", "http://localhost:4566"));
        assertThat(emulated.config().endpointUrl()).hasToString("http://localhost:4566");
        // Without use_emulator, Sequin ignores the address, and so does Sluice.
        Configured.Valid<SnsConfig> off = (Configured.Valid<SnsConfig>) configure(
                Map.of("topic_arn", FIFO_ARN, "use_emulator", false, "emulator_base_url", "http://localhost:4566"));
        assertThat(off.config().endpointUrl()).isNull();
        assertThat(((Configured.Invalid<SnsConfig>) configure(Map.of("topic_arn", FIFO_ARN, "use_emulator", true)))
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("emulator_base_url"));
        assertThat(((Configured.Invalid<SnsConfig>) configure(Map.of(
                                "topic_arn",
                                FIFO_ARN,
                                "use_emulator",
                                true,
                                "emulator_base_url",
                                "http://localhost:4566",
                                "endpoint_url",
                                "http://other:1")))
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("emulator_base_url"));
    }

    @Test
    void configure_reportsProblemsAtTheirField() {
        assertThat(((Configured.Invalid<SnsConfig>) configure(Map.of("topic_arn", "orders"))).problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("topic_arn"));
        assertThat(((Configured.Invalid<SnsConfig>) configure(Map.of("topic_arn", FIFO_ARN, "is_fifo", false)))
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("is_fifo"));
        assertThat(((Configured.Invalid<SnsConfig>) configure(Map.of("topic_arn", FIFO_ARN, "access_key_id", "AKIA")))
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("secret_access_key"));
    }

    @Test
    void examples_setEverySecret() {
        assertThat(provider.examples())
                .allSatisfy(e -> assertThat(e).containsKey("secret_access_key"))
                .allSatisfy(e -> assertThat(configure(e)).isInstanceOf(Configured.Valid.class));
    }
}
