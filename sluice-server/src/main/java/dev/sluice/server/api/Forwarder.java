package dev.sluice.server.api;

import io.javalin.http.Context;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * Cluster mode: sends a request about a running pipeline (a sink's status, failed messages, pull stream) to the node
 * that runs it, and relays the answer, so that every node answers alike.
 *
 * <p>The forwarded request is authenticated by this node, not by the client's credentials (a console session lives
 * on one node only): header {@value #HEADER} carries the API key's id, an expiry and an HMAC-SHA256 of both with the
 * method and path, under a key derived from the secret key every node shares. A forwarded request is never forwarded
 * again. Thread-safe.
 */
final class Forwarder {
    static final String HEADER = "X-Sluice-Forwarded";
    private static final Duration VALID_FOR = Duration.ofMinutes(2);
    // Long enough for a pull stream's long poll.
    private static final Duration TIMEOUT = Duration.ofMinutes(5);
    // Not Idempotency-Key: this node keeps the answer under it, in the store every node shares.
    private static final List<String> REQUEST_HEADERS = List.of("Content-Type", "Accept", "X-Request-Id");
    private static final List<String> RESPONSE_HEADERS = List.of("Content-Type", "Retry-After", "Location");

    private final Nodes nodes;
    private final byte[] key;
    private final Clock clock;
    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1)
            .build();

    Forwarder(Nodes nodes, byte[] key, Clock clock) {
        this.nodes = nodes;
        this.key = key.clone();
        this.clock = clock;
    }

    /**
     * Relays {@code ctx} to the node that runs {@code databaseId}'s pipeline when that is another live node; returns
     * false (nothing sent) when this node runs it, nobody does, or the request was itself forwarded.
     */
    boolean forward(Context ctx, UUID databaseId) throws java.sql.SQLException {
        if (ctx.header(HEADER) != null) {
            return false;
        }
        String owner = nodes.ownerElsewhere(databaseId);
        UUID tokenId = ApiGuards.tokenId(ctx);
        if (owner == null || tokenId == null) {
            return false;
        }
        String query = ctx.queryString();
        URI uri = URI.create(trimSlash(owner) + ctx.path() + (query == null ? "" : "?" + query));
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .timeout(TIMEOUT)
                .header(HEADER, sign(tokenId, ctx.method().name(), ctx.path()))
                .method(ctx.method().name(), HttpRequest.BodyPublishers.ofByteArray(ctx.bodyAsBytes()));
        for (String h : REQUEST_HEADERS) {
            String v = ctx.header(h);
            if (v != null) {
                b.header(h, v);
            }
        }
        HttpResponse<byte[]> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new ApiException(
                    502, "node " + owner + ", which runs this sink's database, did not answer: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "interrupted while asking node " + owner);
        }
        ctx.status(r.statusCode());
        for (String h : RESPONSE_HEADERS) {
            r.headers().firstValue(h).ifPresent(v -> ctx.header(h, v));
        }
        ctx.header("X-Sluice-Served-By", owner);
        ctx.result(r.body());
        return true;
    }

    /** The API key id a forwarded request was sent for, or null when its header is missing, forged or stale. */
    @Nullable
    UUID verify(Context ctx) {
        String h = ctx.header(HEADER);
        if (h == null) {
            return null;
        }
        String[] parts = h.split("\\.");
        if (parts.length != 3) {
            return null;
        }
        try {
            UUID tokenId = UUID.fromString(parts[0]);
            long expires = Long.parseLong(parts[1]);
            long now = clock.millis();
            if (expires < now || expires > now + 2 * VALID_FOR.toMillis()) {
                return null;
            }
            byte[] expected = mac(parts[0] + "." + parts[1] + "." + ctx.method().name() + " " + ctx.path());
            byte[] given = Base64.getUrlDecoder().decode(parts[2]);
            return MessageDigest.isEqual(expected, given) ? tokenId : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private String sign(UUID tokenId, String method, String path) {
        String head = tokenId + "." + (clock.millis() + VALID_FOR.toMillis());
        return head + "."
                + Base64.getUrlEncoder().withoutPadding().encodeToString(mac(head + "." + method + " " + path));
    }

    private byte[] mac(String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String trimSlash(String address) {
        return address.endsWith("/") ? address.substring(0, address.length() - 1) : address;
    }
}
