package dev.sluice.sink.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.SinkContext;
import dev.sluice.testkit.FreePort;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.security.auth.callback.Callback;
import javax.security.auth.login.AppConfigurationEntry;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import software.amazon.msk.auth.iam.internals.AWSCredentialsCallback;

/**
 * The IAM library loads and is wired into the producer's settings; signing against a real MSK cluster is not tested
 * here.
 */
class MskIamTest {
    private static final int CLOSED_PORT = FreePort.find();

    private static KafkaConfig iam(@Nullable String keyId, @Nullable String secret) {
        return new KafkaConfig(
                // MSK host names carry the region; no DNS here, so a closed local port stands in.
                List.of("127.0.0.1:" + CLOSED_PORT),
                "orders",
                true,
                null,
                null,
                SaslMechanism.AWS_MSK_IAM,
                "us-east-1",
                keyId,
                secret,
                Compression.NONE,
                Duration.ofSeconds(5));
    }

    @Test
    void callbackHandler_handsTheConfiguredKeysToTheSigner() throws Exception {
        MskIamCallbackHandler handler = new MskIamCallbackHandler();
        handler.configure(
                Map.of(),
                "AWS_MSK_IAM",
                List.of(new AppConfigurationEntry(
                        MskIam.LOGIN_MODULE,
                        AppConfigurationEntry.LoginModuleControlFlag.REQUIRED,
                        Map.of(
                                MskIamCallbackHandler.ACCESS_KEY_OPTION,
                                "AKIAEXAMPLE",
                                MskIamCallbackHandler.SECRET_KEY_OPTION,
                                "secret"))));
        AWSCredentialsCallback callback = new AWSCredentialsCallback();
        handler.handle(new Callback[] {callback});
        assertThat(callback.isSuccessful()).isTrue();
        assertThat(callback.getAwsCredentials().accessKeyId()).isEqualTo("AKIAEXAMPLE");
        assertThat(callback.getAwsCredentials().secretAccessKey()).isEqualTo("secret");
    }

    @Test
    void producerProperties_withKeys_logInThroughTheCallbackHandlerWithThoseKeys() {
        Map<String, Object> props = KafkaSink.producerProperties(iam("AKIAEXAMPLE", "s3cret"), "c1");

        assertThat(props)
                .containsEntry(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_SSL")
                .containsEntry(SaslConfigs.SASL_MECHANISM, "AWS_MSK_IAM")
                .containsEntry(SaslConfigs.SASL_CLIENT_CALLBACK_HANDLER_CLASS, MskIamCallbackHandler.class.getName())
                .containsEntry(
                        SaslConfigs.SASL_JAAS_CONFIG,
                        MskIam.LOGIN_MODULE + " required " + MskIamCallbackHandler.ACCESS_KEY_OPTION
                                + "=\"AKIAEXAMPLE\" " + MskIamCallbackHandler.SECRET_KEY_OPTION + "=\"s3cret\";");
    }

    @Test
    void producerProperties_withoutKeys_signWithTheDefaultChain() {
        Map<String, Object> props = KafkaSink.producerProperties(iam(null, null), "c1");

        assertThat(props)
                .containsEntry(SaslConfigs.SASL_MECHANISM, "AWS_MSK_IAM")
                .containsEntry(SaslConfigs.SASL_CLIENT_CALLBACK_HANDLER_CLASS, MskIam.DEFAULT_CALLBACK_HANDLER)
                .containsEntry(SaslConfigs.SASL_JAAS_CONFIG, MskIam.LOGIN_MODULE + " required;");
    }

    @Test
    void start_withKeysOrDefaultChain_createsTheProducer_andCloseReleasesIt() throws Exception {
        assertThat(MskIam.available()).as("aws-msk-iam-auth on the class path").isTrue();
        MBeanServer beans = ManagementFactory.getPlatformMBeanServer();
        // Every producer registers its metrics under its client id, sluice-<sink name>, and unregisters them on close.
        ObjectName metrics = new ObjectName("kafka.producer:type=producer-metrics,client-id=sluice-iam");
        for (KafkaConfig config : List.of(iam("AKIAEXAMPLE", "secret"), iam(null, null))) {
            try (KafkaSink sink = new KafkaSink(config)) {
                sink.start(new SinkContext("s1", "iam"));
                assertThat(beans.isRegistered(metrics))
                        .as("a producer for %s", config)
                        .isTrue();
            }
            assertThat(beans.isRegistered(metrics)).as("the producer closed").isFalse();
        }
    }
}
