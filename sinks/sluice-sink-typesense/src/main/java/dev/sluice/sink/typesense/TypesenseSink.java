package dev.sluice.sink.typesense;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.BlockingSender;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Indexes each message of a batch into a Typesense collection: inserts, updates and reads upsert the row's document
 * ({@code import?action=upsert}, JSONL), deletes delete it by id. What a document is: see {@link Documents}.
 *
 * <p>Order: a batch is cut, in order, into runs of upserts and single deletes, sent one after the other; a run goes
 * in import requests of at most {@code batch_size} documents and {@value #MAX_REQUEST_BYTES} bytes, which Typesense
 * applies line by line in order. So the operations on one document id arrive in batch order.
 *
 * <p>Failure:
 *
 * <ul>
 *   <li>An import answers {@code 200} with one result line per document; the documents that failed are left to
 *       retry (only they), and so is every later message of the batch with the same id (not sent, or sent again
 *       after the failed one), so that an older version never ends up after a newer one.
 *   <li>A request answered {@code 413} (over the server's payload limit, or a proxy's) is split in two and each half
 *       sent; a single document that gets {@code 413}, or a document over {@value #MAX_REQUEST_BYTES} bytes, is
 *       rejected for good, while the rest of the batch goes.
 *   <li>A message that makes no document (see {@link Documents}) is rejected for good.
 *   <li>Any other failure of a request (unreachable, timeout, 401, 404 collection, 429, 503, 5xx) stops the batch:
 *       what was not applied is left to retry.
 *   <li>Deleting a document that is not there succeeds (it is gone, which is what a delete wants).
 * </ul>
 *
 * <p>Routing: a batch's {@linkplain Batch#routing() routing} may set {@code collection_name} (checked as the
 * configured one is) and {@code action}, {@code index} or {@code delete}, which applies to every message of the
 * batch; an invalid value fails the batch, retriably.
 *
 * <p>Concurrency: thread-safe. One HTTP client per sink; each delivery runs on a virtual thread.
 */
public final class TypesenseSink implements Sink {
    /** The routing key that picks another collection. */
    static final String COLLECTION_NAME = "collection_name";
    /** The routing key that picks {@code index} or {@code delete}. */
    static final String ACTION = "action";
    /** The most bytes of documents in one import request: Typesense takes more, this bounds memory. */
    static final int MAX_REQUEST_BYTES = 100 * 1024 * 1024;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final TypesenseConfig config;
    private final TypesenseClient client;
    private final BlockingSender sender;

    /**
     * Creates the sink and its HTTP client. No connection is opened until the first delivery.
     *
     * @param config validated configuration; not null
     */
    public TypesenseSink(TypesenseConfig config) {
        this.config = config;
        this.client = new TypesenseClient(config, config.timeout());
        this.sender = new BlockingSender(TypesenseClient.where(config, config.collectionName()), "typesense-sink-");
    }

    /**
     * Sends the batch. The stage completes normally once Typesense applied every message, or exceptionally with a
     * {@link SinkException}: for the whole batch, or {@linkplain SinkException#partial partial} when some messages
     * were applied or rejected for good. Never blocks.
     */
    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        Map<String, Object> routing = batch.routing();
        if (routing == null) {
            return sender.submit(() -> send(config.collectionName(), null, batch.messages()));
        }
        String collection = config.collectionName();
        Boolean delete = null;
        if (routing.containsKey(COLLECTION_NAME)) {
            Object v = routing.get(COLLECTION_NAME);
            if (!(v instanceof String s)) {
                return CompletableFuture.failedFuture(SinkException.invalidRouting(
                        COLLECTION_NAME,
                        v,
                        "must be a string, the name of a collection" + (v == null ? ", not null" : "")));
            }
            String problem = TypesenseConfig.collectionProblem(s);
            if (problem != null) {
                return CompletableFuture.failedFuture(SinkException.invalidRouting(COLLECTION_NAME, s, problem));
            }
            collection = s;
        }
        if (routing.containsKey(ACTION) && routing.get(ACTION) != null) {
            Object v = routing.get(ACTION);
            if (!"index".equals(v) && !"delete".equals(v)) {
                return CompletableFuture.failedFuture(
                        SinkException.invalidRouting(ACTION, v, "must be \"index\" or \"delete\""));
            }
            delete = "delete".equals(v);
        }
        String to = collection;
        Boolean routedDelete = delete;
        return sender.submit(() -> send(to, routedDelete, batch.messages()));
    }

    /** Stops taking deliveries and closes the client; deliveries in progress fail. */
    @Override
    public void close() {
        sender.close();
        client.close();
    }

    // ---- sending (on a virtual thread)

    /** Why a request stopped the batch. */
    private static final class Stop extends Exception {
        Stop(String message) {
            super(message, null, false, false);
        }
    }

    /** One batch's progress: what was applied, what is rejected, which ids are held back. */
    private static final class Delivery {
        final String collection;
        final List<SinkMessage> messages;
        final Documents.Op[] ops;
        final BitSet done = new BitSet();
        final BitSet rejected = new BitSet();
        final Set<String> held = new HashSet<>();

        @Nullable
        String failure;

        @Nullable
        String rejection;

        Delivery(String collection, List<SinkMessage> messages) {
            this.collection = collection;
            this.messages = messages;
            this.ops = new Documents.Op[messages.size()];
        }

        void reject(int i, String why) {
            rejected.set(i);
            if (rejection == null) {
                rejection = "message " + messages.get(i).idempotencyKey() + " " + why;
            }
        }

        void fail(int i, String why) {
            held.add(ops[i].id());
            if (failure == null) {
                failure = "document '" + ops[i].id() + "' (message "
                        + messages.get(i).idempotencyKey() + "): " + why;
            }
        }
    }

    private void send(String collection, @Nullable Boolean routedDelete, List<SinkMessage> messages) {
        Delivery d = new Delivery(collection, messages);
        int n = messages.size();
        for (int i = 0; i < n; i++) {
            try {
                d.ops[i] = Documents.of(messages.get(i), routedDelete);
                if (d.ops[i].line().length > MAX_REQUEST_BYTES) {
                    d.reject(
                            i,
                            "is a document of " + d.ops[i].line().length + " bytes, over the " + MAX_REQUEST_BYTES
                                    + " bytes of an import request");
                }
            } catch (IllegalArgumentException e) {
                d.reject(i, e.getMessage());
            }
        }
        try {
            for (int i = 0; i < n; ) {
                if (d.rejected.get(i)) {
                    i++;
                } else if (d.ops[i].delete()) {
                    delete(d, i++);
                } else {
                    List<Integer> run = new ArrayList<>();
                    for (; i < n && (d.rejected.get(i) || !d.ops[i].delete()); i++) {
                        if (!d.rejected.get(i)) {
                            run.add(i);
                        }
                    }
                    upsert(d, run);
                }
            }
        } catch (Stop e) {
            d.failure = e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            d.failure = "interrupted";
        }
        outcome(d);
    }

    private void delete(Delivery d, int i) throws Stop, InterruptedException {
        if (d.held.contains(d.ops[i].id())) {
            return;
        }
        TypesenseClient.Answer a = call(() -> client.deleteDocument(d.collection, d.ops[i].id()));
        if (a.ok() || a.status() == 404) {
            d.done.set(i);
            return;
        }
        throw new Stop(a.describe());
    }

    /** Imports a run of upserts in requests within the limits, in order. */
    private void upsert(Delivery d, List<Integer> run) throws Stop, InterruptedException {
        List<Integer> chunk = new ArrayList<>();
        long bytes = 0;
        for (int i : run) {
            if (d.held.contains(d.ops[i].id())) {
                continue;
            }
            int size = d.ops[i].line().length + 1;
            if (!chunk.isEmpty() && (chunk.size() == config.batchSize() || bytes + size > MAX_REQUEST_BYTES)) {
                importChunk(d, chunk);
                chunk = new ArrayList<>();
                bytes = 0;
            }
            chunk.add(i);
            bytes += size;
        }
        if (!chunk.isEmpty()) {
            importChunk(d, chunk);
        }
    }

    private void importChunk(Delivery d, List<Integer> chunk) throws Stop, InterruptedException {
        List<byte[]> lines = new ArrayList<>(chunk.size());
        for (int i : chunk) {
            lines.add(d.ops[i].line());
        }
        TypesenseClient.Answer a = call(() -> client.importDocuments(d.collection, lines));
        if (a.status() == 413) {
            if (chunk.size() == 1) {
                d.reject(chunk.getFirst(), "was refused by Typesense as too large: " + a.describe());
                return;
            }
            int half = chunk.size() / 2;
            importChunk(d, chunk.subList(0, half));
            importChunk(d, chunk.subList(half, chunk.size()));
            return;
        }
        if (a.status() != 200) {
            throw new Stop(a.describe());
        }
        List<String> results = a.lines();
        for (int k = 0; k < chunk.size(); k++) {
            int i = chunk.get(k);
            if (k >= results.size()) {
                d.fail(i, "no result line for it in the import's answer");
                continue;
            }
            String error = lineError(results.get(k));
            if (error == null) {
                d.done.set(i);
            } else {
                d.fail(i, error);
            }
        }
    }

    /** An import result line's error, or null for {@code {"success": true}}. */
    private static @Nullable String lineError(String line) {
        try {
            JsonNode n = JSON.readTree(line);
            if (n.path("success").asBoolean(false)) {
                return null;
            }
            String error = n.path("error").asString("unknown error");
            return n.has("code") ? error + " (code " + n.get("code").asString() + ")" : error;
        } catch (JacksonException e) {
            return "unreadable result line";
        }
    }

    /**
     * Reports the batch: applied, rejected, or left to retry, the last also for every message after a failed one of
     * the same document id.
     */
    private void outcome(Delivery d) {
        int n = d.messages.size();
        Map<String, Integer> firstFailed = new HashMap<>();
        for (int i = 0; i < n; i++) {
            if (!d.done.get(i) && !d.rejected.get(i)) {
                firstFailed.putIfAbsent(d.ops[i].id(), i);
            }
        }
        for (int i = 0; i < n; i++) {
            if (d.done.get(i) && firstFailed.getOrDefault(d.ops[i].id(), n) < i) {
                d.done.clear(i); // applied after an older version that failed: sent again after it
            }
        }
        BitSet retry = new BitSet(n);
        retry.set(0, n);
        retry.andNot(d.done);
        retry.andNot(d.rejected);
        if (retry.isEmpty() && d.rejected.isEmpty()) {
            return;
        }
        String where = TypesenseClient.where(config, d.collection);
        String reason = d.failure != null ? d.failure : d.rejection;
        if (d.done.isEmpty() && d.rejected.isEmpty()) {
            throw new SinkException(where + ": " + reason, true);
        }
        throw SinkException.partial(
                where + ": " + reason + " (" + retry.cardinality() + " of " + n + " messages to retry, "
                        + d.rejected.cardinality() + " rejected)",
                retry,
                d.rejected);
    }

    private interface Call {
        TypesenseClient.Answer run() throws IOException, InterruptedException;
    }

    private static TypesenseClient.Answer call(Call call) throws Stop, InterruptedException {
        try {
            return call.run();
        } catch (IOException e) {
            throw new Stop(TypesenseClient.describe(e));
        }
    }
}
