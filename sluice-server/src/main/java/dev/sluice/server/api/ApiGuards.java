package dev.sluice.server.api;

import dev.sluice.server.store.SecretBox;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.MDC;

/**
 * What applies to every request under {@code /api} besides the token check: a request id ({@code X-Request-Id}, in
 * every response, every error body and the log's MDC), a rate limit per API token (429 with {@code Retry-After}),
 * and {@code Idempotency-Key} on POSTs. {@link ManagementApi#register} installs them. Thread-safe. See docs/api.md,
 * "Request ids, rate limits and idempotency".
 */
public final class ApiGuards {
    public static final String REQUEST_ID_HEADER = "X-Request-Id";
    /** The MDC key; logback's pattern prints it. */
    static final String MDC_KEY = "request_id";

    private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final String REQUEST_ID = "sluice.request-id";
    private static final String TOKEN_ID = "sluice.token-id";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ApiGuardSettings settings;
    private final InstantSource clock;
    private final Map<UUID, TokenBucket> buckets = new ConcurrentHashMap<>();
    private final Idempotency idempotency;

    /**
     * @param dataSource the metadata store, which keeps the responses of idempotent requests ({@code
     *     idempotency_keys})
     * @param secrets seals the kept responses, which may hold secrets
     * @param clock time for the rate limits and the idempotency TTL
     */
    public ApiGuards(ApiGuardSettings settings, DataSource dataSource, SecretBox secrets, InstantSource clock) {
        this.settings = settings;
        this.clock = clock;
        this.idempotency = new Idempotency(new IdempotencyTable(dataSource, secrets), settings.idempotencyTtl(), clock);
    }

    /** The request id of {@code ctx}, or null outside {@code /api}. */
    static @Nullable String requestId(Context ctx) {
        return ctx.attribute(REQUEST_ID);
    }

    /** The id of the API token that authenticated {@code ctx}, or null before (or without) authentication. */
    static @Nullable UUID tokenId(Context ctx) {
        return ctx.attribute(TOKEN_ID);
    }

    /**
     * The id of a request that sent {@code sent} as its {@code X-Request-Id}: that value when it is 1 to 128 of {@code
     * [A-Za-z0-9._:-]}, else a new one ({@code req_} and 24 hex digits). For answers made outside the routes, such as
     * Jetty's to a malformed request.
     */
    public static String requestIdFor(@Nullable String sent) {
        return sent != null && CLIENT_ID.matcher(sent).matches() ? sent : newRequestId();
    }

    /** First {@code before} handler: gives the request its id (the client's when valid), in the response and MDC. */
    void start(Context ctx) {
        String id = requestIdFor(ctx.header(REQUEST_ID_HEADER));
        ctx.attribute(REQUEST_ID, id);
        ctx.header(REQUEST_ID_HEADER, id);
        MDC.put(MDC_KEY, id);
    }

    /** The {@code after} handler: keeps an idempotent response and takes the id out of the MDC. */
    void end(Context ctx) {
        try {
            idempotency.finish(ctx);
        } finally {
            MDC.remove(MDC_KEY);
        }
    }

    /**
     * Admits a request of the token {@code tokenId}: records the token for idempotency and takes a permit of its
     * rate limit; over the limit, throws a 429 with {@code Retry-After} set.
     */
    void admit(Context ctx, UUID tokenId) {
        ctx.attribute(TOKEN_ID, tokenId);
        if (!settings.rateLimited()) {
            return;
        }
        TokenBucket bucket = buckets.computeIfAbsent(
                tokenId, id -> new TokenBucket(settings.rateLimit(), settings.rateBurst(), clock));
        Duration wait = bucket.take();
        if (!wait.isZero()) {
            long seconds = Math.max(1, (wait.toNanos() + 999_999_999L) / 1_000_000_000L);
            ctx.header("Retry-After", Long.toString(seconds));
            throw new ApiException(
                    429,
                    "rate limit exceeded: this API token may send " + rate(settings.rateLimit())
                            + " requests per second (bursts of " + settings.rateBurst() + "); retry after " + seconds
                            + " s",
                    Map.of(),
                    Map.of());
        }
    }

    /** {@code handler} of the route {@code method path}, with {@code Idempotency-Key} honoured where it applies. */
    Handler wrap(String method, String path, Handler handler) {
        return idempotency.wrap(method, path, handler);
    }

    /** {@code body} with the request's id added, for error bodies. */
    static Map<String, Object> withRequestId(Context ctx, Map<String, Object> body) {
        String id = requestId(ctx);
        if (id == null) {
            return body;
        }
        Map<String, Object> out = new java.util.LinkedHashMap<>(body);
        out.put("request_id", id);
        return out;
    }

    static String newRequestId() {
        byte[] raw = new byte[12];
        RANDOM.nextBytes(raw);
        return "req_" + HexFormat.of().formatHex(raw);
    }

    private static String rate(double r) {
        return r == Math.rint(r) ? Long.toString((long) r) : Double.toString(r);
    }
}
