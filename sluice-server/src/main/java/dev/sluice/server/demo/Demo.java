package dev.sluice.server.demo;

import com.sun.net.httpserver.HttpServer;
import dev.sluice.server.config.ConfigLoader;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.runtime.ServerOptions;
import dev.sluice.server.runtime.SluiceServer;
import dev.sluice.server.runtime.StartupException;
import dev.sluice.server.store.EmbeddedMetadataPostgres;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * {@code sluice demo}: CDC in one command. An embedded Postgres holds both a demo source database
 * (customers and orders, with a small workload) and Sluice's metadata; a webhook sink posts every
 * change to a local receiver that prints it. Everything lives under {@code $SLUICE_HOME/demo} and is
 * recreated on each run; Ctrl-C stops the workload, Sluice, the receiver and Postgres, in that order.
 */
public final class Demo {
    private Demo() {}

    public static int run(Path home, int port, double rate) throws StartupException {
        PrintStream out = System.out;
        Path dir = home.resolve("demo");
        EmbeddedMetadataPostgres pg;
        try {
            deleteRecursively(dir);
            out.println("Starting an embedded Postgres for the demo (first start unpacks it: a few seconds)...");
            pg = EmbeddedMetadataPostgres.start(dir.resolve("pg"), true);
            pg.ensureDatabase("demo");
            pg.ensureDatabase("sluice");
            DemoWorkload.createSchema(pg.jdbcUrl("demo"));
        } catch (IOException | SQLException e) {
            throw new StartupException("cannot start the demo Postgres: " + e.getMessage(), e);
        }
        HttpServer receiver;
        try {
            receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            pg.close();
            throw new StartupException("cannot start the demo receiver: " + e.getMessage(), e);
        }
        MessagePrinter printer = new MessagePrinter(out);
        receiver.createContext("/", printer);
        receiver.start();
        String receiverUrl = "http://127.0.0.1:" + receiver.getAddress().getPort();

        SluiceConfig config = demoConfig(pg.port(), receiverUrl);
        SluiceServer server;
        try {
            server = SluiceServer.start(new ServerOptions(dir, port, null, config, pg.jdbcUrl("sluice"), null));
        } catch (StartupException e) {
            receiver.stop(0);
            pg.close();
            throw e;
        }
        DemoWorkload workload = new DemoWorkload(pg.jdbcUrl("demo"), rate);
        workload.start();

        out.println();
        out.println("Sluice demo is running.");
        out.println("  source:  postgres://postgres@localhost:" + pg.port() + "/demo  (tables public.customers,"
                + " public.orders; try your own INSERT/UPDATE/DELETE)");
        out.println("  sink:    webhook -> " + receiverUrl + "/demo  (each delivered message is printed below)");
        out.println("  console: http://localhost:" + server.port() + "/  (sign in with the API token printed above)");
        out.println("  health:  http://localhost:" + server.port() + "/health");
        out.println("Press Ctrl-C to stop.");
        out.println();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            workload.close();
                            server.close();
                            receiver.stop(0);
                            pg.close();
                            out.println("Demo stopped (" + printer.count() + " messages delivered).");
                            stopped.countDown();
                        },
                        "demo-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    static SluiceConfig demoConfig(int pgPort, String receiverUrl) {
        // Written as a user would write sluice.yaml, and read the same way.
        String yaml = """
                databases:
                  - name: demo
                    hostname: localhost
                    port: %d
                    database: demo
                    username: postgres
                    ssl: false
                    pool_size: 5
                    slot: {name: sluice_demo_slot, create_if_not_exists: true}
                    publication: {name: sluice_demo_pub, create_if_not_exists: true}
                http_endpoints:
                  - name: demo-receiver
                    url: "%s"
                sinks:
                  - name: demo-webhook
                    database: demo
                    batch_size: 1
                    destination:
                      type: webhook
                      http_endpoint: demo-receiver
                      http_endpoint_path: /demo
                      batch: false
                      request_timeout_ms: 10000
                """.formatted(pgPort, receiverUrl);
        return ConfigLoader.parse(yaml, "demo", name -> null);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        EmbeddedMetadataPostgres.stopOrphanIn(dir.resolve("pg"));
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
