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
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import org.jspecify.annotations.Nullable;

/**
 * Delivers messages to an HTTP endpoint with JSON POST requests.
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
 * <p>Concurrency: thread-safe. One HTTP/1.1 client per sink. Its tasks run inline, on the client's selector thread or
 * the caller's, instead of one new virtual thread per task: every step of a request is short and non-blocking, and a
 * profile of the live path (issue 15, {@code docs/benchmarks.md}) showed the hand-offs between threads costing more
 * CPU than the requests themselves. Completion callbacks must therefore stay short. {@link #deliver(Batch)} never
 * blocks.
 */
public final class WebhookSink implements Sink {
    private static final byte[] BATCH_OPEN = "{\"data\":[".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BATCH_CLOSE = "]}".getBytes(StandardCharsets.US_ASCII);
    private static final int ERROR_BODY_BYTES = 1024;
    private static final int ERROR_BODY_CHARS = 200;
    private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(1);

    private final WebhookConfig config;
    private final URI requestUri;
    private final String displayUrl;
    private final @Nullable String basicAuthorization;
    private final HttpClient client;
    private volatile boolean closed;

    /**
     * Creates the sink and its HTTP client. No connection is opened until the first delivery.
     *
     * @param config validated configuration; not null
     */
    public WebhookSink(WebhookConfig config) {
        this.config = config;
        this.displayUrl = Redaction.url(config.url());
        this.requestUri = withoutUserInfo(config.url());
        this.basicAuthorization = basicAuthorization(config);
        Duration timeout = config.requestTimeout();
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(timeout.compareTo(MAX_CONNECT_TIMEOUT) < 0 ? timeout : MAX_CONNECT_TIMEOUT)
                .executor(Runnable::run)
                .build();
    }

    /** The configuration this sink was created with. */
    public WebhookConfig config() {
        return config;
    }

    /**
     * Posts the batch. The stage completes normally once every request got a 2xx response, or
     * exceptionally with a {@link SinkException} at the first failure. Never blocks.
     */
    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        if (closed) {
            return CompletableFuture.failedFuture(
                    new SinkException("webhook sink for " + displayUrl + " is closed", true));
        }
        List<SinkMessage> messages = batch.messages();
        if (config.batch()) {
            return post(batchBody(messages));
        }
        CompletableFuture<Void> result = new CompletableFuture<>();
        postInOrder(messages, 0, result);
        return result;
    }

    private void postInOrder(List<SinkMessage> messages, int index, CompletableFuture<Void> result) {
        post(messages.get(index).json()).whenComplete((ok, failure) -> {
            if (failure != null) {
                result.completeExceptionally(failure);
            } else if (index + 1 == messages.size()) {
                result.complete(null);
            } else {
                postInOrder(messages, index + 1, result);
            }
        });
    }

    /** Completes with null on 2xx, otherwise exceptionally with a {@link SinkException} (unwrapped). */
    private CompletableFuture<Void> post(byte[] body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(requestUri)
                .timeout(config.requestTimeout())
                .header("Content-Type", "application/json")
                .header("User-Agent", "sluice-webhook")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (basicAuthorization != null) {
            request.header("Authorization", basicAuthorization);
        }
        config.headers().forEach(request::setHeader);
        CompletableFuture<Void> result = new CompletableFuture<>();
        try {
            client.sendAsync(request.build(), WebhookSink::handleBody).whenComplete((response, failure) -> {
                if (failure != null) {
                    result.completeExceptionally(describeFailure(failure));
                } else if (isSuccess(response.statusCode())) {
                    result.complete(null);
                } else {
                    result.completeExceptionally(new SinkException(describeStatus(response), true));
                }
            });
        } catch (RuntimeException e) {
            result.completeExceptionally(describeFailure(e));
        }
        return result;
    }

    private static boolean isSuccess(int status) {
        return status >= 200 && status < 300;
    }

    // Keep only the start of an error body: enough to show the peer's reason, bounded in memory.
    private static HttpResponse.BodySubscriber<byte[]> handleBody(HttpResponse.ResponseInfo info) {
        if (isSuccess(info.statusCode())) {
            return HttpResponse.BodySubscribers.replacing(new byte[0]);
        }
        PrefixSubscriber prefix = new PrefixSubscriber(ERROR_BODY_BYTES);
        return HttpResponse.BodySubscribers.fromSubscriber(prefix, PrefixSubscriber::bytes);
    }

    private String describeStatus(HttpResponse<byte[]> response) {
        StringBuilder s = new StringBuilder()
                .append("HTTP ")
                .append(response.statusCode())
                .append(" from ")
                .append(displayUrl);
        if (response.statusCode() >= 300 && response.statusCode() < 400) {
            s.append(" (redirects are not followed");
            response.headers()
                    .firstValue("Location")
                    .ifPresent(l -> s.append("; Location: ").append(Redaction.text(l)));
            s.append(')');
        }
        String body = bodySnippet(response.body());
        if (!body.isEmpty()) {
            s.append(": ").append(body);
        }
        return s.toString();
    }

    static String bodySnippet(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8).strip().replaceAll("\\s+", " ");
        // A body cut at ERROR_BODY_BYTES may end in half a character; the length check covers that.
        if (text.length() > ERROR_BODY_CHARS || body.length >= ERROR_BODY_BYTES) {
            return text.substring(0, Math.min(text.length(), ERROR_BODY_CHARS)) + "…";
        }
        return text;
    }

    private SinkException describeFailure(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof SinkException e) {
            return e;
        }
        if (t instanceof HttpConnectTimeoutException) {
            return new SinkException(
                    "could not connect to " + displayUrl + " within " + Redaction.duration(connectTimeout()), true, t);
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
            // The JDK client reports a refused connection as a ConnectException without any message.
            String reason = reason(t);
            return new SinkException(
                    "cannot connect to " + displayUrl + ": "
                            + (reason.equals(t.getClass().getSimpleName()) ? "connection refused" : reason),
                    true,
                    t);
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

    private Duration connectTimeout() {
        return client.connectTimeout().orElse(config.requestTimeout());
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

    // The JDK client ignores user info in the URL, so turn it into basic auth, as browsers and curl do.
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
        client.shutdown();
        try {
            if (!client.awaitTermination(CLOSE_GRACE)) {
                client.shutdownNow();
                client.awaitTermination(CLOSE_GRACE);
            }
        } catch (InterruptedException e) {
            client.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "WebhookSink[" + displayUrl + "]";
    }
}
