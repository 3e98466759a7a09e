package dev.sluice.sink.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.SinkProviders;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KinesisProviderTest {
    private static final String ARN = "arn:aws:kinesis:eu-west-2:123456789012:stream/orders";
    private final KinesisProvider provider = new KinesisProvider();

    private Configured<KinesisConfig> configure(Map<String, ?> given) {
        return provider.configure(ConfigValues.of(provider.schema(), given));
    }

    @Test
    void isInstalled_withSequinsFieldsAndDefaults() {
        assertThat(SinkProviders.installed().find("kinesis")).containsInstanceOf(KinesisProvider.class);
        assertThat(provider.schema().names())
                .containsExactly(
                        "stream_arn",
                        "region",
                        "access_key_id",
                        "secret_access_key",
                        "endpoint_url",
                        "use_task_role",
                        "request_timeout_ms");
        assertThat(provider.schema().secretNames()).containsExactly("secret_access_key");
        assertThat(provider.routingKeys()).containsExactly("stream_arn");
        assertThat(provider.requiredRoutingKeys()).containsExactly("stream_arn");
        assertThat(provider.defaultBatchSize()).isEqualTo(100);
    }

    @Test
    void configure_takesTheArnsRegion_andReportsItAsDerived() {
        Configured.Valid<KinesisConfig> c = (Configured.Valid<KinesisConfig>) configure(Map.of("stream_arn", ARN));
        assertThat(c.config().region()).isEqualTo("eu-west-2");
        assertThat(c.derived()).containsOnly(Map.entry("region", "eu-west-2"));
        assertThat(((Configured.Valid<KinesisConfig>) configure(Map.of("stream_arn", ARN, "region", "eu-west-2")))
                        .derived())
                .isEmpty();
    }

    @Test
    void configure_reportsProblemsAtTheirField() {
        assertThat(((Configured.Invalid<KinesisConfig>) configure(Map.of("stream_arn", "orders"))).problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("stream_arn"));
        assertThat(((Configured.Invalid<KinesisConfig>) configure(Map.of("stream_arn", ARN, "access_key_id", "AKIA")))
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("secret_access_key"));
    }
}
