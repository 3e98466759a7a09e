package dev.sluice.sink.aws;

import dev.sluice.core.sink.ConfigField;
import java.time.Duration;

/** The configuration fields the AWS sinks share, with Sequin's names. */
public final class AwsFields {
    public static final ConfigField ACCESS_KEY_ID = ConfigField.string(
            "access_key_id", "Static credentials, with secret_access_key; without keys the default AWS chain");
    public static final ConfigField SECRET_ACCESS_KEY = ConfigField.string(
                    "secret_access_key", "AWS secret key, with access_key_id")
            .asSecret();
    public static final ConfigField USE_TASK_ROLE = ConfigField.bool(
            "use_task_role", "Sequin's flag; without keys the default AWS chain (task role included) is used");

    private AwsFields() {}

    /** {@code endpoint_url}, for an emulator such as {@code emulator}. */
    public static ConfigField endpointUrl(String emulator) {
        return ConfigField.string(
                "endpoint_url", "Where requests go instead of AWS, for emulators such as " + emulator);
    }

    /** {@code request_timeout_ms} of one call to {@code service}. */
    public static ConfigField requestTimeout(String service, Duration dflt) {
        return ConfigField.integer("request_timeout_ms", "How long one " + service + " call may take")
                .range(1, Integer.MAX_VALUE)
                .defaultValue(dflt.toMillis());
    }
}
