package dev.sluice.sink.meilisearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.core.Action;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.testkit.TestMessages;
import dev.sluice.testkit.fakes.FakeMeilisearch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What is specific to Meilisearch, against {@link FakeMeilisearch}: tasks, runs, document errors, routing. */
class MeilisearchSinkIT {
    private static final String KEY = "sink-it-meilisearch-key-7b15";
    private FakeMeilisearch meili;
    private final List<MeilisearchSink> sinks = new ArrayList<>();

    @BeforeEach
    void start() {
        meili = FakeMeilisearch.start(KEY);
        meili.createIndex("orders", "id");
    }

    @AfterEach
    void stop() {
        sinks.forEach(MeilisearchSink::close);
        meili.close();
    }

    private MeilisearchSink sink(String index, String key, int batchSize) {
        MeilisearchSink s =
                new MeilisearchSink(MeilisearchConfig.of(meili.url().toString(), index, null, key, batchSize, 3));
        sinks.add(s);
        return s;
    }

    private MeilisearchSink sink() {
        return sink("orders", KEY, 100);
    }

    private static void deliver(MeilisearchSink sink, List<SinkMessage> messages) throws Exception {
        sink.deliver(new Batch(messages)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static SinkException failure(MeilisearchSink sink, List<SinkMessage> messages) {
        try {
            sink.deliver(new Batch(messages)).toCompletableFuture().join();
        } catch (CompletionException e) {
            return (SinkException) e.getCause();
        }
        throw new AssertionError("the delivery succeeded");
    }

    private static SinkMessage insert(String id, String name, int idx) {
        return TestMessages.insert(id, name, idx);
    }

    private static SinkMessage delete(String id, int idx) {
        SinkMessage m = TestMessages.insert(id, "", idx);
        return new SinkMessage(
                m.position(), m.table(), Action.DELETE, m.committedAt(), m.json(), m.groupId(), m.idempotencyKey());
    }

    private static SinkMessage routed(SinkMessage m, Map<String, Object> routing) {
        return m.with(m.json(), routing);
    }

    private List<String> writes(String index) {
        return meili.writes(index).stream().map(w -> w.action() + " " + w.id()).toList();
    }

    @Test
    void deliver_addsAndDeletes_inBatchOrder_oneTaskPerRun_eachWaitedFor() throws Exception {
        deliver(
                sink(),
                List.of(insert("a", "1", 0), insert("b", "1", 1), delete("a", 2), delete("c", 3), insert("a", "2", 4)));

        assertThat(writes("orders")).containsExactly("add a", "add b", "delete a", "add a");
        assertThat(meili.documents("orders").get("a")).contains("\"name\":\"2\"");
        assertThat(meili.tasks())
                .containsExactly(
                        "0 documentAdditionOrUpdate succeeded",
                        "1 documentDeletion succeeded",
                        "2 documentAdditionOrUpdate succeeded");
    }

    @Test
    void deliver_waitsForTheTask_untilItSucceeds() {
        meili.pauseTasks(true);
        CompletableFuture<Void> done =
                sink().deliver(new Batch(List.of(insert("a", "", 0)))).toCompletableFuture();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> meili.tasks().contains("0 documentAdditionOrUpdate enqueued"));
        assertThat(done).isNotDone();

        meili.pauseTasks(false);

        await().atMost(Duration.ofSeconds(10)).until(done::isDone);
        assertThat(done).isCompleted();
        assertThat(meili.documents("orders")).containsOnlyKeys("a");
    }

    @Test
    void deliver_splitsRequestsAtBatchSize() throws Exception {
        deliver(
                sink("orders", KEY, 2),
                List.of(
                        insert("a", "", 0),
                        insert("b", "", 1),
                        insert("c", "", 2),
                        insert("d", "", 3),
                        insert("e", "", 4)));
        assertThat(meili.tasks()).hasSize(3);
        assertThat(meili.documents("orders")).containsOnlyKeys("a", "b", "c", "d", "e");
    }

    @Test
    void deliver_taskFailedByOneDocument_rejectsOnlyThatDocument() {
        meili.failDocuments(
                d -> d.path("name").asString("").equals("bad"),
                "invalid_document_geo_field",
                "The `_geo` field in the document with the id: `b` is not an object.");
        List<SinkMessage> batch = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            batch.add(insert("r" + i, i == 4 ? "bad" : "ok", i));
        }
        SinkException e = failure(sink(), batch);

        assertThat(List.of(0, 1, 2, 3, 4, 5)).filteredOn(e::rejected).containsExactly(4);
        assertThat(List.of(0, 1, 2, 3, 4, 5)).filteredOn(e::toRetry).isEmpty();
        assertThat(e.getMessage()).contains("invalid_document_geo_field").doesNotContain(KEY);
        assertThat(meili.documents("orders")).containsOnlyKeys("r0", "r1", "r2", "r3", "r5");
    }

    @Test
    void deliver_invalidId_isRejectedBeforeSending_whileTheRestGoes() {
        SinkException e = failure(sink(), List.of(insert("a", "", 0), insert("not valid", "", 1), insert("b", "", 2)));
        assertThat(e.rejected(1)).isTrue();
        assertThat(e.toRetry(0) || e.toRetry(2)).isFalse();
        assertThat(meili.documents("orders")).containsOnlyKeys("a", "b");
        assertThat(meili.tasks()).hasSize(1);
    }

    @Test
    void deliver_taskFailedForTheIndex_failsTheBatchRetriably() {
        meili.createIndex("by-sku", "sku");
        SinkException e = failure(sink("by-sku", KEY, 100), List.of(insert("a", "", 0)));
        assertThat(e.retriable()).isTrue();
        assertThat(e.isPartial()).isFalse();
        assertThat(e.getMessage()).contains("index_primary_key_already_exists");
    }

    @Test
    void deliver_laterMessagesOfADocumentWhoseChangeFailed_areRetriedToo() {
        meili.createIndex("by-sku", "sku");
        MeilisearchSink s = sink("by-sku", KEY, 100);
        SinkException e = failure(s, List.of(insert("a", "", 0), delete("a", 1)));
        assertThat(e.retriable()).isTrue();
        assertThat(e.toRetry(0) && e.toRetry(1)).isTrue();
        assertThat(writes("by-sku")).isEmpty();
    }

    @Test
    void deliver_deleteFromAMissingIndex_succeeds() throws Exception {
        deliver(sink("never-made", KEY, 100), List.of(delete("a", 0)));
        assertThat(meili.tasks()).containsExactly("0 documentDeletion failed");
    }

    @Test
    void deliver_badKey_andThrottling_failRetriably_withoutShowingAKey() {
        SinkException bad = failure(sink("orders", "wrong-" + KEY, 100), List.of(insert("a", "", 0)));
        assertThat(bad.retriable()).isTrue();
        assertThat(bad.getMessage())
                .contains("HTTP 403")
                .contains("invalid_api_key")
                .doesNotContain(KEY);

        meili.throttle(503);
        SinkException busy = failure(sink(), List.of(insert("a", "", 0)));
        assertThat(busy.retriable()).isTrue();
        assertThat(busy.getMessage()).contains("HTTP 503");
    }

    @Test
    void deliver_tooLargeRequest_isSplit_andOnlyTheTooLargeDocumentRejected() {
        meili.maxPayloadBytes(2_000);
        List<SinkMessage> batch = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            batch.add(insert("r" + i, i == 2 ? "x".repeat(3_000) : "y".repeat(300), i));
        }
        SinkException e = failure(sink(), batch);

        assertThat(List.of(0, 1, 2, 3, 4, 5, 6, 7)).filteredOn(e::rejected).containsExactly(2);
        assertThat(e.getMessage()).contains("payload_too_large");
        assertThat(meili.documents("orders")).containsOnlyKeys("r0", "r1", "r3", "r4", "r5", "r6", "r7");
    }

    @Test
    void deliver_routing_picksTheIndexAndTheAction() throws Exception {
        meili.createIndex("archive", "id");
        MeilisearchSink s = sink();
        deliver(s, List.of(routed(insert("a", "", 0), Map.of("index_name", "archive", "action", "index"))));
        assertThat(meili.documents("archive")).containsOnlyKeys("a");
        deliver(s, List.of(routed(insert("a", "", 1), Map.of("index_name", "archive", "action", "delete"))));
        assertThat(meili.documents("archive")).isEmpty();
        assertThat(meili.documents("orders")).isEmpty();
    }

    @Test
    void deliver_functionAction_editsTheFilteredDocuments_oncePerMessage() throws Exception {
        MeilisearchSink s = sink();
        deliver(s, List.of(insert("p1", "page", 0)));
        meili.editFunction((doc, context) ->
                doc.put("views", doc.path("views").asInt(0) + context.path("by").asInt()));
        Map<String, Object> route = Map.of(
                "action",
                "function",
                "filter",
                "id = 'p1'",
                "function",
                "doc.views += context.by",
                "context",
                Map.of("by", 2));

        deliver(s, List.of(routed(insert("v1", "", 1), route), routed(insert("v2", "", 2), route)));

        assertThat(meili.documents("orders").get("p1")).contains("\"views\":4");
        assertThat(meili.tasks())
                .filteredOn(t -> t.contains("documentEdition succeeded"))
                .hasSize(2);
    }

    @Test
    void deliver_invalidRouting_failsTheBatchRetriably() {
        MeilisearchSink s = sink();
        assertThatThrownBy(() -> s.deliver(new Batch(List.of(routed(insert("a", "", 0), Map.of("action", "function")))))
                        .toCompletableFuture()
                        .join())
                .cause()
                .isInstanceOfSatisfying(SinkException.class, e -> {
                    assertThat(e.retriable()).isTrue();
                    assertThat(e.getMessage()).startsWith("routing: filter null must be a string");
                });
        assertThatThrownBy(() -> s.deliver(new Batch(List.of(routed(insert("a", "", 0), Map.of("index_name", "a b")))))
                        .toCompletableFuture()
                        .join())
                .cause()
                .hasMessageStartingWith("routing: index_name \"a b\" may contain only");
        assertThatThrownBy(() -> s.deliver(new Batch(List.of(routed(insert("a", "", 0), Map.of("action", "upsert")))))
                        .toCompletableFuture()
                        .join())
                .cause()
                .hasMessage("routing: action \"upsert\" must be \"index\", \"delete\" or \"function\"");
    }

    @Test
    void check_classifiesTheAnswer() {
        MeilisearchProvider provider = new MeilisearchProvider();
        Duration t = Duration.ofSeconds(3);
        String url = meili.url().toString();
        assertThat(provider.check(MeilisearchConfig.of(url, "orders", null, KEY, null, null), t))
                .isEqualTo(CheckResult.OK);
        CheckResult missing = provider.check(MeilisearchConfig.of(url, "nope", null, KEY, null, null), t);
        assertThat(missing.status()).isEqualTo(CheckResult.Status.NOT_FOUND);
        assertThat(missing.detail()).contains("'nope'").contains("index_not_found");
        CheckResult bad = provider.check(MeilisearchConfig.of(url, "orders", null, "bad-" + KEY, null, null), t);
        assertThat(bad.status()).isEqualTo(CheckResult.Status.UNAUTHORIZED);
        assertThat(bad.detail()).doesNotContain(KEY);
        meili.createIndex("by-sku", "sku");
        CheckResult otherKey = provider.check(MeilisearchConfig.of(url, "by-sku", null, KEY, null, null), t);
        assertThat(otherKey.status()).isEqualTo(CheckResult.Status.FAILED);
        assertThat(otherKey.detail()).contains("'sku'");
    }
}
