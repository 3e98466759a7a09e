package dev.sluice.sink.webhook;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.function.BiConsumer;
import javax.net.ssl.SSLSocketFactory;
import org.jspecify.annotations.Nullable;

/**
 * Delivers messages to an HTTP endpoint with JSON POST requests, or, for a batch with routing, with the method, path
 * and extra headers its routing sets ({@link WebhookRouting}).
 *
 * <p>Body: with {@link WebhookConfig#batch()} one request per batch, {@code {"data":[m1,m2,...]}} (also
 * for a single message); without it one request per message whose body is the message itself, sent
 * one after another in batch order, stopping at the first failure. Message JSON is copied as encoded,
 * never parsed again.
 *
 * <p>Success is any 2xx status. Anything else fails the batch with a retriable {@link SinkException}
 * naming the status, the URL (without user info and query values) and the start of the response body;
 * redirects are not followed. Timeouts, refused connections and unknown hosts are retriable failures
 * too. The engine retries; this class never does. Header values never appear in messages.
 *
 * <p>Concurrency: thread-safe. One {@link Http1Client} per sink: keep-alive connections, each request sent and awaited
 * on a worker thread of the sink (why not the JDK's client: see there). {@link #deliver(Batch)} never blocks; its stage
 * completes on that worker thread, so completion callbacks must stay short.
 */
public final class WebhookSink implements Sink {
    private static final byte[] BATCH_OPEN = "{\"data\":[".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BATCH_CLOSE = "]}".getBytes(StandardCharsets.US_ASCII);
    private static final int ERROR_BODY_CHARS = 200;
    private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final WebhookConfig config;
    private final String displayUrl;
    private final Duration connectTimeout;
    private final Http1Client client;
    private final WebhookRouting routing;
    private volatile boolean closed;

    /**
     * Creates the sink and its HTTP client. No connection is opened until the first delivery.
     *
     * @param config validated configuration; not null
     */
    public WebhookSink(WebhookConfig config) {
        this(config, null);
    }

    /** With the TLS socket factory for https URLs (tests trust their own certificate); null for the JVM's default. */
    WebhookSink(WebhookConfig config, @Nullable SSLSocketFactory tls) {
        this.config = config;
        this.displayUrl = Redaction.url(config.url());
        Duration timeout = config.requestTimeout();
        this.connectTimeout = timeout.compareTo(MAX_CONNECT_TIMEOUT) < 0 ? timeout : MAX_CONNECT_TIMEOUT;
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json");
        headers.put("User-Agent", "sluice-webhook");
        String basic = basicAuthorization(config);
        if (basic != null) {
            headers.put("Authorization", basic);
        }
        headers.putAll(config.headers());
        this.client = new Http1Client(withoutUserInfo(config.url()), headers, connectTimeout, timeout, tls);
        this.routing = new WebhookRouting(config, client);
    }

    /** The configuration this sink was created with. */
    public WebhookConfig config() {
        return config;
    }

    /**
     * Sends the batch: POSTs it to the sink's URL, or, when the batch has {@linkplain Batch#routing() routing}, with
     * the routed method, path and headers (see {@link WebhookRouting}). The stage completes normally once every request
     * got a 2xx response, or exceptionally with a {@link SinkException} at the first failure, or at once when a routed
     * value is invalid. Never blocks.
     */
    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        return deliver(batch, null);
    }

    /**
     * As {@link #deliver(Batch)}, completing with the method and URL (without user info and query values) of the
     * last request and its status; {@code N requests} first when the batch took more than one (one per message
     * without {@code batch}). Header values are never shown.
     */
    @Override
    public CompletionStage<Sink.@Nullable Exchange> deliverTraced(Batch batch) {
        Sink.Exchange[] last = new Sink.Exchange[1];
        int[] requests = new int[1];
        return deliver(batch, (request, reply) -> {
                    requests[0]++;
                    last[0] = new Sink.Exchange(
                            method(request) + " " + request.displayUrl(), String.valueOf(reply.status()));
                })
                .thenApply(done -> last[0] == null || requests[0] == 1
                        ? last[0]
                        : new Sink.Exchange(
                                requests[0] + " requests, the last: " + last[0].request(), last[0].response()));
    }

    private CompletionStage<Void> deliver(
            Batch batch, @Nullable BiConsumer<WebhookRouting.Request, HttpReply> replies) {
        if (closed) {
            return CompletableFuture.failedFuture(
                    new SinkException("webhook sink for " + displayUrl + " is closed", true));
        }
        Map<String, Object> routed = batch.routing();
        WebhookRouting.Request request;
        try {
            request = routed == null ? routing.configured() : routing.request(routed);
        } catch (SinkException e) {
            return CompletableFuture.failedFuture(e);
        }
        List<SinkMessage> messages = batch.messages();
        CompletableFuture<Void> sent = client.submit(() -> {
            if (config.batch()) {
                send(request, batchBody(messages), replies);
            } else {
                for (SinkMessage m : messages) {
                    send(request, m.json(), replies);
                }
            }
            return null;
        });
        return sent.exceptionallyCompose(
                failure -> CompletableFuture.failedFuture(describeFailure(failure, request.displayUrl())));
    }

    /** Sends one body, blocking; a non-2xx status fails with a {@link SinkException}. */
    private void send(
            WebhookRouting.Request request,
            byte[] body,
            @Nullable BiConsumer<WebhookRouting.Request, HttpReply> replies)
            throws IOException {
        HttpReply reply = client.send(request.head(), body);
        if (replies != null) {
            replies.accept(request, reply);
        }
        if (!reply.isSuccess()) {
            throw new SinkException(describeStatus(reply, request.displayUrl()), true);
        }
    }

    /** The method at the start of the request's head ({@code POST /path HTTP/1.1...}). */
    private static String method(WebhookRouting.Request request) {
        byte[] start = request.head().start();
        int space = 0;
        while (space < start.length && start[space] != ' ') {
            space++;
        }
        return new String(start, 0, space, StandardCharsets.US_ASCII);
    }

    private static String describeStatus(HttpReply reply, String displayUrl) {
        StringBuilder s = new StringBuilder()
                .append("HTTP ")
                .append(reply.status())
                .append(" from ")
                .append(displayUrl);
        if (reply.status() >= 300 && reply.status() < 400) {
            s.append(" (redirects are not followed");
            if (reply.location() != null) {
                s.append("; Location: ").append(Redaction.text(reply.location()));
            }
            s.append(')');
        }
        String body = bodySnippet(reply.bodyPrefix());
        if (!body.isEmpty()) {
            s.append(": ").append(body);
        }
        return s.toString();
    }

    static String bodySnippet(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8).strip().replaceAll("\\s+", " ");
        // A body cut at ERROR_BODY_BYTES may end in half a character; the length check covers that.
        if (text.length() > ERROR_BODY_CHARS || body.length >= Http1Client.ERROR_BODY_BYTES) {
            return text.substring(0, Math.min(text.length(), ERROR_BODY_CHARS)) + "…";
        }
        return text;
    }

    private SinkException describeFailure(Throwable failure, String displayUrl) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof SinkException e) {
            return e;
        }
        if (t instanceof HttpConnectTimeoutException) {
            return new SinkException(
                    "could not connect to " + displayUrl + " within " + Redaction.duration(connectTimeout), true, t);
        }
        if (t instanceof HttpTimeoutException) {
            return new SinkException(
                    "no response from " + displayUrl + " within " + Redaction.duration(config.requestTimeout()),
                    true,
                    t);
        }
        if (hasCause(t, UnresolvedAddressException.class) || hasCause(t, UnknownHostException.class)) {
            return new SinkException("cannot resolve host '" + config.url().getHost() + "' of " + displayUrl, true, t);
        }
        if (t instanceof ConnectException) {
            String reason = reason(t);
            boolean refused = reason.equals(t.getClass().getSimpleName())
                    || reason.toLowerCase(Locale.ROOT).contains("connection refused");
            return new SinkException(
                    "cannot connect to " + displayUrl + ": " + (refused ? "connection refused" : reason), true, t);
        }
        if (t instanceof CancellationException) {
            return new SinkException("request to " + displayUrl + " was cancelled", true, t);
        }
        if (t instanceof IOException) {
            return new SinkException("request to " + displayUrl + " failed: " + reason(t), true, t);
        }
        // Not an I/O problem: a bug or a misconfiguration that retrying the same batch will not fix.
        return new SinkException("request to " + displayUrl + " failed: " + reason(t), false, t);
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    /** The innermost message in the cause chain, or the exception's simple class name. */
    private static String reason(Throwable t) {
        String reason = t.getClass().getSimpleName();
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c.getMessage() != null && !c.getMessage().isBlank()) {
                reason = c.getMessage();
            }
        }
        return reason;
    }

    static byte[] batchBody(List<SinkMessage> messages) {
        int length = BATCH_OPEN.length + BATCH_CLOSE.length + messages.size() - 1;
        for (SinkMessage m : messages) {
            length += m.json().length;
        }
        byte[] out = new byte[length];
        System.arraycopy(BATCH_OPEN, 0, out, 0, BATCH_OPEN.length);
        int at = BATCH_OPEN.length;
        for (int i = 0; i < messages.size(); i++) {
            if (i > 0) {
                out[at++] = ',';
            }
            byte[] json = messages.get(i).json();
            System.arraycopy(json, 0, out, at, json.length);
            at += json.length;
        }
        System.arraycopy(BATCH_CLOSE, 0, out, at, BATCH_CLOSE.length);
        return out;
    }

    // User info in the URL becomes basic auth, as browsers and curl do; it is never sent as part of the URL.
    private static @Nullable String basicAuthorization(WebhookConfig config) {
        String userInfo = config.url().getUserInfo();
        if (userInfo == null || config.headers().keySet().stream().anyMatch("Authorization"::equalsIgnoreCase)) {
            return null;
        }
        return "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    }

    private static URI withoutUserInfo(URI uri) {
        if (uri.getRawUserInfo() == null) {
            return uri;
        }
        String port = uri.getPort() >= 0 ? ":" + uri.getPort() : "";
        String host = uri.getHost().contains(":") && !uri.getHost().startsWith("[")
                ? "[" + uri.getHost() + "]"
                : uri.getHost();
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
        try {
            return new URI(uri.getScheme() + "://" + host + port + path + query);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(
                    "webhook url is not valid without its user info: " + Redaction.url(uri), e);
        }
    }

    /**
     * Stops the client. Requests still in flight after a grace period of 1 s are
     * aborted and their batches fail with a retriable {@link SinkException}. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        client.close();
    }

    @Override
    public String toString() {
        return "WebhookSink[" + displayUrl + "]";
    }
}
