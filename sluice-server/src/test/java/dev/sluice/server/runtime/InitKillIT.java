package dev.sluice.server.runtime;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.api.ApiClient;
import dev.sluice.server.fixture.Jobs;
import dev.sluice.server.fixture.ServerFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * An {@code init} job whose server is SIGKILLed in the middle of the copy is taken up by the server started next on
 * the same metadata store, which goes on from the job's checkpoints: the tables copied before the kill are not copied
 * again, the one cut short is, and a verify job then matches source and target row for row.
 */
class InitKillIT {
    private static final int TABLES = 6;

    @RegisterExtension
    final ServerFixture sluice = new ServerFixture();

    @Test
    void anInitKilledMidCopyResumesFromItsCheckpoints() throws Exception {
        List<String> ddl = new ArrayList<>();
        for (int i = 1; i <= TABLES; i++) {
            ddl.add("CREATE TABLE t" + i + " (id int PRIMARY KEY, v text, n numeric)");
            ddl.add("INSERT INTO t" + i + " SELECT g, md5(g::text) || md5((g * " + i + ")::text), g / 7.0"
                    + " FROM generate_series(1, 300000) g");
            ddl.add("CREATE INDEX t" + i + "_v ON t" + i + " (v)");
        }
        String source = sluice.database("initkill", ddl.toArray(String[]::new));
        String target = sluice.database("initkilldst");
        Path home = sluice.home().resolve("home");
        Map<String, String> env = Map.of("SLUICE_API_TOKEN", ServerFixture.TOKEN, "SLUICE_JOBS_STALE", "PT3S");

        String id;
        int doneBeforeKill;
        try (ServerProcess first = ServerProcess.start(home, null, env).awaitHealthy(ServerFixture.WAIT)) {
            Jobs jobs = new Jobs(new ApiClient(first.port(), ServerFixture.TOKEN));
            id = jobs.create(Jobs.spec(
                    "init",
                    Jobs.url(PG.port(), source),
                    Jobs.url(PG.port(), target),
                    ", \"options\": {\"parallelism\": 1}"));
            JsonNode copying = await("the copy under way")
                    .atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> jobs.get(id), j -> {
                        assertThat(j.get("status").asString())
                                .as(j.toPrettyString())
                                .isIn("provisioning", "running");
                        JsonNode p = j.get("progress");
                        return p != null
                                && p.has("tables_done")
                                && p.get("tables_done").asLong() >= 1;
                    });
            doneBeforeKill = (int) copying.get("progress").get("tables_done").asLong();
            first.kill();
        }

        try (ServerProcess second = ServerProcess.start(home, null, env).awaitHealthy(ServerFixture.WAIT)) {
            Jobs jobs = new Jobs(new ApiClient(second.port(), ServerFixture.TOKEN));
            JsonNode job = jobs.awaitEnd(id, Duration.ofMinutes(3));
            assertThat(job.get("status").asString()).as(job.toPrettyString()).isEqualTo("completed");
            assertThat(job.get("attempts").asInt()).isEqualTo(2);
            assertThat(job.get("logs").toString()).contains("resuming from the last run's checkpoints");
            // The second run copied only what the first had not finished.
            assertThat(job.get("result").get("databases").get(0).get("tables").size())
                    .isLessThanOrEqualTo(TABLES - doneBeforeKill);

            JsonNode verify =
                    jobs.complete(Jobs.spec("verify", Jobs.url(PG.port(), source), Jobs.url(PG.port(), target), ""));
            assertThat(verify.get("result").get("rows_compared").asLong()).isEqualTo(TABLES * 300_000L);
            assertThat(second.stop()).isIn(0, 143);
        }
    }
}
