package dev.sluice.server.console;

import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import java.util.function.BiConsumer;

/** How a {@link ConsolePage} adds its routes; every one needs a signed-in session. */
interface ConsoleRoutes {
    /** A page (or an htmx fragment) at {@code path}: without a session, a page redirects to sign-in. */
    void get(String path, PageHandler handler);

    /** A server-sent event stream at {@code path}, for a signed-in session only. */
    void events(String path, BiConsumer<SseClient, ConsoleRequest> handler);

    /** Answers a signed-in GET. */
    @FunctionalInterface
    interface PageHandler {
        void handle(Context ctx, ConsoleRequest request) throws Exception;
    }
}
