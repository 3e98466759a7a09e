package dev.sluice.sink.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.awaitility.Awaitility;

/**
 * A one-node KRaft cluster (broker and controller in one process) for a test class, started in about 2.5 s. The
 * SASL variant's client listener speaks SASL_PLAINTEXT with PLAIN and SCRAM-SHA-256/512; its PLAIN admin user,
 * {@value #ADMIN_USER}, creates topics and SCRAM users. Public for the server's end-to-end tests.
 */
public final class TestKafka implements AutoCloseable {
    public static final String ADMIN_USER = "plain-admin";
    public static final String ADMIN_PASSWORD = "plain-admin-secret";

    private final KafkaClusterTestKit cluster;
    private final boolean sasl;

    private TestKafka(KafkaClusterTestKit cluster, boolean sasl) {
        this.cluster = cluster;
        this.sasl = sasl;
    }

    public static TestKafka plaintext() throws Exception {
        return start(false);
    }

    public static TestKafka sasl() throws Exception {
        return start(true);
    }

    private static TestKafka start(boolean sasl) throws Exception {
        TestKitNodes.Builder nodes = new TestKitNodes.Builder()
                .setCombined(true)
                .setNumBrokerNodes(1)
                .setNumControllerNodes(1);
        if (sasl) {
            nodes.setBrokerSecurityProtocol(SecurityProtocol.SASL_PLAINTEXT);
        }
        KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes.build())
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("offsets.topic.num.partitions", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0");
        if (sasl) {
            // The kit's authorizer denies users without ACLs; these tests are about authentication only.
            builder.setConfigProp("sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512")
                    .setConfigProp("allow.everyone.if.no.acl.found", "true");
        }
        KafkaClusterTestKit cluster = builder.build();
        try {
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
        return new TestKafka(cluster, sasl);
    }

    public List<String> hosts() {
        return KafkaConfig.parseHosts(cluster.bootstrapServers());
    }

    public Admin admin() {
        return cluster.admin();
    }

    public void createTopic(String name, int partitions, Map<String, String> configs) throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs)))
                    .all()
                    .get();
        }
    }

    public void createScramUser(String user, String password, ScramMechanism mechanism) throws Exception {
        try (Admin admin = admin()) {
            admin.alterUserScramCredentials(List.of(
                            new UserScramCredentialUpsertion(user, new ScramCredentialInfo(mechanism, 4096), password)))
                    .all()
                    .get();
        }
    }

    /** Stops the broker (its controller stays up) and starts it again on the same port and log directory. */
    public void stopBroker() {
        cluster.brokers().values().forEach(b -> b.shutdown());
    }

    public void startBroker() throws Exception {
        for (var broker : cluster.brokers().values()) {
            broker.startup();
        }
        cluster.waitForReadyBrokers();
    }

    /** Every record of the topic up to its current end, partition by partition, each in offset order. */
    public List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
        Map<String, Object> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        if (sasl) {
            props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
            props.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
            props.put(
                    SaslConfigs.SASL_JAAS_CONFIG,
                    "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + ADMIN_USER
                            + "\" password=\"" + ADMIN_PASSWORD + "\";");
        }
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(10))) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(10));
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            Awaitility.await("reading " + topic + " to its end " + end)
                    .atMost(Duration.ofSeconds(20))
                    .pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(1)) // each poll waits up to 200 ms for records itself
                    .until(() -> {
                        if (reached(consumer, end)) {
                            return true;
                        }
                        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                        return reached(consumer, end);
                    });
            return records;
        }
    }

    private static boolean reached(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        Set<TopicPartition> assigned = consumer.assignment();
        for (TopicPartition tp : assigned) {
            if (consumer.position(tp) < end.get(tp)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
