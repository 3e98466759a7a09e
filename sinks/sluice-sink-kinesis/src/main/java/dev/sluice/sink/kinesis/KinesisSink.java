package dev.sluice.sink.kinesis;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.sink.aws.AwsFailure;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClientBuilder;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * Delivers messages to an Amazon Kinesis data stream with {@code PutRecords}.
 *
 * <p>Each message is one record: data is the message JSON, the partition key is the message's group id (its table,
 * {@code schema.table}, when it has none), replaced by its hex SHA-256 when over {@value #MAX_KEY_BYTES} UTF-8 bytes.
 * Records of one group therefore land on one shard, in order. A batch is split, in order, into calls of at most
 * {@value #MAX_RECORDS} records and {@value #MAX_CALL_BYTES} bytes (data plus partition keys); calls go one after
 * another.
 *
 * <p>Failure:
 *
 * <ul>
 *   <li>A record over {@value #MAX_RECORD_BYTES} bytes (data plus partition key) can never be put: it is reported as
 *       rejected while the rest of the batch is delivered.
 *   <li>Kinesis may fail single records of a successful call (throttling, internal errors) yet accept later ones. A
 *       failed record followed by an accepted record of the same partition key in that call would break the key's
 *       order, so the later ones are put again too, after it: the key's records are sent again from its first failed
 *       one, up to {@value #ATTEMPTS} attempts in all with short pauses. The key's records are then in order, possibly
 *       after a duplicate of a later one (same idempotency key). Records still failing are reported to retry, and the
 *       key's later records in the batch are not sent (left to retry too).
 *   <li>A call that fails as a whole (unreachable endpoint, timeout, bad credentials, missing stream) stops the batch:
 *       the records not yet accepted are reported to retry. Nothing was accepted: the whole batch fails.
 * </ul>
 *
 * <p>The SDK does not retry: the engine's retry policy applies. Errors name the stream, the endpoint and the AWS
 * error code, never the secret key.
 *
 * <p>Concurrency: thread-safe. One asynchronous Kinesis client (HTTP/1.1) per sink; each delivery runs on a virtual
 * thread, so {@link #deliver(Batch)} never blocks.
 */
public final class KinesisSink implements Sink {
    static final int MAX_RECORDS = 500;
    static final int MAX_CALL_BYTES = 5 * 1024 * 1024;
    static final int MAX_RECORD_BYTES = 1024 * 1024;
    static final int MAX_KEY_BYTES = 256;
    static final int ATTEMPTS = 3;
    private static final long[] PAUSES_MS = {50, 200};
    private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final KinesisConfig config;
    private final String stream;
    private final String endpoint;
    private final KinesisAsyncClient client;
    private final ExecutorService executor;
    private volatile boolean closed;

    /**
     * Creates the sink and its client. No connection is opened until the first delivery.
     *
     * @param config validated configuration; not null
     */
    public KinesisSink(KinesisConfig config) {
        this(config, client(config, config.requestTimeout(), List.of()));
    }

    /** With a given client, which the sink closes (tests observe its calls). */
    KinesisSink(KinesisConfig config, KinesisAsyncClient client) {
        this.config = config;
        this.stream = "Kinesis stream " + config.streamArn();
        this.endpoint = endpoint(config);
        this.client = client;
        this.executor = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("kinesis-sink-", 0).factory());
    }

    /** The configuration this sink was created with. */
    public KinesisConfig config() {
        return config;
    }

    /**
     * Puts the batch. The stage completes normally once Kinesis accepted every record, or exceptionally with a {@link
     * SinkException}: for the whole batch, or {@linkplain SinkException#partial partial} when some messages were
     * accepted or rejected for good. Never blocks.
     */
    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        if (closed) {
            return CompletableFuture.failedFuture(new SinkException(stream + ": sink is closed", true));
        }
        CompletableFuture<Void> result = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    send(batch.messages());
                    result.complete(null);
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
        } catch (RuntimeException e) { // closed concurrently
            result.completeExceptionally(new SinkException(stream + ": sink is closed", true, e));
        }
        return result;
    }

    /**
     * Checks that the stream can be reached with the configured credentials and is writable, as {@link
     * KinesisProvider#check} does, and throws when not. Blocks up to about {@code timeout}.
     *
     * @throws SinkException naming the reason: no credentials, endpoint unreachable (retriable), invalid credentials,
     *     access denied, stream does not exist, or stream being deleted
     */
    public static void check(KinesisConfig config, Duration timeout) {
        CheckResult result = probe(config, timeout);
        if (!result.ok()) {
            throw new SinkException(
                    Objects.requireNonNull(result.detail()), result.status() == CheckResult.Status.UNREACHABLE);
        }
    }

    /** {@link KinesisProvider#check}: calls {@code DescribeStreamSummary}; never throws for the peer's answer. */
    static CheckResult probe(KinesisConfig config, Duration timeout) {
        String what = "Kinesis stream " + config.streamArn();
        CheckResult noCredentials = AwsFailure.noCredentials(what, credentials(config));
        if (noCredentials != null) {
            return noCredentials;
        }
        StreamStatus status;
        try (KinesisAsyncClient client = client(config, timeout, List.of())) {
            status = client.describeStreamSummary(r -> r.streamARN(config.streamArn()))
                    .join()
                    .streamDescriptionSummary()
                    .streamStatus();
        } catch (RuntimeException e) {
            Throwable t = AwsFailure.unwrap(e);
            return AwsFailure.checkFailure(
                    what,
                    endpoint(config),
                    timeout,
                    t,
                    t instanceof ResourceNotFoundException ? "stream does not exist" : null,
                    "kinesis:DescribeStreamSummary and kinesis:PutRecords");
        }
        if (status == StreamStatus.DELETING) {
            return CheckResult.failed(CheckResult.Status.NOT_FOUND, what + ": stream is being deleted");
        }
        return CheckResult.OK;
    }

    /** Stops taking deliveries and closes the client; deliveries in progress fail. */
    @Override
    public void close() {
        closed = true;
        executor.shutdown();
        client.close();
    }

    // ---- sending (on a virtual thread) ----

    private void send(List<SinkMessage> messages) {
        int n = messages.size();
        BitSet retry = new BitSet(n);
        BitSet rejected = new BitSet(n);
        Set<String> stalledKeys = new HashSet<>();
        String[] keys = new String[n];
        int[] sizes = new int[n];
        String firstError = null;
        for (int i = 0; i < n; i++) {
            SinkMessage m = messages.get(i);
            keys[i] = partitionKey(
                    m.groupId() != null && !m.groupId().isEmpty()
                            ? m.groupId()
                            : m.table().toString());
            sizes[i] = m.json().length + keys[i].getBytes(StandardCharsets.UTF_8).length;
            if (sizes[i] > MAX_RECORD_BYTES) {
                rejected.set(i);
                if (firstError == null) {
                    firstError = "message " + m.idempotencyKey() + " is " + sizes[i]
                            + " bytes with its partition key, over Kinesis's limit of " + MAX_RECORD_BYTES + " bytes";
                }
            }
        }
        SinkException callFailure = null;
        int next = 0;
        while (next < n) {
            // Fill one call: up to MAX_RECORDS records and MAX_CALL_BYTES bytes, in batch order.
            List<Integer> call = new ArrayList<>();
            long bytes = 0;
            while (next < n && call.size() < MAX_RECORDS) {
                if (rejected.get(next)) {
                    next++;
                } else if (stalledKeys.contains(keys[next])) {
                    retry.set(next++);
                } else if (bytes + sizes[next] > MAX_CALL_BYTES) {
                    break;
                } else {
                    bytes += sizes[next];
                    call.add(next++);
                }
            }
            if (call.isEmpty()) {
                continue;
            }
            CallOutcome outcome = sendCall(messages, keys, call);
            if (outcome.wholeCallFailure != null) {
                callFailure = outcome.wholeCallFailure;
                for (int i : call) {
                    retry.set(i);
                }
                for (int i = next; i < n; i++) {
                    if (!rejected.get(i)) {
                        retry.set(i);
                    }
                }
                break;
            }
            retry.or(outcome.retry);
            outcome.retry.stream().forEach(i -> stalledKeys.add(keys[i]));
            if (firstError == null) {
                firstError = outcome.firstError;
            }
        }
        if (retry.isEmpty() && rejected.isEmpty()) {
            return;
        }
        if (callFailure != null && retry.cardinality() == n) {
            throw callFailure;
        }
        String reason = callFailure != null ? callFailure.getMessage() : stream + ": " + firstError;
        throw SinkException.partial(
                reason + " (" + retry.cardinality() + " of " + n + " messages to retry, " + rejected.cardinality()
                        + " rejected)",
                retry,
                rejected);
    }

    /** Outcome of one call: records still failing after the quick retries, or a failure of the whole call. */
    private record CallOutcome(
            BitSet retry,
            @Nullable String firstError,
            @Nullable SinkException wholeCallFailure) {}

    private CallOutcome sendCall(List<SinkMessage> messages, String[] keys, List<Integer> call) {
        BitSet retry = new BitSet();
        String firstError = null;
        List<Integer> pending = call;
        for (int attempt = 1; ; attempt++) {
            PutRecordsResponse response;
            try {
                List<PutRecordsRequestEntry> entries = new ArrayList<>(pending.size());
                for (int i : pending) {
                    entries.add(PutRecordsRequestEntry.builder()
                            .data(SdkBytes.fromByteArrayUnsafe(messages.get(i).json()))
                            .partitionKey(keys[i])
                            .build());
                }
                response = client.putRecords(
                                r -> r.streamARN(config.streamArn()).records(entries))
                        .join();
            } catch (RuntimeException e) {
                SinkException failure = AwsFailure.describe(stream, endpoint, config.requestTimeout(), e);
                if (attempt == 1) {
                    return new CallOutcome(retry, null, failure);
                }
                // Some records went through on an earlier attempt: only the pending ones are to retry.
                pending.forEach(retry::set);
                return new CallOutcome(retry, failure.getMessage(), null);
            }
            List<PutRecordsResultEntry> results = response.records();
            // From a key's first failed record on, its records are put again (see the class comment).
            Set<String> failedKeys = new HashSet<>();
            List<Integer> again = new ArrayList<>();
            for (int j = 0; j < pending.size(); j++) {
                int i = pending.get(j);
                PutRecordsResultEntry r = j < results.size() ? results.get(j) : null;
                boolean failed = r == null || r.errorCode() != null;
                if (failed && firstError == null) {
                    firstError = "message " + messages.get(i).idempotencyKey() + " failed: "
                            + (r == null ? "no result" : r.errorCode() + ": " + r.errorMessage());
                }
                if (failed) {
                    failedKeys.add(keys[i]);
                }
                if (failed || failedKeys.contains(keys[i])) {
                    again.add(i);
                }
            }
            if (again.isEmpty() || attempt == ATTEMPTS || closed) {
                again.forEach(retry::set);
                return new CallOutcome(retry, firstError, null);
            }
            pending = again;
            try {
                Thread.sleep(PAUSES_MS[attempt - 1]);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                pending.forEach(retry::set);
                return new CallOutcome(retry, firstError, null);
            }
        }
    }

    /** {@code key} when at most {@value #MAX_KEY_BYTES} UTF-8 bytes, otherwise its hex SHA-256 (64 characters). */
    static String partitionKey(String key) {
        byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
        if (utf8.length <= MAX_KEY_BYTES) {
            return key;
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(utf8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
        }
    }

    // ---- client ----

    private static String endpoint(KinesisConfig config) {
        return config.endpointUrl() != null
                ? config.endpointUrl().toString()
                : "https://kinesis." + config.region() + ".amazonaws.com";
    }

    private static AwsCredentialsProvider credentials(KinesisConfig config) {
        if (config.accessKeyId() != null && config.secretAccessKey() != null) {
            return StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(config.accessKeyId(), config.secretAccessKey()));
        }
        return DefaultCredentialsProvider.builder().build();
    }

    static KinesisAsyncClient client(KinesisConfig config, Duration timeout, List<ExecutionInterceptor> interceptors) {
        Duration connect = timeout.compareTo(MAX_CONNECT_TIMEOUT) < 0 ? timeout : MAX_CONNECT_TIMEOUT;
        KinesisAsyncClientBuilder b = KinesisAsyncClient.builder()
                .region(Region.of(config.region()))
                .credentialsProvider(credentials(config))
                // HTTP/1.1: the SDK's HTTP/2 default is for SubscribeToShard, which the sink does not use, and
                // emulators speak plain HTTP/1.1.
                .httpClientBuilder(NettyNioAsyncHttpClient.builder()
                        .protocol(Protocol.HTTP1_1)
                        .connectionTimeout(connect))
                // The engine owns retries; the SDK's own would only delay the failure.
                .overrideConfiguration(o -> o.apiCallTimeout(timeout)
                        .retryStrategy(AwsRetryStrategy.doNotRetry())
                        .executionInterceptors(interceptors));
        if (config.endpointUrl() != null) {
            b.endpointOverride(config.endpointUrl());
        }
        return b.build();
    }
}
