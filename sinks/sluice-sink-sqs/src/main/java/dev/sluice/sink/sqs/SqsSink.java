package dev.sluice.sink.sqs;

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
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.SqsAsyncClientBuilder;
import software.amazon.awssdk.services.sqs.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

/**
 * Delivers messages to an Amazon SQS queue (standard or FIFO) with {@code SendMessageBatch}.
 *
 * <p>Each message is one SQS message whose body is the message JSON as a UTF-8 string. A batch is split, in order,
 * into as many calls as needed, each with at most {@value #MAX_ENTRIES} entries and {@value #MAX_CALL_BYTES} bytes of
 * bodies; calls go one after another. On a FIFO queue the message group id is the message's group id (its table,
 * {@code schema.table}, when it has none) and the deduplication id its idempotency key; either is replaced by its hex
 * SHA-256 when SQS would refuse it (over 128 characters, or characters other than printable ASCII).
 *
 * <p>Failure:
 *
 * <ul>
 *   <li>A message whose body is over {@value #MAX_CALL_BYTES} bytes can never be sent: it is reported as rejected
 *       while the rest of the batch is delivered.
 *   <li>Entries SQS fails in a successful call are sent again, only they, up to {@value #ATTEMPTS} attempts in all
 *       with short pauses; then those still failing are reported to retry, or as rejected when SQS says the entry
 *       itself is at fault ({@code SenderFault}).
 *   <li>A call that fails as a whole (unreachable endpoint, timeout, bad credentials, missing queue) stops the batch:
 *       the messages not yet accepted are reported to retry. Nothing was accepted: the whole batch fails.
 *   <li>FIFO: once a message of a group is left to retry, the group's later messages in the batch are not sent (left
 *       to retry too), so the group's order holds across calls. Within one call SQS keeps entry order; if it failed
 *       an entry but accepted a later one of the same group, those two arrive out of order (SQS fails single
 *       entries only for internal errors or invalid entries).
 * </ul>
 *
 * <p>The SDK does not retry: the engine's retry policy applies. Errors name the queue, the endpoint and the AWS
 * error code, never the secret key.
 *
 * <p>Concurrency: thread-safe. One asynchronous SQS client per sink; each delivery runs on a virtual thread, so
 * {@link #deliver(Batch)} never blocks.
 */
public final class SqsSink implements Sink {
    /** Most entries SQS takes in one {@code SendMessageBatch} call. */
    static final int MAX_ENTRIES = 10;
    /** Most bytes of message bodies in one call, and so in one message (256 KiB). */
    static final int MAX_CALL_BYTES = 262_144;

    static final int ATTEMPTS = 3;
    private static final long[] PAUSES_MS = {50, 200};
    private static final int MAX_ID_LENGTH = 128;
    private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final SqsConfig config;
    private final String queue;
    private final String endpoint;
    private final SqsAsyncClient client;
    private final ExecutorService executor;
    private volatile boolean closed;

    /**
     * Creates the sink and its client. No connection is opened until the first delivery.
     *
     * @param config validated configuration; not null
     */
    public SqsSink(SqsConfig config) {
        this(config, client(config, config.requestTimeout()));
    }

    /** With a given client, which the sink closes (tests observe its calls). */
    SqsSink(SqsConfig config, SqsAsyncClient client) {
        this.config = config;
        this.queue = "SQS queue " + config.queueUrl();
        this.endpoint = endpoint(config);
        this.client = client;
        this.executor = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("sqs-sink-", 0).factory());
    }

    /** The configuration this sink was created with. */
    public SqsConfig config() {
        return config;
    }

    /**
     * Sends the batch. The stage completes normally once SQS accepted every message, or exceptionally with a {@link
     * SinkException}: for the whole batch, or {@linkplain SinkException#partial partial} when some messages were
     * accepted or rejected for good. Never blocks.
     */
    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        if (closed) {
            return CompletableFuture.failedFuture(new SinkException(queue + ": sink is closed", true));
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
            result.completeExceptionally(new SinkException(queue + ": sink is closed", true, e));
        }
        return result;
    }

    /**
     * Checks that the queue can be reached with the configured credentials, as {@link SqsProvider#check} does, and
     * throws when not. Blocks up to about {@code timeout}.
     *
     * @throws SinkException naming the reason: no credentials, endpoint unreachable (retriable), invalid credentials,
     *     access denied, or queue does not exist
     */
    public static void check(SqsConfig config, Duration timeout) {
        CheckResult result = probe(config, timeout);
        if (!result.ok()) {
            throw new SinkException(
                    Objects.requireNonNull(result.detail()), result.status() == CheckResult.Status.UNREACHABLE);
        }
    }

    /** {@link SqsProvider#check}: calls {@code GetQueueAttributes}; never throws for the peer's answer. */
    static CheckResult probe(SqsConfig config, Duration timeout) {
        String what = "SQS queue " + config.queueUrl();
        CheckResult noCredentials = AwsFailure.noCredentials(what, credentials(config));
        if (noCredentials != null) {
            return noCredentials;
        }
        try (SqsAsyncClient client = client(config, timeout)) {
            client.getQueueAttributes(
                            r -> r.queueUrl(config.queueUrl().toString()).attributeNames(QueueAttributeName.QUEUE_ARN))
                    .join();
            return CheckResult.OK;
        } catch (RuntimeException e) {
            Throwable t = AwsFailure.unwrap(e);
            String code = AwsFailure.errorCode(t);
            boolean missing = t instanceof QueueDoesNotExistException
                    || "QueueDoesNotExist".equals(code)
                    || "AWS.SimpleQueueService.NonExistentQueue".equals(code);
            return AwsFailure.checkFailure(
                    what,
                    endpoint(config),
                    timeout,
                    t,
                    missing ? "queue does not exist" : null,
                    "sqs:GetQueueAttributes and sqs:SendMessage");
        }
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
        Set<String> stalledGroups = config.fifo() ? new HashSet<>() : Set.of();
        String[] groups = new String[n];
        int[] sizes = new int[n];
        String firstError = null;
        for (int i = 0; i < n; i++) {
            SinkMessage m = messages.get(i);
            sizes[i] = m.json().length;
            groups[i] = config.fifo()
                    ? sqsId(m.groupId() != null ? m.groupId() : m.table().toString())
                    : "";
            if (sizes[i] > MAX_CALL_BYTES) {
                rejected.set(i);
                if (firstError == null) {
                    firstError = "message " + m.idempotencyKey() + " is " + sizes[i] + " bytes, over SQS's limit of "
                            + MAX_CALL_BYTES + " bytes";
                }
            }
        }
        SinkException callFailure = null;
        int next = 0;
        while (next < n) {
            // Fill one call: up to MAX_ENTRIES entries and MAX_CALL_BYTES bytes, in batch order.
            List<Integer> call = new ArrayList<>(MAX_ENTRIES);
            int bytes = 0;
            while (next < n && call.size() < MAX_ENTRIES) {
                if (rejected.get(next)) {
                    next++;
                } else if (stalledGroups.contains(groups[next])) {
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
            CallOutcome outcome = sendCall(messages, groups, call);
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
            rejected.or(outcome.rejected);
            if (config.fifo()) {
                outcome.retry.stream().forEach(i -> stalledGroups.add(groups[i]));
            }
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
        String reason = callFailure != null ? callFailure.getMessage() : queue + ": " + firstError;
        throw SinkException.partial(
                reason + " (" + retry.cardinality() + " of " + n + " messages to retry, " + rejected.cardinality()
                        + " rejected)",
                retry,
                rejected);
    }

    /** Outcome of one call: entries still failing after the quick retries, or a failure of the whole call. */
    private record CallOutcome(
            BitSet retry,
            BitSet rejected,
            @Nullable String firstError,
            @Nullable SinkException wholeCallFailure) {}

    private CallOutcome sendCall(List<SinkMessage> messages, String[] groups, List<Integer> call) {
        BitSet retry = new BitSet();
        BitSet rejected = new BitSet();
        String firstError = null;
        List<Integer> pending = call;
        for (int attempt = 1; ; attempt++) {
            SendMessageBatchResponse response;
            try {
                List<SendMessageBatchRequestEntry> entries = new ArrayList<>(pending.size());
                for (int i : pending) {
                    entries.add(entry(i, messages.get(i), groups[i]));
                }
                response = client.sendMessageBatch(
                                r -> r.queueUrl(config.queueUrl().toString()).entries(entries))
                        .join();
            } catch (RuntimeException e) {
                SinkException failure = AwsFailure.describe(queue, endpoint, config.requestTimeout(), e);
                if (attempt == 1) {
                    return new CallOutcome(retry, rejected, null, failure);
                }
                // Some entries went through on an earlier attempt: only the pending ones are to retry.
                pending.forEach(retry::set);
                return new CallOutcome(retry, rejected, failure.getMessage(), null);
            }
            List<Integer> failed = new ArrayList<>();
            for (BatchResultErrorEntry e : response.failed()) {
                int i = Integer.parseInt(e.id());
                String error = e.code() + (e.message() == null ? "" : ": " + e.message());
                if (firstError == null) {
                    firstError = "message " + messages.get(i).idempotencyKey() + " failed: " + error;
                }
                if (Boolean.TRUE.equals(e.senderFault())) {
                    rejected.set(i);
                } else {
                    failed.add(i);
                }
            }
            if (failed.isEmpty() || attempt == ATTEMPTS || closed) {
                failed.forEach(retry::set);
                return new CallOutcome(retry, rejected, firstError, null);
            }
            failed.sort(null); // batch order, which is group order
            pending = failed;
            try {
                Thread.sleep(PAUSES_MS[attempt - 1]);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                pending.forEach(retry::set);
                return new CallOutcome(retry, rejected, firstError, null);
            }
        }
    }

    private SendMessageBatchRequestEntry entry(int index, SinkMessage m, String group) {
        SendMessageBatchRequestEntry.Builder b = SendMessageBatchRequestEntry.builder()
                .id(Integer.toString(index))
                .messageBody(new String(m.json(), StandardCharsets.UTF_8));
        if (config.fifo()) {
            b.messageGroupId(group).messageDeduplicationId(sqsId(m.idempotencyKey()));
        }
        return b.build();
    }

    /**
     * {@code value} when SQS takes it as a message group or deduplication id (1 to 128 printable ASCII characters),
     * otherwise its hex SHA-256 (64 characters), which is stable and unique enough.
     */
    static String sqsId(String value) {
        if (!value.isEmpty() && value.length() <= MAX_ID_LENGTH) {
            boolean ok = true;
            for (int i = 0; i < value.length() && ok; i++) {
                char c = value.charAt(i);
                ok = c >= '!' && c <= '~';
            }
            if (ok) {
                return value;
            }
        }
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha.digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
        }
    }

    // ---- client ----

    private static String endpoint(SqsConfig config) {
        return config.endpointUrl() != null
                ? config.endpointUrl().toString()
                : "https://sqs." + config.region() + ".amazonaws.com";
    }

    private static AwsCredentialsProvider credentials(SqsConfig config) {
        if (config.accessKeyId() != null && config.secretAccessKey() != null) {
            return StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(config.accessKeyId(), config.secretAccessKey()));
        }
        return DefaultCredentialsProvider.builder().build();
    }

    static SqsAsyncClient client(SqsConfig config, Duration timeout) {
        return client(config, timeout, List.of());
    }

    static SqsAsyncClient client(SqsConfig config, Duration timeout, List<ExecutionInterceptor> interceptors) {
        Duration connect = timeout.compareTo(MAX_CONNECT_TIMEOUT) < 0 ? timeout : MAX_CONNECT_TIMEOUT;
        SqsAsyncClientBuilder b = SqsAsyncClient.builder()
                .region(Region.of(config.region()))
                .credentialsProvider(credentials(config))
                .httpClientBuilder(NettyNioAsyncHttpClient.builder().connectionTimeout(connect))
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
