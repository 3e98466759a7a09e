package dev.sluice.sink.kafka;

import dev.sluice.core.sink.InvalidConfigException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Configuration of a {@link KafkaSink}, validated on construction. Field names follow Sequin's Kafka sink; an
 * invalid value throws {@link InvalidConfigException} at its Sequin field ({@code hosts}, {@code topic}, …), saying what
 * to change.
 *
 * <p>{@link #toString()} hides the password and the AWS secret key.
 *
 * @param hosts bootstrap brokers as {@code host:port}, at least one (Sequin's comma-separated {@code hosts}, see
 *     {@link #parseHosts(String)})
 * @param topic the topic every message goes to; must exist (the sink does not create it)
 * @param tls connect with TLS, trusting the JVM's default CA certificates
 * @param username SASL user for {@code plain} and {@code scram_*}; null otherwise
 * @param password SASL password, set together with {@code username}; null otherwise
 * @param saslMechanism null for no authentication
 * @param awsRegion the MSK cluster's region, required for {@code aws_msk_iam}; null otherwise
 * @param awsAccessKeyId AWS access key for {@code aws_msk_iam}, set together with {@code awsSecretAccessKey}; both null
 *     means the AWS default credentials chain (environment, profile, instance role)
 * @param awsSecretAccessKey see {@code awsAccessKeyId}
 * @param compression how record batches are compressed
 * @param requestTimeout how long a message may wait for the brokers' acknowledgement (retries included) before its
 *     delivery fails; positive
 */
public record KafkaConfig(
        List<String> hosts,
        String topic,
        boolean tls,
        @Nullable String username,
        @Nullable String password,
        @Nullable SaslMechanism saslMechanism,
        @Nullable String awsRegion,
        @Nullable String awsAccessKeyId,
        @Nullable String awsSecretAccessKey,
        Compression compression,
        Duration requestTimeout) {

    /** Used when no request timeout is configured. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

    /** Kafka's rule for topic names, in messages. */
    static final String TOPIC_RULE = "letters, digits, '.', '_', '-'; at most 249 characters";

    private static final int MAX_TOPIC_LENGTH = 249;

    public KafkaConfig {
        Objects.requireNonNull(hosts, "hosts");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(compression, "compression");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (hosts.isEmpty()) {
            throw new InvalidConfigException("hosts", "at least one broker is required, like broker1:9092");
        }
        List<String> checked = new ArrayList<>(hosts.size());
        for (String host : hosts) {
            checked.add(checkHost(Objects.requireNonNull(host, "host")));
        }
        hosts = List.copyOf(checked);
        checkTopic(topic);
        checkAuthentication(tls, username, password, saslMechanism, awsRegion, awsAccessKeyId, awsSecretAccessKey);
        if (requestTimeout.isZero() || requestTimeout.isNegative()) {
            throw new InvalidConfigException(
                    "request_timeout_ms", "must be positive, got " + requestTimeout.toMillis() + " ms");
        }
    }

    /**
     * An unauthenticated, plaintext configuration without compression and with the default request timeout.
     */
    public static KafkaConfig of(List<String> hosts, String topic) {
        return new KafkaConfig(
                hosts, topic, false, null, null, null, null, null, null, Compression.NONE, DEFAULT_REQUEST_TIMEOUT);
    }

    /**
     * Splits Sequin's {@code hosts} string, {@code "broker1:9092, broker2:9092"}, trimming each entry. IPv6 addresses
     * go in brackets: {@code [::1]:9092}.
     *
     * @throws InvalidConfigException at {@code hosts} when the text is empty, an entry is empty or an entry has no
     *     valid port
     */
    public static List<String> parseHosts(String commaSeparated) {
        Objects.requireNonNull(commaSeparated, "commaSeparated");
        if (commaSeparated.isBlank()) {
            throw new InvalidConfigException("hosts", "at least one broker is required, like broker1:9092");
        }
        List<String> hosts = new ArrayList<>();
        for (String part : commaSeparated.split(",", -1)) {
            String host = part.strip();
            if (host.isEmpty()) {
                throw new InvalidConfigException(
                        "hosts", "empty entry in '" + commaSeparated + "'; separate brokers with single commas");
            }
            hosts.add(checkHost(host));
        }
        return List.copyOf(hosts);
    }

    private static String checkHost(String text) {
        String host = text.strip();
        int colon = host.lastIndexOf(':');
        if (host.isEmpty()) {
            throw new InvalidConfigException("hosts", "empty broker address; use host:port");
        }
        if (colon < 0 || (host.startsWith("[") && colon < host.indexOf(']'))) {
            throw new InvalidConfigException(
                    "hosts", "'" + host + "' has no port; use host:port, like " + host + ":9092");
        }
        String name = host.substring(0, colon);
        String port = host.substring(colon + 1);
        if (name.isEmpty() || name.equals("[]")) {
            throw new InvalidConfigException("hosts", "'" + host + "' has no host name; use host:port");
        }
        if (!name.startsWith("[") && name.indexOf(':') >= 0) {
            throw new InvalidConfigException(
                    "hosts", "'" + host + "' looks like an IPv6 address; put it in brackets, like [::1]:9092");
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            p = -1;
        }
        if (p < 1 || p > 65535) {
            throw new InvalidConfigException(
                    "hosts", "'" + host + "' has an invalid port '" + port + "'; use a number from 1 to 65535");
        }
        return host;
    }

    private static void checkTopic(String topic) {
        String problem = topicProblem(topic);
        if (problem != null) {
            throw new InvalidConfigException("topic", problem);
        }
    }

    /**
     * What makes {@code topic} an invalid Kafka topic name ({@value #TOPIC_RULE}), or null when it is valid. For the
     * configured topic and for a topic a routing function chose.
     */
    static @Nullable String topicProblem(String topic) {
        if (topic.isEmpty()) {
            return "must not be empty";
        }
        if (topic.length() > MAX_TOPIC_LENGTH) {
            return "at most " + MAX_TOPIC_LENGTH + " characters, got " + topic.length();
        }
        if (topic.equals(".") || topic.equals("..")) {
            return "'" + topic + "' is not a valid Kafka topic name";
        }
        for (int i = 0; i < topic.length(); i++) {
            char c = topic.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || c == '.'
                    || c == '_'
                    || c == '-';
            if (!ok) {
                return "'" + topic + "' has an invalid character at index " + i
                        + "; Kafka topic names use letters, digits, '.', '_' and '-'";
            }
        }
        return null;
    }

    private static void checkAuthentication(
            boolean tls,
            @Nullable String username,
            @Nullable String password,
            @Nullable SaslMechanism mechanism,
            @Nullable String awsRegion,
            @Nullable String awsAccessKeyId,
            @Nullable String awsSecretAccessKey) {
        if (mechanism == null || mechanism.usesPassword()) {
            String why = mechanism == null
                    ? "without sasl_mechanism"
                    : "with sasl_mechanism " + mechanism.name().toLowerCase(java.util.Locale.ROOT);
            rejectSet("aws_region", awsRegion, why);
            rejectSet("aws_access_key_id", awsAccessKeyId, why);
            rejectSet("aws_secret_access_key", awsSecretAccessKey, why);
        }
        if (mechanism == null) {
            if (username != null || password != null) {
                throw new InvalidConfigException(
                        "sasl_mechanism",
                        "username and password are set but no sasl_mechanism; set it to plain,"
                                + " scram_sha_256 or scram_sha_512, or remove the credentials");
            }
            return;
        }
        String name = mechanism.name().toLowerCase(java.util.Locale.ROOT);
        if (mechanism.usesPassword()) {
            if (username == null || username.isEmpty()) {
                throw new InvalidConfigException("username", "required with sasl_mechanism " + name);
            }
            if (password == null || password.isEmpty()) {
                throw new InvalidConfigException("password", "required with sasl_mechanism " + name);
            }
            return;
        }
        rejectSet("username", username, "with sasl_mechanism aws_msk_iam (it signs with AWS credentials)");
        rejectSet("password", password, "with sasl_mechanism aws_msk_iam (it signs with AWS credentials)");
        if (awsRegion == null || awsRegion.isBlank()) {
            throw new InvalidConfigException("aws_region", "required with sasl_mechanism aws_msk_iam, like us-east-1");
        }
        boolean hasKey = awsAccessKeyId != null && !awsAccessKeyId.isEmpty();
        boolean hasSecret = awsSecretAccessKey != null && !awsSecretAccessKey.isEmpty();
        if (hasKey && !hasSecret) {
            throw new InvalidConfigException(
                    "aws_secret_access_key",
                    "required when aws_access_key_id is set (or remove both to use the"
                            + " default AWS credentials chain)");
        }
        if (hasSecret && !hasKey) {
            throw new InvalidConfigException(
                    "aws_access_key_id",
                    "required when aws_secret_access_key is set (or remove both to use the"
                            + " default AWS credentials chain)");
        }
        if (!tls) {
            throw new InvalidConfigException(
                    "tls", "sasl_mechanism aws_msk_iam needs tls: true (MSK's IAM listener accepts TLS only)");
        }
    }

    private static void rejectSet(String field, @Nullable String value, String why) {
        if (value != null) {
            throw new InvalidConfigException(field, "not used " + why + "; remove it");
        }
    }

    /** Kafka's bootstrap.servers value. */
    String bootstrapServers() {
        return String.join(",", hosts);
    }

    @Override
    public String toString() {
        return "KafkaConfig[hosts=" + hosts + ", topic=" + topic + ", tls=" + tls + ", saslMechanism=" + saslMechanism
                + ", username=" + username + ", password=" + (password == null ? null : "****") + ", awsRegion="
                + awsRegion + ", awsAccessKeyId=" + awsAccessKeyId + ", awsSecretAccessKey="
                + (awsSecretAccessKey == null ? null : "****") + ", compression=" + compression
                + ", requestTimeout=" + requestTimeout + "]";
    }
}
