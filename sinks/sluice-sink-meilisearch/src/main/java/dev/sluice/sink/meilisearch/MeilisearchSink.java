package dev.sluice.sink.meilisearch;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.BlockingSender;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes each message of a batch to a Meilisearch index: inserts, updates and reads add (or replace) the row's
 * document, deletes delete it by id; with routing, {@code function} edits the documents a filter selects. What a
 * document is: see {@link Documents}.
 *
 * <p>Order: a batch is cut, in order, into runs of additions and runs of deletions. Each run goes in requests of at
 * most {@code batch_size} documents and {@value #MAX_REQUEST_BYTES} bytes (Meilisearch's default payload limit), and
 * the sink waits for each request's task to end before sending the next, so that a failed task is never followed
 * by a later change of the same document.
 *
 * <p>Failure:
 *
 * <ul>
 *   <li>A task fails whole. When its error blames a document ({@link #DOCUMENT_ERRORS}) or the request is refused
 *       with {@code 413}, the request is split in two and each half sent, until the one document at fault is alone:
 *       it is rejected for good, the others are applied.
 *   <li>A message that makes no document (see {@link Documents}), or a document over {@value #MAX_REQUEST_BYTES}
 *       bytes, is rejected for good before sending.
 *   <li>Any other failure (unreachable, timeout, 401/403, a task failed for another reason, 5xx, a task not seen to
 *       end) stops the batch: what was not applied is left to retry, with every later message of a document whose
 *       change was not applied.
 *   <li>Deleting from an index that does not exist succeeds: there is nothing to delete.
 * </ul>
 *
 * <p>Routing: a batch's {@linkplain Batch#routing() routing} may set {@code index_name} (checked as the configured
 * one is), and {@code action}: {@code index}, {@code delete}, or {@code function} with {@code filter}, {@code function}
 * (Rhai) and {@code context}, one edit per message, in order. An invalid value fails the batch, retriably.
 *
 * <p>Concurrency: thread-safe. One HTTP client per sink; each delivery runs on a virtual thread.
 */
public final class MeilisearchSink implements Sink {
    static final String ACTION = "action";
    static final String INDEX_NAME = "index_name";
    static final String FILTER = "filter";
    static final String FUNCTION = "function";
    static final String CONTEXT = "context";
    /** Meilisearch's default {@code --http-payload-size-limit}. */
    static final int MAX_REQUEST_BYTES = 100 * 1024 * 1024;
    /** Sequin's limit on a routed {@code filter} and {@code function}. */
    static final int MAX_EXPRESSION = 10_000;
    /** Task error codes that blame a document of the request, not the request or the server. */
    static final Set<String> DOCUMENT_ERRORS = Set.of(
            "missing_document_id",
            "invalid_document_id",
            "invalid_document_fields",
            "invalid_document_geo_field",
            "invalid_vectors_type",
            "invalid_vector_dimensions",
            "document_fields_limit_reached",
            "max_fields_limit_exceeded");

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final MeilisearchConfig config;
    private final MeilisearchClient client;
    private final BlockingSender sender;

    /**
     * Creates the sink and its HTTP client. No connection is opened until the first delivery.
     *
     * @param config validated configuration; not null
     */
    public MeilisearchSink(MeilisearchConfig config) {
        this.config = config;
        this.client = new MeilisearchClient(config, config.timeout());
        this.sender = new BlockingSender(MeilisearchClient.where(config, config.indexName()), "meilisearch-sink-");
    }

    /** What a routing function chose for a batch. */
    private record Route(String index, @Nullable String action, byte @Nullable [] edit) {}

    /**
     * Sends the batch. The stage completes normally once Meilisearch applied every message, or exceptionally with a
     * {@link SinkException}: for the whole batch, or {@linkplain SinkException#partial partial} when some messages
     * were applied or rejected for good. Never blocks.
     */
    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        Map<String, Object> routing = batch.routing();
        if (routing == null) {
            return sender.submit(() -> send(new Route(config.indexName(), null, null), batch.messages()));
        }
        Route route;
        try {
            route = route(routing);
        } catch (SinkException e) {
            return CompletableFuture.failedFuture(e);
        }
        return sender.submit(() -> send(route, batch.messages()));
    }

    private Route route(Map<String, Object> routing) {
        String index = config.indexName();
        if (routing.containsKey(INDEX_NAME)) {
            Object v = routing.get(INDEX_NAME);
            if (!(v instanceof String s)) {
                throw SinkException.invalidRouting(
                        INDEX_NAME, v, "must be a string, the uid of an index" + (v == null ? ", not null" : ""));
            }
            String problem = MeilisearchConfig.indexProblem(s);
            if (problem != null) {
                throw SinkException.invalidRouting(INDEX_NAME, s, problem);
            }
            index = s;
        }
        Object action = routing.get(ACTION);
        if (action == null) {
            return new Route(index, null, null);
        }
        if (!"index".equals(action) && !"delete".equals(action) && !"function".equals(action)) {
            throw SinkException.invalidRouting(ACTION, action, "must be \"index\", \"delete\" or \"function\"");
        }
        if (!"function".equals(action)) {
            return new Route(index, (String) action, null);
        }
        Map<String, Object> edit = new LinkedHashMap<>();
        for (String key : List.of(FILTER, FUNCTION)) {
            Object v = routing.get(key);
            if (!(v instanceof String s) || s.isEmpty() || s.length() > MAX_EXPRESSION) {
                throw SinkException.invalidRouting(
                        key, v, "must be a string of 1 to " + MAX_EXPRESSION + " characters with action \"function\"");
            }
            edit.put(key, s);
        }
        Object context = routing.get(CONTEXT);
        if (context != null && !(context instanceof Map<?, ?>)) {
            throw SinkException.invalidRouting(CONTEXT, context, "must be an object, or null");
        }
        if (context instanceof Map<?, ?> m && !m.isEmpty()) {
            edit.put(CONTEXT, context);
        }
        return new Route(index, "function", JSON.writeValueAsBytes(edit));
    }

    /** Stops taking deliveries and closes the client; deliveries in progress fail. */
    @Override
    public void close() {
        sender.close();
        client.close();
    }

    // ---- sending (on a virtual thread)

    /** One batch's progress: what was applied and what is rejected. */
    private static final class Delivery {
        final String index;
        final List<SinkMessage> messages;
        final Documents.Op[] ops;
        final BitSet done = new BitSet();
        final BitSet rejected = new BitSet();

        @Nullable
        String failure;

        @Nullable
        String rejection;

        Delivery(String index, List<SinkMessage> messages) {
            this.index = index;
            this.messages = messages;
            this.ops = new Documents.Op[messages.size()];
        }

        void reject(int i, String why) {
            rejected.set(i);
            if (rejection == null) {
                rejection = "message " + messages.get(i).idempotencyKey() + " " + why;
            }
        }
    }

    private void send(Route route, List<SinkMessage> messages) {
        Delivery d = new Delivery(route.index(), messages);
        int n = messages.size();
        try {
            if (route.edit() != null) {
                for (int i = 0; i < n; i++) {
                    MeilisearchClient.TaskEnd end =
                            client.write(client.editDocuments(d.index, route.edit()), sender::isClosed);
                    if (!end.succeeded()) {
                        throw new MeilisearchClient.Failed(
                                "edit task " + end.uid() + " failed: " + end.message(), null);
                    }
                    d.done.set(i);
                }
            } else {
                Boolean routedDelete =
                        route.action() == null ? null : route.action().equals("delete");
                prepare(d, routedDelete);
                for (int i = 0; i < n; ) {
                    boolean delete = !d.rejected.get(i) && d.ops[i].delete();
                    List<Integer> run = new ArrayList<>();
                    for (; i < n && (d.rejected.get(i) || d.ops[i].delete() == delete); i++) {
                        if (!d.rejected.get(i)) {
                            run.add(i);
                        }
                    }
                    inChunks(d, run, delete);
                }
            }
        } catch (MeilisearchClient.Failed e) {
            d.failure = e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            d.failure = "interrupted";
        }
        outcome(d);
    }

    private void prepare(Delivery d, @Nullable Boolean routedDelete) {
        for (int i = 0; i < d.messages.size(); i++) {
            try {
                d.ops[i] = Documents.of(d.messages.get(i), config.primaryKey(), routedDelete);
                if (d.ops[i].line().length > MAX_REQUEST_BYTES) {
                    d.reject(
                            i,
                            "is a document of " + d.ops[i].line().length + " bytes, over Meilisearch's "
                                    + MAX_REQUEST_BYTES + "-byte payload limit");
                }
            } catch (IllegalArgumentException e) {
                d.reject(i, e.getMessage());
            }
        }
    }

    /** Sends a run in requests within the limits, in order, each task waited for. */
    private void inChunks(Delivery d, List<Integer> run, boolean delete)
            throws MeilisearchClient.Failed, InterruptedException {
        List<Integer> chunk = new ArrayList<>();
        long bytes = 0;
        for (int i : run) {
            int size = d.ops[i].line().length + 1;
            if (!chunk.isEmpty() && (chunk.size() == config.batchSize() || bytes + size > MAX_REQUEST_BYTES)) {
                write(d, chunk, delete);
                chunk = new ArrayList<>();
                bytes = 0;
            }
            chunk.add(i);
            bytes += size;
        }
        if (!chunk.isEmpty()) {
            write(d, chunk, delete);
        }
    }

    private void write(Delivery d, List<Integer> chunk, boolean delete)
            throws MeilisearchClient.Failed, InterruptedException {
        MeilisearchClient.TaskEnd end;
        try {
            if (delete) {
                List<JsonNode> ids = new ArrayList<>(chunk.size());
                chunk.forEach(i -> ids.add(d.ops[i].id()));
                end = client.write(client.deleteDocuments(d.index, ids), sender::isClosed);
            } else {
                List<byte[]> lines = new ArrayList<>(chunk.size());
                chunk.forEach(i -> lines.add(d.ops[i].line()));
                end = client.write(client.addDocuments(d.index, lines), sender::isClosed);
            }
        } catch (MeilisearchClient.Failed e) {
            if (e.answer != null && e.answer.status() == 413 && !delete) {
                split(d, chunk, "was refused as too large: " + e.getMessage());
                return;
            }
            throw e;
        }
        if (end.succeeded() || (delete && "index_not_found".equals(end.code()))) {
            chunk.forEach(d.done::set);
            return;
        }
        if (!delete && DOCUMENT_ERRORS.contains(end.code())) {
            split(d, chunk, "was refused by Meilisearch: " + end.message());
            return;
        }
        throw new MeilisearchClient.Failed("task " + end.uid() + " failed: " + end.message(), null);
    }

    /** Sends the halves of a refused chunk; a single document is rejected for good. */
    private void split(Delivery d, List<Integer> chunk, String why)
            throws MeilisearchClient.Failed, InterruptedException {
        if (chunk.size() == 1) {
            d.reject(chunk.getFirst(), "(document '" + d.ops[chunk.getFirst()].key() + "') " + why);
            return;
        }
        int half = chunk.size() / 2;
        write(d, chunk.subList(0, half), false);
        write(d, chunk.subList(half, chunk.size()), false);
    }

    /**
     * Reports the batch: applied, rejected, or left to retry, the last also for every message after one of the same
     * document that was not applied.
     */
    private void outcome(Delivery d) {
        int n = d.messages.size();
        Map<String, Integer> firstFailed = new HashMap<>();
        for (int i = 0; i < n; i++) {
            if (!d.done.get(i) && !d.rejected.get(i) && d.ops[i] != null) {
                firstFailed.putIfAbsent(d.ops[i].key(), i);
            }
        }
        for (int i = 0; i < n; i++) {
            if (d.done.get(i) && d.ops[i] != null && firstFailed.getOrDefault(d.ops[i].key(), n) < i) {
                d.done.clear(i);
            }
        }
        BitSet retry = new BitSet(n);
        retry.set(0, n);
        retry.andNot(d.done);
        retry.andNot(d.rejected);
        if (retry.isEmpty() && d.rejected.isEmpty()) {
            return;
        }
        String where = MeilisearchClient.where(config, d.index);
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
}
