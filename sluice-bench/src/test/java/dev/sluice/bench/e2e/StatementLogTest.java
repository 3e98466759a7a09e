package dev.sluice.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.bench.e2e.StatementLog.Phase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatementLogTest {
    @Test
    void read_keepsTheWatchedDatabasesStatementsOfTheRun_withMultiLineTextAndPhases(@TempDir Path dir)
            throws Exception {
        Path log = Files.writeString(
                dir.resolve("postgres.log"),
                "2026-12-06 23:00:00.100 UTC [7] t LOG:  duration: 1.000 ms  statement: SELECT 1\n");
        long mark = StatementLog.mark(log);
        Files.writeString(log, """
                2026-12-06 23:00:01.010 UTC [10] t LOG:  duration: 5.000 ms  statement: CREATE TABLE public.a (
                    id integer
                );
                2026-12-06 23:00:01.500 UTC [10] t LOG:  duration: 400.000 ms  statement: COPY public.a (id) FROM stdin;
                2026-12-06 23:00:01.600 UTC [11] other LOG:  duration: 90.000 ms  statement: COPY public.b (id) FROM stdin;
                2026-12-06 23:00:01.700 UTC [12] t LOG:  duration: 0.500 ms  parse <unnamed>: ALTER TABLE public.a ADD CONSTRAINT a_pkey PRIMARY KEY (id)
                2026-12-06 23:00:01.800 UTC [12] t LOG:  duration: 100.000 ms  execute <unnamed>: ALTER TABLE public.a ADD CONSTRAINT a_pkey PRIMARY KEY (id)
                2026-12-06 23:00:01.900 UTC [10] t LOG:  duration: 50.000 ms  statement: ALTER TABLE ONLY public.b
                    ADD CONSTRAINT b_a_fkey FOREIGN KEY (a_id) REFERENCES public.a(id);
                2026-12-06 23:00:02.000 UTC [12] t LOG:  duration: 60.000 ms  execute <unnamed>: ALTER TABLE "public"."c" VALIDATE CONSTRAINT "c_fkey"
                2026-12-06 23:00:02.050 UTC [12] t ERROR:  something went wrong
                2026-12-06 23:00:09.000 UTC [12] t LOG:  duration: 1.000 ms  statement: SELECT count(*) FROM public.a
                """, java.nio.file.StandardOpenOption.APPEND);

        List<StatementLog.Statement> s = StatementLog.read(
                log, mark, "t", Instant.parse("2026-12-06T23:00:01.000Z"), Instant.parse("2026-12-06T23:00:02.100Z"));

        assertThat(s)
                .extracting(StatementLog.Statement::phase)
                .containsExactly(Phase.SCHEMA, Phase.DATA, Phase.INDEXES, Phase.FOREIGN_KEYS, Phase.FOREIGN_KEYS);
        assertThat(s.get(0).sql()).contains("id integer");
        assertThat(s.get(1).start()).isCloseTo(0.1, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(s.get(1).end()).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-9));
        Map<Phase, StatementLog.Span> phases = StatementLog.phases(s);
        assertThat(phases.get(Phase.FOREIGN_KEYS).statements()).isEqualTo(2);
        assertThat(phases.get(Phase.FOREIGN_KEYS).busySeconds())
                .isCloseTo(0.11, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(phases.get(Phase.FOREIGN_KEYS).seconds()).isCloseTo(0.15, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(phases).doesNotContainKey(Phase.OTHER);
    }
}
