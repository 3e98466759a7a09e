package dev.sluice.sink.sqs;

import static org.awaitility.Awaitility.await;

import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.testkit.FreePort;
import dev.sluice.testkit.conformance.Destination;
import dev.sluice.testkit.conformance.SinkConformance;
import dev.sluice.testkit.conformance.SinkHarness;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The sink conformance suite against ElasticMQ in this JVM, on FIFO queues (a standard queue keeps no order). ElasticMQ
 * takes any credentials, so there is no bad-credentials case; it forgets its queues when stopped, so the harness
 * drains them first and creates them again on the restart.
 */
class SqsConformanceIT extends SinkConformance<SqsConfig> {
    @Override
    protected SinkHarness<SqsConfig> harness() {
        return new Harness();
    }

    static final class Harness implements SinkHarness<SqsConfig> {
        private final SqsProvider provider = new SqsProvider();
        // Queue name -> message group -> bodies, in the order received (FIFO: each group's order).
        private final Map<String, Map<String, List<String>>> received = new LinkedHashMap<>();
        private SQSRestServer server;
        private SqsAsyncClient admin;
        private int port;

        @Override
        public SinkProvider<SqsConfig> provider() {
            return provider;
        }

        @Override
        public void start() {
            server = SQSRestServerBuilder.withInterface("127.0.0.1")
                    .withDynamicPort()
                    .start();
            port = server.waitUntilStarted().localAddress().getPort();
            admin = SqsAsyncClient.builder()
                    .region(Region.US_EAST_1)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "y")))
                    .endpointOverride(URI.create(endpoint()))
                    .build();
        }

        @Override
        public void stopPeer() {
            received.keySet().forEach(this::drain);
            server.stopAndWait();
        }

        @Override
        public void restartPeer() {
            server = SQSRestServerBuilder.withInterface("127.0.0.1")
                    .withPort(port)
                    .start();
            server.waitUntilStarted();
            received.keySet().forEach(this::createQueue);
        }

        @Override
        public Destination newDestination(String name) {
            String queue = name + ".fifo";
            received.put(queue, new LinkedHashMap<>());
            return new Destination(queue, values(createQueue(queue), endpoint()));
        }

        @Override
        public ConfigValues unreachable() {
            String closed = "http://127.0.0.1:" + FreePort.find();
            return values(closed + "/000000000000/nowhere.fifo", closed);
        }

        @Override
        public OptionalInt oversizedBytes() {
            return OptionalInt.of(SqsSink.MAX_CALL_BYTES + 1);
        }

        @Override
        public List<List<String>> arrived(Destination destination, int atLeast) {
            Map<String, List<String>> groups = received.get(destination.name());
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                drain(destination.name());
                return groups.values().stream().mapToInt(List::size).sum() >= atLeast;
            });
            return List.copyOf(groups.values());
        }

        @Override
        public void close() {
            if (admin != null) {
                admin.close();
            }
            if (server != null) {
                server.stopAndWait();
            }
        }

        private String endpoint() {
            return "http://127.0.0.1:" + port;
        }

        private String createQueue(String name) {
            return admin.createQueue(r -> r.queueName(name).attributes(Map.of(QueueAttributeName.FIFO_QUEUE, "true")))
                    .join()
                    .queueUrl();
        }

        /** Receives and deletes everything the queue holds now. */
        private void drain(String queue) {
            String url = admin.getQueueUrl(r -> r.queueName(queue)).join().queueUrl();
            while (true) {
                List<Message> got = admin.receiveMessage(r -> r.queueUrl(url)
                                .maxNumberOfMessages(10)
                                .messageSystemAttributeNames(MessageSystemAttributeName.MESSAGE_GROUP_ID))
                        .join()
                        .messages();
                if (got.isEmpty()) {
                    return;
                }
                List<DeleteMessageBatchRequestEntry> done = new ArrayList<>();
                for (Message m : got) {
                    received.get(queue)
                            .computeIfAbsent(
                                    m.attributes().get(MessageSystemAttributeName.MESSAGE_GROUP_ID),
                                    g -> new ArrayList<>())
                            .add(m.body());
                    done.add(DeleteMessageBatchRequestEntry.builder()
                            .id(Integer.toString(done.size()))
                            .receiptHandle(m.receiptHandle())
                            .build());
                }
                admin.deleteMessageBatch(r -> r.queueUrl(url).entries(done)).join();
            }
        }

        private ConfigValues values(String queueUrl, String endpoint) {
            return ConfigValues.of(
                    provider.schema(),
                    Map.of(
                            "queue_url",
                            queueUrl,
                            "region",
                            "us-east-1",
                            "access_key_id",
                            "AKIDCONFORMANCE",
                            "secret_access_key",
                            "sqs-conformance-secret-8e2f",
                            "endpoint_url",
                            endpoint,
                            "request_timeout_ms",
                            3000L));
        }
    }
}
