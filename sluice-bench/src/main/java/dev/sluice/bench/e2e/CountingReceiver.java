package dev.sluice.bench.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A lean webhook endpoint for the drain benchmark: answers 200 to every POST and counts the messages in
 * it by scanning the body for the key {@code "idempotency_key":} without parsing JSON (Jackson writes
 * no space before the colon, and a string value equal to the key name is not followed by one). The
 * testkit's receiver parses and keeps every message, which would cost more than the sink measured.
 */
final class CountingReceiver implements AutoCloseable {
    private static final byte[] NEEDLE = "\"idempotency_key\":".getBytes(StandardCharsets.US_ASCII);

    private final HttpServer server;
    private final ExecutorService executor;
    private final ChangeCounter counter;

    CountingReceiver(ChangeCounter counter) throws IOException {
        this.counter = counter;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/bench");
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            counter.add(occurrences(body));
            exchange.sendResponseHeaders(200, -1);
        }
    }

    static int occurrences(byte[] body) {
        int n = 0;
        int last = body.length - NEEDLE.length;
        outer:
        for (int i = 0; i <= last; i++) {
            if (body[i] != '"') {
                continue;
            }
            for (int k = 1; k < NEEDLE.length; k++) {
                if (body[i + k] != NEEDLE[k]) {
                    continue outer;
                }
            }
            n++;
            i += NEEDLE.length - 1;
        }
        return n;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
