package dev.sluice.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real HTTP server on 127.0.0.1 and a free port that records every request, for webhook tests.
 *
 * <pre>{@code
 * try (WebhookReceiver receiver = WebhookReceiver.start()) {
 *     receiver.respondNext(500, 500);        // the next two requests fail, then 200 again
 *     ... point a webhook sink at receiver.url() ...
 *     List<JsonNode> messages = receiver.awaitMessages(3, Duration.ofSeconds(5));
 * }
 * }</pre>
 *
 * <p>Answers: by default every request gets 200 with an empty body. {@link #respondNext(int...)} queues
 * statuses for the next requests; when the queue is empty, the status set by {@link #respondWith(int)}
 * applies, or 503 while {@link #unavailable()}. {@link #refuseMessages} and {@link #requireHeader} answer
 * 500 and 401 whatever else is set. {@link #hang(Duration)} delays every following response. A 3xx answer
 * carries {@code Location: /redirected}.
 *
 * <p>Concurrency: thread-safe; each request is handled on its own virtual thread, so hanging requests
 * do not hold up others. Requests are recorded in arrival order, before the response is sent.
 */
public final class WebhookReceiver implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /**
     * One received request.
     *
     * @param method HTTP method
     * @param path request path, without the query
     * @param query raw query, or null
     * @param headers header names (case-insensitive) to values
     * @param body request body as UTF-8 text
     * @param json the body parsed as JSON, or null when it is not JSON
     * @param status the status this request was answered with
     */
    public record Request(
            String method,
            String path,
            @Nullable String query,
            Map<String, List<String>> headers,
            String body,
            @Nullable JsonNode json,
            int status) {
        /** The first value of a header, by case-insensitive name. */
        public Optional<String> header(String name) {
            List<String> values = headers.get(name);
            return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
        }

        /**
         * The messages this request carried: each element of a {@code {"data":[...]}} body, else the
         * body itself; empty when the body is not JSON.
         */
        public List<JsonNode> messages() {
            if (json == null) {
                return List.of();
            }
            JsonNode data = json.get("data");
            if (json.isObject() && json.size() == 1 && data != null && data.isArray()) {
                List<JsonNode> out = new ArrayList<>(data.size());
                data.forEach(out::add);
                return out;
            }
            return List.of(json);
        }

        /** True when answered with a 2xx status. */
        public boolean accepted() {
            return status >= 200 && status < 300;
        }
    }

    private final Object lock = new Object();
    private final HttpServer server;
    private final ExecutorService executor;
    private final List<Request> requests = new ArrayList<>();
    // Running totals over requests, so that waiting for a count does not walk every request on each arrival.
    private int messageCount;
    private int acceptedCount;
    private final ArrayDeque<Integer> nextStatuses = new ArrayDeque<>();
    private int status = 200;
    private String responseBody = "";
    private boolean unavailable;
    private Duration hang = Duration.ZERO;
    private java.util.function.@Nullable Predicate<JsonNode> poison;
    private @Nullable String requiredHeader;
    private @Nullable String requiredValue;

    private WebhookReceiver(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Starts a receiver on 127.0.0.1 and a free port. Close it after the test. */
    public static WebhookReceiver start() {
        return start(0);
    }

    /**
     * Starts a receiver on 127.0.0.1 and {@code port} (0: a free one), for example on the port of a receiver closed
     * before, to bring a peer back where a sink has been failing to connect.
     */
    public static WebhookReceiver start(int port) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
            ExecutorService executor = Executors.newThreadPerTaskExecutor(
                    Thread.ofVirtual().name("webhook-receiver-", 0).factory());
            WebhookReceiver receiver = new WebhookReceiver(server, executor);
            server.createContext("/", receiver::handle);
            server.setExecutor(executor);
            server.start();
            return receiver;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the webhook receiver", e);
        }
    }

    /** {@code http://127.0.0.1:<port>/}. */
    public URI url() {
        return URI.create("http://127.0.0.1:" + port() + "/");
    }

    /** {@code http://127.0.0.1:<port>/<path>}; {@code path} may start with a slash. */
    public URI url(String path) {
        return url().resolve(path.startsWith("/") ? path.substring(1) : path);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Answers every following request with {@code status} and an empty body (unless queued or unavailable). */
    public WebhookReceiver respondWith(int status) {
        return respondWith(status, "");
    }

    /** Answers every following request with {@code status} and {@code body}. */
    public WebhookReceiver respondWith(int status, String body) {
        checkStatus(status);
        synchronized (lock) {
            this.status = status;
            this.responseBody = Objects.requireNonNull(body);
        }
        return this;
    }

    /** Answers the next requests with these statuses, in order, before falling back to the default. */
    public WebhookReceiver respondNext(int... statuses) {
        for (int s : statuses) {
            checkStatus(s);
        }
        synchronized (lock) {
            for (int s : statuses) {
                nextStatuses.add(s);
            }
        }
        return this;
    }

    /** Delays every following response by {@code delay}; {@link Duration#ZERO} to answer at once again. */
    public WebhookReceiver hang(Duration delay) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative: " + delay);
        }
        synchronized (lock) {
            hang = delay;
        }
        return this;
    }

    /**
     * Answers 500 to every request carrying a message that {@code poison} matches (null: none), whatever else is
     * set: a row the receiver keeps refusing.
     */
    public WebhookReceiver refuseMessages(java.util.function.@Nullable Predicate<JsonNode> poison) {
        synchronized (lock) {
            this.poison = poison;
        }
        return this;
    }

    /**
     * Answers 401 to every request without header {@code name} set to {@code value}, whatever else is set, as an
     * endpoint checking a token does; null to accept any again.
     */
    public WebhookReceiver requireHeader(@Nullable String name, @Nullable String value) {
        synchronized (lock) {
            this.requiredHeader = name;
            this.requiredValue = value;
        }
        return this;
    }

    /** Answers 503 to every request (after any queued statuses) until {@link #available()}. */
    public WebhookReceiver unavailable() {
        synchronized (lock) {
            unavailable = true;
        }
        return this;
    }

    /** Undoes {@link #unavailable()}. */
    public WebhookReceiver available() {
        synchronized (lock) {
            unavailable = false;
        }
        return this;
    }

    /** Every request received so far, in arrival order (a snapshot). */
    public List<Request> requests() {
        synchronized (lock) {
            return List.copyOf(requests);
        }
    }

    /** Messages of every request so far, whatever the answer, flattened in arrival order. */
    public List<JsonNode> messages() {
        return flatten(requests(), false);
    }

    /** Messages of the requests answered with 2xx, flattened in arrival order. */
    public List<JsonNode> acceptedMessages() {
        return flatten(requests(), true);
    }

    /**
     * Waits until at least {@code n} messages arrived (whatever the answer) and returns all of them.
     *
     * @throws AssertionError on timeout, saying how many arrived
     */
    public List<JsonNode> awaitMessages(int n, Duration timeout) {
        awaitCondition(() -> messageCount() >= n, timeout, () -> n + " messages");
        return messages();
    }

    /**
     * Waits until at least {@code n} messages were answered with 2xx and returns the accepted messages.
     *
     * @throws AssertionError on timeout, saying how many arrived
     */
    public List<JsonNode> awaitAccepted(int n, Duration timeout) {
        awaitCondition(() -> acceptedCount() >= n, timeout, () -> n + " accepted messages");
        return acceptedMessages();
    }

    /**
     * Waits until {@code done} holds for the accepted messages (as {@link #acceptedMessages()} gives them), checking
     * again on every arrival, and returns them.
     *
     * @param what what is awaited, for the failure message
     * @throws AssertionError on timeout
     */
    public List<JsonNode> awaitAccepted(
            java.util.function.Predicate<List<JsonNode>> done, Duration timeout, String what) {
        awaitCondition(() -> done.test(acceptedMessages()), timeout, () -> what);
        return acceptedMessages();
    }

    /**
     * Waits until at least {@code n} requests arrived and returns all of them.
     *
     * @throws AssertionError on timeout, saying how many arrived
     */
    public List<Request> awaitRequests(int n, Duration timeout) {
        awaitCondition(() -> requests().size() >= n, timeout, () -> n + " requests");
        return requests();
    }

    /** Forgets recorded requests and scripted answers. */
    public void reset() {
        synchronized (lock) {
            requests.clear();
            messageCount = 0;
            acceptedCount = 0;
            nextStatuses.clear();
            status = 200;
            responseBody = "";
            unavailable = false;
            hang = Duration.ZERO;
            requiredHeader = null;
            requiredValue = null;
        }
    }

    /** Stops the server at once; hanging requests are dropped. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body;
            try (InputStream in = exchange.getRequestBody()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k, List.copyOf(v)));
            int answer;
            String answerBody;
            Duration delay;
            synchronized (lock) {
                Integer queued = nextStatuses.poll();
                answer = queued != null ? queued : unavailable ? 503 : status;
                answerBody = queued != null || unavailable ? "" : responseBody;
                JsonNode json = parse(body);
                if (poison != null
                        && new Request("", "", null, Map.of(), body, json, 0)
                                .messages().stream().anyMatch(poison)) {
                    answer = 500;
                    answerBody = "refused by the test";
                }
                if (requiredHeader != null
                        && !Objects.equals(
                                requiredValue,
                                headers.getOrDefault(requiredHeader, List.of()).stream()
                                        .findFirst()
                                        .orElse(null))) {
                    answer = 401;
                    answerBody = "";
                }
                delay = hang;
                Request request = new Request(
                        exchange.getRequestMethod(),
                        exchange.getRequestURI().getRawPath(),
                        exchange.getRequestURI().getRawQuery(),
                        Collections.unmodifiableMap(headers),
                        body,
                        json,
                        answer);
                requests.add(request);
                int carried = request.messages().size();
                messageCount += carried;
                acceptedCount += request.accepted() ? carried : 0;
                lock.notifyAll();
            }
            if (!delay.isZero()) {
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return; // closing: drop the connection without an answer
                }
            }
            if (answer >= 300 && answer < 400) {
                exchange.getResponseHeaders().add("Location", "/redirected");
            }
            byte[] out = answerBody.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(answer, out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                exchange.getResponseBody().write(out);
            }
        } catch (IOException e) {
            // The client went away (for example after its timeout); nothing to answer.
        }
    }

    private int messageCount() {
        synchronized (lock) {
            return messageCount;
        }
    }

    private int acceptedCount() {
        synchronized (lock) {
            return acceptedCount;
        }
    }

    /**
     * Waits until {@code done} holds, checking it on every arrival. It is evaluated outside the lock (it may walk every
     * message), so requests keep being recorded meanwhile; an arrival during the check wakes the next one at once.
     */
    private void awaitCondition(
            java.util.function.BooleanSupplier done, Duration timeout, java.util.function.Supplier<String> what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long seen;
            synchronized (lock) {
                seen = requests.size();
            }
            if (done.getAsBoolean()) {
                return;
            }
            synchronized (lock) {
                while (requests.size() == seen) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new AssertionError("expected " + what.get() + " within " + timeout.toMillis()
                                + " ms, got " + requests.size() + " requests with " + messageCount + " messages ("
                                + acceptedCount + " accepted)");
                    }
                    try {
                        TimeUnit.NANOSECONDS.timedWait(lock, left);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new AssertionError("interrupted while waiting for " + what.get(), e);
                    }
                }
            }
        }
    }

    private static List<JsonNode> flatten(List<Request> requests, boolean acceptedOnly) {
        List<JsonNode> out = new ArrayList<>();
        for (Request r : requests) {
            if (!acceptedOnly || r.accepted()) {
                out.addAll(r.messages());
            }
        }
        return out;
    }

    private static @Nullable JsonNode parse(String body) {
        if (body.isBlank()) {
            return null;
        }
        try {
            return JSON.readTree(body);
        } catch (JacksonException e) {
            return null;
        }
    }

    private static void checkStatus(int status) {
        if (status < 200 || status > 599) {
            throw new IllegalArgumentException("not an HTTP status: " + status);
        }
    }
}
