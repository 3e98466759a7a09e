package dev.sluice.server.console;

import dev.sluice.engine.DatabasePipeline;
import dev.sluice.server.api.ApiTokens;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.staticfiles.Location;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The web console, on the API's port: server-rendered pages (precompiled jte templates, escaped by default) behind a
 * sign-in with an API token. The session lives in an HttpOnly, SameSite=Strict cookie; every form that changes
 * something carries the session's CSRF token, and every POST must come from this origin. Pages send a
 * Content-Security-Policy that allows only this origin's styles: no scripts yet, no inline code ever.
 */
public final class Console {
    static final String COOKIE = "sluice_session";
    static final String CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
            + " frame-ancestors 'none'; base-uri 'none'";

    private final ApiTokens tokens;
    private final Supplier<List<DatabasePipeline.Status>> pipelines;
    private final ConsoleSessions sessions;
    private final TemplateEngine templates = TemplateEngine.createPrecompiled(ContentType.Html);

    public Console(ApiTokens tokens, Supplier<List<DatabasePipeline.Status>> pipelines, Clock clock) {
        this.tokens = tokens;
        this.pipelines = pipelines;
        this.sessions = new ConsoleSessions(clock);
    }

    /** Adds the pages and the console's static files. */
    public void register(JavalinConfig c) {
        c.staticFiles.add(s -> {
            s.hostedPath = "/console/assets";
            s.directory = "/dev/sluice/server/console/assets";
            s.location = Location.CLASSPATH;
            s.headers = Map.of("X-Content-Type-Options", "nosniff", "Cache-Control", "no-cache");
        });
        c.routes.get("/", this::overview);
        c.routes.get("/sign-in", ctx -> page(ctx, "signin.jte", params("error", null)));
        c.routes.post("/sign-in", this::signIn);
        c.routes.post("/sign-out", this::signOut);
    }

    private void overview(Context ctx) {
        Optional<ConsoleSessions.Session> s = session(ctx);
        if (s.isEmpty()) {
            secure(ctx);
            ctx.redirect("/sign-in", io.javalin.http.HttpStatus.SEE_OTHER);
            return;
        }
        page(
                ctx,
                "overview.jte",
                params("databases", pipelines.get(), "csrf", s.get().csrf()));
    }

    private void signIn(Context ctx) {
        if (!sameOrigin(ctx)) {
            forbidden(ctx, "this form was not sent from the console's own page");
            return;
        }
        UUID key = tokens.find(ctx.formParam("token"));
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
        ctx.redirect("/", io.javalin.http.HttpStatus.SEE_OTHER);
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
        ctx.redirect("/sign-in", io.javalin.http.HttpStatus.SEE_OTHER);
    }

    /** The request's session, if its cookie names a live one whose API key still exists. */
    private Optional<ConsoleSessions.Session> session(Context ctx) {
        String id = ctx.cookie(COOKIE);
        Optional<ConsoleSessions.Session> s = sessions.find(id);
        if (s.isPresent()
                && tokens.list().stream().noneMatch(k -> k.id().equals(s.get().key()))) {
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

    private static void secure(Context ctx) {
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
