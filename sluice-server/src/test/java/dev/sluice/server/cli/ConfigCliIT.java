package dev.sluice.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.server.cli.Cli.Run;
import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.FreePort;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code sluice config plan|apply|export} run in this JVM against a real server, answering its prompt on stdin. */
class ConfigCliIT {
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

    /** Runs {@code sluice args...} with {@code stdin}, not on a terminal, with an empty environment. */
    private static Run run(String stdin, String... args) {
        return Cli.run(Cli.plain(stdin), args);
    }

    private static Run run(Terminal terminal, String... args) {
        return Cli.run(terminal, args);
    }

    private static ByteArrayInputStream input(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code config <command> [args...] --endpoint <server> --api-key <token>}. */
    private static String[] config(String command, String... args) {
        List<String> all = new ArrayList<>(List.of("config", command));
        all.addAll(List.of(args));
        all.addAll(List.of("--endpoint", endpoint, "--api-key", ServerFixture.TOKEN));
        return all.toArray(String[]::new);
    }

    private Path file(String yaml) throws IOException {
        return Files.writeString(Files.createTempFile(dir, "sluice", ".yaml"), yaml);
    }

    private static String endpointYaml(String name, String url, String secret) {
        return """
                http_endpoints:
                  - name: %s
                    url: %s
                    headers: {X-Team: blue}
                    encrypted_headers: {Authorization: "Bearer %s"}
                """.formatted(name, url, secret);
    }

    private static int status(String endpointName) {
        return sluice.api()
                .get("/api/destinations/http_endpoints/" + endpointName)
                .status();
    }

    @Test
    void plan_showsTheCreate_detailedExitcodeIs2_thenApplyYes_thenNoChangesAnd0() throws IOException {
        String f =
                file(endpointYaml("cli-a", "https://example.com/a", "secret-a")).toString();

        Run plan = run("", config("plan", f, "--detailed-exitcode"));
        assertThat(plan.exit()).as(plan.err()).isEqualTo(2);
        assertThat(plan.out())
                .contains("+ create http_endpoint \"cli-a\"")
                .contains("Plan: 1 to create, 0 to update, 0 to delete.")
                .doesNotContain("\u001B[");
        assertThat(status("cli-a")).as("a plan changes nothing").isEqualTo(404);
        assertThat(run("", config("plan", f)).exit()).isZero();

        Run apply = run("yes\n", config("apply", f));
        assertThat(apply.exit()).as(apply.err()).isZero();
        assertThat(apply.out())
                .contains("+ create http_endpoint \"cli-a\"")
                .contains("Apply these changes? Only 'yes' is accepted: ")
                .containsPattern("\\+ created http_endpoint \"cli-a\" \\(id [0-9a-f-]{36}\\)")
                .contains("Apply complete: 1 created, 0 updated, 0 deleted.");
        assertThat(status("cli-a")).isEqualTo(200);

        Run again = run("", config("plan", f, "--detailed-exitcode"));
        assertThat(again.exit()).isZero();
        assertThat(again.out()).isEqualTo("No changes. Your configuration matches the server.\n");
        Run applyAgain = run("", config("apply", f));
        assertThat(applyAgain.exit()).isZero();
        assertThat(applyAgain.out()).doesNotContain("Apply these changes");
    }

    @Test
    void apply_answeredNo_orNothing_changesNothingAndExits1() throws IOException {
        String f = file(endpointYaml("cli-no", "https://example.com/no", "s")).toString();

        Run no = run("no\n", config("apply", f));
        assertThat(no.exit()).isEqualTo(1);
        assertThat(no.out()).contains("Apply these changes?").endsWith("Apply cancelled.\n");
        Run eof = run("", config("apply", f));
        assertThat(eof.exit()).isEqualTo(1);
        assertThat(eof.out()).contains("Apply cancelled.");
        assertThat(status("cli-no")).isEqualTo(404);
    }

    @Test
    void apply_autoApprove_appliesWithoutAsking_evenFromStdin() {
        Run r = run(endpointYaml("cli-auto", "https://example.com/auto", "s"), config("apply", "-", "--auto-approve"));

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).doesNotContain("Apply these changes").contains("Apply complete: 1 created");
        assertThat(status("cli-auto")).isEqualTo(200);

        Run prompt = run(endpointYaml("cli-auto2", "https://example.com/auto", "s"), config("apply", "-"));
        assertThat(prompt.exit()).isEqualTo(1);
        assertThat(prompt.err()).contains("add --auto-approve");
        assertThat(status("cli-auto2")).isEqualTo(404);
    }

    @Test
    void plan_ofAnUpdate_showsEachChangedFieldOldToNew() throws IOException {
        String before = endpointYaml("cli-up", "https://example.com/v1", "one");
        assertThat(run("", config("apply", file(before).toString(), "--auto-approve"))
                        .exit())
                .isZero();
        String after = endpointYaml("cli-up", "https://example.com/v2", "two").replace("X-Team: blue", "X-Team: red");

        Run plan = run("", config("plan", file(after).toString(), "--detailed-exitcode"));

        assertThat(plan.exit()).as(plan.err()).isEqualTo(2);
        assertThat(plan.out())
                .contains("~ update http_endpoint \"cli-up\"\n")
                .contains("    url: \"https://example.com/v1\" → \"https://example.com/v2\"\n")
                .contains("    headers.X-Team: \"blue\" → \"red\"\n")
                .contains("    encrypted_headers: (sensitive value changed)\n")
                .contains("Plan: 0 to create, 1 to update, 0 to delete.")
                .doesNotContain("Bearer");
    }

    @Test
    void plan_coloursOnlyOnATerminal_withoutNoColor() throws IOException {
        String f =
                file(endpointYaml("cli-colour", "https://example.com/c", "s")).toString();
        Terminal tty = new Terminal(input(""), true, Map.<String, String>of()::get, true);

        assertThat(run(tty, config("plan", f)).out()).contains("\u001B[32m+ create http_endpoint\u001B[0m");
        assertThat(run(tty, config("plan", f, "--no-color")).out()).doesNotContain("\u001B[");
        Terminal noColor = new Terminal(input(""), true, Map.of("NO_COLOR", "1")::get, true);
        assertThat(run(noColor, config("plan", f)).out()).doesNotContain("\u001B[");
    }

    @Test
    void export_writesTheYaml_secretsMaskedUnlessShowSensitive() throws IOException {
        String yaml = endpointYaml("cli-exp", "https://example.com/exp", "exp-secret");
        assertThat(run(yaml, config("apply", "-", "--auto-approve")).exit()).isZero();

        Run out = run("", config("export"));
        assertThat(out.exit()).as(out.err()).isZero();
        assertThat(out.out()).contains("cli-exp").contains("************").doesNotContain("exp-secret");

        Path file = dir.resolve("exported.yaml");
        Run toFile = run("", config("export", "--show-sensitive", "-o", file.toString()));
        assertThat(toFile.exit()).as(toFile.err()).isZero();
        assertThat(toFile.out()).contains("Wrote the configuration to " + file);
        assertThat(Files.readString(file)).contains("cli-exp").contains("Bearer exp-secret");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        // The export plans back as no change.
        Run plan = run("", config("plan", file.toString(), "--detailed-exitcode"));
        assertThat(plan.exit()).as(plan.out() + plan.err()).isZero();
    }

    @Test
    void errors_sayWhatToFix_andNeverShowTheKey() throws IOException {
        String f = file(endpointYaml("cli-err", "https://example.com/err", "s")).toString();

        Run wrongKey = run("", "config", "plan", f, "--endpoint", endpoint, "--api-key", "not-the-key-42");
        assertThat(wrongKey.exit()).isEqualTo(1);
        assertThat(wrongKey.err()).isEqualTo("sluice: the API key was refused — set --api-key or SLUICE_API_KEY\n");
        assertThat(wrongKey.out() + wrongKey.err()).doesNotContain("not-the-key-42");
        Run noKey = run("", "config", "export", "--endpoint", endpoint);
        assertThat(noKey.exit()).isEqualTo(1);
        assertThat(noKey.err()).contains("the server needs an API key — set --api-key or SLUICE_API_KEY");

        String nowhere = "http://localhost:" + FreePort.find();
        Run down = run("", "config", "plan", f, "--endpoint", nowhere, "--detailed-exitcode");
        assertThat(down.exit()).isEqualTo(1);
        assertThat(down.err())
                .isEqualTo("sluice: cannot reach Sluice at " + nowhere
                        + ": connection refused — is the server running? set --endpoint or SLUICE_ENDPOINT\n");

        Run missing = run("", config("plan", dir.resolve("nope.yaml").toString()));
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("nope.yaml: no such file");

        Run invalid = run("http_endpoints:\n  - name: cli-bad\n    url: ftp://x\n", config("plan", "-"));
        assertThat(invalid.exit()).isEqualTo(1);
        assertThat(invalid.err()).startsWith("sluice: the configuration is invalid:\n  http_endpoints[0].url: line 3:");

        Run usage = run("", config("plan", "--no-such-flag"));
        assertThat(usage.exit()).as("2 is kept for 'changes'").isEqualTo(1);
        assertThat(run("", "config", "plan", f, "--endpoint", "localhost:7376").err())
                .contains("--endpoint must be an http:// or https:// URL");
        assertThat(status("cli-err")).isEqualTo(404);
    }

    @Test
    void help_listsTheConfigCommands() {
        Run help = run("", "--help");
        assertThat(help.out()).containsPattern("(?m)^\\s+config\\s+Plan, apply and export");
        assertThat(run("", "config", "--help").out()).contains("plan", "apply", "export");
    }
}
