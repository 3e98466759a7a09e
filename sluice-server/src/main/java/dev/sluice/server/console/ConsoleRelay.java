package dev.sluice.server.console;

import dev.sluice.server.api.Nodes;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.Kind;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Cluster mode: a console page about one sink or database (its live numbers, charts, messages, trace) is answered by
 * the node that runs the database's pipeline, since only that node has them in memory. The browser's request is
 * sent on with its session cookie (sessions live in the store every node shares, so the owner checks it itself) and
 * the answer relayed. A relayed request carries {@value #HEADER} and is never relayed again. When the owner does not
 * answer, this node answers from what it knows (the page shows the sink as not running here).
 *
 * <p>Only GETs are relayed: the console's pages change nothing themselves (their buttons call {@code /api}, which
 * relays what needs the owner). Thread-safe.
 */
final class ConsoleRelay {
    static final String HEADER = "X-Sluice-Console-Relay";
    private static final Duration PAGE_TIMEOUT = Duration.ofSeconds(10);
    // The overview waits for it: a node that does not answer quickly is shown as this node sees it.
    private static final Duration JSON_TIMEOUT = Duration.ofSeconds(2);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final List<String> REQUEST_HEADERS =
            List.of("Cookie", "Accept", "HX-Request", "HX-Current-URL", "HX-Target", "HX-Trigger");
    private static final List<String> RESPONSE_HEADERS =
            List.of("Content-Type", "Cache-Control", "HX-Redirect", "Location", "Content-Security-Policy");

    /** What a route's {@code {name}} names. */
    enum Scope {
        SINK,
        DATABASE
    }

    private final Nodes nodes;
    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    ConsoleRelay(Nodes nodes) {
        this.nodes = nodes;
    }

    /** The scope of a console route's path, or null when its pages do not depend on a running pipeline. */
    static @Nullable Scope scopeOf(String path) {
        if (path.equals("/sinks/new") || path.startsWith("/sinks/{name}/edit")) {
            return null;
        }
        if (path.startsWith("/sinks/{name}")
                || path.startsWith("/console/sinks/{name}/")
                || path.startsWith("/console/events/sinks/{name}/")) {
            return Scope.SINK;
        }
        if (path.equals("/databases/{name}") || path.startsWith("/console/databases/{name}/")) {
            return Scope.DATABASE;
        }
        return null;
    }

    /** The owner's address when another node runs the pipeline the page is about; null to answer here. */
    @Nullable
    String ownerOf(Context ctx, Scope scope, ConfigSnapshot s) throws SQLException {
        if (ctx.header(HEADER) != null) {
            return null;
        }
        String name = ctx.pathParam("name");
        UUID db;
        if (scope == Scope.SINK) {
            int i = s.indexOf(Kind.SINK, name);
            db = i < 0 ? null : s.databaseId(s.config().sinks().get(i).database());
        } else {
            db = s.databaseId(name);
        }
        return db == null ? null : owner(db);
    }

    /** The address of the node that runs {@code databaseId}'s pipeline when that is another node; null otherwise. */
    @Nullable
    String owner(UUID databaseId) throws SQLException {
        return nodes.ownerElsewhere(databaseId);
    }

    /** A console JSON document of node {@code owner} ({@code path}), asked with {@code cookie}; null if none came. */
    @Nullable
    JsonNode json(String owner, String path, String cookie) {
        HttpResponse<byte[]> r = send(
                to(owner, path).header("Cookie", cookie).timeout(JSON_TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r == null || r.statusCode() != 200) {
            return null;
        }
        try {
            return JSON.readTree(r.body());
        } catch (tools.jackson.core.JacksonException e) {
            return null;
        }
    }

    /** Answers a page with the owner's answer; false (nothing written) when the owner did not answer. */
    boolean page(Context ctx, String owner) {
        HttpResponse<byte[]> r = send(request(ctx, owner, PAGE_TIMEOUT), HttpResponse.BodyHandlers.ofByteArray());
        if (r == null) {
            return false;
        }
        copyHeaders(ctx, owner, r);
        ctx.status(r.statusCode()).result(r.body());
        return true;
    }

    /**
     * Relays an event stream from the owner until either side closes it; false (nothing written) when the owner did
     * not answer.
     */
    boolean events(Context ctx, String owner) {
        // No overall timeout: an event stream stays open.
        HttpResponse<InputStream> r = send(request(ctx, owner, null), HttpResponse.BodyHandlers.ofInputStream());
        if (r == null) {
            return false;
        }
        copyHeaders(ctx, owner, r);
        ctx.status(r.statusCode());
        try (InputStream in = r.body()) {
            OutputStream out = ctx.res().getOutputStream();
            ctx.res().flushBuffer();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush(); // each event as it comes
            }
        } catch (IOException closed) {
            // the browser left or the owner stopped: closing the body ends the request to the owner
        }
        return true;
    }

    // The owner's answer, or null when it did not answer.
    private <T> @Nullable HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> body) {
        try {
            return http.send(request, body);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private HttpRequest request(Context ctx, String owner, @Nullable Duration timeout) {
        String query = ctx.queryString();
        HttpRequest.Builder b = to(owner, ctx.path() + (query == null ? "" : "?" + query));
        if (timeout != null) {
            b.timeout(timeout);
        }
        for (String h : REQUEST_HEADERS) {
            String v = ctx.header(h);
            if (v != null) {
                b.header(h, v);
            }
        }
        return b.build();
    }

    // A relayed GET of `pathAndQuery` at node `owner`.
    private static HttpRequest.Builder to(String owner, String pathAndQuery) {
        String base = owner.endsWith("/") ? owner.substring(0, owner.length() - 1) : owner;
        return HttpRequest.newBuilder(URI.create(base + pathAndQuery))
                .header(HEADER, "1")
                .GET();
    }

    private static void copyHeaders(Context ctx, String owner, HttpResponse<?> r) {
        for (String h : RESPONSE_HEADERS) {
            r.headers().firstValue(h).ifPresent(v -> ctx.header(h, v));
        }
        ctx.header("X-Sluice-Served-By", owner);
    }
}
