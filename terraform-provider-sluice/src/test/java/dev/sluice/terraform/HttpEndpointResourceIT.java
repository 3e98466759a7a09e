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

/**
 * {@code sluice_http_endpoint}: encrypted headers applied but never read back (no drift), headers changed in place,
 * an endpoint deleted behind Terraform's back planned again, destroy.
 */
class HttpEndpointResourceIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static ApiClient api;

    @BeforeAll
    static void start() {
        TerraformCli.assumeInstalled();
        sluice.start();
        api = sluice.api();
    }

    private static String config(String house) {
        return """
                terraform {
                  required_providers {
                    sluice = { source = "sluice/sluice" }
                  }
                }
                provider "sluice" {}
                resource "sluice_http_endpoint" "hook" {
                  name              = "tf-hook"
                  url               = "https://example.com/sandworms"
                  headers           = { house = "%s" }
                  encrypted_headers = { authorization = "Bearer s3cret" }
                }
                """.formatted(house);
    }

    @Test
    void secretsNeverDrift_updateInPlace_recreateWhenDeletedBehindTheBack(@TempDir Path tmp) throws Exception {
        TerraformCli tf = TerraformCli.in(
                tmp,
                Map.of(
                        "SLUICE_ENDPOINT",
                        "http://127.0.0.1:" + sluice.server().port(),
                        "SLUICE_API_KEY",
                        ServerFixture.TOKEN));
        tf.write(config("atreides"));
        tf.ok("apply", "-auto-approve", "-input=false", "-no-color");
        ApiClient.Reply got = api.get("/api/destinations/http_endpoints/tf-hook");
        assertThat(got.status()).as(got.text()).isEqualTo(200);
        assertThat(got.text()).doesNotContain("s3cret");
        tf.assertNoChanges();

        tf.write(config("fremen"));
        assertThat(tf.ok("apply", "-auto-approve", "-input=false", "-no-color")).contains("1 changed");
        assertThat(api.get("/api/destinations/http_endpoints/tf-hook")
                        .get("headers")
                        .get("house")
                        .asString())
                .isEqualTo("fremen");
        tf.assertNoChanges();

        assertThat(api.delete("/api/destinations/http_endpoints/tf-hook").status())
                .isEqualTo(200);
        TerraformCli.Result plan = tf.run("plan", "-detailed-exitcode", "-input=false", "-no-color");
        assertThat(plan.exit()).as(plan.out()).isEqualTo(2);
        assertThat(plan.out()).contains("will be created");
        tf.ok("apply", "-auto-approve", "-input=false", "-no-color");
        tf.assertNoChanges();

        tf.ok("destroy", "-auto-approve", "-input=false", "-no-color");
        assertThat(api.get("/api/destinations/http_endpoints/tf-hook").status()).isEqualTo(404);
    }
}
