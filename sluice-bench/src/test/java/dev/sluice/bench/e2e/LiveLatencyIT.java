package dev.sluice.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged server as a child JVM: needs sluice-server/target/sluice.jar, so run with {@code -am verify}. */
class LiveLatencyIT {
    private static TestPostgres pg;

    @TempDir
    Path work;

    @BeforeAll
    static void startPostgres() {
        pg = TestPostgres.startPrivate();
    }

    @AfterAll
    static void stopPostgres() {
        pg.close();
    }

    @Test
    void everyChangeWrittenArrivesAndIsMeasured() {
        long start = System.nanoTime();

        LiveResult r = LiveLatency.run(pg, 300, 3, work);

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(60));
        assertThat(r.targetRate()).isEqualTo(300);
        assertThat(r.messages()).isEqualTo(900);
        assertThat(r.achievedRate()).isBetween(250.0, 320.0);
        assertThat(r.p50Ms()).isPositive().isLessThanOrEqualTo(r.p95Ms());
        assertThat(r.p95Ms()).isLessThanOrEqualTo(r.p99Ms());
        assertThat(r.p99Ms()).isPositive().isLessThanOrEqualTo(r.maxMs());
        assertThat(r.rssMaxBytes()).isPositive();
        assertThat(r.cpuPercent()).isPositive();
        assertThat(r.timeline()).hasSizeGreaterThanOrEqualTo(3);
        assertThat(r.timeline().stream().mapToLong(LiveResult.Point::messages).sum())
                .isEqualTo(900);
        assertThat(work.resolve("sluice.yaml")).exists();
        assertThat(Files.exists(work.resolve("sluice.log"))).isTrue();
    }
}
