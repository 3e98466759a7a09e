package dev.sluice.engine;

import static dev.sluice.engine.PipelineTestSupport.await;
import static dev.sluice.engine.PipelineTestSupport.awaitAcknowledged;
import static dev.sluice.engine.PipelineTestSupport.awaitStreaming;
import static dev.sluice.engine.PipelineTestSupport.currentWal;
import static dev.sluice.engine.PipelineTestSupport.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Action;
import dev.sluice.core.Position;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.postgres.replication.SourceSettings;
import dev.sluice.testkit.TestPostgres;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * TRUNCATE from a real slot: decoded into one {@code truncate} message per table, delivered in order with the rows
 * before and after it (in its own transaction and in others), only to a sink whose actions include it.
 */
class DatabasePipelineTruncateIT {
    private static final TestPostgres PG = TestPostgres.shared();
    private static final RetryPolicy FAST_RECONNECT = new RetryPolicy(Duration.ofMillis(50), Duration.ofMillis(200), 0);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private String db;
    private String slot;
    private @Nullable DatabasePipeline pipeline;

    @BeforeEach
    void setUp() {
        db = PG.createDatabase("trunc");
        slot = "slot_" + db;
        PG.execute(
                db,
                "CREATE TABLE items (id int PRIMARY KEY)",
                "CREATE TABLE parent (id serial PRIMARY KEY)",
                "CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent)");
    }

    @AfterEach
    void tearDown() {
        if (pipeline != null) {
            pipeline.close();
        }
        PipelineTestSupport.dropSlot(PG, db, slot);
    }

    @Test
    void truncate_isDeliveredInOrder_onlyToASinkThatTakesIt_oneMessagePerTable() throws Exception {
        FakeSink takesTruncates = new FakeSink();
        FakeSink rowsOnly = new FakeSink();
        SourceSettings settings = new SourceSettings(
                "localhost", PG.port(), db, "postgres", null, false, false, slot, "pub_" + db, true, true);
        pipeline = new DatabasePipeline(db, settings, FAST_RECONNECT, lsn -> {});
        pipeline.addSink(spec("t", "with-truncate", SinkState.ACTIVE, 3, EnumSet.allOf(Action.class)), takesTruncates);
        pipeline.addSink(
                spec("r", "rows-only", SinkState.ACTIVE, 3, EnumSet.of(Action.INSERT, Action.UPDATE, Action.DELETE)),
                rowsOnly);
        pipeline.start();
        awaitStreaming(pipeline);

        PG.execute(
                db,
                "INSERT INTO items SELECT g FROM generate_series(1, 5) g",
                "BEGIN; INSERT INTO items VALUES (6); TRUNCATE items; INSERT INTO items VALUES (7); COMMIT",
                "INSERT INTO items VALUES (8)",
                "INSERT INTO parent VALUES (1)",
                "INSERT INTO child VALUES (1, 1)",
                "TRUNCATE parent, child RESTART IDENTITY");
        awaitAcknowledged(pipeline, currentWal(PG, db));

        List<String> all = labels(takesTruncates);
        assertThat(all)
                .as("the truncate after every earlier row of its table, before every later one")
                .containsSubsequence("items:1", "items:TRUNCATE", "items:7")
                .containsSubsequence("items:6", "items:TRUNCATE", "items:8")
                .containsSubsequence("child:1", "parent:TRUNCATE")
                .containsSubsequence("child:1", "child:TRUNCATE")
                .hasSize(13);
        for (int i = 1; i <= 6; i++) {
            assertThat(all.indexOf("items:" + i)).isLessThan(all.indexOf("items:TRUNCATE"));
        }
        assertThat(labels(rowsOnly))
                .containsExactlyInAnyOrder(
                        "items:1",
                        "items:2",
                        "items:3",
                        "items:4",
                        "items:5",
                        "items:6",
                        "items:7",
                        "items:8",
                        "parent:1",
                        "child:1");

        List<SinkMessage> statement = messages(takesTruncates).stream()
                .filter(m -> m.action() == Action.TRUNCATE && !m.table().name().equals("items"))
                .toList();
        assertThat(statement).extracting(m -> m.table().name()).containsExactlyInAnyOrder("parent", "child");
        Position first = statement.getFirst().position();
        assertThat(statement.getLast().position())
                .as("one statement: one transaction, consecutive commit indexes")
                .isEqualTo(new Position(first.commitLsn(), first.commitIdx() + 1));
        for (SinkMessage m : statement) {
            JsonNode json = JSON.readTree(m.json());
            assertThat(json.get("action").asString()).isEqualTo("truncate");
            assertThat(json.get("record").size()).isZero();
            assertThat(json.get("changes").isNull()).isTrue();
            JsonNode meta = json.get("metadata");
            assertThat(meta.get("table_name").asString()).isEqualTo(m.table().name());
            assertThat(meta.get("commit_lsn").asLong()).isEqualTo(m.position().commitLsn());
            assertThat(meta.get("idempotency_key").asString())
                    .isEqualTo(m.position().idempotencyKey());
            assertThat(meta.get("truncate_options").toString()).isEqualTo("[\"restart_identity\"]");
        }
    }

    private static List<SinkMessage> messages(FakeSink sink) {
        List<SinkMessage> out = new ArrayList<>();
        for (Batch b : sink.delivered) {
            out.addAll(b.messages());
        }
        return out;
    }

    /** {@code table:id} or {@code table:TRUNCATE}, in delivery order. */
    private static List<String> labels(FakeSink sink) {
        await("deliveries").until(() -> !sink.delivered.isEmpty());
        List<String> out = new ArrayList<>();
        for (SinkMessage m : messages(sink)) {
            String what = m.action() == Action.TRUNCATE ? "TRUNCATE" : FakeSink.column(m, "id");
            out.add(m.table().name() + ":" + what);
        }
        return out;
    }
}
