package dev.sluice.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A real HTTP server in front of a Sluice server, for the tests that must see or disturb the traffic: it forwards
 * every request to the target and records it (method, path with query, Idempotency-Key), and can answer the next
 * requests itself with a given status and headers (503 twice, 429 with Retry-After, 403, ...) before forwarding
 * again. Thread-safe.
 */
final class FrontProxy implements AutoCloseable {
    /** One request that reached the proxy. */
    record Seen(String method, String pathAndQuery, String idempotencyKey) {}

    /** An answer the proxy gives itself instead of forwarding. */
    record Fault(int status, Map<String, String> headers, String body, boolean forwardFirst) {}

    private final URI target;
    private final HttpServer server;
    private final HttpClient client = HttpClient.newHttpClient();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final Deque<Fault> faults = new ArrayDeque<>();

    private FrontProxy(URI target) throws IOException {
        this.target = target;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    static FrontProxy to(int port) {
        try {
            return new FrontProxy(URI.create("http://127.0.0.1:" + port));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The next requests get these answers, in order, without reaching the target. */
    synchronized FrontProxy failNext(Fault... next) {
        faults.addAll(List.of(next));
        return this;
    }

    static Fault status(int status) {
        return new Fault(status, Map.of(), summary(status), false);
    }

    static Fault status(int status, String header, String value) {
        return new Fault(status, Map.of(header, value), summary(status), false);
    }

    /** The request reaches the target, but its answer is lost: the client gets {@code status} instead. */
    static Fault lostAnswer(int status) {
        return new Fault(status, Map.of(), summary(status), true);
    }

    private static String summary(int status) {
        return "{\"summary\": \"injected " + status + " by the test proxy\"}";
    }

    List<Seen> seen() {
        return List.copyOf(seen);
    }

    void reset() {
        seen.clear();
        synchronized (this) {
            faults.clear();
        }
    }

    long count(String method, String pathPrefix) {
        return seen.stream()
                .filter(s -> s.method().equals(method) && s.pathAndQuery().startsWith(pathPrefix))
                .count();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath()
                    + (ex.getRequestURI().getRawQuery() == null
                            ? ""
                            : "?" + ex.getRequestURI().getRawQuery());
            String key = ex.getRequestHeaders().getFirst("Idempotency-Key");
            seen.add(new Seen(ex.getRequestMethod(), path, key == null ? "" : key));
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            Fault fault;
            synchronized (this) {
                fault = faults.poll();
            }
            if (fault != null && !fault.forwardFirst()) {
                fault.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.getResponseHeaders().add("X-Request-Id", "proxy-" + seen.size());
                send(ex, fault.status(), fault.body().getBytes(StandardCharsets.UTF_8));
                return;
            }
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(target + path))
                    .method(
                            ex.getRequestMethod(),
                            body.length == 0
                                    ? HttpRequest.BodyPublishers.noBody()
                                    : HttpRequest.BodyPublishers.ofByteArray(body));
            for (String h : List.of("Authorization", "Content-Type", "Accept", "Idempotency-Key")) {
                String v = ex.getRequestHeaders().getFirst(h);
                if (v != null) {
                    b.header(h, v);
                }
            }
            HttpResponse<byte[]> r;
            try {
                r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            if (fault != null) {
                ex.getResponseHeaders().add("Content-Type", "application/json");
                send(ex, fault.status(), fault.body().getBytes(StandardCharsets.UTF_8));
                return;
            }
            r.headers().map().forEach((k, vs) -> {
                if (!k.equalsIgnoreCase("content-length")
                        && !k.equalsIgnoreCase("transfer-encoding")
                        && !k.equalsIgnoreCase("connection")
                        && !k.equals(":status")) {
                    vs.forEach(v -> ex.getResponseHeaders().add(k, v));
                }
            });
            send(ex, r.statusCode(), r.body());
        }
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        client.close();
    }
}
