package dev.sluice.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.bench.e2e.ReplicationResult.Copier;
import dev.sluice.bench.e2e.ReplicationResult.InitRun;
import dev.sluice.bench.e2e.ReplicationResult.Reader;
import dev.sluice.bench.e2e.ReplicationResult.VerifyRun;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReplicationResultTest {
    private static InitRun init(Copier c, double seconds, boolean ok) {
        return new InitRun(c, 1, seconds, ok, ok ? "" : "differs", Map.of(), Map.of());
    }

    private static VerifyRun read(Reader r, double seconds) {
        return new VerifyRun(r, 1, seconds, 10, 0, true, "", 0);
    }

    @Test
    void ratios_areMediansOfCleanRuns_againstTheFasterReference() {
        ReplicationResult r = new ReplicationResult(
                "15",
                "/bin",
                10,
                Map.of(),
                0,
                Map.of(),
                List.of(
                        init(Copier.SLUICE, 2.0, true),
                        init(Copier.SLUICE, 9.0, true),
                        init(Copier.SLUICE, 0.1, false), // a wrong copy does not count, however fast
                        init(Copier.SLUICE, 1.0, true),
                        init(Copier.PLAIN, 3.0, true),
                        init(Copier.DIRECTORY, 2.5, true),
                        init(Copier.DIRECTORY, 3.5, true)),
                List.of(read(Reader.VERIFY, 4.0), read(Reader.COPY_SERIAL, 1.5), read(Reader.COPY_PARALLEL, 1.0)),
                List.of(),
                List.of("0.5 0.4 0.3", "0.6 0.5 0.3"));

        assertThat(r.median(Copier.SLUICE)).isEqualTo(2.0);
        assertThat(r.median(Copier.DIRECTORY)).isEqualTo(3.0);
        assertThat(r.fasterDump()).isEqualTo(Copier.PLAIN); // a tie goes to the plain format
        assertThat(r.initRatio()).isEqualTo(1.5);
        assertThat(r.fasterCopy()).isEqualTo(Reader.COPY_PARALLEL);
        assertThat(r.verifyRatio()).isEqualTo(0.25);
        assertThat(r.median(Copier.SLUICE_BASELINE)).isZero();
    }
}
