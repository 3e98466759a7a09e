package dev.sluice.sink.kafka;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;

/** The connection and security settings shared by the producer and the admin client of one configuration. */
final class ClientProperties {
    private ClientProperties() {}

    static Map<String, Object> connection(KafkaConfig config, String clientId) {
        Map<String, Object> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        // Try every address a name resolves to, as the brokers of managed services often sit behind several.
        props.put(CommonClientConfigs.CLIENT_DNS_LOOKUP_CONFIG, "use_all_dns_ips");
        SaslMechanism mechanism = config.saslMechanism();
        String protocol = mechanism == null
                ? (config.tls() ? "SSL" : "PLAINTEXT")
                : (config.tls() ? "SASL_SSL" : "SASL_PLAINTEXT");
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, protocol);
        if (mechanism == null) {
            return props;
        }
        props.put(SaslConfigs.SASL_MECHANISM, mechanism.kafkaName());
        switch (mechanism) {
            case PLAIN ->
                props.put(
                        SaslConfigs.SASL_JAAS_CONFIG,
                        jaas("org.apache.kafka.common.security.plain.PlainLoginModule", config));
            case SCRAM_SHA_256, SCRAM_SHA_512 ->
                props.put(
                        SaslConfigs.SASL_JAAS_CONFIG,
                        jaas("org.apache.kafka.common.security.scram.ScramLoginModule", config));
            case AWS_MSK_IAM -> MskIam.configure(config, props);
        }
        return props;
    }

    private static String jaas(String loginModule, KafkaConfig config) {
        return loginModule + " required username=" + quote(config.username()) + " password=" + quote(config.password())
                + ";";
    }

    // JAAS option values are parsed like Java string literals: escape backslashes and double quotes.
    static String quote(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
