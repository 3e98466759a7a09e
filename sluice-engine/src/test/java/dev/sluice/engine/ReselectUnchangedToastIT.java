package dev.sluice.engine;

import static dev.sluice.engine.PipelineTestSupport.await;
import static dev.sluice.engine.PipelineTestSupport.awaitAcknowledged;
import static dev.sluice.engine.PipelineTestSupport.awaitStreaming;
import static dev.sluice.engine.PipelineTestSupport.currentWal;
import static dev.sluice.engine.PipelineTestSupport.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Action;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.postgres.replication.SourceSettings;
import dev.sluice.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code reselect_unchanged_toast} on a real TOAST value (stored out of line, uncompressed): an update that leaves it
 * unchanged carries the placeholder without the option, the current value with it, and the placeholder again when the
 * row is gone by the time the message goes out.
 */
class ReselectUnchangedToastIT {
    private static final TestPostgres PG = TestPostgres.shared();
    private static final RetryPolicy FAST_RECONNECT = new RetryPolicy(Duration.ofMillis(50), Duration.ofMillis(200), 0);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Set<Action> ROWS = EnumSet.of(Action.INSERT, Action.UPDATE, Action.DELETE);

    private String db;
    private String slot;
    private @Nullable DatabasePipeline pipeline;

    @BeforeEach
    void setUp() {
        db = PG.createDatabase("toast");
        slot = "slot_" + db;
        PG.execute(
                db,
                "CREATE TABLE docs (id int, part text, body text, n int, PRIMARY KEY (id, part))",
                "ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL",
                // 9,600 characters of md5 digests: over the TOAST threshold, stored out of line as they are.
                "INSERT INTO docs SELECT i, 'p', (SELECT string_agg(md5(i::text || g::text), '')"
                        + " FROM generate_series(1, 300) g), 0 FROM generate_series(1, 3) i");
    }

    @AfterEach
    void tearDown() {
        if (pipeline != null) {
            pipeline.close();
        }
        PipelineTestSupport.dropSlot(PG, db, slot);
    }

    @Test
    void unchangedToast_isFilledFromTheSourceWithTheOption_andStaysAPlaceholderWithoutIt_orWhenTheRowIsGone()
            throws Exception {
        FakeSink plain = new FakeSink();
        FakeSink reselecting = new FakeSink();
        SinkSpec plainSpec = spec("p", "plain", SinkState.PAUSED, 10, ROWS);
        SinkSpec reselectSpec =
                spec("r", "reselecting", SinkState.PAUSED, 10, ROWS).withReselectUnchangedToast(true);
        SourceSettings settings = new SourceSettings(
                "localhost", PG.port(), db, "postgres", null, false, false, slot, "pub_" + db, true, true);
        pipeline = new DatabasePipeline(db, settings, FAST_RECONNECT, lsn -> {});
        pipeline.addSink(plainSpec, plain);
        pipeline.addSink(reselectSpec, reselecting);
        pipeline.start();
        awaitStreaming(pipeline);

        // Paused, both sinks hold the updates until the row 2 is deleted: it is gone when they go out.
        PG.execute(db, "UPDATE docs SET n = 1", "DELETE FROM docs WHERE id = 2");
        await("the changes queued")
                .until(() -> pipeline.status().sinks().stream().allMatch(s -> s.queued() == 4));
        pipeline.updateSink(spec("p", "plain", SinkState.ACTIVE, 10, ROWS), plain);
        pipeline.updateSink(
                spec("r", "reselecting", SinkState.ACTIVE, 10, ROWS).withReselectUnchangedToast(true), reselecting);
        awaitAcknowledged(pipeline, currentWal(PG, db));

        for (int id : new int[] {1, 2, 3}) {
            JsonNode p = update(plain, id);
            assertThat(p.at("/record/body").asString()).isEqualTo("unchanged_toast");
            assertThat(p.at("/metadata/unchanged_toast_columns").toString()).isEqualTo("[\"body\"]");
        }
        for (int id : new int[] {1, 3}) {
            JsonNode r = update(reselecting, id);
            assertThat(r.at("/record/body").asString()).hasSize(9600).isEqualTo(body(id));
            assertThat(r.at("/record/n").asInt()).isEqualTo(1);
            assertThat(r.get("metadata").has("unchanged_toast_columns")).isFalse();
        }
        JsonNode gone = update(reselecting, 2);
        assertThat(gone.at("/record/body").asString()).isEqualTo("unchanged_toast");
        assertThat(gone.at("/metadata/unchanged_toast_columns").toString()).isEqualTo("[\"body\"]");
    }

    private static JsonNode update(FakeSink sink, int id) {
        for (Batch b : sink.delivered) {
            for (SinkMessage m : b.messages()) {
                JsonNode json = JSON.readTree(m.json());
                if (m.action() == Action.UPDATE && json.at("/record/id").asInt() == id) {
                    return json;
                }
            }
        }
        throw new AssertionError("no update of row " + id + " delivered");
    }

    private String body(int id) throws Exception {
        try (Connection c = PG.connect(db);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT body FROM docs WHERE id = " + id)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }
}
