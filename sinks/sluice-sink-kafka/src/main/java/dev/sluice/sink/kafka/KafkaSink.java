package dev.sluice.sink.kafka;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.jspecify.annotations.Nullable;

/**
 * Writes each message as one Kafka record to the configured topic.
 *
 * <p>Record: the key is the message's group id in UTF-8, or, for a message without a group, its table's name
 * ({@code schema.table}), so Kafka's default partitioner sends every change of a row (or of an ungrouped table) to
 * one partition, where it stays in order. The value is the message's JSON, unchanged. No headers.
 *
 * <p>Routing: a batch's {@linkplain Batch#routing() routing} may set {@code topic} (another topic for the batch's
 * records, checked as the configured one is) and {@code message_key} (the key of every record of the batch; null for
 * none); see {@link KafkaRoute}. One producer serves every topic. An invalid routed value fails the batch, retriably.
 *
 * <p>Producer: idempotent ({@code enable.idempotence=true}, {@code acks=all}) so the producer's own retries neither
 * duplicate nor reorder records within a partition; records linger a few milliseconds to form larger, compressed
 * batches.
 *
 * <p>Concurrency: {@link #deliver} hands the batch to one sending thread, which calls {@code send} for each message
 * in batch order (so calls for different groups never interleave inside a batch) and returns at once; the
 * producer's callbacks complete the stage once every record is acknowledged or failed. Only {@code send} may block
 * (waiting for topic metadata or for buffer space), and it does so on that thread, never on the caller's.
 *
 * <p>Order after a failure: the idempotent producer keeps a partition's records in order while its retries succeed,
 * but once a record fails for good it moves on, and a later record of the same key could be written before the
 * engine sends the failed one again. So the first retriable failure discards the producer at once (closed without
 * waiting, inside the failing callback): the records still queued behind it fail too, and those already sent
 * cannot be written after the gap, because the broker refuses a producer's records that skip a sequence number.
 * The next delivery creates a new producer. Deliveries of other groups on the discarded producer fail and are
 * retried; no record is lost and the order of first occurrences per key holds.
 *
 * <p>Failure: a stage fails with a {@link SinkException}. When some records failed, it is a {@linkplain
 * SinkException#partial partial} failure: records over the size limit or otherwise unwritable are {@code rejected},
 * the rest of the failed ones are to {@code retry}. When every record failed for the same kind of reason, the
 * exception covers the whole batch. Messages name the topic and brokers, never the credentials.
 */
public final class KafkaSink implements Sink {
    // Long enough to gather a useful batch under load, short enough not to matter for latency.
    private static final int LINGER_MS = 5;
    private static final int PRODUCER_BATCH_BYTES = 256 * 1024;
    // The topic's max.message.bytes decides what is too large; the client only guards against absurd sizes.
    private static final int MAX_REQUEST_BYTES = 16 * 1024 * 1024;
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
    private static final String MSK_IAM_MISSING =
            "aws_msk_iam needs the aws-msk-iam-auth library (software.amazon.msk:aws-msk-iam-auth) on the class path";

    private final KafkaConfig config;
    private final Object lock = new Object();
    // Guarded by lock. The producer is null before start, after close, and after a failure discarded it.
    private @Nullable Producer<byte[], byte[]> producer;
    private @Nullable Map<String, Object> producerProps;
    private @Nullable ExecutorService sender;
    private boolean closed;

    public KafkaSink(KafkaConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * Creates the producer. It does not contact the brokers: an unreachable cluster shows up in the first delivery or
     * in {@link KafkaProvider#check}.
     *
     * @throws SinkException when the producer cannot be created, for example when {@code aws_msk_iam} is configured
     *     without its library on the class path (host names that do not resolve yet fail the first batches instead,
     *     retriably)
     */
    @Override
    public void start(SinkContext context) {
        synchronized (lock) {
            if (producerProps != null || closed) {
                throw new IllegalStateException("kafka sink already started");
            }
            producerProps = producerProperties(config, "sluice-" + context.sinkName());
            try {
                producer = newProducer(producerProps, false);
            } catch (SinkException e) {
                if (!(rootCause(e) instanceof org.apache.kafka.common.config.ConfigException c)
                        || c.getMessage() == null
                        || !c.getMessage().contains("resolvable")) {
                    throw e;
                }
                // The brokers' names do not resolve yet (DNS not ready, a cluster still coming up): as a peer that
                // is down, not a bad configuration. The first batch makes the producer again, and fails retriably
                // until they resolve.
                producer = null;
            }
            sender = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "kafka-send-" + context.sinkName());
                t.setDaemon(true);
                return t;
            });
        }
    }

    private Producer<byte[], byte[]> newProducer(Map<String, Object> props, boolean retriable) {
        try {
            return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        } catch (KafkaException e) {
            throw new SinkException(
                    "kafka " + where(config) + ": cannot create the producer: " + Failures.describe(rootCause(e)),
                    retriable,
                    e);
        }
    }

    /** The current producer, created anew when a failure discarded the previous one. Called on the sending thread. */
    private Producer<byte[], byte[]> producer() {
        synchronized (lock) {
            if (closed || producerProps == null) {
                throw new SinkException("kafka " + where(config) + ": sink is closed", true);
            }
            if (producer == null) {
                producer = newProducer(producerProps, true);
            }
            return producer;
        }
    }

    /** Drops {@code failed} so no later record can overtake the failed one; see the class comment. */
    private void discard(Producer<byte[], byte[]> failed) {
        synchronized (lock) {
            if (producer != failed) {
                return; // already discarded by another failure
            }
            producer = null;
        }
        // From the producer's callback this returns at once; queued and in-flight records fail.
        failed.close(Duration.ZERO);
    }

    static Map<String, Object> producerProperties(KafkaConfig config, String clientId) {
        checkMskIam(config);
        Map<String, Object> props = ClientProperties.connection(config, clientId);
        long timeoutMs = config.requestTimeout().toMillis();
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        // At most 5 requests in flight keeps the idempotent producer's ordering guarantee.
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, config.compression().kafkaName());
        props.put(ProducerConfig.LINGER_MS_CONFIG, LINGER_MS);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, PRODUCER_BATCH_BYTES);
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_REQUEST_BYTES);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE, timeoutMs));
        // Kafka requires delivery.timeout >= linger + request timeout; the producer retries within it.
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE, timeoutMs + LINGER_MS));
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeoutMs);
        return props;
    }

    private static void checkMskIam(KafkaConfig config) {
        if (config.saslMechanism() == SaslMechanism.AWS_MSK_IAM && !MskIam.available()) {
            throw new SinkException(MSK_IAM_MISSING, false);
        }
    }

    /**
     * Sends every message of the batch, in order, and completes once the brokers acknowledged all of them. Never
     * blocks the caller. Thread-safe.
     *
     * <p><b>Warning:</b> the stage usually completes on the producer's I/O thread. Actions chained to it without an
     * executor run there and hold up every record of the sink: keep them short, or use the {@code *Async} variants.
     *
     * @return a stage that fails with a {@link SinkException} when any message was not written
     * @throws IllegalStateException when the sink was not started or is closed
     */
    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        ExecutorService s;
        synchronized (lock) {
            s = sender;
        }
        if (s == null) {
            throw new IllegalStateException("kafka sink is not started");
        }
        Map<String, Object> routing = batch.routing();
        KafkaRoute route = null;
        if (routing != null) {
            try {
                route = KafkaRoute.of(routing, config);
            } catch (SinkException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        Delivery delivery = new Delivery(batch, route);
        try {
            s.execute(delivery::sendAll);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new IllegalStateException("kafka sink is closed", e);
        }
        return delivery.done;
    }

    /** One batch on its way: counts acknowledgements and remembers each record's error. */
    private final class Delivery {
        final Batch batch;
        final @Nullable KafkaRoute route;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final AtomicInteger pending;
        final AtomicReferenceArray<Throwable> errors;
        volatile @Nullable Producer<byte[], byte[]> usedProducer;

        Delivery(Batch batch, @Nullable KafkaRoute route) {
            this.batch = batch;
            this.route = route;
            this.pending = new AtomicInteger(batch.size());
            this.errors = new AtomicReferenceArray<>(batch.size());
        }

        void sendAll() {
            Producer<byte[], byte[]> p;
            try {
                p = producer();
            } catch (SinkException e) {
                done.completeExceptionally(e);
                return;
            }
            usedProducer = p;
            List<SinkMessage> messages = batch.messages();
            String topic = topic();
            for (int i = 0; i < messages.size(); i++) {
                SinkMessage m = messages.get(i);
                byte[] key = route == null ? defaultKey(m) : route.keyOf(m);
                ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, key, m.json());
                int index = i;
                try {
                    p.send(record, (metadata, error) -> acked(index, error));
                } catch (RuntimeException e) {
                    // send() throws only when the producer is closed or broken, or the thread is interrupted.
                    acked(index, e);
                }
            }
        }

        String topic() {
            return route == null ? config.topic() : route.topic();
        }

        void acked(int index, @Nullable Exception error) {
            if (error != null) {
                errors.set(index, error);
                Producer<byte[], byte[]> p = usedProducer;
                if (p != null && Failures.retriable(error)) {
                    discard(p);
                }
            }
            if (pending.decrementAndGet() == 0) {
                finish();
            }
        }

        private void finish() {
            int n = batch.size();
            BitSet retry = new BitSet(n);
            BitSet rejected = new BitSet(n);
            Throwable firstRetry = null;
            Throwable firstRejected = null;
            for (int i = 0; i < n; i++) {
                Throwable e = errors.get(i);
                if (e == null) {
                    continue;
                }
                if (Failures.retriable(e)) {
                    retry.set(i);
                    firstRetry = firstRetry == null ? e : firstRetry;
                } else {
                    rejected.set(i);
                    firstRejected = firstRejected == null ? e : firstRejected;
                }
            }
            int failed = retry.cardinality() + rejected.cardinality();
            if (failed == 0) {
                done.complete(null);
                return;
            }
            String prefix = "kafka " + where(topic(), config) + ": ";
            if (failed == n && (retry.isEmpty() || rejected.isEmpty())) {
                Throwable cause = firstRetry != null ? firstRetry : firstRejected;
                String count = n == 1 ? "" : "all " + n + " messages failed: ";
                done.completeExceptionally(
                        new SinkException(prefix + count + Failures.describe(cause), firstRetry != null, cause));
                return;
            }
            StringBuilder text = new StringBuilder(prefix)
                    .append(failed)
                    .append(" of ")
                    .append(n)
                    .append(" messages failed");
            if (firstRejected != null) {
                text.append("; ")
                        .append(rejected.cardinality())
                        .append(" rejected: ")
                        .append(Failures.describe(firstRejected));
            }
            if (firstRetry != null) {
                text.append("; ")
                        .append(retry.cardinality())
                        .append(" to retry: ")
                        .append(Failures.describe(firstRetry));
            }
            SinkException partial = SinkException.partial(text.toString(), retry, rejected);
            partial.initCause(firstRetry != null ? firstRetry : firstRejected);
            done.completeExceptionally(partial);
        }
    }

    /**
     * Closes the producer, waiting a few seconds for records already sent; deliveries still pending then fail. Does
     * nothing when not started or already closed.
     */
    @Override
    public void close() {
        ExecutorService s;
        Producer<byte[], byte[]> p;
        synchronized (lock) {
            closed = true;
            s = sender;
            sender = null;
            p = producer;
            producer = null;
        }
        if (s != null) {
            s.shutdown();
            try {
                s.awaitTermination(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (p != null) {
            p.close(CLOSE_TIMEOUT.compareTo(config.requestTimeout()) < 0 ? CLOSE_TIMEOUT : config.requestTimeout());
        }
    }

    /** {@link KafkaProvider#check}: describes the topic with an admin client; never throws for the peer's answer. */
    static CheckResult probe(KafkaConfig config, Duration timeout) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(timeout, "timeout");
        if (config.saslMechanism() == SaslMechanism.AWS_MSK_IAM && !MskIam.available()) {
            return CheckResult.failed(CheckResult.Status.FAILED, MSK_IAM_MISSING);
        }
        Map<String, Object> props = ClientProperties.connection(config, "sluice-check");
        int timeoutMs = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
        Admin admin;
        try {
            admin = Admin.create(props);
        } catch (KafkaException e) {
            return CheckResult.failed(
                    CheckResult.Status.UNREACHABLE,
                    "kafka " + where(config) + ": cannot connect: " + Failures.describe(rootCause(e)));
        }
        try {
            admin.describeTopics(List.of(config.topic())).allTopicNames().get(timeoutMs + 1000L, TimeUnit.MILLISECONDS);
            return CheckResult.OK;
        } catch (ExecutionException e) {
            return checkFailure(config, e.getCause() == null ? e : e.getCause(), timeout);
        } catch (java.util.concurrent.TimeoutException e) {
            return checkFailure(config, new TimeoutException("no answer"), timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CheckResult.failed(CheckResult.Status.FAILED, "kafka " + where(config) + ": check interrupted");
        } finally {
            admin.close(Duration.ofSeconds(1));
        }
    }

    private static CheckResult checkFailure(KafkaConfig config, Throwable error, Duration timeout) {
        String hosts = config.bootstrapServers();
        if (error instanceof UnknownTopicOrPartitionException) {
            return CheckResult.failed(
                    CheckResult.Status.NOT_FOUND, "topic '" + config.topic() + "' does not exist on " + hosts);
        }
        if (error instanceof AuthenticationException) {
            return CheckResult.failed(
                    CheckResult.Status.UNAUTHORIZED,
                    "kafka " + hosts + ": authentication failed: " + error.getMessage());
        }
        if (error instanceof AuthorizationException) {
            return CheckResult.failed(
                    CheckResult.Status.UNAUTHORIZED,
                    "kafka " + hosts + ": not authorized to describe topic '" + config.topic() + "': "
                            + error.getMessage());
        }
        if (error instanceof TimeoutException) {
            return CheckResult.failed(
                    CheckResult.Status.UNREACHABLE,
                    "kafka " + hosts + ": no broker answered within " + timeout.toMillis()
                            + " ms; check hosts, ports, network and tls");
        }
        return CheckResult.failed(
                CheckResult.Status.FAILED, "kafka " + where(config) + ": check failed: " + Failures.describe(error));
    }

    private static String where(KafkaConfig config) {
        return where(config.topic(), config);
    }

    private static String where(String topic, KafkaConfig config) {
        return "topic '" + topic + "' on " + config.bootstrapServers();
    }

    /**
     * A record's key without a routed {@code message_key}: the message's group id in UTF-8, or its table's name when it
     * has none.
     */
    static byte[] defaultKey(SinkMessage m) {
        String key = m.groupId() != null ? m.groupId() : m.table().toString();
        return key.getBytes(StandardCharsets.UTF_8);
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }
}
