package dev.sluice.sink.kafka;

import java.util.List;
import java.util.Map;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.msk.auth.iam.internals.AWSCredentialsCallback;

/**
 * Hands the MSK IAM signer the access key from the sink's configuration, which arrives as options of the JAAS entry.
 * Not part of Sluice's API: public only because Kafka instantiates it by class name.
 */
public final class MskIamCallbackHandler implements AuthenticateCallbackHandler {
    static final String ACCESS_KEY_OPTION = "sluiceAwsAccessKeyId";
    static final String SECRET_KEY_OPTION = "sluiceAwsSecretAccessKey";

    private @Nullable AwsBasicCredentials credentials;

    public MskIamCallbackHandler() {}

    @Override
    public void configure(Map<String, ?> configs, String saslMechanism, List<AppConfigurationEntry> jaasEntries) {
        for (AppConfigurationEntry entry : jaasEntries) {
            Object key = entry.getOptions().get(ACCESS_KEY_OPTION);
            Object secret = entry.getOptions().get(SECRET_KEY_OPTION);
            if (key != null && secret != null) {
                credentials = AwsBasicCredentials.create(key.toString(), secret.toString());
            }
        }
        if (credentials == null) {
            throw new IllegalArgumentException("aws_msk_iam: the JAAS entry carries no access key");
        }
    }

    @Override
    public void handle(Callback[] callbacks) throws UnsupportedCallbackException {
        for (Callback callback : callbacks) {
            if (callback instanceof AWSCredentialsCallback aws) {
                aws.setAwsCredentials(credentials);
            } else {
                throw new UnsupportedCallbackException(callback);
            }
        }
    }

    @Override
    public void close() {}
}
