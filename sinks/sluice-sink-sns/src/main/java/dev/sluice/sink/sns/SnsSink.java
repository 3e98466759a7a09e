package dev.sluice.sink.sns;

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
import software.amazon.awssdk.services.sns.SnsAsyncClient;
import software.amazon.awssdk.services.sns.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sns.model.NotFoundException;
import software.amazon.awssdk.services.sns.model.PublishBatchRequestEntry;
import software.amazon.awssdk.services.sns.model.PublishBatchResponse;

/**
 * Publishes messages to an Amazon SNS topic (standard or FIFO) with {@code PublishBatch}.
 *
 * <p>Each message is one SNS message whose {@code Message} is the message JSON as a UTF-8 string, with no subject and
 * no message attributes. A batch is split, in order, into as many calls as needed, each with at most {@value
 * #MAX_ENTRIES} entries and {@value #MAX_CALL_BYTES} bytes of messages (SNS's limit on a whole call, and so on one
 * message); calls go one after another. On a FIFO topic the message group id is the message's group id (its table,
 * {@code schema.table}, when it has none) and the deduplication id its idempotency key; either is replaced by its hex
 * SHA-256 when SNS would refuse it (over 128 characters, or characters other than printable ASCII). SNS drops a FIFO
 * message whose deduplication id it saw in the last 5 minutes, so a redelivered batch is not published twice.
 *
 * <p>Failure:
 *
 * <ul>
 *   <li>A message over {@value #MAX_CALL_BYTES} bytes can never be published: it is reported as rejected while the
 *       rest of the batch is delivered.
 *   <li>Entries a successful call lists as {@code Failed} are sent again, only they, up to {@value BatchCalls#ATTEMPTS}
 *       attempts in all with short pauses; then those still failing are reported to retry, or as rejected when SNS
 *       says the entry itself is at fault ({@code SenderFault} true).
 *   <li>A call that fails as a whole (unreachable endpoint, timeout, bad credentials, {@code AuthorizationError},
 *       {@code NotFound}, {@code Throttled}) stops the batch: the messages not yet accepted are reported to retry.
 *       Nothing was accepted: the whole batch fails, retriably.
 *   <li>FIFO: once a message of a group is left to retry, the group's later messages in the batch are not sent (left
 *       to retry too), so the group's order holds across calls.
 * </ul>
 *
 * <p>Routing: a batch's {@linkplain Batch#routing() routing} may set {@code topic_arn}, the topic it goes to instead
 * of the configured one, checked by {@link SnsConfig#routedTopicArn} (as {@code topic_arn} is, in the sink's region
 * and of its topic type); the check and the topic's {@link BatchCalls} are kept for the last {@value #MAX_ROUTES}
 * routed ARNs. An invalid value fails the batch, retriably.
 *
 * <p>The SDK does not retry: the engine's retry policy applies. Errors name the topic, the endpoint and the AWS error
 * code, never the secret key.
 *
 * <p>Concurrency: thread-safe. One asynchronous SNS client per sink; each delivery runs on a virtual thread, so {@link
 * #deliver(Batch)} never blocks.
 */
public final class SnsSink implements Sink {
    /** Most entries SNS takes in one {@code PublishBatch} call. */
    static final int MAX_ENTRIES = 10;
    /** Most bytes of messages in one call, and so in one message (256 KiB). */
    static final int MAX_CALL_BYTES = 262_144;

    /** The routing key that picks another topic. */
    static final String TOPIC_ARN = "topic_arn";

    private static final int MAX_ID_LENGTH = 128;
    // Routed topics whose ARN was checked, with their BatchCalls; a few in practice (one per table or tenant).
    private static final int MAX_ROUTES = 64;
    private static final BatchCalls.Limits LIMITS =
            new BatchCalls.Limits("SNS", MAX_ENTRIES, MAX_CALL_BYTES, MAX_CALL_BYTES, "");

    private final SnsConfig config;
    private final SnsAsyncClient client;
    private final BlockingSender sender;
    private final Route configured;
    private final RouteCache<Route> routes = new RouteCache<>(MAX_ROUTES);

    /** A topic the sink publishes to: the configured one, or one a routing function chose. */
    private record Route(String topicArn, BatchCalls calls) {}

    /**
     * Creates the sink and its client. No connection is opened until the first delivery.
     *
     * @param config validated configuration; not null
     */
    public SnsSink(SnsConfig config) {
        this(config, client(config, config.requestTimeout()));
    }

    /** With a given client, which the sink closes (tests observe or change its calls). */
    SnsSink(SnsConfig config, SnsAsyncClient client) {
        this.config = config;
        this.client = client;
        this.sender = new BlockingSender(what(config.topicArn()), "sns-sink-");
        this.configured = route(config.topicArn());
    }

    private Route route(String topicArn) {
        return new Route(
                topicArn,
                new BatchCalls(what(topicArn), endpoint(config), config.requestTimeout(), LIMITS, sender::isClosed));
    }

    /**
     * Publishes the batch. The stage completes normally once SNS accepted every message, or exceptionally with a
     * {@link SinkException}: for the whole batch, or {@linkplain SinkException#partial partial} when some messages were
     * accepted or rejected for good. Never blocks.
     */
    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        Map<String, Object> routing = batch.routing();
        if (routing == null || !routing.containsKey(TOPIC_ARN)) {
            return sender.submit(() -> send(configured, batch.messages()));
        }
        Route route;
        try {
            route = routed(routing.get(TOPIC_ARN));
        } catch (SinkException e) {
            return CompletableFuture.failedFuture(e);
        }
        return sender.submit(() -> send(route, batch.messages()));
    }

    /** The route to a topic a routing function chose, its ARN checked by {@link SnsConfig#routedTopicArn}. */
    private Route routed(@Nullable Object value) {
        if (!(value instanceof String arn)) {
            throw SinkException.invalidRouting(
                    TOPIC_ARN, value, "must be a string, the ARN of a topic" + (value == null ? ", not null" : ""));
        }
        return routes.get(arn, v -> {
            try {
                return route(config.routedTopicArn(v));
            } catch (InvalidConfigException e) {
                throw SinkException.invalidRouting(
                        TOPIC_ARN, v, e.problems().getFirst().message());
            }
        });
    }

    /**
     * {@link SnsProvider#check}: calls {@code GetTopicAttributes}; never throws for the peer's answer. Fails with no
     * credentials, endpoint unreachable, invalid credentials, access denied ({@code AuthorizationError}), or topic
     * does not exist ({@code NotFound}).
     */
    static CheckResult probe(SnsConfig config, Duration timeout) {
        return AwsClients.check(
                what(config.topicArn()),
                config,
                endpoint(config),
                timeout,
                () -> {
                    try (SnsAsyncClient client = client(config, timeout)) {
                        client.getTopicAttributes(r -> r.topicArn(config.topicArn()))
                                .join();
                        return CheckResult.OK;
                    }
                },
                t -> t instanceof NotFoundException || "NotFound".equals(AwsFailure.errorCode(t))
                        ? "topic does not exist"
                        : null,
                "sns:GetTopicAttributes and sns:Publish");
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
        // FIFO: the message group of each message, whose order holds across calls; standard topics have none.
        String[] groups = config.fifo() ? new String[n] : null;
        int[] sizes = new int[n];
        for (int i = 0; i < n; i++) {
            SinkMessage m = messages.get(i);
            sizes[i] = m.json().length;
            if (groups != null) {
                groups[i] = snsId(m.groupId() != null ? m.groupId() : m.table().toString());
            }
        }
        route.calls()
                .send(messages, groups, sizes, indexes -> publishBatch(route.topicArn(), messages, groups, indexes));
    }

    /** One {@code PublishBatch} call; only the entries SNS failed are sent again, those at fault never. */
    private BatchCalls.Answer publishBatch(
            String topicArn, List<SinkMessage> messages, String @Nullable [] groups, List<Integer> indexes) {
        List<PublishBatchRequestEntry> entries = new ArrayList<>(indexes.size());
        for (int i : indexes) {
            entries.add(entry(i, messages.get(i), groups == null ? null : groups[i]));
        }
        PublishBatchResponse response = client.publishBatch(
                        r -> r.topicArn(topicArn).publishBatchRequestEntries(entries))
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
            // SNS: SenderFault says the entry itself is wrong (sending it again cannot help); otherwise SNS's side.
            if (Boolean.TRUE.equals(e.senderFault())) {
                rejected.set(i);
            } else {
                failed.add(i);
            }
        }
        failed.sort(null); // batch order, which is group order
        return new BatchCalls.Answer(failed, rejected, firstError);
    }

    private static PublishBatchRequestEntry entry(int index, SinkMessage m, @Nullable String group) {
        PublishBatchRequestEntry.Builder b = PublishBatchRequestEntry.builder()
                .id(Integer.toString(index))
                .message(new String(m.json(), StandardCharsets.UTF_8));
        if (group != null) {
            b.messageGroupId(group).messageDeduplicationId(snsId(m.idempotencyKey()));
        }
        return b.build();
    }

    /**
     * {@code value} when SNS takes it as a message group or deduplication id (1 to 128 printable ASCII characters),
     * otherwise its hex SHA-256 (64 characters), which is stable and unique enough.
     */
    static String snsId(String value) {
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

    private static String what(String topicArn) {
        return "SNS topic " + topicArn;
    }

    private static String endpoint(SnsConfig config) {
        return AwsClients.endpoint(config, "sns");
    }

    static SnsAsyncClient client(SnsConfig config, Duration timeout) {
        return client(config, timeout, List.of());
    }

    static SnsAsyncClient client(SnsConfig config, Duration timeout, List<ExecutionInterceptor> interceptors) {
        return AwsClients.asyncClient(
                SnsAsyncClient.builder(), config, timeout, interceptors, NettyNioAsyncHttpClient.builder());
    }
}
