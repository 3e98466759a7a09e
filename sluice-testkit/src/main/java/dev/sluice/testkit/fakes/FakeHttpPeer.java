package dev.sluice.testkit.fakes;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the protocol fakes share: a JDK {@link HttpServer} on a loopback port that can be stopped (connections
 * refused) and started again at the same port with its data kept, as a restarted server that persists to disk; a
 * request body limit; and switchable throttling. A subclass answers the requests in {@link #handle}.
 *
 * <p>Thread-safe: requests are served on virtual threads; subclasses guard their data with their own lock.
 */
public abstract class FakeHttpPeer implements AutoCloseable {
    /** Jackson, for the subclasses' request and response bodies. */
    protected static final JsonMapper JSON = JsonMapper.builder().build();

    private final int port;
    private volatile @Nullable HttpServer server;
    private @Nullable ExecutorService executor;
    private volatile long maxPayloadBytes;
    private volatile int throttleStatus;

    /** Binds a free loopback port and starts serving. */
    protected FakeHttpPeer(long maxPayloadBytes) {
        this.maxPayloadBytes = maxPayloadBytes;
        this.port = bind(0);
    }

    /** The base URL, {@code http://127.0.0.1:<port>}. */
    public final URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** The largest request body taken; a larger one is answered {@code 413}. */
    public final void maxPayloadBytes(long bytes) {
        this.maxPayloadBytes = bytes;
    }

    /** The request body limit. */
    public final long maxPayloadBytes() {
        return maxPayloadBytes;
    }

    /**
     * Answers every request with {@code status} (429 or 503, say) until called with 0. The body is the peer's own for
     * that status ({@link #throttled}).
     */
    public final void throttle(int status) {
        this.throttleStatus = status;
    }

    /** Stops listening: new connections are refused and open ones closed. The data stays. */
    public final synchronized void stop() {
        HttpServer s = server;
        if (s != null) {
            s.stop(0);
            server = null;
            if (executor != null) {
                executor.shutdownNow();
            }
        }
    }

    /** Listens again at the same port, with the data it had. */
    public final synchronized void restart() {
        if (server == null) {
            bind(port);
        }
    }

    /** Whether it listens. */
    public final boolean running() {
        return server != null;
    }

    @Override
    public void close() {
        stop();
    }

    /**
     * Answers one request whose body is within the limit.
     *
     * @param method the HTTP method
     * @param path the path's segments, each decoded ({@code /collections/a%2Fb} is {@code [collections, a/b]})
     * @param query the decoded query parameters
     * @param exchange for the request headers
     * @param body the request body
     */
    protected abstract Reply handle(
            String method, List<String> path, Map<String, String> query, HttpExchange exchange, byte[] body);

    /** The peer's answer to a request over the body limit. */
    protected abstract Reply tooLarge();

    /** The peer's answer while {@link #throttle throttled} with {@code status}. */
    protected abstract Reply throttled(int status);

    /** An HTTP answer: status, content type and body. */
    protected record Reply(int status, String contentType, byte[] body) {
        /** A JSON answer. */
        public static Reply json(int status, Object value) {
            return new Reply(status, "application/json; charset=utf-8", JSON.writeValueAsBytes(value));
        }

        /** A JSON {@code {"message": …}} answer. */
        public static Reply message(int status, String message) {
            return json(status, Map.of("message", message));
        }
    }

    // ---- serving

    private synchronized int bind(int at) {
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), at), 64);
            executor = Executors.newVirtualThreadPerTaskExecutor();
            s.setExecutor(executor);
            s.createContext("/", this::serve);
            s.start();
            server = s;
            return s.getAddress().getPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on 127.0.0.1:" + at, e);
        }
    }

    private void serve(HttpExchange exchange) throws IOException {
        try (exchange) {
            Reply reply;
            int throttle = throttleStatus;
            if (throttle != 0) {
                drain(exchange.getRequestBody());
                reply = throttled(throttle);
            } else {
                byte[] body = read(exchange);
                if (body == null) {
                    reply = tooLarge();
                } else {
                    URI uri = exchange.getRequestURI();
                    reply = handle(
                            exchange.getRequestMethod(),
                            segments(uri.getRawPath()),
                            query(uri.getRawQuery()),
                            exchange,
                            body);
                }
            }
            exchange.getResponseHeaders().set("Content-Type", reply.contentType());
            if (reply.body().length == 0) {
                exchange.sendResponseHeaders(reply.status(), -1);
            } else {
                exchange.sendResponseHeaders(reply.status(), reply.body().length);
                exchange.getResponseBody().write(reply.body());
            }
        }
    }

    /** The body, or null when it is over the limit (by its Content-Length, or as read). */
    private byte @Nullable [] read(HttpExchange exchange) throws IOException {
        long limit = maxPayloadBytes;
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        InputStream in = exchange.getRequestBody();
        if (length != null && Long.parseLong(length.strip()) > limit) {
            drain(in);
            return null;
        }
        byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
        if (body.length > limit) {
            drain(in);
            return null;
        }
        return body;
    }

    private static void drain(InputStream in) throws IOException {
        in.transferTo(OutputStreamSink.INSTANCE);
    }

    private static List<String> segments(String rawPath) {
        List<String> out = new ArrayList<>();
        for (String s : rawPath.split("/")) {
            if (!s.isEmpty()) {
                out.add(URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static Map<String, String> query(@Nullable String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            out.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return out;
    }

    /** Discards what is written. */
    private static final class OutputStreamSink extends java.io.OutputStream {
        static final OutputStreamSink INSTANCE = new OutputStreamSink();

        @Override
        public void write(int b) {}

        @Override
        public void write(byte[] b, int off, int len) {}
    }
}
