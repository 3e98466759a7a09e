package dev.sluice.sink.kafka;

import dev.sluice.core.sink.InvalidConfigException;
import java.util.Locale;

/** How the sink authenticates to the brokers, as Sequin's {@code sasl_mechanism} names it. */
public enum SaslMechanism {
    PLAIN("PLAIN"),
    SCRAM_SHA_256("SCRAM-SHA-256"),
    SCRAM_SHA_512("SCRAM-SHA-512"),
    /** Amazon MSK's IAM authentication, signed with AWS credentials instead of a password. */
    AWS_MSK_IAM("AWS_MSK_IAM");

    private final String kafkaName;

    SaslMechanism(String kafkaName) {
        this.kafkaName = kafkaName;
    }

    /** The name Kafka's {@code sasl.mechanism} setting uses. */
    String kafkaName() {
        return kafkaName;
    }

    /** True when the mechanism authenticates with {@code username} and {@code password}. */
    boolean usesPassword() {
        return this != AWS_MSK_IAM;
    }

    /**
     * Parses Sequin's spelling ({@code plain}, {@code scram_sha_256}, {@code scram_sha_512}, {@code aws_msk_iam}) in any
     * case; Kafka's dashed form ({@code SCRAM-SHA-256}) is accepted too.
     *
     * @throws InvalidConfigException naming the accepted values
     */
    public static SaslMechanism parse(String text) {
        String s = text.strip().toUpperCase(Locale.ROOT).replace('-', '_');
        for (SaslMechanism m : values()) {
            if (m.name().equals(s)) {
                return m;
            }
        }
        throw new InvalidConfigException(
                "sasl_mechanism",
                "unknown value '" + text + "'; use one of plain, scram_sha_256, scram_sha_512, aws_msk_iam");
    }
}
