package dev.sluice.sink.pubsub;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.BlockingSender;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import org.jspecify.annotations.Nullable;

/**
 * Publishes each message of a batch to a Pub/Sub topic through the REST API ({@code topics.publish}): the message
 * JSON as the data, Sequin's attributes, and the group id as the ordering key.
 *
 * <p>Requests: Pub/Sub wants one ordering key per publish request, so a batch goes as one run of requests per group
 * (at most 1000 messages and 10 MiB each, see {@link PublishEntries}), the runs of different groups in parallel and
 * each run in batch order; messages without a group go together, without a key.
 *
 * <p>Failure:
 *
 * <ul>
 *   <li>A message that can never be published (over the request size, an ordering key over 1024 bytes) is rejected
 *       before sending ({@link SinkException#partial}); the others go.
 *   <li>A request refused as {@code INVALID_ARGUMENT} is sent again message by message, so that only the messages
 *       Pub/Sub refuses on their own are rejected.
 *   <li>Any other failed request (unreachable, throttled {@code 429}/{@code 503}, refused credentials, no topic)
 *       leaves its messages to retry, and with them every later message of its group in the batch, held back so
 *       that the group keeps its order.
 * </ul>
 *
 * <p>Routing: a batch's {@linkplain Batch#routing() routing} may set {@code topic_id}, checked by Sequin's rule for
 * topic ids; an invalid value fails the batch, retriably.
 *
 * <p>Concurrency: thread-safe. Each delivery runs on a virtual thread ({@link BlockingSender}), so {@link
 * #deliver(Batch)} never blocks.
 */
public final class PubSubSink implements Sink {
    /** The routing key that picks another topic. */
    static final String TOPIC_ID = "topic_id";
    /** Groups whose runs are sent at the same time, at most. */
    private static final int PARALLEL_GROUPS = 16;

    private final PubSubConfig config;
    private final PubSubClient client;
    private final BlockingSender sender;

    /**
     * Creates the sink. No connection is made, and no token asked for, until the first delivery.
     *
     * @param config validated configuration; not null
     */
    public PubSubSink(PubSubConfig config) {
        this.config = config;
        this.client = new PubSubClient(config, config.requestTimeout());
        this.sender = new BlockingSender(where(config, config.topicId()), "pubsub-sink-");
    }

    /** The configuration this sink was created with. */
    public PubSubConfig config() {
        return config;
    }

    /**
     * Publishes the batch. The stage completes normally once Pub/Sub took every message, or exceptionally with a
     * {@link SinkException}: for the whole batch, or {@linkplain SinkException#partial partial}. Never blocks.
     */
    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        Map<String, Object> routing = batch.routing();
        String topic = config.topicId();
        if (routing != null && routing.containsKey(TOPIC_ID)) {
            Object routed = routing.get(TOPIC_ID);
            if (!(routed instanceof String s)) {
                return CompletableFuture.failedFuture(SinkException.invalidRouting(
                        TOPIC_ID, routed, "must be a string, a topic id" + (routed == null ? ", not null" : "")));
            }
            String problem = PubSubConfig.topicIdProblem(s);
            if (problem != null) {
                return CompletableFuture.failedFuture(SinkException.invalidRouting(TOPIC_ID, s, problem));
            }
            topic = s;
        }
        String to = topic;
        return sender.submit(() -> send(batch.messages(), to));
    }

    /** Stops taking deliveries; requests in flight fail. */
    @Override
    public void close() {
        sender.close();
        client.close();
    }

    /**
     * {@link PubSubProvider#check}: asks for a token (not on the emulator), then {@code topics.get} of the topic.
     * Never throws for the service's answer.
     */
    static CheckResult probe(PubSubConfig config, Duration timeout) throws InterruptedException {
        String what = where(config, config.topicId());
        PubSubClient client = new PubSubClient(config, timeout);
        try (client) {
            PubSubClient.Reply reply = client.getTopic(config.topicId(), timeout);
            if (reply.ok()) {
                return CheckResult.OK;
            }
            String detail = what + ": " + describe(reply);
            if (reply.unauthorized()) {
                return CheckResult.failed(
                        CheckResult.Status.UNAUTHORIZED,
                        detail + "; check credentials and that the account may view the topic (roles/pubsub.viewer)"
                                + " and publish to it (roles/pubsub.publisher)");
            }
            if (reply.status() == 404) {
                return CheckResult.failed(CheckResult.Status.NOT_FOUND, detail);
            }
            return CheckResult.failed(CheckResult.Status.FAILED, detail);
        } catch (IOException e) {
            return CheckResult.failed(CheckResult.Status.UNREACHABLE, what + ": " + unreachable(client.where(), e));
        }
    }

    // ---- sending (on a virtual thread) ----

    /** What became of some messages of one group's run: those to retry, those rejected, and the first reason. */
    private record Outcome(
            List<Integer> retry,
            List<Integer> rejected,
            @Nullable String reason) {
        static final Outcome OK = new Outcome(List.of(), List.of(), null);
    }

    private void send(List<SinkMessage> messages, String topic) {
        int n = messages.size();
        byte[][] entries = new byte[n][];
        BitSet rejected = new BitSet(n);
        String reason = null;
        Map<String, List<Integer>> runs = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            SinkMessage m = messages.get(i);
            entries[i] = PublishEntries.entry(m);
            String rejection = PublishEntries.rejection(m, entries[i]);
            if (rejection != null) {
                rejected.set(i);
                reason = reason == null ? rejection : reason;
                continue;
            }
            runs.computeIfAbsent(m.groupId() == null ? "" : m.groupId(), k -> new ArrayList<>())
                    .add(i);
        }
        List<Outcome> outcomes = publishRuns(topic, entries, runs.values());
        BitSet retry = new BitSet(n);
        for (Outcome o : outcomes) {
            o.retry().forEach(retry::set);
            o.rejected().forEach(rejected::set);
            reason = reason == null ? o.reason() : reason;
        }
        if (retry.isEmpty() && rejected.isEmpty()) {
            return;
        }
        String where = where(config, topic);
        if (rejected.isEmpty() && retry.cardinality() == n) {
            throw new SinkException(where + ": " + reason, true);
        }
        throw SinkException.partial(
                where + ": " + reason + " (" + retry.cardinality() + " of " + n + " messages to retry, "
                        + rejected.cardinality() + " rejected)",
                retry,
                rejected);
    }

    /** Publishes each run, in parallel when there are several; returns their outcomes. */
    private List<Outcome> publishRuns(String topic, byte[][] entries, java.util.Collection<List<Integer>> runs) {
        if (runs.size() <= 1) {
            return runs.stream().map(r -> publishRun(topic, entries, r)).toList();
        }
        Semaphore slots = new Semaphore(PARALLEL_GROUPS);
        List<Outcome> out = new ArrayList<>(runs.size());
        try (ExecutorService group = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("pubsub-run-", 0).factory())) {
            List<Future<Outcome>> futures = new ArrayList<>(runs.size());
            for (List<Integer> run : runs) {
                futures.add(group.submit(() -> {
                    slots.acquire();
                    try {
                        return publishRun(topic, entries, run);
                    } finally {
                        slots.release();
                    }
                }));
            }
            for (Future<Outcome> f : futures) {
                out.add(f.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SinkException(where(config, topic) + ": interrupted", true, e);
        } catch (ExecutionException e) {
            throw new SinkException(where(config, topic) + ": " + e.getCause(), true, e.getCause());
        }
        return out;
    }

    /** One group's messages, in requests of at most 1000 messages and 10 MiB, in order; stops at a failure. */
    private Outcome publishRun(String topic, byte[][] entries, List<Integer> run) {
        List<List<Integer>> requests = split(entries, run);
        List<Integer> rejected = new ArrayList<>();
        String reason = null;
        for (int r = 0; r < requests.size(); r++) {
            List<Integer> request = requests.get(r);
            Failure failure = publish(topic, entries, request);
            if (failure == null) {
                continue;
            }
            if (!failure.invalid()) {
                return new Outcome(held(requests, r, 0), rejected, reason == null ? failure.reason() : reason);
            }
            // Pub/Sub refused the request's content: find out, message by message, which it refuses alone.
            for (int k = 0; k < request.size(); k++) {
                Failure single = request.size() == 1 ? failure : publish(topic, entries, List.of(request.get(k)));
                if (single == null) {
                    continue;
                }
                if (!single.invalid()) {
                    return new Outcome(held(requests, r, k), rejected, reason == null ? single.reason() : reason);
                }
                rejected.add(request.get(k));
                reason = reason == null ? single.reason() : reason;
            }
        }
        return rejected.isEmpty() ? Outcome.OK : new Outcome(List.of(), rejected, reason);
    }

    /**
     * Why a request failed; {@code invalid} when Pub/Sub refused its content ({@code 400 INVALID_ARGUMENT}), which
     * it will do again for the same messages.
     */
    private record Failure(String reason, boolean invalid) {}

    /** Messages from request {@code r}, message {@code k}, on: the failed one and the group's later ones. */
    private static List<Integer> held(List<List<Integer>> requests, int r, int k) {
        List<Integer> out =
                new ArrayList<>(requests.get(r).subList(k, requests.get(r).size()));
        for (int i = r + 1; i < requests.size(); i++) {
            out.addAll(requests.get(i));
        }
        return out;
    }

    private static List<List<Integer>> split(byte[][] entries, List<Integer> run) {
        List<List<Integer>> out = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        long bytes = PublishEntries.ENVELOPE_BYTES;
        for (int i : run) {
            int size = entries[i].length + (current.isEmpty() ? 0 : 1);
            if (!current.isEmpty()
                    && (current.size() == PublishEntries.MAX_MESSAGES
                            || bytes + size > PublishEntries.MAX_REQUEST_BYTES)) {
                out.add(current);
                current = new ArrayList<>();
                bytes = PublishEntries.ENVELOPE_BYTES;
                size = entries[i].length;
            }
            current.add(i);
            bytes += size;
        }
        if (!current.isEmpty()) {
            out.add(current);
        }
        return out;
    }

    /** Sends one request; null when Pub/Sub took it. */
    private @Nullable Failure publish(String topic, byte[][] entries, List<Integer> request) {
        if (sender.isClosed()) {
            return new Failure("sink is closed", false);
        }
        try {
            PubSubClient.Reply reply =
                    client.publish(topic, PublishEntries.body(entries, request), config.requestTimeout());
            if (reply.ok()) {
                return null;
            }
            return new Failure(
                    "publish answered " + describe(reply),
                    reply.status() == 400 && reply.code().equals("INVALID_ARGUMENT"));
        } catch (IOException e) {
            return new Failure(unreachable(client.where(), e), false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Failure("interrupted", false);
        }
    }

    private static String describe(PubSubClient.Reply reply) {
        return reply.status() + " " + reply.code() + (reply.message().isEmpty() ? "" : ": " + reply.message());
    }

    private static String unreachable(String where, IOException e) {
        if (e instanceof PubSubClient.TokenUnreachable) {
            return e.getMessage();
        }
        if (e instanceof HttpConnectTimeoutException) {
            return "cannot connect to " + where + " in time";
        }
        if (e instanceof HttpTimeoutException) {
            return where + " did not answer in time";
        }
        if (e instanceof ConnectException) {
            return "cannot connect to " + where + ": connection refused";
        }
        return "cannot reach " + where + ": " + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : " " + Json.cut(e.getMessage()));
    }

    private static String where(PubSubConfig config, String topic) {
        return "Pub/Sub topic " + config.topicPath(topic) + (config.useEmulator() ? " (emulator)" : "");
    }
}
