package dev.sluice.terraform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.server.fixture.ServerFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./sluice terraform install} as a user runs it (the build's jars, {@code --skip-build}): the provider lands in
 * Terraform's implied local mirror under {@code HOME}, with its class-data sharing archive, and a plain {@code
 * terraform init} finds it for {@code source = "sluice/sluice"}, with no development overrides.
 */
class TerraformInstallIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    @BeforeAll
    static void start() {
        TerraformCli.assumeInstalled();
        sluice.start();
    }

    @Test
    void install_thenPlainInit_findsTheProvider(@TempDir Path home) throws Exception {
        Path root = Path.of("").toAbsolutePath().getParent();
        ProcessBuilder pb =
                new ProcessBuilder(root.resolve("bin/terraform-provider.sh").toString(), "install", "--skip-build");
        pb.environment().put("HOME", home.toString());
        pb.environment().remove("TF_PLUGINS_DIR");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isZero();
        assertThat(printed).contains("source  = \"sluice/sluice\"");

        Path installed;
        try (var versions = Files.list(home.resolve(".terraform.d/plugins/registry.terraform.io/sluice/sluice"))) {
            installed = versions.findFirst().orElseThrow();
        }
        try (var targets = Files.list(installed)) {
            Path target = targets.findFirst().orElseThrow();
            assertThat(Files.isRegularFile(target.resolve("provider.aot"))
                            || Files.isRegularFile(target.resolve("provider.jsa")))
                    .as("the class-data sharing archive (an AOT cache on JDK 25 and newer)")
                    .isTrue();
        }

        Map<String, String> env =
                new HashMap<>(TerraformCli.sluiceEnv(sluice.server().port(), ServerFixture.TOKEN));
        env.put("HOME", home.toString());
        TerraformCli tf = TerraformCli.plain(home.resolve("config"), env);
        tf.write(printed + """
                provider "sluice" {}
                resource "sluice_function" "f" {
                  name = "tf-installed"
                  type = "path"
                  path = "record.id"
                }
                """);
        assertThat(tf.ok("init", "-input=false", "-no-color")).contains("sluice/sluice");
        tf.ok("apply", "-auto-approve", "-input=false", "-no-color");
        assertThat(sluice.api().get("/api/functions/tf-installed").status()).isEqualTo(200);
        tf.assertNoChanges();
        tf.ok("destroy", "-auto-approve", "-input=false", "-no-color");
    }
}
