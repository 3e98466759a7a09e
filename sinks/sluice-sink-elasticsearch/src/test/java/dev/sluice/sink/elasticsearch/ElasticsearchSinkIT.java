package dev.sluice.sink.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.core.Action;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.testkit.TestMessages;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What is Elasticsearch's own, against the shared real OpenSearch node ({@link OpenSearchNode}) behind a {@link
 * GatewayProxy}: documents by primary key, deletes (of missing documents too), per-item failures (a mapping conflict
 * rejected, a throttled item retried with its document's later actions held back), the node's 413 for an oversized
 * request, routing to another index, the auth headers, and check's NOT_FOUND and UNAUTHORIZED.
 */
class ElasticsearchSinkIT {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String TOKEN = "es-sink-it-bearer-4a61";
    private static final AtomicInteger INDEXES = new AtomicInteger();
    private static OpenSearchNode node;
    private static GatewayProxy gateway;

    @BeforeAll
    static void start() throws Exception {
        node = OpenSearchNode.shared();
        gateway = new GatewayProxy(node, "Bearer " + TOKEN);
        gateway.start();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static String newIndex(String mappings) throws Exception {
        String index = "sink-it-" + INDEXES.incrementAndGet();
        node.createIndex(index, mappings);
        return index;
    }

    private static ElasticsearchConfig config(String index, int maxRequestBytes) {
        return new ElasticsearchConfig(
                gateway.url(), index, "bearer", TOKEN, 100, maxRequestBytes, Duration.ofSeconds(10));
    }

    private static ElasticsearchConfig config(String index) {
        return config(index, ElasticsearchConfig.DEFAULT_MAX_REQUEST_BYTES);
    }

    @Test
    void insertsUpdatesAndDeletes_applyByPrimaryKey_andADeleteOfNothingSucceeds() throws Exception {
        String index = newIndex("");
        SinkMessage a1 = TestMessages.insert("a", "first", 10, 0, "a");
        SinkMessage b1 = TestMessages.insert("b", "bee", 10, 1, "b");
        SinkMessage a2 = as(TestMessages.insert("a", "second", 11, 0, "a"), Action.UPDATE);
        SinkMessage bGone = as(TestMessages.insert("b", "bee", 12, 0, "b"), Action.DELETE);
        SinkMessage neverThere = as(TestMessages.insert("c", "sea", 12, 1, "c"), Action.DELETE);
        try (ElasticsearchSink sink = new ElasticsearchSink(config(index))) {
            await(sink.deliver(new Batch(List.of(a1, b1, a2, bGone, neverThere))));
        }
        JsonNode a = document(index, "a");
        assertThat(a.path("found").asBoolean()).isTrue();
        JsonNode source = a.path("_source");
        assertThat(source.path("record").path("name").asString()).isEqualTo("second");
        assertThat(source.path("action").asString()).isEqualTo("insert"); // the payload as is (made as an insert)
        assertThat(JSON.readTree(a2.json())).as("the document is the message").isEqualTo(source);
        assertThat(document(index, "b").path("found").asBoolean()).isFalse();
        assertThat(document(index, "c").path("found").asBoolean()).isFalse();
    }

    @Test
    void mappingConflict_rejectsThatDocumentOnly() throws Exception {
        String index = newIndex("{\"properties\":{\"record\":{\"properties\":{\"name\":{\"type\":\"long\"}}}}}");
        SinkMessage good = TestMessages.insert("g", "12", 20, 0, "g");
        SinkMessage bad = TestMessages.insert("x", "not a number", 20, 1, "x");
        SinkMessage after = TestMessages.insert("h", "13", 20, 2, "h");
        try (ElasticsearchSink sink = new ElasticsearchSink(config(index))) {
            SinkException failure = failure(sink.deliver(new Batch(List.of(good, bad, after))));
            assertThat(failure.isPartial()).isTrue();
            assertThat(failure.rejected(1)).isTrue();
            assertThat(failure.toRetry(0)
                            || failure.toRetry(1)
                            || failure.toRetry(2)
                            || failure.rejected(0)
                            || failure.rejected(2))
                    .isFalse();
            assertThat(failure.getMessage())
                    .contains("document _id 'x'", "400", "mapper_parsing_exception")
                    .doesNotContain(TOKEN);
        }
        assertThat(document(index, "g").path("found").asBoolean()).isTrue();
        assertThat(document(index, "h").path("found").asBoolean()).isTrue();
    }

    @Test
    void throttledItem_isRetried_withItsDocumentsLaterActionsHeldBack() throws Exception {
        String index = newIndex("");
        SinkMessage x1 = TestMessages.insert("x", "v1", 30, 0, "x");
        SinkMessage y1 = TestMessages.insert("y", "v1", 30, 1, "y");
        SinkMessage x2 = TestMessages.insert("x", "v2", 30, 2, "x");
        gateway.throttle("x", 1);
        try (ElasticsearchSink sink = new ElasticsearchSink(config(index))) {
            SinkException failure = failure(sink.deliver(new Batch(List.of(x1, y1, x2))));
            assertThat(failure.retriable()).isTrue();
            assertThat(failure.toRetry(0)).as("the throttled one").isTrue();
            assertThat(failure.toRetry(1) || failure.rejected(1))
                    .as("another document")
                    .isFalse();
            assertThat(failure.toRetry(2))
                    .as("held back: applied again after the retry")
                    .isTrue();
            assertThat(failure.getMessage()).contains("429", "es_rejected_execution_exception");
            await(sink.deliver(new Batch(List.of(x1, x2)))); // as the engine retries
        }
        assertThat(document(index, "x")
                        .path("_source")
                        .path("record")
                        .path("name")
                        .asString())
                .isEqualTo("v2");
    }

    @Test
    void requestOverTheNodesContentLength_isSplit_andOnlyTheOversizedDocumentRejected() throws Exception {
        String index = newIndex("");
        SinkMessage small = TestMessages.insert("s1", "small", 40, 0, "s1");
        SinkMessage big = TestMessages.sized("big", OpenSearchNode.MAX_CONTENT_BYTES + 10_000, 40, 1);
        SinkMessage small2 = TestMessages.insert("s2", "small", 40, 2, "s2");
        // The sink's limit is the default 100 MB: the node's 1 MB limit answers 413.
        try (ElasticsearchSink sink = new ElasticsearchSink(config(index))) {
            SinkException failure = failure(sink.deliver(new Batch(List.of(small, big, small2))));
            assertThat(failure.isPartial()).isTrue();
            assertThat(failure.rejected(1)).isTrue();
            assertThat(failure.retriable()).isFalse();
            assertThat(failure.getMessage()).contains("413");
        }
        assertThat(document(index, "s1").path("found").asBoolean()).isTrue();
        assertThat(document(index, "s2").path("found").asBoolean()).isTrue();
        assertThat(document(index, "big").path("found").asBoolean()).isFalse();
    }

    @Test
    void batchOverBatchSize_goesInSeveralRequests_inOrder() throws Exception {
        String index = newIndex("");
        ElasticsearchConfig c =
                new ElasticsearchConfig(gateway.url(), index, "bearer", TOKEN, 2, 1 << 20, Duration.ofSeconds(10));
        try (ElasticsearchSink sink = new ElasticsearchSink(c)) {
            List<SinkMessage> ms = List.of(
                    TestMessages.insert("k", "1", 50, 0, "k"),
                    TestMessages.insert("k", "2", 50, 1, "k"),
                    TestMessages.insert("k", "3", 50, 2, "k"),
                    TestMessages.insert("m", "1", 50, 3, "m"),
                    TestMessages.insert("k", "4", 50, 4, "k"));
            await(sink.deliver(new Batch(ms)));
        }
        assertThat(gateway.indexed(index)).extracting(TestMessages::group).containsExactly("k", "k", "k", "m", "k");
        assertThat(document(index, "k")
                        .path("_source")
                        .path("record")
                        .path("name")
                        .asString())
                .isEqualTo("4");
    }

    @Test
    void routedBatch_goesToTheRoutedIndex_andAnInvalidNameFailsRetriably() throws Exception {
        String index = newIndex("");
        String routed = newIndex("");
        SinkMessage m = TestMessages.insert("r", "routed", 60, 0, "r");
        try (ElasticsearchSink sink = new ElasticsearchSink(config(index))) {
            await(sink.deliver(new Batch(List.of(m.with(m.json(), Map.of("index_name", routed))))));
            SinkException invalid =
                    failure(sink.deliver(new Batch(List.of(m.with(m.json(), Map.of("index_name", "Upper"))))));
            assertThat(invalid.retriable()).isTrue();
            assertThat(invalid.getMessage()).isEqualTo("routing: index_name \"Upper\" must be lowercase, got 'Upper'");
        }
        assertThat(document(routed, "r").path("found").asBoolean()).isTrue();
        assertThat(document(index, "r").path("found").asBoolean()).isFalse();
    }

    @Test
    void authTypes_sendSequinsHeaders() throws Exception {
        String index = newIndex("");
        String basicRaw = "elastic:es-it-pass-0c8e";
        String basicEncoded = Base64.getEncoder().encodeToString(basicRaw.getBytes(StandardCharsets.UTF_8));
        Map<String, String[]> cases = Map.of(
                "ApiKey es-it-key-71f0",
                new String[] {"api_key", "es-it-key-71f0"},
                "Bearer es-it-token-2d4b",
                new String[] {"bearer", "es-it-token-2d4b"},
                "Basic " + basicEncoded,
                new String[] {"basic", basicRaw});
        try {
            for (Map.Entry<String, String[]> e : cases.entrySet()) {
                gateway.expect(e.getKey());
                ElasticsearchConfig c = new ElasticsearchConfig(gateway.url(), index, e.getValue()[0], e.getValue()[1]);
                assertThat(new ElasticsearchProvider().check(c, Duration.ofSeconds(5)))
                        .as(e.getValue()[0])
                        .isEqualTo(CheckResult.OK);
                try (ElasticsearchSink sink = new ElasticsearchSink(c)) {
                    await(sink.deliver(
                            new Batch(List.of(TestMessages.insert("auth", e.getValue()[0], 70, 0, "auth")))));
                }
                assertThat(gateway.authorizations()).last().isEqualTo(e.getKey());
            }
            gateway.expect("Basic " + basicEncoded);
            ElasticsearchConfig preEncoded = new ElasticsearchConfig(gateway.url(), index, "basic", basicEncoded);
            assertThat(new ElasticsearchProvider().check(preEncoded, Duration.ofSeconds(5)))
                    .isEqualTo(CheckResult.OK);
        } finally {
            gateway.expect("Bearer " + TOKEN);
        }
    }

    @Test
    void refusedCredentials_failTheBatchRetriably_andCheckSaysUnauthorized() throws Exception {
        String index = newIndex("");
        ElasticsearchConfig wrong = new ElasticsearchConfig(gateway.url(), index, "bearer", "wrong-es-token-5e");
        assertThat(new ElasticsearchProvider()
                        .check(wrong, Duration.ofSeconds(5))
                        .status())
                .isEqualTo(CheckResult.Status.UNAUTHORIZED);
        try (ElasticsearchSink sink = new ElasticsearchSink(wrong)) {
            SinkException failure = failure(sink.deliver(TestMessages.batch("w", 3)));
            assertThat(failure.isPartial()).isFalse();
            assertThat(failure.retriable()).isTrue();
            assertThat(failure.getMessage())
                    .contains("401", "security_exception")
                    .doesNotContain("wrong-es-token-5e");
        }
    }

    @Test
    void deliverTraced_showsTheBulkCall_withoutCredentials() throws Exception {
        String index = newIndex("");
        try (ElasticsearchSink sink = new ElasticsearchSink(config(index))) {
            Sink.Exchange e = sink.deliverTraced(TestMessages.batch("t", 2))
                    .toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
            assertThat(e).isNotNull();
            assertThat(e.request())
                    .isEqualTo("POST " + gateway.url() + "/" + index + "/_bulk (2 entries)")
                    .doesNotContain(TOKEN);
            assertThat(e.response()).isEqualTo("200");
        }
    }

    @Test
    void check_missingIndex_isNotFound() {
        CheckResult result = new ElasticsearchProvider().check(config("no-such-index"), Duration.ofSeconds(5));
        assertThat(result.status()).as(result.detail()).isEqualTo(CheckResult.Status.NOT_FOUND);
        assertThat(result.detail()).contains("no-such-index", "does not exist");
    }

    @Test
    void directlyAgainstOpenSearch_withoutAuth_works() throws Exception {
        String index = newIndex("");
        ElasticsearchConfig c = new ElasticsearchConfig(node.url(), index, "api_key", null);
        assertThat(new ElasticsearchProvider().check(c, Duration.ofSeconds(5))).isEqualTo(CheckResult.OK);
        try (ElasticsearchSink sink = new ElasticsearchSink(c)) {
            await(sink.deliver(TestMessages.batch("d", 3)));
        }
        assertThat(document(index, "d2").path("found").asBoolean()).isTrue();
    }

    // ---- helpers

    private static JsonNode document(String index, String id) throws Exception {
        HttpResponse<String> r = node.send("GET", "/" + index + "/_doc/" + id, "");
        return JSON.readTree(r.body());
    }

    private static SinkMessage as(SinkMessage m, Action action) {
        return new SinkMessage(
                m.position(), m.table(), action, m.committedAt(), m.json(), m.groupId(), m.idempotencyKey());
    }

    private static void await(CompletionStage<Void> stage) throws Exception {
        stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    private static SinkException failure(CompletionStage<Void> stage) {
        ExecutionException e = assertThrows(
                ExecutionException.class, () -> stage.toCompletableFuture().get(60, TimeUnit.SECONDS));
        assertThat(e.getCause()).isInstanceOf(SinkException.class);
        return (SinkException) e.getCause();
    }
}
