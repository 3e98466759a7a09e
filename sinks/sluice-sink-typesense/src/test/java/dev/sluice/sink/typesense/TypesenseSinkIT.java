package dev.sluice.sink.typesense;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.Action;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.testkit.TestMessages;
import dev.sluice.testkit.fakes.FakeTypesense;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What is specific to Typesense, against {@link FakeTypesense}: runs, per-line failures, routing, statuses. */
class TypesenseSinkIT {
    private static final String KEY = "sink-it-typesense-key-0c2e";
    private FakeTypesense typesense;
    private final List<TypesenseSink> sinks = new ArrayList<>();

    @BeforeEach
    void start() {
        typesense = FakeTypesense.start(KEY);
        typesense.createCollection("orders");
    }

    @AfterEach
    void stop() {
        sinks.forEach(TypesenseSink::close);
        typesense.close();
    }

    private TypesenseSink sink(String key, int batchSize) {
        TypesenseSink s =
                new TypesenseSink(TypesenseConfig.of(typesense.url().toString(), "orders", key, batchSize, 3));
        sinks.add(s);
        return s;
    }

    private TypesenseSink sink() {
        return sink(KEY, 40);
    }

    private static void deliver(TypesenseSink sink, List<SinkMessage> messages) throws Exception {
        sink.deliver(new Batch(messages)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static SinkException failure(TypesenseSink sink, List<SinkMessage> messages) {
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

    private List<String> writes() {
        return typesense.writes("orders").stream()
                .map(w -> w.action() + " " + w.id() + (w.document() == null ? "" : " " + w.document()))
                .toList();
    }

    @Test
    void deliver_upsertsAndDeletes_inBatchOrder_asRunsOfImportsAndSingleDeletes() throws Exception {
        deliver(
                sink(),
                List.of(insert("a", "1", 0), insert("b", "1", 1), delete("a", 2), insert("a", "2", 3), delete("c", 4)));

        assertThat(writes())
                .containsExactly(
                        "upsert a {\"id\":\"a\",\"name\":\"1\",\"seq\":null}",
                        "upsert b {\"id\":\"b\",\"name\":\"1\",\"seq\":null}",
                        "delete a",
                        "upsert a {\"id\":\"a\",\"name\":\"2\",\"seq\":null}");
        assertThat(typesense.documents("orders")).containsOnlyKeys("a", "b");
        assertThat(typesense.requests())
                .extracting(r -> r.replaceAll("\\?.*", ""))
                .containsExactly(
                        "POST /collections/orders/documents/import",
                        "DELETE /collections/orders/documents/a",
                        "POST /collections/orders/documents/import",
                        "DELETE /collections/orders/documents/c");
        assertThat(typesense.requests().getFirst()).endsWith("?action=upsert");
    }

    @Test
    void deliver_splitsImportsAtBatchSize() throws Exception {
        deliver(
                sink(KEY, 2),
                List.of(
                        insert("a", "", 0),
                        insert("b", "", 1),
                        insert("c", "", 2),
                        insert("d", "", 3),
                        insert("e", "", 4)));

        assertThat(typesense.requests()).hasSize(3);
        assertThat(typesense.documents("orders")).containsOnlyKeys("a", "b", "c", "d", "e");
    }

    @Test
    void deliver_failedLines_leaveOnlyThemToRetry_andTheSameIdsLaterMessagesToo() {
        typesense.rejectDocuments(d -> d.path("name").asString("").equals("bad"), "Field `name` must be an int32.");
        List<SinkMessage> batch = List.of(
                insert("a", "ok", 0),
                insert("b", "bad", 1),
                insert("c", "ok", 2),
                insert("b", "ok", 3),
                delete("b", 4),
                insert("d", "ok", 5));

        SinkException e = failure(sink(), batch);

        assertThat(e.isPartial()).isTrue();
        assertThat(e.retriable()).isTrue();
        assertThat(List.of(0, 1, 2, 3, 4, 5)).filteredOn(e::toRetry).containsExactly(1, 3, 4);
        assertThat(e.getMessage())
                .contains("document 'b'")
                .contains("must be an int32")
                .doesNotContain(KEY);
        assertThat(typesense.documents("orders")).containsOnlyKeys("a", "b", "c", "d");
        assertThat(writes()).noneMatch(w -> w.startsWith("delete"));
    }

    @Test
    void deliver_deleteOfAMissingDocument_succeeds() throws Exception {
        deliver(sink(), List.of(delete("never-there", 0)));
        assertThat(typesense.documents("orders")).isEmpty();
    }

    @Test
    void deliver_messageWithoutADocument_isRejected_whileTheRestGoes() {
        SinkMessage noId = insert("x", "", 1).with("{\"title\":\"no id\"}".getBytes(), null);
        SinkException e = failure(sink(), List.of(insert("a", "", 0), noId, insert("b", "", 2)));

        assertThat(e.rejected(1)).isTrue();
        assertThat(e.toRetry(0) || e.toRetry(2)).isFalse();
        assertThat(e.getMessage()).contains("has no id");
        assertThat(typesense.documents("orders")).containsOnlyKeys("a", "b");
    }

    @Test
    void deliver_badKey_failsTheBatchRetriably_withoutShowingAKey() {
        SinkException e = failure(sink("wrong-" + KEY, 40), List.of(insert("a", "", 0)));
        assertThat(e.retriable()).isTrue();
        assertThat(e.isPartial()).isFalse();
        assertThat(e.getMessage()).contains("HTTP 401").contains("api_key").doesNotContain(KEY);
    }

    @Test
    void deliver_missingCollection_failsTheBatchRetriably() {
        TypesenseSink s = new TypesenseSink(TypesenseConfig.of(typesense.url().toString(), "nope", KEY, null, 3));
        sinks.add(s);
        SinkException e = failure(s, List.of(insert("a", "", 0)));
        assertThat(e.retriable()).isTrue();
        assertThat(e.getMessage()).contains("HTTP 404").contains("'nope'");
    }

    @Test
    void deliver_throttled_failsRetriably_thenGoesThrough() throws Exception {
        TypesenseSink s = sink();
        for (int status : new int[] {429, 503}) {
            typesense.throttle(status);
            SinkException e = failure(s, List.of(insert("a", "", 0)));
            assertThat(e.retriable()).isTrue();
            assertThat(e.getMessage()).contains("HTTP " + status);
        }
        typesense.throttle(0);
        deliver(s, List.of(insert("a", "", 0)));
        assertThat(typesense.documents("orders")).containsOnlyKeys("a");
    }

    @Test
    void deliver_tooLargeRequest_isSplit_andOnlyTheTooLargeDocumentRejected() {
        typesense.maxPayloadBytes(2_000);
        List<SinkMessage> batch = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            batch.add(insert("r" + i, i == 5 ? "x".repeat(3_000) : "y".repeat(300), i));
        }
        SinkException e = failure(sink(), batch);

        assertThat(List.of(0, 1, 2, 3, 4, 5, 6, 7)).filteredOn(e::rejected).containsExactly(5);
        assertThat(List.of(0, 1, 2, 3, 4, 5, 6, 7)).filteredOn(e::toRetry).isEmpty();
        assertThat(e.getMessage()).contains("too large");
        assertThat(typesense.documents("orders")).containsOnlyKeys("r0", "r1", "r2", "r3", "r4", "r6", "r7");
    }

    @Test
    void deliver_routing_picksTheCollectionAndTheAction() throws Exception {
        typesense.createCollection("archive");
        TypesenseSink s = sink();
        deliver(s, List.of(routed(insert("a", "", 0), Map.of("collection_name", "archive", "action", "index"))));
        assertThat(typesense.documents("archive")).containsOnlyKeys("a");
        assertThat(typesense.documents("orders")).isEmpty();

        deliver(s, List.of(routed(insert("a", "", 1), Map.of("collection_name", "archive", "action", "delete"))));
        assertThat(typesense.documents("archive")).isEmpty();
    }

    @Test
    void deliver_invalidRouting_failsTheBatchRetriably() {
        TypesenseSink s = sink();
        assertThatThrownBy(() -> s.deliver(new Batch(List.of(routed(insert("a", "", 0), Map.of("action", "upsert")))))
                        .toCompletableFuture()
                        .join())
                .cause()
                .isInstanceOfSatisfying(SinkException.class, e -> {
                    assertThat(e.retriable()).isTrue();
                    assertThat(e.getMessage()).isEqualTo("routing: action \"upsert\" must be \"index\" or \"delete\"");
                });
        assertThatThrownBy(() -> s.deliver(
                                new Batch(List.of(routed(insert("a", "", 0), Map.of("collection_name", "")))))
                        .toCompletableFuture()
                        .join())
                .cause()
                .hasMessageStartingWith("routing: collection_name \"\" is required");
    }

    @Test
    void check_classifiesTheAnswer() {
        TypesenseProvider provider = new TypesenseProvider();
        Duration t = Duration.ofSeconds(3);
        String url = typesense.url().toString();
        assertThat(provider.check(TypesenseConfig.of(url, "orders", KEY, null, null), t))
                .isEqualTo(CheckResult.OK);
        CheckResult missing = provider.check(TypesenseConfig.of(url, "nope", KEY, null, null), t);
        assertThat(missing.status()).isEqualTo(CheckResult.Status.NOT_FOUND);
        assertThat(missing.detail()).contains("'nope'");
        CheckResult bad = provider.check(TypesenseConfig.of(url, "orders", "bad-" + KEY, null, null), t);
        assertThat(bad.status()).isEqualTo(CheckResult.Status.UNAUTHORIZED);
        assertThat(bad.detail()).doesNotContain(KEY);
        typesense.throttle(503);
        assertThat(provider.check(TypesenseConfig.of(url, "orders", KEY, null, null), t)
                        .status())
                .isEqualTo(CheckResult.Status.FAILED);
    }
}
