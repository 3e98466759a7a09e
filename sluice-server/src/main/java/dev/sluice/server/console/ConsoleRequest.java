package dev.sluice.server.console;

import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.javalin.http.Context;
import java.util.HashMap;
import java.util.Map;

/** A signed-in request: its session's CSRF token, the services pages read, and rendering of templates. */
final class ConsoleRequest {
    private final ConsoleSessions.Session session;
    private final ConsoleServices services;
    private final TemplateEngine templates;

    ConsoleRequest(ConsoleSessions.Session session, ConsoleServices services, TemplateEngine templates) {
        this.session = session;
        this.services = services;
        this.templates = templates;
    }

    String csrf() {
        return session.csrf();
    }

    ConsoleServices services() {
        return services;
    }

    /** Renders {@code template} with {@code params} (name, value pairs) and the session's {@code csrf}. */
    String render(String template, Object... params) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < params.length; i += 2) {
            m.put((String) params[i], params[i + 1]);
        }
        m.putIfAbsent("csrf", session.csrf());
        StringOutput out = new StringOutput();
        templates.render(template, m, out);
        return out.toString();
    }

    /** Sends a rendered page (or fragment) as HTML. */
    void html(Context ctx, String template, Object... params) {
        ctx.contentType("text/html; charset=utf-8").result(render(template, params));
    }
}
