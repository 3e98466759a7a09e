package dev.sluice.bench.jmh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Action;
import dev.sluice.core.Change;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Insert;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Update;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/** Runs each benchmark body once, outside JMH, and checks it computes what its Javadoc says. */
class BenchmarksTest {
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    @Test
    void benchmarkRowFramesHaveTheDocumentedShape() {
        assertThat(BenchRow.insertFrame()).hasSize(284);
        assertThat(BenchRow.ROW[1]).hasSize(40);
        assertThat(BenchRow.UPDATED_ROW[1]).hasSize(40);
        assertThat(JSON.readTree(BenchRow.ROW[4]).isObject()).isTrue();
    }

    @Test
    void decodeBenchmarkDecodesAnInsertAndUpdates() {
        DecodeBenchmark b = new DecodeBenchmark();
        b.setUp();

        assertThat(b.insert()).isInstanceOfSatisfying(Insert.class, i -> {
            assertThat(i.relationId()).isEqualTo(BenchRow.RELATION_ID);
            assertThat(i.newTuple().text(1)).isEqualTo(BenchRow.ROW[1]);
        });
        assertThat(b.update())
                .isInstanceOfSatisfying(
                        Update.class, u -> assertThat(u.oldTuple()).isNull());
        assertThat(b.updateFull()).isInstanceOfSatisfying(Update.class, u -> {
            assertThat(u.oldKind()).isEqualTo('O');
            assertThat(u.newTuple().text(6)).isEqualTo(BenchRow.UPDATED_ROW[6]);
        });
        // the buffer is left as it was, so the next invocation decodes the same frame
        assertThat(b.insert()).isEqualTo(b.insert());
    }

    @Test
    void valueMappingBenchmarkWritesTheRowAsJson() {
        ValueMappingBenchmark b = new ValueMappingBenchmark();
        b.setUp();

        int size = b.row();
        JsonNode row = JSON.readTree(b.written());
        assertThat(size).isEqualTo(b.written().length());
        assertThat(row.get("id").isNumber()).isTrue();
        assertThat(row.get("id").asLong()).isEqualTo(1234567);
        assertThat(row.get("string_field").asString()).isEqualTo(BenchRow.ROW[1]);
        assertThat(row.get("numeric_field").asString()).isEqualTo("48213.2763");
        assertThat(row.get("timestamp_field").asString()).isEqualTo("2024-05-06T07:08:09.123456Z");
        assertThat(row.get("json_field").get("nested").get("c").asDouble()).isEqualTo(1.5);
        assertThat(row.get("inserted_at").asString()).startsWith("2024-05-06T07:08:09.123456");

        b.int4();
        assertThat(b.written()).isEqualTo("1234567");
        b.text();
        assertThat(b.written()).isEqualTo('"' + BenchRow.ROW[1] + '"');
        b.numeric();
        assertThat(b.written()).isEqualTo("\"48213.2763\"");
        b.timestamptz();
        assertThat(b.written()).isEqualTo("\"2024-05-06T07:08:09.123456Z\"");
        b.timestamptzUnixMicros();
        assertThat(b.written()).isEqualTo("1714979289123456");
        b.jsonb();
        assertThat(JSON.readTree(b.written())).isEqualTo(JSON.readTree(BenchRow.ROW[4]));
    }

    @Test
    void routeBenchmarkAcceptsTheBenchmarkTable() {
        RouteBenchmark b = new RouteBenchmark();
        b.setUp();

        assertThat(b.filterMatch()).isTrue();
        assertThat(b.filterMiss()).isFalse();
        assertThat(b.accepts()).isTrue();
        // sink 3 takes deletes of other tables only
        assertThat(b.acceptsThreeSinks()).isEqualTo(2);
    }

    @Test
    void encodeBenchmarkWritesTheExpectedMessages() {
        EncodeBenchmark b = new EncodeBenchmark();
        b.setUp();

        JsonNode insert = JSON.readTree(b.insert());
        assertThat(insert.get("action").asString()).isEqualTo("insert");
        assertThat(insert.get("changes").isNull()).isTrue();
        assertThat(insert.get("record").get("id").asLong()).isEqualTo(1234567);
        assertThat(insert.get("metadata").get("table_name").asString()).isEqualTo(BenchRow.TABLE);
        assertThat(insert.get("metadata").get("record_pks").get(0).asString()).isEqualTo("1234567");

        JsonNode update = JSON.readTree(b.update());
        assertThat(update.get("action").asString()).isEqualTo("update");
        assertThat(update.get("record").get("string_field").asString()).isEqualTo(BenchRow.UPDATED_ROW[1]);
        assertThat(update.get("changes").propertyNames())
                .containsExactlyInAnyOrder("string_field", "numeric_field", "updated_at");
        assertThat(update.get("changes").get("string_field").asString()).isEqualTo(BenchRow.ROW[1]);

        assertThat(b.insertOneOff()).isEqualTo(b.insert());
        assertThat(b.idempotencyKey()).isEqualTo(BenchRow.POSITION.idempotencyKey());
    }

    @Test
    void hotPathTurnsFramesIntoMessages() {
        HotPathBenchmark b = new HotPathBenchmark();
        b.setUp();

        JsonNode insert = JSON.readTree(b.insert());
        assertThat(insert.get("action").asString()).isEqualTo("insert");
        assertThat(insert.get("record").get("json_field").get("tag").asString()).isEqualTo("bench-run");
        assertThat(insert.get("metadata").get("commit_idx").asInt()).isZero();

        JsonNode update = JSON.readTree(b.update());
        assertThat(update.get("action").asString()).isEqualTo("update");
        assertThat(update.get("changes").isEmpty()).isTrue();
        assertThat(update.get("metadata").get("commit_idx").asInt()).isEqualTo(1);

        Change assembled = b.assembleInsert();
        assertThat(assembled.action()).isEqualTo(Action.INSERT);
        assertThat(assembled.record()).containsExactly(BenchRow.ROW);
        assertThat(assembled.position().commitIdx()).isEqualTo(2);
    }
}
