package dev.sluice.sink.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.sink.InvalidConfigException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.SaslConfigs;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class KafkaConfigTest {
    private static final List<String> HOSTS = List.of("b1:9092");

    private static KafkaConfig sasl(
            boolean tls,
            @Nullable String user,
            @Nullable String password,
            @Nullable SaslMechanism mechanism,
            @Nullable String region,
            @Nullable String keyId,
            @Nullable String secret) {
        return new KafkaConfig(
                HOSTS,
                "orders",
                tls,
                user,
                password,
                mechanism,
                region,
                keyId,
                secret,
                Compression.NONE,
                Duration.ofSeconds(30));
    }

    @ParameterizedTest
    @CsvSource({
        "plain, PLAIN",
        "PLAIN, PLAIN",
        "scram_sha_256, SCRAM_SHA_256",
        "SCRAM_SHA_512, SCRAM_SHA_512",
        "Scram-Sha-512, SCRAM_SHA_512",
        "aws_msk_iam, AWS_MSK_IAM",
        "' AWS_MSK_IAM ', AWS_MSK_IAM"
    })
    void saslMechanismParse_acceptsSequinNamesInAnyCase(String text, SaslMechanism expected) {
        assertThat(SaslMechanism.parse(text)).isEqualTo(expected);
    }

    @Test
    void saslMechanismParse_unknown_listsTheAcceptedValues() {
        assertThatThrownBy(() -> SaslMechanism.parse("gssapi"))
                .hasMessage("sasl_mechanism: unknown value 'gssapi'; use one of plain, scram_sha_256, scram_sha_512,"
                        + " aws_msk_iam");
    }

    @ParameterizedTest
    @CsvSource({"none, NONE", "GZIP, GZIP", "Snappy, SNAPPY", "lz4, LZ4", "ZSTD, ZSTD"})
    void compressionParse_acceptsAnyCase(String text, Compression expected) {
        assertThat(Compression.parse(text)).isEqualTo(expected);
        assertThat(expected.kafkaName()).isEqualTo(expected.name().toLowerCase());
    }

    @Test
    void compressionParse_unknown_listsTheAcceptedValues() {
        assertThatThrownBy(() -> Compression.parse("brotli"))
                .hasMessage("compression: unknown value 'brotli'; use one of none, gzip, snappy, lz4, zstd");
    }

    @Test
    void parseHosts_trimsEntries() {
        assertThat(KafkaConfig.parseHosts(" b1:9092, b2.example.com:9093 ,[::1]:9094"))
                .containsExactly("b1:9092", "b2.example.com:9093", "[::1]:9094");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "''|hosts: at least one broker is required, like broker1:9092",
                "b1:9092,,b2:9092|hosts: empty entry in 'b1:9092,,b2:9092'; separate brokers with single commas",
                "b1:9092,|hosts: empty entry",
                "b1|hosts: 'b1' has no port; use host:port, like b1:9092",
                "b1:abc|hosts: 'b1:abc' has an invalid port 'abc'; use a number from 1 to 65535",
                "b1:70000|hosts: 'b1:70000' has an invalid port '70000'",
                ":9092|hosts: ':9092' has no host name",
                "::1:9092|hosts: '::1:9092' looks like an IPv6 address; put it in brackets, like [::1]:9092",
                "[::1]|hosts: '[::1]' has no port"
            })
    void parseHosts_invalid_saysWhatToFix(String text, String message) {
        assertThatThrownBy(() -> KafkaConfig.parseHosts(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message);
    }

    @Test
    void hosts_emptyList_isRejected() {
        assertThatThrownBy(() -> KafkaConfig.of(List.of(), "orders")).hasMessageStartingWith("hosts: ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "bad topic", "bad/topic", "é"})
    void topic_invalid_isRejectedWithTopicPrefix(String topic) {
        assertThatThrownBy(() -> KafkaConfig.of(HOSTS, topic)).hasMessageStartingWith("topic: ");
    }

    @Test
    void topic_tooLong_isRejected() {
        assertThatThrownBy(() -> KafkaConfig.of(HOSTS, "t".repeat(250)))
                .hasMessage("topic: at most 249 characters, got 250");
        assertThat(KafkaConfig.of(HOSTS, "a.b_c-D9".repeat(31)).topic()).hasSize(248);
    }

    @Test
    void passwordMechanisms_needUsernameAndPassword() {
        assertThatThrownBy(() -> sasl(false, null, "p", SaslMechanism.SCRAM_SHA_256, null, null, null))
                .hasMessage("username: required with sasl_mechanism scram_sha_256");
        assertThatThrownBy(() -> sasl(false, "u", null, SaslMechanism.PLAIN, null, null, null))
                .hasMessage("password: required with sasl_mechanism plain");
        assertThatThrownBy(() -> sasl(false, "u", "", SaslMechanism.SCRAM_SHA_512, null, null, null))
                .hasMessage("password: required with sasl_mechanism scram_sha_512");
        assertThat(sasl(true, "u", "p", SaslMechanism.PLAIN, null, null, null).username())
                .isEqualTo("u");
    }

    @Test
    void credentialsWithoutMechanism_areRejected() {
        assertThatThrownBy(() -> sasl(false, "u", "p", null, null, null, null))
                .hasMessageStartingWith("sasl_mechanism: username and password are set but no sasl_mechanism");
    }

    @Test
    void awsFields_withoutAwsMechanism_areRejected() {
        assertThatThrownBy(() -> sasl(false, "u", "p", SaslMechanism.PLAIN, "us-east-1", null, null))
                .hasMessage("aws_region: not used with sasl_mechanism plain; remove it");
        assertThatThrownBy(() -> sasl(false, null, null, null, null, "AKIA", null))
                .hasMessage("aws_access_key_id: not used without sasl_mechanism; remove it");
    }

    @Test
    void awsMskIam_needsRegionTlsAndBothKeysOrNone() {
        assertThatThrownBy(() -> sasl(true, null, null, SaslMechanism.AWS_MSK_IAM, null, null, null))
                .hasMessage("aws_region: required with sasl_mechanism aws_msk_iam, like us-east-1");
        assertThatThrownBy(() -> sasl(true, null, null, SaslMechanism.AWS_MSK_IAM, "us-east-1", "AKIA", null))
                .hasMessageStartingWith("aws_secret_access_key: required when aws_access_key_id is set");
        assertThatThrownBy(() -> sasl(true, null, null, SaslMechanism.AWS_MSK_IAM, "us-east-1", null, "s"))
                .hasMessageStartingWith("aws_access_key_id: required when aws_secret_access_key is set");
        assertThatThrownBy(() -> sasl(false, null, null, SaslMechanism.AWS_MSK_IAM, "us-east-1", null, null))
                .hasMessageStartingWith("tls: sasl_mechanism aws_msk_iam needs tls: true");
        assertThatThrownBy(() -> sasl(true, "u", "p", SaslMechanism.AWS_MSK_IAM, "us-east-1", null, null))
                .hasMessageStartingWith("username: not used with sasl_mechanism aws_msk_iam");
        assertThat(sasl(true, null, null, SaslMechanism.AWS_MSK_IAM, "us-east-1", null, null)
                        .awsRegion())
                .isEqualTo("us-east-1");
        assertThat(sasl(true, null, null, SaslMechanism.AWS_MSK_IAM, "us-east-1", "AKIA", "s")
                        .awsAccessKeyId())
                .isEqualTo("AKIA");
    }

    @Test
    void timeout_notPositive_isRejectedAtItsField() {
        assertThatThrownBy(() -> new KafkaConfig(
                        HOSTS, "t", false, null, null, null, null, null, null, Compression.NONE, Duration.ZERO))
                .isInstanceOfSatisfying(
                        InvalidConfigException.class, e -> assertThat(e.field()).isEqualTo("request_timeout_ms"))
                .hasMessageStartingWith("request_timeout_ms: must be positive");
    }

    @Test
    void toString_hidesSecrets() {
        String text = sasl(true, "u", "hunter2", SaslMechanism.PLAIN, null, null, null)
                        .toString()
                + sasl(true, null, null, SaslMechanism.AWS_MSK_IAM, "us-east-1", "AKIA", "topsecret")
                        .toString();
        assertThat(text).doesNotContain("hunter2", "topsecret").contains("AKIA", "****");
    }

    @Test
    void clientProperties_securityProtocolAndJaasFollowTheConfig() {
        Map<String, Object> plain = ClientProperties.connection(KafkaConfig.of(HOSTS, "t"), "c");
        assertThat(plain).containsEntry("security.protocol", "PLAINTEXT").doesNotContainKey(SaslConfigs.SASL_MECHANISM);

        Map<String, Object> scram = ClientProperties.connection(
                sasl(true, "u", "p\"w\\d", SaslMechanism.SCRAM_SHA_512, null, null, null), "c");
        assertThat(scram)
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry(SaslConfigs.SASL_MECHANISM, "SCRAM-SHA-512")
                .containsEntry(
                        SaslConfigs.SASL_JAAS_CONFIG,
                        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\""
                                + " password=\"p\\\"w\\\\d\";");

        Map<String, Object> iamDefault = ClientProperties.connection(
                sasl(true, null, null, SaslMechanism.AWS_MSK_IAM, "us-east-1", null, null), "c");
        assertThat(iamDefault)
                .containsEntry(SaslConfigs.SASL_MECHANISM, "AWS_MSK_IAM")
                .containsEntry(SaslConfigs.SASL_CLIENT_CALLBACK_HANDLER_CLASS, MskIam.DEFAULT_CALLBACK_HANDLER);
        Map<String, Object> iamKeys = ClientProperties.connection(
                sasl(true, null, null, SaslMechanism.AWS_MSK_IAM, "us-east-1", "AKIA", "s"), "c");
        assertThat(iamKeys)
                .containsEntry(SaslConfigs.SASL_CLIENT_CALLBACK_HANDLER_CLASS, MskIamCallbackHandler.class.getName());
        assertThat(MskIam.available()).isTrue();
    }

    @Test
    void producerProperties_areIdempotentAndCompressed() {
        KafkaConfig config = new KafkaConfig(
                HOSTS, "t", false, null, null, null, null, null, null, Compression.ZSTD, Duration.ofSeconds(7));
        Map<String, Object> props = KafkaSink.producerProperties(config, "c");
        assertThat(props)
                .containsEntry("enable.idempotence", true)
                .containsEntry("acks", "all")
                .containsEntry("compression.type", "zstd")
                .containsEntry("request.timeout.ms", 7000)
                .containsEntry("max.block.ms", 7000L);
    }
}
