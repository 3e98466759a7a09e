package dev.sluice.terraform.plugin;

import dev.sluice.terraform.provider.ProviderService;
import dev.sluice.terraform.resources.Resources;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * The provider process, as Terraform starts it (go-plugin): checks the magic cookie, serves tfplugin6, the health
 * service and the controller on 127.0.0.1 with automatic mutual TLS, prints the one handshake line on stdout, and
 * exits when Terraform calls the controller's Shutdown. SIGINT is ignored: Terraform forwards Ctrl-C as StopProvider
 * and a JVM would otherwise die mid-apply.
 */
public final class PluginMain {
    static final String MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE";
    static final String MAGIC_COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

    private PluginMain() {}

    public static void main(String[] args) throws Exception {
        // The handshake owns stdout; anything else printed there would be read as a malformed handshake.
        PrintStream handshake = new PrintStream(
                new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.US_ASCII);
        System.setOut(System.err);
        if (args.length == 1 && args[0].equals("--cds-training")) {
            Training.run();
            System.exit(0);
        }
        if (!MAGIC_COOKIE.equals(System.getenv(MAGIC_COOKIE_KEY))) {
            System.err.println("This is a Terraform plugin: Terraform starts it. Use it from a Terraform configuration"
                    + " whose required_providers names sluice/sluice (see docs/terraform.md).");
            System.exit(1);
        }
        String versions = System.getenv().getOrDefault("PLUGIN_PROTOCOL_VERSIONS", "6");
        if (!java.util.Arrays.asList(versions.split(",")).contains("6")) {
            System.err.println("Terraform offers plugin protocol " + versions + "; this provider speaks 6 (Terraform"
                    + " 1.0 or newer).");
            System.exit(1);
        }
        ignoreSigint();

        String clientCert = System.getenv("PLUGIN_CLIENT_CERT");
        AutoTls tls = clientCert == null || clientCert.isBlank() ? null : AutoTls.forClient(clientCert);
        CountDownLatch shutdown = new CountDownLatch(1);
        ProviderService service = new ProviderService(Resources.all(), Resources.dataSources(), System::getenv);
        PluginServer server = PluginServer.start(tls == null ? null : tls.context(), service, shutdown::countDown);
        handshake.println("1|6|tcp|127.0.0.1:" + server.port() + "|grpc|" + (tls == null ? "" : tls.handshakeField()));
        shutdown.await();
        // Terraform waits for the process to end after Shutdown, once per phase: let the answers in flight go out,
        // then end at once. The provider holds nothing to save, so the JVM's orderly exit would only cost time.
        server.stop(Duration.ofMillis(500));
        service.close();
        Runtime.getRuntime().halt(0);
    }

    @SuppressWarnings("restriction")
    private static void ignoreSigint() {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> {});
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // No SIGINT on this platform.
        }
    }
}
