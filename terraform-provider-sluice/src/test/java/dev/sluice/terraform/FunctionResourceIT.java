package dev.sluice.terraform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.server.api.ApiClient;
import dev.sluice.server.fixture.ServerFixture;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code sluice_function} through the real terraform CLI against a live Sluice: create, no drift, update, import, destroy. */
class FunctionResourceIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static ApiClient api;

    @BeforeAll
    static void start() {
        TerraformCli.assumeInstalled();
        sluice.start();
        api = sluice.api();
    }

    private static String config(String code) {
        return """
                terraform {
                  required_providers {
                    sluice = { source = "sluice/sluice" }
                  }
                }
                provider "sluice" {}
                resource "sluice_function" "paid" {
                  name        = "tf-paid"
                  description = "paid orders"
                  type        = "filter"
                  code        = <<-EOT
                %s
                  EOT
                }
                """.formatted(code);
    }

    @Test
    void createNoDriftUpdateImportDestroy(@TempDir Path tmp) throws Exception {
        Map<String, String> env = Map.of(
                "SLUICE_ENDPOINT", "http://127.0.0.1:" + sluice.server().port(), "SLUICE_API_KEY", ServerFixture.TOKEN);
        TerraformCli tf = TerraformCli.in(tmp, env);
        tf.write(config("function filter(action, record) { return record.status === 'paid'; }"));
        tf.ok("apply", "-auto-approve", "-input=false", "-no-color");
        ApiClient.Reply got = api.get("/api/functions/tf-paid");
        assertThat(got.status()).isEqualTo(200);
        assertThat(got.get("code").asString()).contains("record.status === 'paid'");
        tf.assertNoChanges();

        tf.write(config("function filter(action, record) { return record.status !== 'paid'; }"));
        String out = tf.ok("apply", "-auto-approve", "-input=false", "-no-color");
        assertThat(out).contains("1 changed");
        assertThat(api.get("/api/functions/tf-paid").get("code").asString()).contains("!== 'paid'");
        tf.assertNoChanges();

        // Import into a fresh state: the same object, and again nothing to change.
        TerraformCli other = TerraformCli.in(tmp.resolve("other"), env);
        other.write(config("function filter(action, record) { return record.status !== 'paid'; }"));
        other.ok(
                "import",
                "-input=false",
                "-no-color",
                "sluice_function.paid",
                got.get("id").asString());
        other.assertNoChanges();

        tf.ok("destroy", "-auto-approve", "-input=false", "-no-color");
        assertThat(api.get("/api/functions/tf-paid").status()).isEqualTo(404);
    }
}
