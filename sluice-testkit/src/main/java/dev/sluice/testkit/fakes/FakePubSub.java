package dev.sluice.testkit.fakes;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A protocol fake of Google Cloud Pub/Sub's REST API (v1) and Google's OAuth 2.0 token endpoint, built from their
 * public references, on 127.0.0.1: what a publisher sees of the service, and a record of what it published.
 *
 * <ul>
 *   <li>{@code POST /token}: the service-account flow ({@code grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer},
 *       an RS256 {@code assertion} whose {@code iss} is a {@linkplain #addServiceAccount registered account}, {@code
 *       aud} this endpoint, {@code exp} at most an hour after {@code iat}); answers {@code {"access_token",
 *       "expires_in", "token_type"}} or {@code 400 {"error": "invalid_grant", "error_description"}}.
 *   <li>{@code PUT /v1/projects/{p}/topics/{t}} creates a topic (as the emulator takes it); {@code GET} answers it or
 *       {@code 404 NOT_FOUND}.
 *   <li>{@code POST /v1/projects/{p}/topics/{t}:publish}: {@code {"messages": [{"data", "attributes",
 *       "orderingKey"}]}} → {@code {"messageIds": [...]}}, checked against Pub/Sub's limits: 1 to 1000 messages,
 *       10 MiB per request, data or attributes in each message, at most 100 attributes, an ordering key of at most
 *       1024 bytes, one ordering key per request; else {@code 400 INVALID_ARGUMENT}.
 *   <li>With {@linkplain #requireAuth auth required} (the real service, the default), a call without a valid bearer
 *       token is {@code 401 UNAUTHENTICATED}, one by an account {@linkplain #deny denied} {@code 403
 *       PERMISSION_DENIED}; without (the emulator), no token is looked at.
 *   <li>Errors have Google's body, {@code {"error": {"code", "message", "status"}}}.
 * </ul>
 *
 * <p>A test can {@linkplain #throttle throttle} it ({@code 429 RESOURCE_EXHAUSTED} or {@code 503 UNAVAILABLE}),
 * {@linkplain #failNextPublishes fail} the next publishes, {@linkplain #expireTokens expire} every token, and {@link
 * #stop()} and {@link #restart()} it on the same port, keeping its topics and messages.
 *
 * <p>Thread-safe. About 500 lines on purpose: the token endpoint and the publish checks belong together (a publish is
 * judged by the token the same fake issued), and splitting the validation of Google's limits from the handler that
 * applies them would spread one API's rules over two files.
 */
public final class FakePubSub implements AutoCloseable {
    /** Most bytes of a publish request. */
    public static final int MAX_REQUEST_BYTES = 10 * 1024 * 1024;
    /** Most messages of a publish request. */
    public static final int MAX_MESSAGES = 1000;
    /** Most bytes of one message's data. */
    public static final int MAX_DATA_BYTES = 10_000_000;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /**
     * A message as Pub/Sub stored it.
     *
     * @param data the decoded data
     * @param attributes its attributes
     * @param orderingKey its ordering key, empty for none
     * @param messageId the id the fake gave it
     */
    public record Published(byte[] data, Map<String, String> attributes, String orderingKey, String messageId) {
        /** The data as UTF-8 text. */
        public String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    /**
     * A publish request that reached a topic (whatever the answer).
     *
     * @param topic {@code projects/{p}/topics/{t}}
     * @param messages how many messages it held
     * @param orderingKeys the distinct ordering keys of its messages
     * @param status the HTTP status answered
     */
    public record PublishCall(String topic, int messages, Set<String> orderingKeys, int status) {}

    private final Object lock = new Object();
    private final Map<String, List<Published>> topics = new LinkedHashMap<>();
    private final FakeOAuth oauth = new FakeOAuth();
    private final Set<String> denied = ConcurrentHashMap.newKeySet();
    private final List<PublishCall> calls = new ArrayList<>();
    private final AtomicLong ids = new AtomicLong(1);
    private volatile boolean authRequired = true;
    private volatile int throttle;
    private volatile @Nullable Predicate<String> refusedData;
    private int skipPublishes;
    private int failPublishes;
    private int failStatus;
    private int tokenRequests;
    private HttpServer server;
    private ExecutorService executor;

    private FakePubSub() {}

    /** Starts a fake on 127.0.0.1 and a free port, requiring auth. Close it after the test. */
    public static FakePubSub start() {
        FakePubSub fake = new FakePubSub();
        fake.listen(0);
        return fake;
    }

    /** {@code http://127.0.0.1:<port>}: the base URL (for {@code endpoint_url} or {@code emulator_base_url}). */
    public URI url() {
        return URI.create("http://127.0.0.1:" + port());
    }

    /** The token endpoint, for a key file's {@code token_uri}. */
    public URI tokenUri() {
        return URI.create(url() + "/token");
    }

    public int port() {
        synchronized (lock) {
            return server.getAddress().getPort();
        }
    }

    /** Whether calls need a bearer token (the real service, the default) or not (the emulator). */
    public FakePubSub requireAuth(boolean required) {
        this.authRequired = required;
        return this;
    }

    /** Lets {@code clientEmail} get tokens with assertions signed by the private key of {@code publicKey}. */
    public FakePubSub addServiceAccount(String clientEmail, PublicKey publicKey) {
        oauth.addAccount(clientEmail, publicKey);
        return this;
    }

    /** Makes {@code clientEmail}'s calls {@code 403 PERMISSION_DENIED} (its role does not allow them). */
    public FakePubSub deny(String clientEmail) {
        denied.add(clientEmail);
        return this;
    }

    /** Creates topic {@code projects/{project}/topics/{topic}}, empty. */
    public FakePubSub createTopic(String project, String topic) {
        synchronized (lock) {
            topics.putIfAbsent(path(project, topic), new ArrayList<>());
        }
        return this;
    }

    /** The messages published to a topic so far, in the order they were taken. */
    public List<Published> published(String project, String topic) {
        synchronized (lock) {
            List<Published> list = topics.get(path(project, topic));
            return list == null ? List.of() : List.copyOf(list);
        }
    }

    /** Every publish request that reached a topic so far. */
    public List<PublishCall> publishCalls() {
        synchronized (lock) {
            return List.copyOf(calls);
        }
    }

    /** How many token requests were answered (with a token or not). */
    public int tokenRequests() {
        synchronized (lock) {
            return tokenRequests;
        }
    }

    /**
     * Answers every call but token requests with {@code status} ({@code 429}: {@code RESOURCE_EXHAUSTED}, {@code
     * 503}: {@code UNAVAILABLE}) until called with 0.
     */
    public FakePubSub throttle(int status) {
        this.throttle = status;
        return this;
    }

    /** Answers the next {@code count} publish requests with {@code status} and Google's error body. */
    public FakePubSub failNextPublishes(int count, int status) {
        return failNextPublishes(0, count, status);
    }

    /** Lets {@code skip} publish requests through, then answers the {@code count} after them with {@code status}. */
    public FakePubSub failNextPublishes(int skip, int count, int status) {
        synchronized (lock) {
            skipPublishes = skip;
            failPublishes = count;
            failStatus = status;
        }
        return this;
    }

    /**
     * Refuses, with {@code 400 INVALID_ARGUMENT}, every publish request holding a message whose data (as UTF-8)
     * {@code refused} matches, as a topic with a schema refuses messages that do not match it; null to stop.
     */
    public FakePubSub refuseData(@Nullable Predicate<String> refused) {
        this.refusedData = refused;
        return this;
    }

    /** Forgets every token handed out: calls with them are {@code 401} until a new one is asked for. */
    public FakePubSub expireTokens() {
        oauth.expireTokens();
        return this;
    }

    /** Stops listening: connections are refused until {@link #restart()}. Topics and messages are kept. */
    public void stop() {
        synchronized (lock) {
            if (server != null) {
                server.stop(0);
                executor.shutdownNow();
            }
        }
    }

    /** Listens again on the same port. */
    public void restart() {
        int p;
        synchronized (lock) {
            p = server.getAddress().getPort();
        }
        listen(p);
    }

    @Override
    public void close() {
        stop();
    }

    private void listen(int at) {
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), at), 0);
            ExecutorService e = Executors.newThreadPerTaskExecutor(
                    Thread.ofVirtual().name("fake-pubsub-", 0).factory());
            s.createContext("/", this::handle);
            s.setExecutor(e);
            s.start();
            synchronized (lock) {
                server = s;
                executor = e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the Pub/Sub fake on port " + at, e);
        }
    }

    // ---- requests

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            String path = exchange.getRequestURI().getRawPath();
            String method = exchange.getRequestMethod();
            if (path.equals("/token") && method.equals("POST")) {
                synchronized (lock) {
                    tokenRequests++;
                }
                oauth.token(
                        exchange,
                        new String(body, StandardCharsets.UTF_8),
                        tokenUri().toString());
                return;
            }
            if (!path.startsWith("/v1/projects/")) {
                error(exchange, 404, "NOT_FOUND", "The requested URL " + path + " was not found on this server.");
                return;
            }
            if (authRequired) {
                String account = oauth.account(exchange.getRequestHeaders().getFirst("Authorization"));
                if (account == null) {
                    error(
                            exchange,
                            401,
                            "UNAUTHENTICATED",
                            "Request had invalid authentication credentials. Expected"
                                    + " OAuth 2 access token, login cookie or other valid authentication credential.");
                    return;
                }
                if (denied.contains(account)) {
                    error(exchange, 403, "PERMISSION_DENIED", "User not authorized to perform this action.");
                    return;
                }
            }
            int t = throttle;
            if (t != 0) {
                error(
                        exchange,
                        t,
                        t == 429 ? "RESOURCE_EXHAUSTED" : "UNAVAILABLE",
                        t == 429
                                ? "Quota exceeded for quota metric 'Publisher throughput'."
                                : "The service is currently unavailable.");
                return;
            }
            String resource = path.substring("/v1/".length());
            if (resource.endsWith(":publish") && method.equals("POST")) {
                publish(exchange, resource.substring(0, resource.length() - ":publish".length()), body);
            } else if (method.equals("GET")) {
                synchronized (lock) {
                    if (!topics.containsKey(resource)) {
                        notFound(exchange, resource);
                        return;
                    }
                }
                reply(exchange, 200, "{\"name\":\"" + resource + "\"}");
            } else if (method.equals("PUT")) {
                synchronized (lock) {
                    if (topics.putIfAbsent(resource, new ArrayList<>()) != null) {
                        error(exchange, 409, "ALREADY_EXISTS", "Topic already exists");
                        return;
                    }
                }
                reply(exchange, 200, "{\"name\":\"" + resource + "\"}");
            } else {
                error(exchange, 405, "METHOD_NOT_ALLOWED", "Method not allowed: " + method);
            }
        }
    }

    private void publish(HttpExchange exchange, String topic, byte[] body) throws IOException {
        synchronized (lock) {
            if (skipPublishes > 0) {
                skipPublishes--;
            } else if (failPublishes > 0) {
                failPublishes--;
                calls.add(new PublishCall(topic, -1, Set.of(), failStatus));
                int s = failStatus;
                error(exchange, s, status(s), "Injected failure (" + s + ")");
                return;
            }
        }
        if (body.length > MAX_REQUEST_BYTES) {
            invalid(
                    exchange,
                    topic,
                    0,
                    Set.of(),
                    "Request payload size exceeds the limit: " + MAX_REQUEST_BYTES + " bytes.");
            return;
        }
        JsonNode request;
        try {
            request = JSON.readTree(body);
        } catch (JacksonException e) {
            invalid(exchange, topic, 0, Set.of(), "Invalid JSON payload received.");
            return;
        }
        JsonNode messages = request.path("messages");
        if (!messages.isArray() || messages.isEmpty()) {
            invalid(
                    exchange,
                    topic,
                    0,
                    Set.of(),
                    "The value for message_count is too small. You passed 0 in the"
                            + " request, but the minimum value is 1.");
            return;
        }
        List<Published> taken = new ArrayList<>();
        Set<String> keys = new java.util.LinkedHashSet<>();
        for (JsonNode m : messages) {
            keys.add(m.path("orderingKey").asString(""));
        }
        int count = messages.size();
        if (count > MAX_MESSAGES) {
            invalid(
                    exchange,
                    topic,
                    count,
                    keys,
                    "The value for message_count is too large. You passed " + count
                            + " in the request, but the maximum value is " + MAX_MESSAGES + ".");
            return;
        }
        if (keys.size() > 1) {
            invalid(exchange, topic, count, keys, "All messages in a publish request must have the same ordering key.");
            return;
        }
        for (JsonNode m : messages) {
            byte[] data;
            try {
                data = Base64.getDecoder().decode(m.path("data").asString(""));
            } catch (IllegalArgumentException e) {
                invalid(
                        exchange,
                        topic,
                        count,
                        keys,
                        "Invalid value at 'messages.data' (TYPE_BYTES), Base64 decoding" + " failed.");
                return;
            }
            Map<String, String> attributes = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> a : m.path("attributes").properties()) {
                attributes.put(a.getKey(), a.getValue().asString(""));
            }
            String key = m.path("orderingKey").asString("");
            if (data.length == 0 && attributes.isEmpty()) {
                invalid(
                        exchange,
                        topic,
                        count,
                        keys,
                        "Some messages are empty. Each message must contain non-empty"
                                + " data, or at least one attribute.");
                return;
            }
            if (data.length > MAX_DATA_BYTES) {
                invalid(exchange, topic, count, keys, "Message data is too large: " + data.length + " bytes.");
                return;
            }
            if (attributes.size() > 100) {
                invalid(exchange, topic, count, keys, "Too many attributes: at most 100.");
                return;
            }
            if (key.getBytes(StandardCharsets.UTF_8).length > 1024) {
                invalid(exchange, topic, count, keys, "An ordering key is longer than 1024 bytes.");
                return;
            }
            Predicate<String> refused = refusedData;
            if (refused != null && refused.test(new String(data, StandardCharsets.UTF_8))) {
                invalid(exchange, topic, count, keys, "Invalid data in message: Message failed schema validation.");
                return;
            }
            taken.add(new Published(data, Map.copyOf(attributes), key, Long.toString(ids.getAndIncrement())));
        }
        StringBuilder reply = new StringBuilder("{\"messageIds\":[");
        synchronized (lock) {
            List<Published> list = topics.get(topic);
            if (list == null) {
                calls.add(new PublishCall(topic, count, keys, 404));
                notFound(exchange, topic);
                return;
            }
            list.addAll(taken);
            calls.add(new PublishCall(topic, count, keys, 200));
        }
        for (int i = 0; i < taken.size(); i++) {
            reply.append(i == 0 ? "" : ",")
                    .append('"')
                    .append(taken.get(i).messageId())
                    .append('"');
        }
        reply(exchange, 200, reply.append("]}").toString());
    }

    private void invalid(HttpExchange exchange, String topic, int count, Set<String> keys, String message)
            throws IOException {
        synchronized (lock) {
            calls.add(new PublishCall(topic, count, keys, 400));
        }
        error(exchange, 400, "INVALID_ARGUMENT", message);
    }

    private static void notFound(HttpExchange exchange, String resource) throws IOException {
        String name = resource.substring(resource.lastIndexOf('/') + 1);
        error(exchange, 404, "NOT_FOUND", "Resource not found (resource=" + name + ").");
    }

    private static String status(int code) {
        return switch (code) {
            case 400 -> "INVALID_ARGUMENT";
            case 401 -> "UNAUTHENTICATED";
            case 403 -> "PERMISSION_DENIED";
            case 404 -> "NOT_FOUND";
            case 409 -> "ALREADY_EXISTS";
            case 429 -> "RESOURCE_EXHAUSTED";
            case 503 -> "UNAVAILABLE";
            case 504 -> "DEADLINE_EXCEEDED";
            default -> "INTERNAL";
        };
    }

    private static void error(HttpExchange exchange, int code, String status, String message) throws IOException {
        StringBuilder body =
                new StringBuilder("{\"error\":{\"code\":").append(code).append(",\"message\":");
        body.append(JSON.writeValueAsString(message))
                .append(",\"status\":\"")
                .append(status)
                .append("\"}}");
        reply(exchange, code, body.toString());
    }

    static void reply(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static String path(String project, String topic) {
        return "projects/" + project + "/topics/" + topic;
    }
}
