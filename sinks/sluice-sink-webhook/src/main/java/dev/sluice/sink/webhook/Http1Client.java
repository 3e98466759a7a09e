package dev.sluice.sink.webhook;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocketFactory;
import org.jspecify.annotations.Nullable;

/**
 * A lean HTTP/1.1 client for one webhook server: sends requests whose {@link Head} (method, target, headers) {@link
 * #head} made; keep-alive connections in a pool, blocking I/O on the thread that runs the delivery.
 *
 * <p>Every request carries its body with {@code Content-Length}, whatever the method: {@code GET}, {@code HEAD} and
 * {@code DELETE} too (HTTP/1.1 frames a request body the same way for every method; RFC 9110 gives it no meaning for
 * these, so some servers ignore or refuse it). The response to {@code HEAD} has no body, whatever its headers say.
 *
 * <p>Why not the JDK's {@code HttpClient}: on the live path (issue 15, {@code docs/benchmarks.md}) it cost about 1 ms
 * of CPU a request, in hand-offs between its selector thread, its executor and the caller. Here a request is two
 * system calls on a platform thread that then sleeps in the kernel until the response arrives.
 *
 * <p>Work runs on up to {@value #PLATFORM_WORKERS} pooled platform threads: there a blocking read is one system call,
 * which measured 12 % less CPU a change than virtual threads (their poller and scheduler hand-offs). Requests beyond
 * that many in flight at once, as when a peer is slow or hangs, run on virtual threads, so a hung peer never holds
 * more platform threads than that. The engine bounds requests in flight with {@code max_in_flight}.
 *
 * <p>Each {@link #post} has one deadline, the request timeout, covering connect, TLS handshake, write and read; a
 * shared timer closes the connection when it passes. A request that fails on a reused connection
 * before any byte of the response arrived (the peer closed it while idle) is sent once more on a new connection:
 * webhook delivery is at least once, so the receiver may see it twice, never zero times.
 *
 * <p>Thread-safe.
 */
final class Http1Client implements AutoCloseable {
    /** Kept of a non-2xx response body: enough to show the peer's reason. */
    static final int ERROR_BODY_BYTES = 1024;

    private static final int PLATFORM_WORKERS = 4;
    private static final int MAX_IDLE_CONNECTIONS = 64;
    // Below the keep-alive timeouts of common servers (nginx 75 s, load balancers 60 s); Node's 5 s is caught by the
    // one resend on a stale connection.
    private static final long MAX_IDLE_NANOS = Duration.ofSeconds(30).toNanos();
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(1);
    private static final int COMBINE_LIMIT = 64 * 1024;
    private static final ScheduledThreadPoolExecutor TIMER = timer();

    private final String host;
    private final int port;
    private final @Nullable SSLSocketFactory tls;
    private final int connectTimeoutMillis;
    private final long requestTimeoutNanos;
    private final String hostHeader;
    // The headers of every request, by lower-case name: {spelling, value}.
    private final Map<String, String[]> headers;
    private final ThreadPoolExecutor platform;
    private final Semaphore platformSlots = new Semaphore(PLATFORM_WORKERS);
    private final ExecutorService overflow;
    private final ConcurrentLinkedDeque<Http1Connection> idle = new ConcurrentLinkedDeque<>();
    private final Set<Http1Connection> busy = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /**
     * @param uri the server's URI (scheme, host and port are used), without user info
     * @param headers request headers besides Host and Content-Length; later names replace earlier ones, ignoring case
     * @param tls the TLS socket factory for https; null to use the JVM's default
     */
    Http1Client(
            URI uri,
            Map<String, String> headers,
            Duration connectTimeout,
            Duration requestTimeout,
            @Nullable SSLSocketFactory tls) {
        boolean https = uri.getScheme().equalsIgnoreCase("https");
        String uriHost = uri.getHost();
        this.host = uriHost.startsWith("[") ? uriHost.substring(1, uriHost.length() - 1) : uriHost;
        int defaultPort = https ? 443 : 80;
        this.port = uri.getPort() >= 0 ? uri.getPort() : defaultPort;
        this.tls = !https ? null : tls != null ? tls : (SSLSocketFactory) SSLSocketFactory.getDefault();
        this.connectTimeoutMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
        this.requestTimeoutNanos = requestTimeout.toNanos();
        this.hostHeader = uriHost + (port == defaultPort ? "" : ":" + port);
        this.headers = merge(new LinkedHashMap<>(), headers);
        this.platform = new ThreadPoolExecutor(
                0,
                PLATFORM_WORKERS,
                60,
                TimeUnit.SECONDS,
                new SynchronousQueue<>(),
                Thread.ofPlatform().daemon().name("webhook-sink-", 0).factory());
        this.overflow = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("webhook-sink-v", 0).factory());
    }

    /**
     * A request's method, target and headers: what comes before its {@code Content-Length}.
     *
     * @param start the request line and headers, up to {@code "Content-Length: "}
     * @param bodiless whether the response has no body whatever its headers say (a {@code HEAD} request)
     */
    record Head(byte[] start, boolean bodiless) {}

    /**
     * The head of a request to this client's server.
     *
     * @param method an HTTP method in upper case, such as {@code PUT}
     * @param target the request target: an absolute path with its query, such as {@code /hooks/orders?x=1}
     * @param extraHeaders added to the client's headers; a name the client has (ignoring case) replaces its value
     */
    Head head(String method, String target, Map<String, String> extraHeaders) {
        StringBuilder head = new StringBuilder(256)
                .append(method)
                .append(' ')
                .append(target)
                .append(" HTTP/1.1\r\nHost: ")
                .append(hostHeader)
                .append("\r\n");
        Map<String, String[]> all =
                extraHeaders.isEmpty() ? headers : merge(new LinkedHashMap<>(headers), extraHeaders);
        all.values().forEach(h -> head.append(h[0]).append(": ").append(h[1]).append("\r\n"));
        head.append("Content-Length: ");
        return new Head(head.toString().getBytes(StandardCharsets.ISO_8859_1), method.equals("HEAD"));
    }

    /** The request target of {@code uri}: its path ({@code /} when empty) and query. */
    static String target(URI uri) {
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        return path + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    }

    // A later name replaces an earlier one (names ignore case) with its spelling, keeping the earlier one's place.
    private static Map<String, String[]> merge(Map<String, String[]> into, Map<String, String> headers) {
        headers.forEach((name, value) -> into.put(name.toLowerCase(Locale.ROOT), new String[] {name, value}));
        return into;
    }

    /**
     * Runs {@code work} on a worker thread; the future completes with its result or what it threw. Completion callbacks
     * run on that thread and must stay short.
     */
    <T> CompletableFuture<T> submit(Work<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        if (closed) {
            result.completeExceptionally(new IOException("the client is closed"));
            return result;
        }
        Runnable task = () -> {
            try {
                result.complete(work.run());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        };
        try {
            if (platformSlots.tryAcquire()) {
                try {
                    platform.execute(() -> {
                        try {
                            task.run();
                        } finally {
                            platformSlots.release();
                        }
                    });
                    return result;
                } catch (RejectedExecutionException e) {
                    // A worker that just released its slot has not yet returned to the pool: use a virtual thread.
                    platformSlots.release();
                }
            }
            overflow.execute(task);
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new IOException("the client is closed", e));
        }
        return result;
    }

    /** Work that may block and throw, for {@link #submit}. */
    @FunctionalInterface
    interface Work<T> {
        T run() throws Exception;
    }

    /**
     * Sends a request with {@code head} and {@code body} and returns the response, blocking.
     *
     * @throws java.net.http.HttpConnectTimeoutException when no connection was made within the connect timeout
     * @throws HttpTimeoutException when the whole exchange took longer than the request timeout
     * @throws IOException on any other failure, including {@link #close()} aborting the request
     */
    HttpReply send(Head head, byte[] body) throws IOException {
        Deadline deadline = new Deadline();
        try {
            Http1Connection connection = idleConnection();
            boolean reused = connection != null;
            while (true) {
                if (connection == null) {
                    connection = Http1Connection.open(host, port, tls, connectTimeoutMillis);
                }
                busy.add(connection);
                if (closed) { // close() may have swept the busy connections before this one joined them
                    discard(connection);
                    throw new IOException("the sink was closed with the request in flight");
                }
                if (!deadline.watch(connection)) {
                    busy.remove(connection);
                    connection.close();
                    throw deadline.failure(null);
                }
                try {
                    HttpReply reply = exchange(connection, head, body);
                    release(connection);
                    return reply;
                } catch (Http1Connection.NoResponseException e) {
                    discard(connection);
                    if (!reused || deadline.passed() || closed) {
                        throw deadline.failure(e);
                    }
                    // The peer closed the idle connection: send once more on a new one.
                    connection = null;
                    reused = false;
                } catch (IOException e) {
                    discard(connection);
                    throw deadline.failure(e);
                }
            }
        } finally {
            deadline.cancel();
        }
    }

    private HttpReply exchange(Http1Connection connection, Head request, byte[] body) throws IOException {
        byte[] start = request.start();
        byte[] length = (Integer.toString(body.length) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        int headLength = start.length + length.length;
        boolean combine = body.length <= COMBINE_LIMIT;
        byte[] head = new byte[headLength + (combine ? body.length : 0)];
        System.arraycopy(start, 0, head, 0, start.length);
        System.arraycopy(length, 0, head, start.length, length.length);
        if (combine) {
            System.arraycopy(body, 0, head, headLength, body.length);
        }
        return connection.exchange(head, combine ? new byte[0] : body, ERROR_BODY_BYTES, request.bodiless());
    }

    private @Nullable Http1Connection idleConnection() {
        long now = System.nanoTime();
        Http1Connection c;
        while ((c = idle.pollFirst()) != null) {
            if (now - c.idleSince() < MAX_IDLE_NANOS && c.reusable()) {
                return c;
            }
            c.close();
        }
        return null;
    }

    private void release(Http1Connection connection) {
        busy.remove(connection);
        if (closed || !connection.reusable() || idle.size() >= MAX_IDLE_CONNECTIONS) {
            connection.close();
            return;
        }
        idle.offerFirst(connection);
        if (closed && idle.remove(connection)) { // close() ran in between
            connection.close();
        }
    }

    private void discard(Http1Connection connection) {
        busy.remove(connection);
        connection.close();
    }

    /**
     * Takes no more work; lets requests in flight finish for a grace period of 1 s, then aborts the rest (they fail with an
     * IOException) and closes every connection. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        platform.shutdown();
        overflow.shutdown();
        awaitWorkers();
        busy.forEach(Http1Connection::close);
        Http1Connection c;
        while ((c = idle.pollFirst()) != null) {
            c.close();
        }
        awaitWorkers();
    }

    private void awaitWorkers() {
        try {
            long end = System.nanoTime() + CLOSE_GRACE.toNanos();
            platform.awaitTermination(CLOSE_GRACE.toNanos(), TimeUnit.NANOSECONDS);
            overflow.awaitTermination(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The request timeout of one post: a timer that closes the connection in use when it passes. */
    private final class Deadline {
        private final long end = System.nanoTime() + requestTimeoutNanos;
        private volatile boolean expired;
        private @Nullable ScheduledFuture<?> timer;

        /** Watches {@code connection}; false when the deadline has already passed. */
        boolean watch(Http1Connection connection) {
            cancel();
            long left = end - System.nanoTime();
            if (left <= 0) {
                expired = true;
                return false;
            }
            timer = TIMER.schedule(
                    () -> {
                        expired = true;
                        connection.close();
                    },
                    left,
                    TimeUnit.NANOSECONDS);
            return true;
        }

        boolean passed() {
            return expired || System.nanoTime() - end >= 0;
        }

        void cancel() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
        }

        /** What to throw for {@code failure}: a timeout when the deadline closed the connection. */
        IOException failure(@Nullable IOException failure) {
            if (expired) {
                HttpTimeoutException timeout = new HttpTimeoutException("request timed out");
                timeout.initCause(failure);
                return timeout;
            }
            if (closed && failure != null) {
                return new IOException("the sink was closed with the request in flight");
            }
            return failure != null ? failure : new IOException("request failed");
        }
    }

    private static ScheduledThreadPoolExecutor timer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(
                1, Thread.ofPlatform().daemon().name("webhook-timeouts").factory());
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }
}
