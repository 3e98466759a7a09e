package dev.sluice.sink.kinesis;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.BlockingSender;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.InvalidConfigException;
import dev.sluice.core.sink.RouteCache;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.sink.aws.AwsClients;
import dev.sluice.sink.aws.BatchCalls;
import dev.sluice.sink.aws.Sha256;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
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
 *       one, up to {@value BatchCalls#ATTEMPTS} attempts in all with short pauses. The key's records are then in order, possibly
 *       after a duplicate of a later one (same idempotency key). Records still failing are reported to retry, and the
 *       key's later records in the batch are not sent (left to retry too).
 *   <li>A call that fails as a whole (unreachable endpoint, timeout, bad credentials, missing stream) stops the batch:
 *       the records not yet accepted are reported to retry. Nothing was accepted: the whole batch fails.
 * </ul>
 *
 * <p>Routing: a batch's {@linkplain Batch#routing() routing} may set {@code stream_arn}, the stream its records go to
 * instead of the configured one, checked by {@link KinesisConfig#routedStreamArn} (as {@code stream_arn} is, in the
 * sink's region); the check and the stream's {@link BatchCalls} are kept for the last {@value #MAX_ROUTES} routed ARNs.
 * The same client puts to every stream. An invalid value fails the batch, retriably.
 *
 * <p>The SDK does not retry: the engine's retry policy applies. Errors name the stream, the endpoint and the AWS
 * error code, never the secret key. The splitting, quick retries and outcome are {@link BatchCalls}'; the client is
 * built by {@link AwsClients}.
 *
 * <p>Concurrency: thread-safe. One asynchronous Kinesis client (HTTP/1.1) per sink; each delivery runs on a virtual
 * thread, so {@link #deliver(Batch)} never blocks.
 */
public final class KinesisSink implements Sink {
    static final int MAX_RECORDS = 500;
    static final int MAX_CALL_BYTES = 5 * 1024 * 1024;
    static final int MAX_RECORD_BYTES = 1024 * 1024;
    static final int MAX_KEY_BYTES = 256;
    /** The routing key that picks another stream. */
    static final String STREAM_ARN = "stream_arn";

    // Routed streams whose ARN was checked, with their BatchCalls; a few in practice (one per table or tenant).
    private static final int MAX_ROUTES = 64;
    private static final BatchCalls.Limits LIMITS =
            new BatchCalls.Limits("Kinesis", MAX_RECORDS, MAX_CALL_BYTES, MAX_RECORD_BYTES, " with its partition key");

    private final KinesisConfig config;
    private final KinesisAsyncClient client;
    private final BlockingSender sender;
    private final Route configured;
    private final RouteCache<Route> routes = new RouteCache<>(MAX_ROUTES);

    /** A stream the sink puts records on: the configured one, or one a routing function chose. */
    private record Route(String streamArn, BatchCalls calls) {}

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
        this.client = client;
        this.sender = new BlockingSender(what(config.streamArn()), "kinesis-sink-");
        this.configured = route(config.streamArn());
    }

    private Route route(String streamArn) {
        return new Route(
                streamArn,
                new BatchCalls(what(streamArn), endpoint(config), config.requestTimeout(), LIMITS, sender::isClosed));
    }

    /**
     * Puts the batch. The stage completes normally once Kinesis accepted every record, or exceptionally with a {@link
     * dev.sluice.core.sink.SinkException}: for the whole batch, or {@linkplain
     * dev.sluice.core.sink.SinkException#partial partial} when some messages were accepted or rejected for good. Never
     * blocks.
     */
    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        Map<String, Object> routing = batch.routing();
        if (routing == null || !routing.containsKey(STREAM_ARN)) {
            return sender.submit(() -> send(configured, batch.messages()));
        }
        Route route;
        try {
            route = routed(routing.get(STREAM_ARN));
        } catch (SinkException e) {
            return CompletableFuture.failedFuture(e);
        }
        return sender.submit(() -> send(route, batch.messages()));
    }

    /** The route to a stream a routing function chose, its ARN checked by {@link KinesisConfig#routedStreamArn}. */
    private Route routed(@Nullable Object value) {
        if (!(value instanceof String arn)) {
            throw SinkException.invalidRouting(
                    STREAM_ARN, value, "must be a string, the ARN of a stream" + (value == null ? ", not null" : ""));
        }
        return routes.get(arn, v -> {
            try {
                return route(config.routedStreamArn(v));
            } catch (InvalidConfigException e) {
                throw SinkException.invalidRouting(
                        STREAM_ARN, v, e.problems().getFirst().message());
            }
        });
    }

    /**
     * {@link KinesisProvider#check}: calls {@code DescribeStreamSummary}; never throws for the peer's answer. Fails
     * with no credentials, endpoint unreachable, invalid credentials, access denied, stream does not exist, or stream
     * being deleted.
     */
    static CheckResult probe(KinesisConfig config, Duration timeout) {
        String what = what(config.streamArn());
        return AwsClients.check(
                what,
                config,
                endpoint(config),
                timeout,
                () -> {
                    try (KinesisAsyncClient client = client(config, timeout, List.of())) {
                        StreamStatus status = client.describeStreamSummary(r -> r.streamARN(config.streamArn()))
                                .join()
                                .streamDescriptionSummary()
                                .streamStatus();
                        return status == StreamStatus.DELETING
                                ? CheckResult.failed(CheckResult.Status.NOT_FOUND, what + ": stream is being deleted")
                                : CheckResult.OK;
                    }
                },
                t -> t instanceof ResourceNotFoundException ? "stream does not exist" : null,
                "kinesis:DescribeStreamSummary and kinesis:PutRecords");
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
        String[] keys = new String[n];
        int[] sizes = new int[n];
        for (int i = 0; i < n; i++) {
            SinkMessage m = messages.get(i);
            keys[i] = partitionKey(
                    m.groupId() != null && !m.groupId().isEmpty()
                            ? m.groupId()
                            : m.table().toString());
            sizes[i] = m.json().length + keys[i].getBytes(StandardCharsets.UTF_8).length;
        }
        route.calls().send(messages, keys, sizes, indexes -> putRecords(route.streamArn(), messages, keys, indexes));
    }

    /** One {@code PutRecords} call; a key's records are put again from its first failed one (see the class comment). */
    private BatchCalls.Answer putRecords(
            String streamArn, List<SinkMessage> messages, String[] keys, List<Integer> indexes) {
        List<PutRecordsRequestEntry> entries = new ArrayList<>(indexes.size());
        for (int i : indexes) {
            entries.add(PutRecordsRequestEntry.builder()
                    .data(SdkBytes.fromByteArrayUnsafe(messages.get(i).json()))
                    .partitionKey(keys[i])
                    .build());
        }
        List<PutRecordsResultEntry> results = client.putRecords(
                        r -> r.streamARN(streamArn).records(entries))
                .join()
                .records();
        String firstError = null;
        Set<String> failedKeys = new HashSet<>();
        List<Integer> again = new ArrayList<>();
        for (int j = 0; j < indexes.size(); j++) {
            int i = indexes.get(j);
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
        return new BatchCalls.Answer(again, new BitSet(), firstError);
    }

    /** {@code key} when at most {@value #MAX_KEY_BYTES} UTF-8 bytes, otherwise its hex SHA-256 (64 characters). */
    static String partitionKey(String key) {
        return key.getBytes(StandardCharsets.UTF_8).length <= MAX_KEY_BYTES ? key : Sha256.hex(key);
    }

    // ---- client ----

    private static String what(String streamArn) {
        return "Kinesis stream " + streamArn;
    }

    private static String endpoint(KinesisConfig config) {
        return AwsClients.endpoint(config, "kinesis");
    }

    static KinesisAsyncClient client(KinesisConfig config, Duration timeout, List<ExecutionInterceptor> interceptors) {
        return AwsClients.asyncClient(
                KinesisAsyncClient.builder(),
                config,
                timeout,
                interceptors,
                // HTTP/1.1: the SDK's HTTP/2 default is for SubscribeToShard, which the sink does not use, and
                // emulators speak plain HTTP/1.1.
                NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP1_1));
    }
}
