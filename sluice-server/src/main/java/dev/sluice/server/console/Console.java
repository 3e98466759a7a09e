package dev.sluice.server.console;

import dev.sluice.server.api.ManagementApi;
import dev.sluice.server.api.Nodes;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.http.sse.SseHandler;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * The web console, on the API's port: server-rendered pages (precompiled jte templates, escaped by default) behind a
 * sign-in with an API token. The session lives in an HttpOnly, SameSite=Strict cookie. Pages only read; what they
 * change, they change by calling {@code /api} from the browser with that cookie, so the console and the API share one
 * code path. Such a call, like every console POST, must carry the session's CSRF token and come from this origin.
 * Pages send a Content-Security-Policy that allows only this origin's scripts and styles, and no inline script.
 */
public final class Console {
    static final String COOKIE = "sluice_session";
    /** The header with which the console's scripts send the session's CSRF token to {@code /api}. */
    static final String CSRF_HEADER = "X-CSRF-Token";

    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
            + " connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");

    private final ConsoleServices services;
    private final ConsoleSessions sessions;
    private final TemplateEngine templates =
            TemplateEngine.createPrecompiled(null, ContentType.Html, null, Console.class.getPackageName());
    private final List<ConsolePage> pages;
    private final LiveUpdates live;
    private volatile @Nullable ConsoleRelay relay;

    public Console(ConsoleServices services) {
        this.services = services;
        this.sessions = new ConsoleSessions(services.stored().metadata().dataSource(), services.clock());
        this.live = new LiveUpdates();
        History history = new History(services);
        // The sink form's /sinks/new before the sink page's /sinks/{name}: the first route that matches answers.
        this.pages = List.of(
                new OverviewPage(history, live, () -> relay),
                new SinkFormPage(),
                new SinkPage(history),
                new MessagesPage(),
                new BackfillsPage(),
                new TracePage(live),
                new DatabasePage(history),
                new FunctionsPage(),
                new ConfigurationPage());
    }

    /** Adds the pages and the console's static files, and lets {@code api} accept the console's sessions. */
    public void register(JavalinConfig c, ManagementApi api) {
        ConsoleAssets assets = new ConsoleAssets();
        c.routes.get(ConsoleAssets.PATH + "/*", assets::serve);
        c.routes.get("/sign-in", ctx -> page(ctx, "signin.jte", params("error", null)));
        c.routes.post("/sign-in", this::signIn);
        c.routes.post("/sign-out", this::signOut);
        ConsoleRoutes routes = new ConsoleRoutes() {
            @Override
            public void get(String path, PageHandler handler) {
                ConsoleRelay.Scope scope = ConsoleRelay.scopeOf(path);
                c.routes.get(path, ctx -> {
                    Optional<ConsoleSessions.Session> s = session(ctx);
                    secure(ctx);
                    if (s.isEmpty()) {
                        if (ctx.header("HX-Request") != null) {
                            // htmx follows no redirect into a fragment; it reloads the page, which then signs in.
                            ctx.header("HX-Redirect", "/sign-in").status(401);
                        } else {
                            ctx.redirect("/sign-in", HttpStatus.SEE_OTHER);
                        }
                        return;
                    }
                    String owner = ownerElsewhere(ctx, scope);
                    if (owner != null && Objects.requireNonNull(relay).page(ctx, owner)) {
                        return;
                    }
                    handler.handle(ctx, new ConsoleRequest(s.get(), services, templates));
                });
            }

            @Override
            public void events(String path, BiConsumer<io.javalin.http.sse.SseClient, ConsoleRequest> handler) {
                ConsoleRelay.Scope scope = ConsoleRelay.scopeOf(path);
                c.routes.get(path, ctx -> {
                    Optional<ConsoleSessions.Session> s = session(ctx);
                    if (s.isEmpty()) {
                        ctx.status(401).result("sign in first");
                        return;
                    }
                    String owner = ownerElsewhere(ctx, scope);
                    if (owner != null && Objects.requireNonNull(relay).events(ctx, owner)) {
                        return;
                    }
                    ConsoleRequest request = new ConsoleRequest(s.get(), services, templates);
                    new SseHandler(client -> handler.accept(client, request)).handle(ctx);
                });
            }
        };
        for (ConsolePage p : pages) {
            p.register(routes);
        }
        api.acceptSessions(this::apiKeyOf);
    }

    /**
     * Cluster mode: pages about a sink or database whose pipeline another node runs are answered by that node (see
     * {@link ConsoleRelay}).
     */
    public void cluster(Nodes nodes) {
        relay = new ConsoleRelay(nodes);
    }

    private @Nullable String ownerElsewhere(Context ctx, ConsoleRelay.@Nullable Scope scope)
            throws java.sql.SQLException {
        ConsoleRelay r = relay;
        return r == null || scope == null
                ? null
                : r.ownerOf(ctx, scope, services.stored().snapshot());
    }

    /** Stops the live updates. */
    public void close() {
        live.close();
    }

    /**
     * The API key of an {@code /api} request made by a console page: its session cookie names a live session and, if
     * the request changes something, it carries the session's CSRF token and comes from this origin.
     */
    private @Nullable UUID apiKeyOf(Context ctx) {
        Optional<ConsoleSessions.Session> s = session(ctx);
        if (s.isEmpty()) {
            return null;
        }
        if (!SAFE_METHODS.contains(ctx.method().name())) {
            if (!sameOrigin(ctx)) {
                throw new SecurityException("this request was not sent from the console's own page");
            }
            if (!csrfMatches(s.get(), ctx.header(CSRF_HEADER))) {
                throw new SecurityException("missing or wrong " + CSRF_HEADER + " header; reload the console page");
            }
        }
        return s.get().key();
    }

    private void signIn(Context ctx) {
        if (!sameOrigin(ctx)) {
            forbidden(ctx, "this form was not sent from the console's own page");
            return;
        }
        UUID key = services.tokens().find(ctx.formParam("token"));
        if (key == null) {
            ctx.status(401);
            page(ctx, "signin.jte", params("error", "That is not an API token of this server."));
            return;
        }
        String id = sessions.open(key);
        ctx.header(
                "Set-Cookie",
                COOKIE + "=" + id + "; Path=/; HttpOnly; SameSite=Strict" + (secureScheme(ctx) ? "; Secure" : ""));
        secure(ctx);
        ctx.redirect("/", HttpStatus.SEE_OTHER);
    }

    private void signOut(Context ctx) {
        Optional<ConsoleSessions.Session> s = session(ctx);
        if (s.isEmpty() || !sameOrigin(ctx) || !csrfMatches(s.get(), ctx.formParam("csrf"))) {
            forbidden(ctx, "sign out from the console's own page");
            return;
        }
        sessions.close(ctx.cookie(COOKIE));
        ctx.header("Set-Cookie", COOKIE + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
        secure(ctx);
        ctx.redirect("/sign-in", HttpStatus.SEE_OTHER);
    }

    /** The request's session, if its cookie names a live one whose API key still exists. */
    private Optional<ConsoleSessions.Session> session(Context ctx) {
        String id = ctx.cookie(COOKIE);
        Optional<ConsoleSessions.Session> s = sessions.find(id);
        if (s.isPresent()
                && services.tokens().list().stream()
                        .noneMatch(k -> k.id().equals(s.get().key()))) {
            sessions.closeAll(s.get().key());
            return Optional.empty();
        }
        return s;
    }

    private static boolean csrfMatches(ConsoleSessions.Session s, @Nullable String sent) {
        return sent != null
                && MessageDigest.isEqual(
                        s.csrf().getBytes(StandardCharsets.UTF_8), sent.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Whether a POST comes from this origin: its {@code Origin} (or, without one, its {@code Referer}) names this
     * host. A browser sends one of them with every form; a request with neither is refused.
     */
    static boolean sameOrigin(Context ctx) {
        String from = ctx.header("Origin");
        if (from == null || from.equals("null")) {
            from = ctx.header("Referer");
        }
        if (from == null) {
            return false;
        }
        try {
            URI u = URI.create(from);
            String host = ctx.header("Host");
            return host != null
                    && u.getRawAuthority() != null
                    && u.getRawAuthority().equalsIgnoreCase(host);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean secureScheme(Context ctx) {
        return "https".equalsIgnoreCase(ctx.scheme()) || "https".equalsIgnoreCase(ctx.header("X-Forwarded-Proto"));
    }

    private void forbidden(Context ctx, String why) {
        ctx.status(403);
        secure(ctx);
        ctx.contentType("text/plain; charset=utf-8").result("403: " + why + "\n");
    }

    private void page(Context ctx, String template, Map<String, Object> params) {
        StringOutput out = new StringOutput();
        templates.render(template, params, out);
        secure(ctx);
        ctx.contentType("text/html; charset=utf-8").result(out.toString());
    }

    static void secure(Context ctx) {
        ctx.header("Content-Security-Policy", CSP);
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Referrer-Policy", "same-origin");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Cache-Control", "no-store");
    }

    private static Map<String, Object> params(Object... keyValues) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }
}
