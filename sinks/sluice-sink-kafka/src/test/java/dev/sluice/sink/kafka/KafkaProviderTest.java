package dev.sluice.sink.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.ConfigProblem;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.SinkProviders;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaProviderTest {
    private final KafkaProvider provider = new KafkaProvider();

    private Configured<KafkaConfig> configure(Map<String, ?> given) {
        return provider.configure(ConfigValues.of(provider.schema(), given));
    }

    @Test
    void isInstalled_withSequinsFieldsSecretsAndDefaults() {
        assertThat(SinkProviders.installed().find("kafka")).containsInstanceOf(KafkaProvider.class);
        assertThat(provider.schema().names())
                .containsExactly(
                        "hosts",
                        "topic",
                        "tls",
                        "username",
                        "password",
                        "sasl_mechanism",
                        "aws_region",
                        "aws_access_key_id",
                        "aws_secret_access_key",
                        "compression",
                        "request_timeout_ms");
        assertThat(provider.schema().secretNames()).containsExactlyInAnyOrder("password", "aws_secret_access_key");
        assertThat(provider.routingKeys()).containsExactly("topic", "message_key");
        assertThat(provider.requiredRoutingKeys()).containsExactly("topic");
        assertThat(provider.defaultBatchSize()).isEqualTo(200);
    }

    @Test
    void configure_buildsTheConfig_withDefaults() {
        KafkaConfig c = ((Configured.Valid<KafkaConfig>) configure(Map.of(
                        "hosts", "b1:9092, b2:9092",
                        "topic", "orders",
                        "username", "u",
                        "password", "p",
                        "sasl_mechanism", "scram_sha_256")))
                .config();
        assertThat(c.hosts()).containsExactly("b1:9092", "b2:9092");
        assertThat(c.saslMechanism()).isEqualTo(SaslMechanism.SCRAM_SHA_256);
        assertThat(c.compression()).isEqualTo(Compression.NONE);
        assertThat(c.tls()).isFalse();
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void configure_reportsEachModuleCheckAtItsField() {
        assertThat(((Configured.Invalid<KafkaConfig>) configure(Map.of("hosts", "b1", "topic", "t"))).problems())
                .singleElement()
                .satisfies(p -> {
                    assertThat(p.field()).isEqualTo("hosts");
                    assertThat(p.message()).contains("'b1' has no port");
                });
        assertThat(((Configured.Invalid<KafkaConfig>)
                                configure(Map.of("hosts", "b1:9092", "topic", "t", "username", "u", "password", "p")))
                        .problems())
                .extracting(ConfigProblem::field)
                .isEqualTo(List.of("sasl_mechanism"));
    }
}
