package dev.sluice.sink.elasticsearch;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.testkit.FreePort;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A loopback gateway in front of the {@link OpenSearchNode}, as a cluster with security would sit behind one: it
 * checks the {@code Authorization} header (401 with Elasticsearch's {@code security_exception} body otherwise, since
 * the node itself runs without security), forwards everything else unchanged, and records what it sees:
 *
 * <ul>
 *   <li>the {@code Authorization} headers received, to check the auth modes;
 *   <li>per index, each bulk {@code index} source the node answered 2xx for, in the order of the node's answers: the
 *       arrival order a conformance test reads (an index keeps only a document's last version);
 *   <li>on demand, throttling of the bulk items of chosen {@code _id}s: such an item is taken out of the forwarded
 *       request and answered with Elasticsearch's per-item 429 {@code es_rejected_execution_exception}, as a full
 *       write queue does.
 * </ul>
 */
final class GatewayProxy implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final OpenSearchNode node;
    private volatile String expectedAuthorization;
    private final int port = FreePort.find();
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final Map<String, List<String>> indexed = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> throttled = new ConcurrentHashMap<>();
    private final Object recording = new Object();
    private ExecutorService executor;
    private HttpServer server;

    GatewayProxy(OpenSearchNode node, String expectedAuthorization) {
        this.node = node;
        this.expectedAuthorization = expectedAuthorization;
    }

    void start() throws IOException {
        executor = Executors.newVirtualThreadPerTaskExecutor();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    void stop() {
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
            server = null;
        }
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** From now on, takes only requests with this {@code Authorization} header. */
    void expect(String authorization) {
        this.expectedAuthorization = authorization;
    }

    List<String> authorizations() {
        return List.copyOf(authorizations);
    }

    /** The sources indexed in {@code index} through this gateway, in the order the node took them. */
    List<String> indexed(String index) {
        synchronized (recording) {
            return List.copyOf(indexed.getOrDefault(index, List.of()));
        }
    }

    /** Answers the next {@code times} bulk items of document {@code id} with a 429, without forwarding them. */
    void throttle(String id, int times) {
        throttled.put(id, new AtomicInteger(times));
    }

    @Override
    public void close() {
        stop();
        http.close();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            authorizations.add(String.valueOf(auth));
            if (!expectedAuthorization.equals(auth)) {
                reply(
                        exchange,
                        401,
                        ("{\"error\":{\"type\":\"security_exception\",\"reason\":\"unable to authenticate"
                                        + " user for REST request\"},\"status\":401}")
                                .getBytes(StandardCharsets.UTF_8));
                return;
            }
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            String path = exchange.getRequestURI().getRawPath();
            String query = exchange.getRequestURI().getRawQuery();
            if (path.endsWith("/_bulk") && exchange.getRequestMethod().equals("POST")) {
                bulk(exchange, path, query, body);
                return;
            }
            HttpResponse<byte[]> r = forward(exchange.getRequestMethod(), path, query, body);
            reply(exchange, r.statusCode(), exchange.getRequestMethod().equals("HEAD") ? null : r.body());
        } catch (IOException | InterruptedException e) {
            exchange.sendResponseHeaders(502, -1);
        }
    }

    /** Forwards a bulk request less its throttled items, and records the sources the node took. */
    private void bulk(HttpExchange exchange, String path, String query, byte[] body)
            throws IOException, InterruptedException {
        String index = path.substring(1, path.length() - "/_bulk".length());
        String[] lines = new String(body, StandardCharsets.UTF_8).split("\n");
        List<String[]> entries = new ArrayList<>(); // {action line, source line or null}
        for (int i = 0; i < lines.length; i++) {
            String action = lines[i];
            boolean hasSource = !action.startsWith("{\"delete\"");
            entries.add(new String[] {action, hasSource ? lines[++i] : null});
        }
        StringBuilder forwarded = new StringBuilder();
        boolean[] kept = new boolean[entries.size()];
        for (int i = 0; i < entries.size(); i++) {
            String[] e = entries.get(i);
            AtomicInteger left = throttled.get(id(e[0]));
            kept[i] = left == null || left.getAndDecrement() <= 0;
            if (kept[i]) {
                forwarded.append(e[0]).append('\n');
                if (e[1] != null) {
                    forwarded.append(e[1]).append('\n');
                }
            }
        }
        ArrayNode nodeItems = JSON.createArrayNode();
        if (!forwarded.isEmpty()) {
            HttpResponse<byte[]> r =
                    forward("POST", path, query, forwarded.toString().getBytes(StandardCharsets.UTF_8));
            if (r.statusCode() != 200) {
                reply(exchange, r.statusCode(), r.body());
                return;
            }
            nodeItems = (ArrayNode) JSON.readTree(r.body()).path("items");
        }
        ArrayNode items = JSON.createArrayNode();
        boolean errors = false;
        synchronized (recording) {
            int k = 0;
            for (int i = 0; i < entries.size(); i++) {
                String[] e = entries.get(i);
                JsonNode item;
                if (kept[i]) {
                    item = nodeItems.get(k++);
                } else {
                    ObjectNode result = JSON.createObjectNode();
                    result.put("_index", index).put("_id", id(e[0])).put("status", 429);
                    result.putObject("error")
                            .put("type", "es_rejected_execution_exception")
                            .put("reason", "rejected execution of coordinating operation (throttled by the test)");
                    item = JSON.createObjectNode().set(e[1] == null ? "delete" : "index", result);
                }
                int status = item.iterator().next().path("status").asInt();
                errors |= status >= 300;
                if (e[1] != null && status >= 200 && status < 300) {
                    indexed.computeIfAbsent(index, x -> new ArrayList<>()).add(e[1]);
                }
                items.add(item);
            }
        }
        ObjectNode response = JSON.createObjectNode().put("took", 1).put("errors", errors);
        response.set("items", items);
        reply(exchange, 200, JSON.writeValueAsBytes(response));
    }

    private HttpResponse<byte[]> forward(String method, String path, String query, byte[] body)
            throws IOException, InterruptedException {
        URI uri = node.url().resolve(path + (query == null ? "" : "?" + query));
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30));
        b.header("Content-Type", "application/json");
        b.method(
                method,
                body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String id(String actionLine) {
        return JSON.readTree(actionLine).iterator().next().path("_id").asString();
    }

    private static void reply(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        if (body == null || body.length == 0) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
