package dev.sluice.sink.elasticsearch;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.BlockingSender;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.RouteCache;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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

/**
 * Writes messages to an Elasticsearch (or OpenSearch) index with the
 * <a href="https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-bulk">Bulk API</a>, {@code POST
 * {endpoint_url}/{index}/_bulk}, as Sequin does: insert, update and read {@code index} the payload as the document,
 * delete {@code delete}s it, both with {@code _id} = the primary key ({@link BulkEntry}).
 *
 * <p>Requests: a batch goes in order, in requests of at most {@code batch_size} entries and {@code max_request_bytes}
 * bytes, one after another. Within a request the peer applies a document's actions in request order (bulk items of
 * one shard run in order), so a batch's changes to one document keep their order.
 *
 * <p>Failure:
 *
 * <ul>
 *   <li>A message that cannot be an entry (no primary key in the payload, a payload that is not an object, an entry
 *       over {@code max_request_bytes}) is rejected for good before sending ({@link SinkException#partial}); the
 *       others go.
 *   <li>Items the peer fails are retried or rejected one by one ({@link BulkResponse}). Once an item is left to retry,
 *       the batch's later messages of the same document or group are left to retry too, sent or not, so the retry
 *       applies them again after it: order holds, at least once.
 *   <li>A request refused as a whole with 413 (over the peer's {@code http.max_content_length}) or 400 is split in
 *       two and each half sent, down to one entry, which is then rejected with the peer's reason: one bad document
 *       never fails the others.
 *   <li>Any other failure of a whole request (unreachable, timeout, 401/403, 429, 5xx) stops the batch: its messages
 *       not yet taken are left to retry, retriably.
 * </ul>
 *
 * <p>Routing: a batch's {@linkplain Batch#routing() routing} may set {@code index_name}, checked as the configured
 * name is ({@link ElasticsearchConfig#indexNameProblem}); an invalid value fails the batch, retriably.
 *
 * <p>The client does not retry: the engine's retry policy applies. Failures name the endpoint and the index, never
 * {@code auth_value}.
 *
 * <p>Concurrency: thread-safe. One JDK {@link HttpClient}; each delivery runs on a virtual thread ({@link
 * BlockingSender}), so {@link #deliver(Batch)} never blocks.
 */
public final class ElasticsearchSink implements Sink {
    /** The routing key that picks another index. */
    static final String INDEX_NAME = "index_name";

    private static final int MAX_ROUTES = 64;
    private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final ElasticsearchConfig config;
    private final HttpClient client;
    private final BlockingSender sender;
    private final @Nullable String authorization;
    private final URI configuredBulk;
    private final RouteCache<URI> routes = new RouteCache<>(MAX_ROUTES);

    /**
     * Creates the sink and its HTTP client. No connection is opened until the first delivery.
     *
     * @param config validated configuration; not null
     */
    public ElasticsearchSink(ElasticsearchConfig config) {
        this.config = config;
        this.client = client(config.requestTimeout());
        this.sender = new BlockingSender(where(config, config.indexName()), "elasticsearch-sink-");
        this.authorization = config.authorization();
        this.configuredBulk = bulkUri(config, config.indexName());
    }

    /** The configuration this sink was created with. */
    public ElasticsearchConfig config() {
        return config;
    }

    /**
     * Writes the batch. The stage completes normally once the peer took every entry, or exceptionally with a {@link
     * SinkException}: for the whole batch, or {@linkplain SinkException#partial partial} when some messages were
     * taken or rejected for good. Never blocks.
     */
    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        String index;
        try {
            index = index(batch);
        } catch (SinkException e) {
            return CompletableFuture.failedFuture(e);
        }
        URI bulk = index.equals(config.indexName()) ? configuredBulk : routes.get(index, name -> bulkUri(config, name));
        return sender.submit(() -> send(batch.messages(), bulk, where(config, index)));
    }

    /**
     * Delivers as {@link #deliver} does; the trace shows {@code POST <endpoint>/<index>/_bulk (<n> entries)} and
     * {@code 200} (a failure shows its message, with the statuses and errors).
     */
    @Override
    public CompletionStage<@Nullable Exchange> deliverTraced(Batch batch) {
        return deliver(batch).thenApply(done -> {
            String index = index(batch); // checked by deliver
            return new Exchange(
                    "POST " + config.endpointUrl() + "/" + encode(index) + "/_bulk (" + batch.size() + " entries)",
                    "200");
        });
    }

    /** The batch's index: the routed one, checked, or the configured one. */
    private String index(Batch batch) {
        Map<String, Object> routing = batch.routing();
        if (routing == null || !routing.containsKey(INDEX_NAME)) {
            return config.indexName();
        }
        Object routed = routing.get(INDEX_NAME);
        if (!(routed instanceof String s)) {
            throw SinkException.invalidRouting(
                    INDEX_NAME,
                    routed,
                    "must be a string, the name of an index" + (routed == null ? ", not null" : ""));
        }
        String problem = ElasticsearchConfig.indexNameProblem(s);
        if (problem != null) {
            throw SinkException.invalidRouting(INDEX_NAME, s, problem);
        }
        return s;
    }

    @Override
    public void close() {
        sender.close();
        client.shutdown(); // requests in flight finish (or time out) on their own; close() would wait for them
    }

    // ---- sending (on a virtual thread) ----

    private void send(List<SinkMessage> messages, URI bulk, String where) {
        int n = messages.size();
        BitSet retry = new BitSet(n);
        BitSet rejected = new BitSet(n);
        String[] reason = new String[1];
        List<BulkEntry> entries = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            try {
                BulkEntry e = BulkEntry.of(i, messages.get(i));
                if (e.bytes().length > config.maxRequestBytes()) {
                    throw new BulkEntry.Unfit("its bulk entry is " + e.bytes().length
                            + " bytes, over max_request_bytes (" + config.maxRequestBytes() + ")");
                }
                entries.add(e);
            } catch (BulkEntry.Unfit u) {
                rejected.set(i);
                note(reason, "message " + messages.get(i).idempotencyKey() + " rejected: " + u.getMessage());
            }
        }
        Set<String> held = new HashSet<>(); // documents and groups with a message left to retry
        int next = 0;
        while (next < entries.size()) {
            List<BulkEntry> request = new ArrayList<>();
            long bytes = 0;
            while (next < entries.size() && request.size() < config.batchSize()) {
                BulkEntry e = entries.get(next);
                if (!request.isEmpty() && bytes + e.bytes().length > config.maxRequestBytes()) {
                    break;
                }
                next++;
                if (isHeld(held, e)) {
                    retry.set(e.index());
                    continue;
                }
                request.add(e);
                bytes += e.bytes().length;
            }
            if (request.isEmpty()) {
                continue;
            }
            String failure = post(bulk, request, retry, rejected, reason, held);
            if (failure != null) { // the request failed whole: leave it and the rest to retry
                for (BulkEntry e : request) {
                    retry.set(e.index());
                }
                for (int k = next; k < entries.size(); k++) {
                    retry.set(entries.get(k).index());
                }
                if (rejected.isEmpty() && retry.cardinality() == n) {
                    throw new SinkException(where + ": " + failure, true);
                }
                note(reason, failure);
                break;
            }
        }
        if (retry.isEmpty() && rejected.isEmpty()) {
            return;
        }
        throw SinkException.partial(
                where + ": " + reason[0] + " (" + retry.cardinality() + " of " + n + " messages to retry, "
                        + rejected.cardinality() + " rejected)",
                retry,
                rejected);
    }

    /**
     * Sends one bulk request and marks its items' outcomes. Returns null when the peer answered for each item, or why
     * the request failed as a whole (nothing marked).
     */
    private @Nullable String post(
            URI bulk, List<BulkEntry> request, BitSet retry, BitSet rejected, String[] reason, Set<String> held) {
        int size = 0;
        for (BulkEntry e : request) {
            size += e.bytes().length;
        }
        byte[] body = new byte[size];
        int at = 0;
        for (BulkEntry e : request) {
            System.arraycopy(e.bytes(), 0, body, at, e.bytes().length);
            at += e.bytes().length;
        }
        HttpResponse<byte[]> response;
        try {
            response = client.send(request(bulk, "POST", body), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            return ElasticsearchFailure.describe(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        int status = response.statusCode();
        if ((status == 413 || status == 400) && request.size() > 1) {
            // One entry may be the cause: halves, down to single entries, which are then rejected alone.
            int half = request.size() / 2;
            String first = post(bulk, request.subList(0, half), retry, rejected, reason, held);
            if (first != null) {
                return first;
            }
            List<BulkEntry> rest = new ArrayList<>();
            for (BulkEntry e : request.subList(half, request.size())) {
                if (isHeld(held, e)) {
                    retry.set(e.index());
                } else {
                    rest.add(e);
                }
            }
            return rest.isEmpty() ? null : post(bulk, rest, retry, rejected, reason, held);
        }
        if (status == 413 || status == 400) {
            BulkEntry e = request.getFirst();
            rejected.set(e.index());
            note(
                    reason,
                    "document _id '" + e.id() + "' refused: " + ElasticsearchFailure.status(status, response.body()));
            return null;
        }
        if (status != 200) {
            return ElasticsearchFailure.status(status, response.body());
        }
        BulkResponse items;
        try {
            items = BulkResponse.parse(response.body(), request.size());
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        for (int k = 0; k < request.size(); k++) {
            BulkEntry e = request.get(k);
            switch (items.outcome(k)) {
                case OK -> {
                    if (isHeld(held, e)) {
                        retry.set(e.index()); // applied after a retried one of its document: apply it again after
                    }
                }
                case RETRY -> {
                    retry.set(e.index());
                    hold(held, e);
                    note(reason, "document _id '" + e.id() + "': " + items.reason(k));
                }
                case REJECTED -> {
                    rejected.set(e.index());
                    note(reason, "document _id '" + e.id() + "' rejected: " + items.reason(k));
                }
            }
        }
        return null;
    }

    private static boolean isHeld(Set<String> held, BulkEntry e) {
        return !held.isEmpty()
                && (held.contains("id:" + e.id()) || (e.group() != null && held.contains("group:" + e.group())));
    }

    private static void hold(Set<String> held, BulkEntry e) {
        held.add("id:" + e.id());
        if (e.group() != null) {
            held.add("group:" + e.group());
        }
    }

    private static void note(String[] reason, String text) {
        if (reason[0] == null) {
            reason[0] = text;
        }
    }

    // ---- check ----

    /**
     * {@link ElasticsearchProvider#check}: {@code GET /} (reachable, credentials taken), then {@code HEAD /{index}}
     * (the index exists). Never throws for the peer's answer.
     */
    static CheckResult probe(ElasticsearchConfig config, Duration timeout) {
        String what = where(config, config.indexName());
        try (HttpClient http = client(timeout)) {
            String auth = config.authorization();
            HttpResponse<byte[]> root = http.send(
                    request(URI.create(config.endpointUrl() + "/"), "GET", null, auth, timeout),
                    HttpResponse.BodyHandlers.ofByteArray());
            CheckResult failed = ElasticsearchFailure.check(root.statusCode(), root.body(), what, "GET /");
            if (failed != null) {
                return failed;
            }
            HttpResponse<byte[]> index = http.send(
                    request(
                            URI.create(config.endpointUrl() + "/" + encode(config.indexName())),
                            "HEAD",
                            null,
                            auth,
                            timeout),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (index.statusCode() == 404) {
                return CheckResult.failed(
                        CheckResult.Status.NOT_FOUND,
                        what + ": the index does not exist; create it (with its mapping) before streaming");
            }
            failed = ElasticsearchFailure.check(index.statusCode(), index.body(), what, "HEAD /" + config.indexName());
            return failed != null ? failed : CheckResult.OK;
        } catch (IOException e) {
            return CheckResult.failed(
                    ElasticsearchFailure.checkStatus(e), what + ": " + ElasticsearchFailure.describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CheckResult.failed(CheckResult.Status.FAILED, what + ": interrupted");
        }
    }

    // ---- HTTP ----

    private HttpRequest request(URI uri, String method, byte[] body) {
        return request(uri, method, body, authorization, config.requestTimeout());
    }

    private static HttpRequest request(
            URI uri, String method, byte @Nullable [] body, @Nullable String authorization, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout);
        if (body != null) {
            b.header("Content-Type", "application/x-ndjson");
            b.method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return b.build();
    }

    private static HttpClient client(Duration timeout) {
        Duration connect = timeout.compareTo(MAX_CONNECT_TIMEOUT) < 0 ? timeout : MAX_CONNECT_TIMEOUT;
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connect)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** The bulk URI of {@code index}; only the response fields the sink reads come back. */
    static URI bulkUri(ElasticsearchConfig config, String index) {
        return URI.create(config.endpointUrl() + "/" + encode(index)
                + "/_bulk?filter_path=errors,items.*.status,items.*.result,items.*.error");
    }

    private static String encode(String index) {
        return URLEncoder.encode(index, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String where(ElasticsearchConfig config, String index) {
        return "Elasticsearch " + config.endpointUrl() + " index '" + index + "'";
    }
}
