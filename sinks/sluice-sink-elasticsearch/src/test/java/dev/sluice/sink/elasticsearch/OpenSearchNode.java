package dev.sluice.sink.elasticsearch;

import dev.sluice.testkit.FreePort;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.opensearch.Version;
import org.opensearch.common.settings.Settings;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.PluginInfo;
import org.opensearch.transport.Netty4ModulePlugin;

/**
 * A real single-node OpenSearch, run in this JVM from its Maven Central artifacts ({@code org.opensearch:opensearch}
 * and the Netty4 transport plugin, loaded as a classpath plugin): single-node discovery, security off (OpenSearch's
 * core has none; the security plugin is not loaded), HTTP on a free loopback port, {@code path.home} and {@code
 * path.data} in a temporary directory. {@link #stop()} closes the node; {@link #restart()} starts a new one on the
 * same port and data directory, so indices survive.
 */
final class OpenSearchNode implements AutoCloseable {
    private static OpenSearchNode shared;

    /**
     * The node the module's tests share, started on first use (a start takes some 20 s) and closed when the JVM
     * exits. A test that stops it restarts it before it ends.
     */
    static synchronized OpenSearchNode shared() throws Exception {
        if (shared == null) {
            OpenSearchNode node = new OpenSearchNode();
            node.start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    node.close();
                } catch (Exception e) {
                    // exiting anyway
                }
            }));
            shared = node;
        }
        return shared;
    }

    /** Creates {@code index} with one shard and no replica (a green single node). */
    void createIndex(String index, String mappings) throws Exception {
        HttpResponse<String> r = send(
                "PUT",
                "/" + index,
                "{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":0}"
                        + (mappings.isEmpty() ? "" : ",\"mappings\":" + mappings) + "}");
        if (r.statusCode() != 200) {
            throw new IllegalStateException("creating index " + index + ": " + r.statusCode() + " " + r.body());
        }
    }

    /** The node's {@code http.max_content_length}; the sink's {@code max_request_bytes} in tests matches it. */
    static final int MAX_CONTENT_BYTES = 1024 * 1024;

    private final int httpPort = FreePort.find();
    private final int transportPort = FreePort.find();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Path home;
    private Node node;

    /** The node as the Netty4 plugin on the classpath needs it. */
    private static final class ClasspathNode extends Node {
        ClasspathNode(Settings settings) {
            super(
                    InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> "sluice-test"),
                    List.of(new PluginInfo(
                            "transport-netty4",
                            "Netty 4 HTTP and transport",
                            Version.CURRENT.toString(),
                            Version.CURRENT,
                            "21",
                            Netty4ModulePlugin.class.getName(),
                            null,
                            List.of(),
                            false)),
                    true);
        }
    }

    void start() throws Exception {
        home = Files.createTempDirectory("sluice-opensearch-");
        launch();
    }

    /** The node's base URL, such as {@code http://127.0.0.1:41234}. */
    URI url() {
        return URI.create("http://127.0.0.1:" + httpPort);
    }

    int port() {
        return httpPort;
    }

    void stop() throws IOException {
        if (node != null) {
            node.close();
            try {
                node.awaitClose(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            node = null;
        }
    }

    void restart() throws Exception {
        launch();
    }

    /** Sends a request to the node (no credentials: security is off) and returns the response. */
    HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(url().resolve(path)).timeout(Duration.ofSeconds(30));
        b.header("Content-Type", "application/json");
        b.method(
                method,
                body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws Exception {
        stop();
        if (home != null) {
            try (Stream<Path> files = Files.walk(home)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private void launch() throws Exception {
        Settings settings = Settings.builder()
                .put("path.home", home.toString())
                .put("path.data", home.resolve("data").toString())
                .put("cluster.name", "sluice-test")
                .put("node.name", "sluice-test")
                .put("discovery.type", "single-node")
                .put("network.host", "127.0.0.1")
                .put("http.port", httpPort)
                .put("transport.port", transportPort)
                .put("http.type", "netty4")
                .put("transport.type", "netty4")
                .put("http.max_content_length", MAX_CONTENT_BYTES + "b")
                // Small JVM, small disk: no read-only blocks when the disk fills, one shard and no replica.
                .put("cluster.routing.allocation.disk.threshold_enabled", false)
                .put("node.processors", 2)
                .build();
        node = new ClasspathNode(settings);
        node.start();
        Awaitility.await().atMost(Duration.ofSeconds(120)).ignoreExceptions().until(() -> {
            HttpResponse<String> health = send("GET", "/_cluster/health?wait_for_status=yellow&timeout=5s", "");
            return health.statusCode() == 200;
        });
    }
}
