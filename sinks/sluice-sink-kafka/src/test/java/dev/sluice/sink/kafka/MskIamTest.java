package dev.sluice.sink.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.SinkContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.security.auth.callback.Callback;
import javax.security.auth.login.AppConfigurationEntry;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import software.amazon.msk.auth.iam.internals.AWSCredentialsCallback;

/** The IAM library loads and is wired; signing against a real MSK cluster is not tested here. */
class MskIamTest {
    private static KafkaConfig iam(@Nullable String keyId, @Nullable String secret) {
        return new KafkaConfig(
                // MSK host names carry the region; no DNS here, so a local name stands in.
                List.of("localhost:9098"),
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
    void start_withKeysOrDefaultChain_createsTheProducer() {
        for (KafkaConfig config : List.of(iam("AKIAEXAMPLE", "secret"), iam(null, null))) {
            try (KafkaSink sink = new KafkaSink(config)) {
                sink.start(new SinkContext("s1", "iam"));
            }
        }
    }
}
