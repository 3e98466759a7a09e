package dev.sluice.server.cli;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.server.cli.Cli.Run;
import dev.sluice.server.fixture.Jobs;
import dev.sluice.server.fixture.ServerFixture;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice replicate} in this JVM: jobs run on a server given by {@code --endpoint}, and on a Sluice the command
 * starts itself; the summary tables, the exit codes, and the errors that say what to fix.
 */
class ReplicateCliIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static String endpoint;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        sluice.start();
        endpoint = "http://localhost:" + sluice.server().port();
    }

    private static Run run(String... args) {
        return Cli.run(Cli.plain(""), args);
    }

    private static String[] remote(String command, String source, String target, String... extra) {
        List<String> all = new ArrayList<>(List.of(
                "replicate",
                command,
                "--source",
                Jobs.url(PG.port(), source),
                "--target",
                Jobs.url(PG.port(), target),
                "--endpoint",
                endpoint,
                "--api-key",
                ServerFixture.TOKEN));
        all.addAll(List.of(extra));
        return all.toArray(String[]::new);
    }

    @Test
    void initThenVerifyOnAServerPrintTheirTables() {
        String source = sluice.database(
                "clisrc",
                "CREATE TABLE items (id int PRIMARY KEY, name text)",
                "CREATE TABLE notes (id int PRIMARY KEY, body text)",
                "INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 1234) i",
                "INSERT INTO notes SELECT i, 'note' FROM generate_series(1, 10) i");
        String target = sluice.database("clidst");

        Run init = run(remote("init", source, target, "--table-filter", "notes=id <= 5", "--parallelism", "2"));
        assertThat(init.exit()).as(init.out() + init.err()).isZero();
        assertThat(init.out()).contains("init job ", "completed");
        assertThat(init.out()).containsPattern(source + "\\.public\\.items +1,234 ");
        assertThat(init.out()).containsPattern(source + "\\.public\\.notes +5 ");

        Run verify = run(remote("verify", source, target));
        assertThat(verify.exit()).as(verify.out()).isEqualTo(ReplicateCommand.FAILED);
        assertThat(verify.out()).contains("failed: verify found 1 table(s) that differ");
        assertThat(verify.out()).containsPattern("public\\.notes +mismatch +10 +5 +1");
        assertThat(verify.out()).containsPattern("public\\.items +match +1,234 +1,234 +0");
    }

    @Test
    void validateRunsOnASluiceStartedForIt() {
        String source = sluice.database("clilocal", "CREATE TABLE t (id int PRIMARY KEY)");
        Run r = run(
                "replicate",
                "validate",
                "--source",
                Jobs.url(PG.port(), source),
                "--target",
                Jobs.url(PG.port(), sluice.database("clilocaldst")),
                "--home",
                dir.resolve("home").toString());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("validate job ", "completed").containsPattern("source\\.wal_level +ok");
    }

    @Test
    void aBadSpecSaysWhatToFix() {
        Run r = run(remote("init", "a", "b", "--table-filter", "no-predicate"));
        assertThat(r.exit()).isEqualTo(ReplicateCommand.FAILED);
        assertThat(r.err()).contains("--table-filter takes TABLE=PREDICATE");

        r = run(remote("copy", "a", "b"));
        assertThat(r.exit()).isEqualTo(ReplicateCommand.FAILED);
        assertThat(r.err())
                .contains("the job spec is invalid", "command: must be one of validate, init, sync, status, verify");
    }
}
