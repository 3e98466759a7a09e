package dev.sluice.terraform;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;

/**
 * The real {@code terraform} CLI, run against this module's provider through a development override (no {@code
 * terraform init}, no registry): a launcher script that {@code exec}s a JVM on this build's classes, as the installed
 * provider does.
 */
final class TerraformCli {
    record Result(int exit, String out) {}

    private final Path work;
    private final @Nullable Path cliConfig;
    private final Map<String, String> env;

    private TerraformCli(Path work, @Nullable Path cliConfig, Map<String, String> env) {
        this.work = work;
        this.cliConfig = cliConfig;
        this.env = env;
    }

    /** Skips the calling test, with a notice, when {@code terraform} is not on the PATH. */
    static void assumeInstalled() {
        boolean found = false;
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, "terraform"))) {
                found = true;
            }
        }
        if (!found) {
            System.err.println("NOTICE: terraform is not on the PATH: the provider's acceptance tests are skipped."
                    + " Install Terraform (.ci/run requires it) to run them.");
        }
        Assumptions.assumeTrue(found, "terraform is not on the PATH");
    }

    static TerraformCli in(Path work, Map<String, String> env) throws IOException {
        Path plugins = Files.createDirectories(work.resolve("provider"));
        Path launcher = plugins.resolve("terraform-provider-sluice");
        Path module = Path.of("").toAbsolutePath();
        String cp = module.resolve("target/classes") + ":"
                + Files.readString(module.resolve("target/classpath.txt")).trim();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Files.writeString(
                launcher,
                "#!/bin/sh\nexec '" + java + "' -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k" + " -cp '" + cp
                        + "' dev.sluice.terraform.plugin.PluginMain \"$@\"\n");
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path cli = work.resolve("cli.tfrc");
        Files.writeString(
                cli,
                "provider_installation {\n  dev_overrides {\n    \"sluice/sluice\" = \"" + plugins
                        + "\"\n    \"sequinstream/sequin\" = \"" + plugins + "\"\n  }\n  direct {}\n}\n");
        Path dir = Files.createDirectories(work.resolve("config"));
        return new TerraformCli(dir, cli, env);
    }

    /**
     * Terraform as a user runs it after {@code ./sluice terraform install}: no CLI configuration, so providers come
     * from the implied local mirror under {@code env}'s {@code HOME}, through {@code terraform init}.
     */
    static TerraformCli plain(Path work, Map<String, String> env) throws IOException {
        return new TerraformCli(Files.createDirectories(work), null, env);
    }

    /** The environment that points the provider at a Sluice server on this port. */
    static Map<String, String> sluiceEnv(int port, String token) {
        return Map.of("SLUICE_ENDPOINT", "http://127.0.0.1:" + port, "SLUICE_API_KEY", token);
    }

    Path dir() {
        return work;
    }

    void write(String mainTf) throws IOException {
        Files.writeString(work.resolve("main.tf"), mainTf);
    }

    Result run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("terraform");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true);
        if (cliConfig != null) {
            pb.environment().put("TF_CLI_CONFIG_FILE", cliConfig.toString());
        }
        pb.environment().put("TF_IN_AUTOMATION", "1");
        pb.environment().put("CHECKPOINT_DISABLE", "1");
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("terraform " + String.join(" ", args) + " did not finish");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** Runs a command that must succeed; returns its output. */
    String ok(String... args) throws IOException, InterruptedException {
        Result r = run(args);
        assertThat(r.exit())
                .as("terraform %s:%n%s", String.join(" ", args), r.out())
                .isZero();
        return r.out();
    }

    /** Asserts that a plan now finds nothing to change. */
    void assertNoChanges() throws IOException, InterruptedException {
        Result r = run("plan", "-detailed-exitcode", "-input=false", "-no-color");
        assertThat(r.exit())
                .as("a plan right after apply must show no changes:%n%s", r.out())
                .isZero();
    }
}
