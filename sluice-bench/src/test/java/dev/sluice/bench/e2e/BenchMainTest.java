package dev.sluice.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchMainTest {
    @Test
    void parse_defaultsToTheFullRun() {
        BenchMain.Args a = BenchMain.parse(new String[] {"--out", "/tmp/x"});
        assertThat(a.options()).isEqualTo(BenchOptions.defaults(Path.of("/tmp/x")));
        assertThat(a.systems()).containsExactly(DrainSystem.values());
        assertThat(a.skipLive()).isFalse();
        assertThat(a.backfill()).isTrue();
        assertThat(a.replication()).isTrue();
        assertThat(a.replicationProbe()).isFalse();
        assertThat(a.options().replicationRows()).isEqualTo(1_000_000);
        assertThat(a.options().replicationRuns()).isEqualTo(5);
    }

    @Test
    void parse_quickThenOverrides() {
        BenchMain.Args a = BenchMain.parse(new String[] {
            "--quick", "--changes=20_000", "--rates", "100,200", "--live-seconds", "2", "--out", "o", "--skip-live"
        });
        assertThat(a.options().quick()).isTrue();
        assertThat(a.options().changes()).isEqualTo(20_000);
        assertThat(a.options().rates()).containsExactly(100, 200);
        assertThat(a.options().liveSeconds()).isEqualTo(2);
        assertThat(a.skipLive()).isTrue();
    }

    @Test
    void parse_onlyKeepsRunOrder() {
        BenchMain.Args a = BenchMain.parse(new String[] {"--only", "d,a", "--out", "o"});
        assertThat(a.systems()).containsExactly(DrainSystem.RAW, DrainSystem.DEBEZIUM);
        assertThat(a.backfill()).isFalse();
    }

    @Test
    void parse_onlyBackfillRunsNeitherDrainsNorLive() {
        BenchMain.Args a =
                BenchMain.parse(new String[] {"--only", "backfill", "--backfill-rows", "2000", "--out", "o"});
        assertThat(a.systems()).isEmpty();
        assertThat(a.backfill()).isTrue();
        assertThat(a.skipLive()).isTrue();
        assertThat(a.options().backfillRows()).isEqualTo(2000);

        BenchMain.Args both = BenchMain.parse(new String[] {"--only", "b,backfill", "--out", "o"});
        assertThat(both.systems()).containsExactly(DrainSystem.SLUICE_NULL);
        assertThat(both.backfill()).isTrue();
        assertThat(both.replication()).isFalse();
        assertThat(both.skipLive()).isFalse();
    }

    @Test
    void parse_onlyReplicationRunsItAloneWithItsOptions() {
        BenchMain.Args a = BenchMain.parse(new String[] {
            "--only",
            "replication",
            "--replication-rows",
            "20000",
            "--replication-runs=4",
            "--replication-probe",
            "--pg-bin",
            "/opt/pg/bin",
            "--out",
            "o"
        });
        assertThat(a.systems()).isEmpty();
        assertThat(a.backfill()).isFalse();
        assertThat(a.replication()).isTrue();
        assertThat(a.skipLive()).isTrue();
        assertThat(a.replicationProbe()).isTrue();
        assertThat(a.options().replicationRows()).isEqualTo(20_000);
        assertThat(a.options().replicationRuns()).isEqualTo(4);
        assertThat(a.pgBin()).isEqualTo(Path.of("/opt/pg/bin"));
        assertThatThrownBy(() -> BenchMain.parse(new String[] {"--replication-rows", "999"}))
                .hasMessageContaining("at least 1000");
    }

    @Test
    void parse_rejectsUnknownAndInvalidOptions() {
        assertThatThrownBy(() -> BenchMain.parse(new String[] {"--fast"})).hasMessageContaining("--fast");
        assertThatThrownBy(() -> BenchMain.parse(new String[] {"--changes", "0"}))
                .hasMessageContaining("positive");
        assertThatThrownBy(() -> BenchMain.parse(new String[] {"--only", "z"})).hasMessageContaining("expected a to h");
        assertThatThrownBy(() -> BenchMain.parse(new String[] {"--rates"})).hasMessageContaining("needs a value");
    }

    @Test
    void drainRun_roundTripsThroughItsResultLine() {
        DrainRun r = new DrainRun(new DrainResult("sluice-null", 1234, 0.5), 0.25);
        assertThat(DrainRun.parse(r.line())).isEqualTo(r);
    }

    @Test
    void receiver_countsIdempotencyKeysWithoutParsing() {
        byte[] body = ("{\"data\":[{\"record\":{\"k\":\"idempotency_key\"},\"metadata\":{\"idempotency_key\":\"a\"}},"
                        + "{\"metadata\":{\"idempotency_key\":\"b\"}}]}")
                .getBytes();
        assertThat(CountingReceiver.occurrences(body)).isEqualTo(2);
        assertThat(CountingReceiver.occurrences(new byte[0])).isZero();
    }

    @Test
    void report_judgesTargetsOnlyOutsideQuickMode() {
        Report full = new Report(BenchMain.parse(new String[] {"--out", "o", "--skip-live"}));
        full.drain(new DrainRun(new DrainResult("raw-pgjdbc", 100, 1.0), 0));
        full.drain(new DrainRun(new DrainResult("sluice-null", 100, 1.1), 0));
        full.drain(new DrainRun(new DrainResult("debezium-embedded", 100, 4.0), 0));
        full.drain(new DrainRun(new DrainResult("sluice-path", 100, 1.2), 0));
        full.drain(new DrainRun(new DrainResult("sluice-js", 100, 3.0), 0));
        List<Report.Target> t = full.targets();
        assertThat(t.get(0).pass()).isTrue(); // 0.91 of raw
        assertThat(t.get(1).pass()).isTrue(); // 3.6x Debezium
        assertThat(t.get(2).pass()).isTrue(); // path: 0.92 of sluice-null
        assertThat(t.get(3).pass()).isFalse(); // JavaScript: 0.37 of sluice-null
        assertThat(t.get(4).pass()).isNull(); // no live run

        Report quick = new Report(BenchMain.parse(new String[] {"--quick", "--out", "o"}));
        quick.drain(new DrainRun(new DrainResult("raw-pgjdbc", 100, 1.0), 0));
        quick.drain(new DrainRun(new DrainResult("sluice-null", 100, 5.0), 0));
        assertThat(quick.targets().get(0).pass()).isNull();
        assertThat(quick.markdown()).contains("not judged");
    }
}
