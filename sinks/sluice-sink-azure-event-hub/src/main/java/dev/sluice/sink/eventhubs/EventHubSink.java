package dev.sluice.sink.eventhubs;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.BlockingSender;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
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
 * Sends each message of a batch as an event to an Azure event hub through the REST API ("Send batch events"), the
 * group id as the partition key.
 *
 * <p>Requests: a batch request carries one partition key (the {@code BrokerProperties} header) for all its events, so
 * a batch goes as one run of requests per group, each of at most {@code max_batch_bytes}, the runs of different
 * groups in parallel and each run in batch order; messages without a group go together, without a key (Event Hubs
 * spreads them over the partitions). Events of one partition key land in one partition, in the order sent.
 *
 * <p>Failure:
 *
 * <ul>
 *   <li>A message whose event alone is over {@code max_batch_bytes} is rejected before sending ({@link
 *       SinkException#partial}); the others go.
 *   <li>A request refused for its content ({@code 400}, {@code 413}) is sent again event by event, so that only the
 *       events Event Hubs refuses on their own are rejected.
 *   <li>Any other failed request (unreachable, {@code 401}, {@code 403} quota, {@code 404}, {@code 5xx}) leaves its
 *       messages to retry, and with them every later message of its group in the batch, held back so that the group
 *       keeps its order.
 * </ul>
 *
 * <p>Routing: a batch's {@linkplain Batch#routing() routing} may set {@code event_hub_name}, checked by Azure's rule
 * for event hub names; an invalid value fails the batch, retriably.
 *
 * <p>Concurrency: thread-safe. Each delivery runs on a virtual thread ({@link BlockingSender}), so {@link
 * #deliver(Batch)} never blocks.
 */
public final class EventHubSink implements Sink {
    /** The routing key that picks another event hub. */
    static final String EVENT_HUB_NAME = "event_hub_name";
    /** Groups whose runs are sent at the same time, at most. */
    private static final int PARALLEL_GROUPS = 16;

    private final EventHubConfig config;
    private final EventHubClient client;
    private final BlockingSender sender;

    /**
     * Creates the sink. No connection is made until the first delivery.
     *
     * @param config validated configuration; not null
     */
    public EventHubSink(EventHubConfig config) {
        this.config = config;
        this.client = new EventHubClient(config, config.requestTimeout(), InstantSource.system());
        this.sender = new BlockingSender(where(config, config.eventHubName()), "eventhubs-sink-");
    }

    /** The configuration this sink was created with. */
    public EventHubConfig config() {
        return config;
    }

    /**
     * Sends the batch. The stage completes normally once Event Hubs took every event, or exceptionally with a {@link
     * SinkException}: for the whole batch, or {@linkplain SinkException#partial partial}. Never blocks.
     */
    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        Map<String, Object> routing = batch.routing();
        String hub = config.eventHubName();
        if (routing != null && routing.containsKey(EVENT_HUB_NAME)) {
            Object routed = routing.get(EVENT_HUB_NAME);
            if (!(routed instanceof String s)) {
                return CompletableFuture.failedFuture(SinkException.invalidRouting(
                        EVENT_HUB_NAME,
                        routed,
                        "must be a string, an event hub name" + (routed == null ? ", not null" : "")));
            }
            String problem = EventHubConfig.eventHubNameProblem(s);
            if (problem != null) {
                return CompletableFuture.failedFuture(SinkException.invalidRouting(EVENT_HUB_NAME, s, problem));
            }
            hub = s;
        }
        String to = hub;
        return sender.submit(() -> send(batch.messages(), to));
    }

    /** Stops taking deliveries; requests in flight fail. */
    @Override
    public void close() {
        sender.close();
        client.close();
    }

    /**
     * {@link EventHubProvider#check}: reads the event hub's description. Azure answers a path that is no entity with
     * an empty Atom feed, and an event hub with an Atom entry; the root element tells them apart.
     */
    static CheckResult probe(EventHubConfig config, Duration timeout) throws InterruptedException {
        String what = where(config, config.eventHubName());
        EventHubClient client = new EventHubClient(config, timeout, InstantSource.system());
        try (client) {
            EventHubClient.Reply reply = client.describe(config.eventHubName(), timeout);
            if (reply.status() == 401 || reply.status() == 403) {
                return CheckResult.failed(
                        CheckResult.Status.UNAUTHORIZED,
                        what + ": " + reply.status() + " " + reply.detail()
                                + "; check shared_access_key_name and shared_access_key (reading the event hub's"
                                + " description needs a policy with Manage rights)");
            }
            if (reply.status() == 404 || (reply.ok() && "feed".equals(rootElement(reply.body())))) {
                return CheckResult.failed(
                        CheckResult.Status.NOT_FOUND, what + ": no such event hub in namespace " + config.namespace());
            }
            if (reply.ok()) {
                return CheckResult.OK;
            }
            return CheckResult.failed(CheckResult.Status.FAILED, what + ": " + reply.status() + " " + reply.detail());
        } catch (IOException e) {
            if (config.endpointUrl() == null && unresolved(e)) {
                return CheckResult.failed(
                        CheckResult.Status.NOT_FOUND,
                        what + ": the namespace " + config.namespace() + " does not resolve (no such namespace?)");
            }
            return CheckResult.failed(CheckResult.Status.UNREACHABLE, what + ": " + unreachable(client.where(), e));
        }
    }

    /** The local name of an XML document's root element; empty when none. */
    static String rootElement(String xml) {
        int at = 0;
        while ((at = xml.indexOf('<', at)) >= 0) {
            if (at + 1 < xml.length() && xml.charAt(at + 1) != '?' && xml.charAt(at + 1) != '!') {
                int end = at + 1;
                while (end < xml.length() && " \t\r\n/>".indexOf(xml.charAt(end)) < 0) {
                    end++;
                }
                String name = xml.substring(at + 1, end);
                return name.substring(name.indexOf(':') + 1);
            }
            at++;
        }
        return "";
    }

    // ---- sending (on a virtual thread) ----

    /** What became of some messages of one group's run: those to retry, those rejected, and the first reason. */
    private record Outcome(
            List<Integer> retry,
            List<Integer> rejected,
            @Nullable String reason) {
        static final Outcome OK = new Outcome(List.of(), List.of(), null);
    }

    /** Why a request failed; {@code refused} when Event Hubs refused its content, as it will again. */
    private record Failure(String reason, boolean refused) {}

    private void send(List<SinkMessage> messages, String hub) {
        int n = messages.size();
        byte[][] entries = new byte[n][];
        BitSet rejected = new BitSet(n);
        String reason = null;
        Map<String, List<Integer>> runs = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            SinkMessage m = messages.get(i);
            entries[i] = Events.entry(m);
            if (entries[i].length + Events.ENVELOPE_BYTES > config.maxBatchBytes()) {
                rejected.set(i);
                if (reason == null) {
                    reason = "message " + m.idempotencyKey() + " is " + m.json().length + " bytes of JSON, "
                            + (entries[i].length + Events.ENVELOPE_BYTES) + " bytes as an event batch: over"
                            + " max_batch_bytes (" + config.maxBatchBytes() + ")";
                }
                continue;
            }
            runs.computeIfAbsent(m.groupId() == null ? "" : m.groupId(), k -> new ArrayList<>())
                    .add(i);
        }
        BitSet retry = new BitSet(n);
        for (Outcome o : sendRuns(hub, messages, entries, runs.values())) {
            o.retry().forEach(retry::set);
            o.rejected().forEach(rejected::set);
            reason = reason == null ? o.reason() : reason;
        }
        if (retry.isEmpty() && rejected.isEmpty()) {
            return;
        }
        String where = where(config, hub);
        if (rejected.isEmpty() && retry.cardinality() == n) {
            throw new SinkException(where + ": " + reason, true);
        }
        throw SinkException.partial(
                where + ": " + reason + " (" + retry.cardinality() + " of " + n + " messages to retry, "
                        + rejected.cardinality() + " rejected)",
                retry,
                rejected);
    }

    private List<Outcome> sendRuns(
            String hub, List<SinkMessage> messages, byte[][] entries, Collection<List<Integer>> runs) {
        if (runs.size() <= 1) {
            return runs.stream().map(r -> sendRun(hub, messages, entries, r)).toList();
        }
        Semaphore slots = new Semaphore(PARALLEL_GROUPS);
        List<Outcome> out = new ArrayList<>(runs.size());
        try (ExecutorService group = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("eventhubs-run-", 0).factory())) {
            List<Future<Outcome>> futures = new ArrayList<>(runs.size());
            for (List<Integer> run : runs) {
                futures.add(group.submit(() -> {
                    slots.acquire();
                    try {
                        return sendRun(hub, messages, entries, run);
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
            throw new SinkException(where(config, hub) + ": interrupted", true, e);
        } catch (ExecutionException e) {
            throw new SinkException(where(config, hub) + ": " + e.getCause(), true, e.getCause());
        }
        return out;
    }

    /** One group's events, in requests of at most {@code max_batch_bytes}, in order; stops at a failure. */
    private Outcome sendRun(String hub, List<SinkMessage> messages, byte[][] entries, List<Integer> run) {
        String group = messages.get(run.getFirst()).groupId();
        String key = group == null || group.isEmpty() ? null : group;
        List<List<Integer>> requests = split(entries, run);
        List<Integer> rejected = new ArrayList<>();
        String reason = null;
        for (int r = 0; r < requests.size(); r++) {
            List<Integer> request = requests.get(r);
            Failure failure = send(hub, entries, request, key);
            if (failure == null) {
                continue;
            }
            if (!failure.refused()) {
                return new Outcome(held(requests, r, 0), rejected, reason == null ? failure.reason() : reason);
            }
            // Event Hubs refused the request's content: find out, event by event, which it refuses alone.
            for (int k = 0; k < request.size(); k++) {
                Failure single = request.size() == 1 ? failure : send(hub, entries, List.of(request.get(k)), key);
                if (single == null) {
                    continue;
                }
                if (!single.refused()) {
                    return new Outcome(held(requests, r, k), rejected, reason == null ? single.reason() : reason);
                }
                rejected.add(request.get(k));
                reason = reason == null ? single.reason() : reason;
            }
        }
        return rejected.isEmpty() ? Outcome.OK : new Outcome(List.of(), rejected, reason);
    }

    /** Messages from request {@code r}, message {@code k}, on: the failed one and the group's later ones. */
    private static List<Integer> held(List<List<Integer>> requests, int r, int k) {
        List<Integer> out =
                new ArrayList<>(requests.get(r).subList(k, requests.get(r).size()));
        for (int i = r + 1; i < requests.size(); i++) {
            out.addAll(requests.get(i));
        }
        return out;
    }

    private List<List<Integer>> split(byte[][] entries, List<Integer> run) {
        List<List<Integer>> out = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        long bytes = Events.ENVELOPE_BYTES;
        for (int i : run) {
            int size = entries[i].length + (current.isEmpty() ? 0 : 1);
            if (!current.isEmpty() && bytes + size > config.maxBatchBytes()) {
                out.add(current);
                current = new ArrayList<>();
                bytes = Events.ENVELOPE_BYTES;
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

    /** Sends one request; null when Event Hubs took it. */
    private @Nullable Failure send(String hub, byte[][] entries, List<Integer> request, @Nullable String key) {
        if (sender.isClosed()) {
            return new Failure("sink is closed", false);
        }
        try {
            EventHubClient.Reply reply = client.send(hub, Events.batch(entries, request), key, config.requestTimeout());
            if (reply.ok()) {
                return null;
            }
            return new Failure(
                    "send answered " + reply.status() + (reply.detail().isEmpty() ? "" : ": " + reply.detail()),
                    reply.status() == 400 || reply.status() == 413);
        } catch (IOException e) {
            return new Failure(unreachable(client.where(), e), false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Failure("interrupted", false);
        }
    }

    private static boolean unresolved(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) {
                return true;
            }
        }
        return false;
    }

    private static String unreachable(String where, IOException e) {
        if (e instanceof HttpConnectTimeoutException) {
            return "cannot connect to " + where + " in time";
        }
        if (e instanceof HttpTimeoutException) {
            return where + " did not answer in time";
        }
        if (unresolved(e)) {
            return "cannot resolve the host of " + where;
        }
        if (e instanceof ConnectException) {
            return "cannot connect to " + where + ": connection refused";
        }
        return "cannot reach " + where + ": " + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : " " + Events.cut(e.getMessage()));
    }

    private static String where(EventHubConfig config, String hub) {
        return "Event Hubs " + config.namespace() + "/" + hub;
    }
}
