package dev.sluice.server.api;

import dev.sluice.server.api.IdempotencyTable.Claim;
import dev.sluice.server.api.IdempotencyTable.Fingerprint;
import dev.sluice.server.api.IdempotencyTable.Mismatch;
import dev.sluice.server.api.IdempotencyTable.Replay;
import dev.sluice.server.api.IdempotencyTable.Running;
import dev.sluice.server.api.IdempotencyTable.Started;
import dev.sluice.server.api.IdempotencyTable.Stored;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code Idempotency-Key} on POST routes: the first request with a key runs and its response (2xx or 4xx) is kept
 * for the TTL; the same key with the same method, path and body gets that response again with {@code
 * Idempotent-Replayed: true}; with another request, 422; while the first still runs, 409. Keys are per API token.
 *
 * <p>State: rows of {@link IdempotencyTable}. A route handler is wrapped once ({@link #wrap}) to claim the key and
 * replay; the response is stored by {@link #finish}, an {@code after} handler, because only then has an exception
 * been rendered into the response body the client gets.
 *
 * <p>Failure: a 5xx frees the key (the retry runs again). A claim whose node died mid-request is taken over after
 * {@link #ABANDONED}. If the store cannot be reached when finishing, the response still goes out and the key is
 * left to expire.
 */
final class Idempotency {
    static final String HEADER = "Idempotency-Key";
    static final String REPLAYED = "Idempotent-Replayed";
    static final int MAX_KEY_LENGTH = 255;
    /** Longer than any request runs: a claim this old without a response was left by a node that died. */
    static final Duration ABANDONED = Duration.ofMinutes(10);

    private static final Duration PURGE_EVERY = Duration.ofHours(1);
    private static final String PENDING = "sluice.idempotency-pending";
    private static final Logger log = LoggerFactory.getLogger(Idempotency.class);

    private record Pending(UUID token, String key) {}

    private final IdempotencyTable table;
    private final Duration ttl;
    private final InstantSource clock;
    private volatile Instant nextPurge = Instant.MIN;

    Idempotency(IdempotencyTable table, Duration ttl, InstantSource clock) {
        this.table = table;
        this.ttl = ttl;
        this.clock = clock;
    }

    /**
     * Whether a route takes keys: POSTs, except the pull stream's, whose receive hands out messages (a replay would
     * hand out stale ack ids) and whose ack and nack are idempotent already.
     */
    static boolean applies(String method, String path) {
        return method.equals("POST")
                && !path.startsWith("/api/sequin_streams/")
                && !path.startsWith("/api/http_pull_consumers/");
    }

    /** {@code handler} with keys honoured, or {@code handler} itself on routes that take none. */
    Handler wrap(String method, String path, Handler handler) {
        if (!applies(method, path)) {
            return handler;
        }
        return ctx -> {
            String key = ctx.header(HEADER);
            UUID token = ApiGuards.tokenId(ctx);
            if (key == null || token == null) {
                handler.handle(ctx);
                return;
            }
            checkKey(key);
            String target = ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString());
            Fingerprint request = new Fingerprint(ctx.method().name(), target, sha256(Requests.bytes(ctx)));
            Instant now = clock.instant();
            purgeNowAndThen(now);
            Claim claim = table.claim(token, key, request, now, now.plus(ttl), now.minus(ABANDONED));
            switch (claim) {
                case Started s -> {
                    ctx.attribute(PENDING, new Pending(token, key));
                    handler.handle(ctx);
                }
                case Replay r -> replay(ctx, r.response());
                case Running r ->
                    throw ApiException.conflict("a request with Idempotency-Key '" + Requests.clip(key)
                            + "' is still running; retry once it has finished to get its response");
                case Mismatch m -> throw mismatch(key, m.first(), request);
            }
        };
    }

    /** Keeps the response of a request that claimed a key; frees the key when the response is not kept. */
    void finish(Context ctx) {
        Pending pending = ctx.attribute(PENDING);
        if (pending == null) {
            return;
        }
        int status = ctx.statusCode();
        try {
            if ((status >= 200 && status < 300) || (status >= 400 && status < 500)) {
                table.complete(pending.token(), pending.key(), new Stored(status, contentType(ctx), result(ctx)));
            } else {
                table.release(pending.token(), pending.key());
            }
        } catch (SQLException | IOException | RuntimeException e) {
            // The work is done and the client gets its answer; a retry meets 409 until the claim is abandoned.
            log.warn(
                    "cannot keep the response of {} {} for its Idempotency-Key: {}",
                    ctx.method(),
                    Requests.clip(ctx.path()),
                    e.toString());
        }
    }

    private ApiException mismatch(String key, Fingerprint first, Fingerprint request) {
        String other = first.method().equals(request.method()) && first.path().equals(request.path())
                ? "this route with another body"
                : first.method() + " " + Requests.clip(first.path());
        String message = "was used with a different request (" + other + ") within the last " + ttl
                + "; send a new key for a new request";
        return new ApiException(
                422,
                "Idempotency-Key '" + Requests.clip(key) + "' " + message,
                Map.of(HEADER, List.of(message)),
                Map.of());
    }

    private static void replay(Context ctx, Stored stored) {
        ctx.status(stored.status());
        if (stored.contentType() != null) {
            ctx.contentType(stored.contentType());
        }
        ctx.header(REPLAYED, "true");
        ctx.result(stored.body());
    }

    private static void checkKey(String key) {
        boolean ok = !key.isEmpty() && key.length() <= MAX_KEY_LENGTH;
        for (int i = 0; ok && i < key.length(); i++) {
            char ch = key.charAt(i);
            ok = ch >= 0x20 && ch <= 0x7e;
        }
        if (!ok) {
            throw new ApiException(
                    400,
                    "the Idempotency-Key header must be 1 to " + MAX_KEY_LENGTH
                            + " printable ASCII characters (a UUID is a good key), got " + key.length()
                            + " characters",
                    Map.of(HEADER, List.of("must be 1 to 255 printable ASCII characters")),
                    Map.of());
        }
    }

    private void purgeNowAndThen(Instant now) {
        if (now.isBefore(nextPurge)) {
            return;
        }
        nextPurge = now.plus(PURGE_EVERY);
        try {
            int purged = table.purge(now);
            if (purged > 0) {
                log.debug("purged {} expired idempotency keys", purged);
            }
        } catch (SQLException e) {
            log.warn("cannot purge expired idempotency keys: {}", e.toString());
        }
    }

    private static @Nullable String contentType(Context ctx) {
        return ctx.res().getContentType();
    }

    /** The response body so far; it is read from the result stream, so it is put back. */
    private static byte[] result(Context ctx) throws IOException {
        InputStream in = ctx.resultInputStream();
        if (in == null) {
            return new byte[0];
        }
        byte[] bytes = in.readAllBytes();
        ctx.result(bytes);
        return bytes;
    }

    private static byte[] sha256(byte[] body) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(body);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
