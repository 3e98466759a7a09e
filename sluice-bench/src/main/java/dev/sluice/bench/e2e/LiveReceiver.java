package dev.sluice.bench.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A webhook endpoint that only measures: for each message in a body it takes {@code metadata.commit_timestamp}
 * by scanning the text (no JSON parse, so the receiver stays cheap next to the server it measures) and
 * records receipt time minus commit time. Both clocks are this machine's wall clock: Postgres stamps the
 * commit, this JVM stamps the receipt ({@link Instant#now()}, microsecond resolution on Linux).
 *
 * <p>Messages committed before {@link #measureFrom} (the warm-up) are counted but not recorded.
 */
final class LiveReceiver implements AutoCloseable {
    private static final String KEY = "\"commit_timestamp\"";

    static {
        // Small responses must not wait for Nagle; read once when the JDK server first loads its config.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final LiveHistogram all = new LiveHistogram();
    private final List<LiveHistogram> perSecond = new ArrayList<>();
    private volatile long measureFromMicros = Long.MAX_VALUE;

    private LiveReceiver(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    static LiveReceiver start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
            ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
            LiveReceiver r = new LiveReceiver(server, executor);
            server.createContext("/", r::handle);
            server.setExecutor(executor);
            server.start();
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the live receiver", e);
        }
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Records latencies of messages committed at or after {@code epochMicros}; second 0 of the timeline starts there. */
    void measureFrom(long epochMicros) {
        measureFromMicros = epochMicros;
    }

    /** Requests received so far, warm-up included. */
    long requests() {
        return requests.get();
    }

    /** Messages received so far, warm-up included. */
    long received() {
        return received.get();
    }

    /** Messages whose commit timestamp could not be read. */
    long malformed() {
        return malformed.get();
    }

    synchronized LiveHistogram overall() {
        return all;
    }

    /** One histogram per second of receipt since {@link #measureFrom}; a copy of the list. */
    synchronized List<LiveHistogram> timeline() {
        return List.copyOf(perSecond);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange;
                InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readAllBytes();
            long receipt = nowMicros();
            requests.incrementAndGet();
            // Latin-1 maps each byte to one char: cheap, and the keys and timestamps are ASCII.
            String text = new String(body, StandardCharsets.ISO_8859_1);
            long[] commits = new long[16];
            int n = 0;
            int at = text.indexOf(KEY);
            while (at >= 0) {
                long commit = commitMicros(text, at + KEY.length());
                if (commit == Long.MIN_VALUE) {
                    malformed.incrementAndGet();
                } else {
                    if (n == commits.length) {
                        commits = java.util.Arrays.copyOf(commits, n * 2);
                    }
                    commits[n++] = commit;
                }
                received.incrementAndGet();
                at = text.indexOf(KEY, at + KEY.length());
            }
            record(receipt, commits, n);
            exchange.sendResponseHeaders(200, -1);
        }
    }

    private synchronized void record(long receipt, long[] commits, int n) {
        long from = measureFromMicros;
        if (receipt < from) {
            return;
        }
        int second = (int) ((receipt - from) / 1_000_000);
        while (perSecond.size() <= second) {
            perSecond.add(new LiveHistogram());
        }
        LiveHistogram bucket = perSecond.get(second);
        for (int i = 0; i < n; i++) {
            if (commits[i] >= from) {
                long latency = receipt - commits[i];
                all.record(latency);
                bucket.record(latency);
            }
        }
    }

    static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
    }

    /**
     * Parses {@code :"2024-10-28T21:39:21.127470Z"} starting at {@code i} (just after the key) into epoch
     * microseconds, or {@link Long#MIN_VALUE} if the text is not in that shape.
     */
    static long commitMicros(String s, int i) {
        int len = s.length();
        while (i < len && (s.charAt(i) == ':' || s.charAt(i) == ' ')) {
            i++;
        }
        if (i + 21 > len || s.charAt(i) != '"') {
            return Long.MIN_VALUE;
        }
        i++;
        int year = digits(s, i, 4);
        int month = digits(s, i + 5, 2);
        int day = digits(s, i + 8, 2);
        int hour = digits(s, i + 11, 2);
        int minute = digits(s, i + 14, 2);
        int second = digits(s, i + 17, 2);
        if (year < 0 || month < 1 || day < 1 || hour < 0 || minute < 0 || second < 0 || s.charAt(i + 10) != 'T') {
            return Long.MIN_VALUE;
        }
        int j = i + 19;
        long micros = 0;
        if (j < len && s.charAt(j) == '.') {
            j++;
            int scale = 100_000;
            while (j < len && Character.isDigit(s.charAt(j))) {
                micros += (s.charAt(j) - '0') * (long) scale;
                scale /= 10;
                j++;
            }
        }
        if (j >= len || s.charAt(j) != 'Z') {
            return Long.MIN_VALUE;
        }
        long days = LocalDate.of(year, month, day).toEpochDay();
        long seconds = days * 86_400 + hour * 3_600L + minute * 60L + second;
        return seconds * 1_000_000 + micros;
    }

    /** The {@code n}-digit number at {@code i}, or -1. */
    private static int digits(String s, int i, int n) {
        int v = 0;
        for (int k = i; k < i + n; k++) {
            char c = s.charAt(k);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
    }
}
