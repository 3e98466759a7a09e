package dev.sluice.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The benchmark in quick mode, as CI runs it: every system drains the whole backlog, the backfill reads its whole
 * table, the replication scenario's systems each make an exact copy and verify finds it equal (where a Postgres
 * installation with its client tools is found; otherwise the scenario says it was skipped), and the reports are
 * written. No performance threshold is asserted.
 */
class BenchSmokeIT {
    @Test
    void quickRun_drainsEveryChangeWithEverySystem_andWritesReports(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("bench");
        boolean live = BenchMain.EXTRAS.live() != null;
        List<String> args = new ArrayList<>(List.of("--quick", "--out", out.toString()));
        if (!live) {
            args.add("--skip-live");
        }

        BenchMain.run(BenchMain.parse(args.toArray(String[]::new)));

        assertThat(out.resolve("results.md")).exists();
        assertThat(out.resolve("results.json")).exists();
        JsonNode results = JsonMapper.builder()
                .build()
                .readTree(out.resolve("results.json").toFile());
        long changes = results.get("backlog").get("changes").asLong();
        assertThat(changes).isEqualTo(BenchOptions.quick(out).changes());
        assertThat(results.get("errors")).isEmpty();
        List<String> systems = new ArrayList<>();
        for (JsonNode d : results.get("drains")) {
            systems.add(d.get("system").asString());
            assertThat(d.get("changes").asLong()).as(d.get("system").asString()).isEqualTo(changes);
            assertThat(d.get("changesPerSecond").asDouble()).isPositive();
        }
        // The raw reader drains again last from the same slot (it never confirms it): both runs read every change.
        assertThat(systems)
                .containsExactly(
                        "raw-pgjdbc",
                        "sluice-null",
                        "sluice-webhook",
                        "debezium-embedded",
                        "sluice-path",
                        "sluice-js",
                        "sluice-routing",
                        "sluice-postgres",
                        "raw-pgjdbc");
        assertThat(results.get("ratios").propertyNames()).containsExactly("b/a", "c/a", "b/d", "e/b", "f/b", "g/b");
        if (live) {
            assertThat(results.get("live")).hasSize(1);
            assertThat(results.get("live").get(0).get("achievedRate").asDouble())
                    .isPositive();
        }
        JsonNode backfill = results.get("backfill");
        for (JsonNode r : backfill.get("backfill")) {
            assertThat(r.get("completed").asBoolean()).isTrue();
            assertThat(r.get("rows").asLong()).isEqualTo(BenchOptions.quick(out).backfillRows());
        }
        assertThat(backfill.get("ratio").asDouble()).isPositive();
        JsonNode replication = results.get("replication");
        if (LocalPostgres.findBin(null) != null) {
            List<String> copiers = new ArrayList<>();
            for (JsonNode r : replication.get("init")) {
                copiers.add(r.get("system").asString());
                assertThat(r.get("ok").asBoolean()).as(r.toString()).isTrue();
                assertThat(r.get("seconds").asDouble()).isPositive();
            }
            assertThat(copiers).containsExactlyInAnyOrder("sluice-init", "pg_dump-psql", "pg_dump-Fd-pg_restore");
            List<String> readers = new ArrayList<>();
            for (JsonNode r : replication.get("verify")) {
                readers.add(r.get("method").asString());
                assertThat(r.get("ok").asBoolean()).as(r.toString()).isTrue();
            }
            assertThat(readers).containsExactlyInAnyOrder("sluice-verify", "copy-serial", "copy-parallel");
            assertThat(replication.get("initRatio").asDouble()).isPositive();
            assertThat(replication.get("verifyRatio").asDouble()).isPositive();
        } else {
            assertThat(replication.get("skipped").asString()).contains("--pg-bin");
        }
        String md = Files.readString(out.resolve("results.md"));
        assertThat(md).contains("| sluice-null | 5,000 |").contains("## Targets");
    }
}
