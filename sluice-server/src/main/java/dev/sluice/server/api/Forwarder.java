package dev.sluice.server.api;

import dev.sluice.server.store.ConfigSnapshot;
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
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Cluster mode: sends a request about a running pipeline (a sink's status, failed messages, pull stream) to the node
 * that runs it, and relays the answer, so that every node answers alike.
 *
 * <p>The forwarded request is authenticated by this node, not by the client's credentials (a console session lives
 * on one node only): header {@value #HEADER} carries the API key's id, an expiry and an HMAC-SHA256 of both with the
 * method and path, under a key derived from the secret key every node shares. A forwarded request is never forwarded
 * again. Lists ({@code GET /api/sinks}) are answered here, with the live health of each sink taken from the node
 * that runs it ({@link #fetch}). Thread-safe.
 */
final class Forwarder {
    static final String HEADER = "X-Sluice-Forwarded";
    private static final Duration VALID_FOR = Duration.ofMinutes(2);
    // Long enough for a pull stream's long poll.
    private static final Duration TIMEOUT = Duration.ofMinutes(5);
    private static final int LIST_TIMEOUT_SECONDS = 3;
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
        HttpRequest.Builder b = request(ctx, owner, tokenId, TIMEOUT)
                .method(ctx.method().name(), HttpRequest.BodyPublishers.ofByteArray(ctx.bodyAsBytes()));
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

    /**
     * The answer of node {@code address} to the same GET as {@code ctx} (path and query), sent as a relayed request;
     * null when it does not answer {@code 200} within {@code timeout} or {@code ctx} was itself relayed.
     */
    byte @Nullable [] fetch(Context ctx, String address, Duration timeout) {
        UUID tokenId = ApiGuards.tokenId(ctx);
        if (ctx.header(HEADER) != null || tokenId == null) {
            return null;
        }
        try {
            HttpResponse<byte[]> r = http.send(
                    request(ctx, address, tokenId, timeout).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            return r.statusCode() == 200 ? r.body() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * Puts into a sink list this node answered ({@code ctx}'s result, {@code {"data": [...]}}) the live {@code
     * health} and {@code status_info.last_error} of each sink whose database another node runs, as that node shows
     * them: one relayed request per such node. A node that does not answer within {@value #LIST_TIMEOUT_SECONDS} s
     * leaves its sinks as this node sees them ({@code initializing}).
     */
    void liveHealth(Context ctx, ConfigSnapshot snapshot) throws java.sql.SQLException {
        String body = ctx.result();
        if (ctx.header(HEADER) != null || ctx.statusCode() != 200 || body == null) {
            return;
        }
        JsonNode root = Requests.JSON.readTree(body);
        Map<UUID, Optional<String>> owners = new HashMap<>();
        Map<String, List<ObjectNode>> byOwner = new LinkedHashMap<>();
        for (JsonNode item : root.path("data")) {
            if (!(item instanceof ObjectNode sink) || !sink.path("id").isString()) {
                continue;
            }
            UUID db;
            try {
                db = SinkLookup.find(snapshot, sink.get("id").asString()).databaseId();
            } catch (ApiException gone) {
                continue; // deleted since the list was rendered
            }
            Optional<String> owner = owners.get(db);
            if (owner == null) {
                owner = Optional.ofNullable(nodes.ownerElsewhere(db));
                owners.put(db, owner);
            }
            owner.ifPresent(
                    a -> byOwner.computeIfAbsent(a, k -> new ArrayList<>()).add(sink));
        }
        if (byOwner.isEmpty()) {
            return;
        }
        for (Map.Entry<String, List<ObjectNode>> e : byOwner.entrySet()) {
            byte[] answer = fetch(ctx, e.getKey(), Duration.ofSeconds(LIST_TIMEOUT_SECONDS));
            if (answer == null) {
                continue;
            }
            Map<String, JsonNode> theirs = new HashMap<>();
            for (JsonNode item : Requests.JSON.readTree(answer).path("data")) {
                theirs.put(item.path("id").asString(), item);
            }
            for (ObjectNode sink : e.getValue()) {
                JsonNode remote = theirs.get(sink.get("id").asString());
                if (remote != null && remote.has("health")) {
                    sink.set("health", remote.get("health"));
                    if (sink.get("status_info") instanceof ObjectNode info
                            && remote.path("status_info").has("last_error")) {
                        info.set("last_error", remote.path("status_info").get("last_error"));
                    }
                }
            }
        }
        ctx.result(Requests.JSON.writeValueAsString(root));
    }

    // The same path and query at `address`, signed for `tokenId`, with the client's headers that matter.
    private HttpRequest.Builder request(Context ctx, String address, UUID tokenId, Duration timeout) {
        String query = ctx.queryString();
        URI uri = URI.create(trimSlash(address) + ctx.path() + (query == null ? "" : "?" + query));
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header(HEADER, sign(tokenId, ctx.method().name(), ctx.path()));
        for (String h : REQUEST_HEADERS) {
            String v = ctx.header(h);
            if (v != null) {
                b.header(h, v);
            }
        }
        return b;
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
