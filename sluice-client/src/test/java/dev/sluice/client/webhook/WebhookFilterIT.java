package dev.sluice.client.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import jakarta.servlet.DispatcherType;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link WebhookFilter} in the Jetty that Javalin runs, in front of a route that reads what the filter left. */
class WebhookFilterIT {
    private Javalin app;
    private final List<WebhookEvent> events = new CopyOnWriteArrayList<>();
    private final List<String> bodies = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        String secret = WebhookServers.SECRET;
        app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            // @start region="filter"
            config.jetty.modifyServletContextHandler(context -> context.addFilter(
                    new FilterHolder(new WebhookFilter(secret)), "/sluice-events", EnumSet.of(DispatcherType.REQUEST)));
            // @end
            config.routes.post("/sluice-events", ctx -> {
                events.add(ctx.attribute(WebhookEvent.ATTRIBUTE));
                bodies.add(ctx.body());
                ctx.status(204);
            });
        });
        app.start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        app.stop();
    }

    private URI url() {
        return URI.create("http://127.0.0.1:" + app.port() + "/sluice-events");
    }

    @Test
    void signedEvent_passesWithTheParsedEventAndItsBody() throws Exception {
        String body = WebhookServers.EVENT;
        HttpResponse<String> r = WebhookServers.post(url(), body, WebhookServers.sign(body, Instant.now()));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.id()).isEqualTo("evt_42");
            assertThat(e.type()).isEqualTo(WebhookEvent.BACKFILL_COMPLETED);
            assertThat(e.data().path("backfill").path("table").asString()).isEqualTo("public.orders");
        });
        assertThat(bodies).containsExactly(body);
    }

    @Test
    void badSignatures_are400WithTheReason_andNeverReachTheRoute() throws Exception {
        String body = WebhookServers.EVENT;
        HttpResponse<String> none = WebhookServers.post(url(), body, null);
        assertThat(none.statusCode()).isEqualTo(400);
        assertThat(none.body()).contains("missing Sluice-Signature");

        HttpResponse<String> tampered =
                WebhookServers.post(url(), body.replace("orders", "users"), WebhookServers.sign(body, Instant.now()));
        assertThat(tampered.statusCode()).isEqualTo(400);
        assertThat(tampered.body()).contains("no signature matches");

        HttpResponse<String> old = WebhookServers.post(
                url(), body, WebhookServers.sign(body, Instant.now().minusSeconds(600)));
        assertThat(old.statusCode()).isEqualTo(400);
        assertThat(old.body()).contains("timestamp outside the tolerance");

        HttpResponse<String> notAnEvent = WebhookServers.post(url(), "[]", WebhookServers.sign("[]", Instant.now()));
        assertThat(notAnEvent.statusCode()).isEqualTo(400);
        assertThat(notAnEvent.body()).contains("not an event");
        assertThat(events).isEmpty();
    }
}
