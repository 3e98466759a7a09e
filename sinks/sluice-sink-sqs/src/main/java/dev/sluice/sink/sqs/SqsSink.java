package dev.sluice.sink.sqs;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.BlockingSender;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.InvalidConfigException;
import dev.sluice.core.sink.RouteCache;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.sink.aws.AwsClients;
import dev.sluice.sink.aws.AwsFailure;
import dev.sluice.sink.aws.BatchCalls;
import dev.sluice.sink.aws.Sha256;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
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
 *   <li>Entries SQS fails in a successful call are sent again, only they, up to {@value BatchCalls#ATTEMPTS} attempts in all
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
 * <p>Routing: a batch's {@linkplain Batch#routing() routing} may set {@code queue_url}, the queue it goes to instead of
 * the configured one, checked by {@link SqsConfig#routedQueueUrl} (as {@code queue_url} is, and of the sink's queue
 * type); the check and the queue's {@link BatchCalls} are kept for the last {@value #MAX_ROUTES} routed URLs. The
 * same client sends to every queue. An invalid value fails the batch, retriably.
 *
 * <p>The SDK does not retry: the engine's retry policy applies. Errors name the queue, the endpoint and the AWS
 * error code, never the secret key. The splitting, quick retries and outcome are {@link BatchCalls}'; the client is
 * built by {@link AwsClients}.
 *
 * <p>Concurrency: thread-safe. One asynchronous SQS client per sink; each delivery runs on a virtual thread, so
 * {@link #deliver(Batch)} never blocks.
 */
public final class SqsSink implements Sink {
    /** Most entries SQS takes in one {@code SendMessageBatch} call. */
    static final int MAX_ENTRIES = 10;
    /** Most bytes of message bodies in one call, and so in one message (256 KiB). */
    static final int MAX_CALL_BYTES = 262_144;

    /** The routing key that picks another queue. */
    static final String QUEUE_URL = "queue_url";

    private static final int MAX_ID_LENGTH = 128;
    // Routed queues whose URL was checked, with their BatchCalls; a few in practice (one per table or tenant).
    private static final int MAX_ROUTES = 64;
    private static final BatchCalls.Limits LIMITS =
            new BatchCalls.Limits("SQS", MAX_ENTRIES, MAX_CALL_BYTES, MAX_CALL_BYTES, "");

    private final SqsConfig config;
    private final SqsAsyncClient client;
    private final BlockingSender sender;
    private final Route configured;
    private final RouteCache<Route> routes = new RouteCache<>(MAX_ROUTES);

    /** A queue the sink sends to: the configured one, or one a routing function chose. */
    private record Route(String queueUrl, BatchCalls calls) {}

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
        this.client = client;
        this.sender = new BlockingSender(what(config.queueUrl()), "sqs-sink-");
        this.configured = route(config.queueUrl());
    }

    private Route route(URI queueUrl) {
        return new Route(
                queueUrl.toString(),
                new BatchCalls(what(queueUrl), endpoint(config), config.requestTimeout(), LIMITS, sender::isClosed));
    }

    /**
     * Sends the batch. The stage completes normally once SQS accepted every message, or exceptionally with a {@link
     * dev.sluice.core.sink.SinkException}: for the whole batch, or {@linkplain
     * dev.sluice.core.sink.SinkException#partial partial} when some messages were accepted or rejected for good. Never
     * blocks.
     */
    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        Map<String, Object> routing = batch.routing();
        if (routing == null || !routing.containsKey(QUEUE_URL)) {
            return sender.submit(() -> send(configured, batch.messages()));
        }
        Route route;
        try {
            route = routed(routing.get(QUEUE_URL));
        } catch (SinkException e) {
            return CompletableFuture.failedFuture(e);
        }
        return sender.submit(() -> send(route, batch.messages()));
    }

    /** The route to a queue a routing function chose, its URL checked by {@link SqsConfig#routedQueueUrl}. */
    private Route routed(@Nullable Object value) {
        if (!(value instanceof String url)) {
            throw SinkException.invalidRouting(
                    QUEUE_URL, value, "must be a string, the URL of a queue" + (value == null ? ", not null" : ""));
        }
        return routes.get(url, v -> {
            try {
                return route(config.routedQueueUrl(v));
            } catch (InvalidConfigException e) {
                throw SinkException.invalidRouting(
                        QUEUE_URL, v, e.problems().getFirst().message());
            }
        });
    }

    /**
     * {@link SqsProvider#check}: calls {@code GetQueueAttributes}; never throws for the peer's answer. Fails with no
     * credentials, endpoint unreachable, invalid credentials, access denied, or queue does not exist.
     */
    static CheckResult probe(SqsConfig config, Duration timeout) {
        return AwsClients.check(
                what(config.queueUrl()),
                config,
                endpoint(config),
                timeout,
                () -> {
                    try (SqsAsyncClient client = client(config, timeout)) {
                        client.getQueueAttributes(
                                        r -> r.queueUrl(config.queueUrl().toString())
                                                .attributeNames(QueueAttributeName.QUEUE_ARN))
                                .join();
                        return CheckResult.OK;
                    }
                },
                t -> {
                    String code = AwsFailure.errorCode(t);
                    boolean missing = t instanceof QueueDoesNotExistException
                            || "QueueDoesNotExist".equals(code)
                            || "AWS.SimpleQueueService.NonExistentQueue".equals(code);
                    return missing ? "queue does not exist" : null;
                },
                "sqs:GetQueueAttributes and sqs:SendMessage");
    }

    /** Stops taking deliveries and closes the client; deliveries in progress fail. */
    @Override
    public void close() {
        sender.close();
        client.close();
    }

    // ---- sending (on a virtual thread) ----

    private void send(Route route, List<SinkMessage> messages) {
        int n = messages.size();
        // FIFO: the message group of each message, whose order holds across calls; standard queues have none.
        String[] groups = config.fifo() ? new String[n] : null;
        int[] sizes = new int[n];
        for (int i = 0; i < n; i++) {
            SinkMessage m = messages.get(i);
            sizes[i] = m.json().length;
            if (groups != null) {
                groups[i] = sqsId(m.groupId() != null ? m.groupId() : m.table().toString());
            }
        }
        route.calls()
                .send(
                        messages,
                        groups,
                        sizes,
                        indexes -> sendMessageBatch(route.queueUrl(), messages, groups, indexes));
    }

    /** One {@code SendMessageBatch} call; only the entries SQS failed are sent again, those at fault never. */
    private BatchCalls.Answer sendMessageBatch(
            String queueUrl, List<SinkMessage> messages, String @Nullable [] groups, List<Integer> indexes) {
        List<SendMessageBatchRequestEntry> entries = new ArrayList<>(indexes.size());
        for (int i : indexes) {
            entries.add(entry(i, messages.get(i), groups == null ? null : groups[i]));
        }
        SendMessageBatchResponse response = client.sendMessageBatch(
                        r -> r.queueUrl(queueUrl).entries(entries))
                .join();
        String firstError = null;
        List<Integer> failed = new ArrayList<>();
        BitSet rejected = new BitSet();
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
        failed.sort(null); // batch order, which is group order
        return new BatchCalls.Answer(failed, rejected, firstError);
    }

    private static SendMessageBatchRequestEntry entry(int index, SinkMessage m, @Nullable String group) {
        SendMessageBatchRequestEntry.Builder b = SendMessageBatchRequestEntry.builder()
                .id(Integer.toString(index))
                .messageBody(new String(m.json(), StandardCharsets.UTF_8));
        if (group != null) {
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
        return Sha256.hex(value);
    }

    // ---- client ----

    private static String what(URI queueUrl) {
        return "SQS queue " + queueUrl;
    }

    private static String endpoint(SqsConfig config) {
        return AwsClients.endpoint(config, "sqs");
    }

    static SqsAsyncClient client(SqsConfig config, Duration timeout) {
        return client(config, timeout, List.of());
    }

    static SqsAsyncClient client(SqsConfig config, Duration timeout, List<ExecutionInterceptor> interceptors) {
        return AwsClients.asyncClient(
                SqsAsyncClient.builder(), config, timeout, interceptors, NettyNioAsyncHttpClient.builder());
    }
}
