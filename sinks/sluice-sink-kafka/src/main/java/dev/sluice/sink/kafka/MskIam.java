package dev.sluice.sink.kafka;

import java.util.Map;
import org.apache.kafka.common.config.SaslConfigs;

/**
 * Settings for Amazon MSK's IAM authentication, done by the {@code aws-msk-iam-auth} library. The library signs
 * with the AWS default credentials chain unless the configuration names an access key, which {@link
 * MskIamCallbackHandler} then hands it. The library reads the signing region from the brokers' host names (MSK's
 * names contain it).
 */
final class MskIam {
    static final String LOGIN_MODULE = "software.amazon.msk.auth.iam.IAMLoginModule";
    static final String DEFAULT_CALLBACK_HANDLER = "software.amazon.msk.auth.iam.IAMClientCallbackHandler";

    private MskIam() {}

    /** Whether the library is on the class path. */
    static boolean available() {
        try {
            Class.forName(LOGIN_MODULE, false, MskIam.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    static void configure(KafkaConfig config, Map<String, Object> props) {
        if (config.awsAccessKeyId() == null) {
            props.put(SaslConfigs.SASL_JAAS_CONFIG, LOGIN_MODULE + " required;");
            props.put(SaslConfigs.SASL_CLIENT_CALLBACK_HANDLER_CLASS, DEFAULT_CALLBACK_HANDLER);
        } else {
            props.put(
                    SaslConfigs.SASL_JAAS_CONFIG,
                    LOGIN_MODULE + " required " + MskIamCallbackHandler.ACCESS_KEY_OPTION + "="
                            + ClientProperties.quote(config.awsAccessKeyId()) + " "
                            + MskIamCallbackHandler.SECRET_KEY_OPTION + "="
                            + ClientProperties.quote(config.awsSecretAccessKey()) + ";");
            props.put(SaslConfigs.SASL_CLIENT_CALLBACK_HANDLER_CLASS, MskIamCallbackHandler.class.getName());
        }
    }
}
