package dev.sluice.testkit.fakes;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A protocol fake of <a href="https://s2.dev">S2</a>'s data plane, built from S2's API reference (not the real
 * service, which cannot run here): append ({@code POST /v1/streams/{stream}/records}) and check-tail ({@code GET
 * /v1/streams/{stream}/records/tail}) on {@code http://127.0.0.1:<port>}, with the basin in the {@code S2-Basin}
 * header (as for a self-hosted S2) or in the host name ({@code <basin>.b.s2.dev}).
 *
 * <p>What it checks as S2 does (<a href="https://s2.dev/docs/api/error-codes">error codes</a>, <a
 * href="https://s2.dev/docs/limits">limits</a>), answering with S2's error body {@code {"code", "message"}}:
 *
 * <ul>
 *   <li>{@code Authorization: Bearer <token>}: missing or unknown, {@code 401 authn}; a token scoped to other basins,
 *       {@code 403 permission_denied};
 *   <li>an unknown basin, {@code 404 basin_not_found}; an unknown stream, {@code 404 stream_not_found}, unless the
 *       basin creates streams on append; a stream name over 512 bytes, {@code 400 bad_path};
 *   <li>appends: JSON with {@code s2-format} {@code raw} (default) or {@code base64} ({@code 400 bad_header}
 *       otherwise, {@code 400 bad_json} for a body that does not parse); 1 to 1000 records, each at most 1 MiB and
 *       together at most 1 MiB of metered bytes ({@code 8 + 2 * headers + names + values + body}), else {@code 422
 *       invalid}; header names not empty; {@code match_seq_num} ({@code 412} with {@code seq_num_mismatch}) and
 *       {@code fencing_token} (the stream's token is empty: {@code 412} with {@code fencing_token_mismatch});
 *   <li>an append is atomic: its records get consecutive sequence numbers, or none does.
 * </ul>
 *
 * <p>A test can switch faults on ({@link #failNextAppends}: {@code 429 rate_limited}, {@code 503 unavailable}, …),
 * stop it and restart it at the same port with the same streams ({@link #stop()}, {@link #restart()}).
 *
 * <p>Thread-safe.
 */
public final class FakeS2 implements AutoCloseable {
    /** S2's limits on an append. */
    public static final int MAX_RECORDS = 1000;

    public static final int MAX_METERED_BYTES = 1024 * 1024;

    /** A record as appended: its sequence number and timestamp, headers ({@code [name, value]}) and body. */
    public record Record(long seqNum, long timestamp, List<List<String>> headers, String body) {}

    /** An injected answer; {@code status} 0 lets the append through (to fail a later one). */
    private record Fault(int status, String code) {}

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Map<String, Boolean> basins = new ConcurrentHashMap<>(); // basin -> creates streams on append
    private final Map<String, List<Record>> streams = new ConcurrentHashMap<>(); // "basin/stream"
    private final Map<String, Set<String>> tokens = new ConcurrentHashMap<>(); // token -> basins (empty: all)
    private final Deque<Fault> faults = new ArrayDeque<>();
    private final AtomicInteger appendRequests = new AtomicInteger();
    private final Clock clock = Clock.systemUTC();
    private volatile @Nullable HttpServer server;
    private int port;

    private FakeS2() {}

    /** Starts a fake on a free local port, with no basins, streams or tokens. */
    public static FakeS2 start() {
        FakeS2 fake = new FakeS2();
        fake.listen(0);
        return fake;
    }

    /** The base URL, as a sink's {@code endpoint_url}: {@code http://127.0.0.1:<port>/v1}. */
    public String endpoint() {
        return "http://127.0.0.1:" + port + "/v1";
    }

    /** Makes a basin; with {@code createStreamOnAppend}, an append to a missing stream creates it (S2's option). */
    public void createBasin(String basin, boolean createStreamOnAppend) {
        basins.put(basin, createStreamOnAppend);
    }

    /** Makes an empty stream in an existing basin. */
    public void createStream(String basin, String stream) {
        if (!basins.containsKey(basin)) {
            throw new IllegalArgumentException("no basin " + basin);
        }
        streams.putIfAbsent(basin + "/" + stream, new ArrayList<>());
    }

    /** Accepts {@code token} for the given basins, or for every basin when none is given. */
    public void addToken(String token, String... scope) {
        tokens.put(token, Set.of(scope));
    }

    /** The records of a stream, in sequence order; empty for a stream that does not exist. */
    public List<Record> records(String basin, String stream) {
        List<Record> records = streams.get(basin + "/" + stream);
        if (records == null) {
            return List.of();
        }
        synchronized (records) {
            return List.copyOf(records);
        }
    }

    /** How many append requests arrived, whatever their answer. */
    public int appendRequests() {
        return appendRequests.get();
    }

    /**
     * Answers the next {@code count} authenticated appends with {@code status} and S2's error {@code code} (such as
     * {@code 429 rate_limited}, {@code 503 unavailable}, {@code 408 request_timeout}), appending nothing.
     */
    public void failNextAppends(int count, int status, String code) {
        synchronized (faults) {
            for (int i = 0; i < count; i++) {
                faults.add(new Fault(status, code));
            }
        }
    }

    /** Lets the next {@code count} appends through before the faults queued after this call. */
    public void passNextAppends(int count) {
        failNextAppends(count, 0, "");
    }

    /** Stops listening: connections are refused until {@link #restart()}. What was appended stays. */
    public void stop() {
        HttpServer s = server;
        if (s != null) {
            s.stop(0);
            server = null;
        }
    }

    /** Listens again at the same port. */
    public void restart() {
        listen(port);
    }

    @Override
    public void close() {
        stop();
    }

    private void listen(int at) {
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), at), 64);
            s.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            s.createContext("/", this::handle);
            s.start();
            port = s.getAddress().getPort();
            server = s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- the API ----

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] request = exchange.getRequestBody().readAllBytes();
            Answer answer = answer(exchange, request);
            byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(answer.status(), body.length);
            exchange.getResponseBody().write(body);
        }
    }

    private record Answer(int status, String body) {
        static Answer error(int status, String code, String message) {
            ObjectNode o = JSON.createObjectNode();
            o.put("code", code);
            o.put("message", message);
            return new Answer(status, o.toString());
        }
    }

    private Answer answer(HttpExchange exchange, byte[] request) {
        String path = exchange.getRequestURI().getRawPath();
        String method = exchange.getRequestMethod();
        boolean tail = path.endsWith("/records/tail");
        String prefix = "/v1/streams/";
        String suffix = tail ? "/records/tail" : "/records";
        if (!path.startsWith(prefix) || !path.endsWith(suffix) || path.length() <= prefix.length() + suffix.length()) {
            return Answer.error(404, "bad_path", "no such route: " + method + " " + path);
        }
        if (!(tail ? method.equals("GET") : method.equals("POST"))) {
            return Answer.error(405, "bad_path", method + " is not supported by this fake on " + path);
        }
        String stream = URLDecoder.decode(
                path.substring(prefix.length(), path.length() - suffix.length()).replace("+", "%2B"),
                StandardCharsets.UTF_8);
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        Set<String> scope = auth != null && auth.startsWith("Bearer ") ? tokens.get(auth.substring(7)) : null;
        if (scope == null) {
            return Answer.error(401, "authn", "access token is missing or invalid");
        }
        String basin = basin(exchange);
        if (basin == null) {
            return Answer.error(400, "bad_header", "no basin: give an S2-Basin header");
        }
        if (!scope.isEmpty() && !scope.contains(basin)) {
            return Answer.error(403, "permission_denied", "the access token has no access to basin " + basin);
        }
        Boolean createOnAppend = basins.get(basin);
        if (createOnAppend == null) {
            return Answer.error(404, "basin_not_found", "basin " + basin + " does not exist");
        }
        if (stream.getBytes(StandardCharsets.UTF_8).length > 512) {
            return Answer.error(400, "bad_path", "stream name is longer than 512 bytes");
        }
        String key = basin + "/" + stream;
        if (tail) {
            List<Record> records = streams.get(key);
            if (records == null) {
                return Answer.error(404, "stream_not_found", "stream " + stream + " does not exist");
            }
            ObjectNode o = JSON.createObjectNode();
            synchronized (records) {
                position(o.putObject("tail"), records.size(), lastTimestamp(records));
            }
            return new Answer(200, o.toString());
        }
        appendRequests.incrementAndGet();
        synchronized (faults) {
            Fault f = faults.poll();
            if (f != null && f.status() != 0) {
                return Answer.error(f.status(), f.code(), "injected by the test");
            }
        }
        List<Record> records = streams.get(key);
        if (records == null) {
            if (!createOnAppend) {
                return Answer.error(404, "stream_not_found", "stream " + stream + " does not exist");
            }
            records = streams.computeIfAbsent(key, k -> new ArrayList<>());
        }
        return append(exchange, request, records);
    }

    private static @Nullable String basin(HttpExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst("S2-Basin");
        if (header != null) {
            return header;
        }
        String host = exchange.getRequestHeaders().getFirst("Host");
        int b = host == null ? -1 : host.indexOf(".b.");
        return b > 0 ? host.substring(0, b) : null;
    }

    private Answer append(HttpExchange exchange, byte[] request, List<Record> records) {
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        if (type == null || !type.startsWith("application/json")) {
            return Answer.error(400, "bad_header", "Content-Type must be application/json, got " + type);
        }
        String format = exchange.getRequestHeaders().getFirst("s2-format");
        boolean base64 = "base64".equals(format);
        if (format != null && !base64 && !format.equals("raw")) {
            return Answer.error(400, "bad_header", "s2-format must be raw or base64, got " + format);
        }
        List<Record> parsed = new ArrayList<>();
        JsonNode input;
        long total = 0;
        try {
            input = JSON.readTree(request);
            JsonNode list = input.get("records");
            if (list == null || !list.isArray()) {
                return Answer.error(400, "bad_json", "missing field `records`");
            }
            if (list.isEmpty() || list.size() > MAX_RECORDS) {
                return Answer.error(422, "invalid", "an append holds 1 to 1000 records, got " + list.size());
            }
            for (JsonNode r : list) {
                List<List<String>> headers = new ArrayList<>();
                long metered = 8;
                JsonNode hs = r.get("headers");
                for (JsonNode h : hs == null ? JSON.createArrayNode() : hs) {
                    if (!h.isArray() || h.size() != 2) {
                        return Answer.error(400, "bad_json", "a header is a [name, value] pair");
                    }
                    String name = data(h.get(0), base64);
                    String value = data(h.get(1), base64);
                    if (name.isEmpty()) {
                        return Answer.error(422, "invalid", "header names must not be empty");
                    }
                    headers.add(List.of(name, value));
                    metered += 2 + utf8(name) + utf8(value);
                }
                String body = r.hasNonNull("body") ? data(r.get("body"), base64) : "";
                metered += utf8(body);
                if (metered > MAX_METERED_BYTES) {
                    return Answer.error(422, "invalid", "a record is " + metered + " metered bytes; at most 1 MiB");
                }
                total += metered;
                parsed.add(new Record(0, 0, headers, body));
            }
        } catch (JacksonException | IllegalArgumentException e) {
            return Answer.error(400, "bad_json", String.valueOf(e.getMessage()));
        }
        if (total > MAX_METERED_BYTES) {
            return Answer.error(422, "invalid", "the batch is " + total + " metered bytes; at most 1 MiB");
        }
        synchronized (records) {
            JsonNode match = input.get("match_seq_num");
            if (match != null && !match.isNull() && match.asLong() != records.size()) {
                ObjectNode o = JSON.createObjectNode();
                o.put("seq_num_mismatch", records.size());
                return new Answer(412, o.toString());
            }
            JsonNode fence = input.get("fencing_token");
            if (fence != null && !fence.isNull() && !fence.asString().isEmpty()) {
                ObjectNode o = JSON.createObjectNode();
                o.put("fencing_token_mismatch", "");
                return new Answer(412, o.toString());
            }
            long now = Math.max(clock.millis(), lastTimestamp(records));
            long start = records.size();
            for (Record r : parsed) {
                records.add(new Record(records.size(), now, r.headers(), r.body()));
            }
            ObjectNode o = JSON.createObjectNode();
            position(o.putObject("start"), start, now);
            position(o.putObject("end"), records.size(), now);
            position(o.putObject("tail"), records.size(), now);
            return new Answer(200, o.toString());
        }
    }

    private static String data(JsonNode node, boolean base64) {
        if (!node.isString()) {
            throw new IllegalArgumentException("record data must be a string");
        }
        return base64
                ? new String(Base64.getDecoder().decode(node.asString()), StandardCharsets.UTF_8)
                : node.asString();
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static long lastTimestamp(List<Record> records) {
        return records.isEmpty() ? 0 : records.getLast().timestamp();
    }

    private static void position(ObjectNode o, long seqNum, long timestamp) {
        o.put("seq_num", seqNum);
        o.put("timestamp", timestamp);
    }
}
