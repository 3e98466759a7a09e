package dev.sluice.client.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link WebhookHandler} as a Javalin route, over real HTTP. */
class WebhookHandlerIT {
    private Javalin app;
    private final List<WebhookEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        String secret = WebhookServers.SECRET;
        app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            // @start region="handler"
            config.routes.post("/sluice-events", new WebhookHandler(secret, (ctx, event) -> {
                if (event.type().equals(WebhookEvent.SINK_FAILING)) {
                    System.out.println("sink failing: " + event.data());
                }
                events.add(event);
            }));
            // @end
            config.routes.post("/failing-handler", new WebhookHandler(secret, (ctx, event) -> {
                throw new IllegalStateException("database down");
            }));
        });
        app.start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        app.stop();
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + app.port() + path);
    }

    @Test
    void signedEvent_reachesTheConsumer_answered200() throws Exception {
        String body = WebhookServers.EVENT;
        HttpResponse<String> r =
                WebhookServers.post(url("/sluice-events"), body, WebhookServers.sign(body, Instant.now()));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(events).singleElement().extracting(WebhookEvent::id).isEqualTo("evt_42");
    }

    @Test
    void badSignature_is400_andTheConsumerIsNotCalled() throws Exception {
        String body = WebhookServers.EVENT;
        HttpResponse<String> r = WebhookServers.post(
                url("/sluice-events"), body, WebhookSignature.compute(body, "whsec_wrong", Instant.now()));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("no signature matches");
        HttpResponse<String> expired = WebhookServers.post(
                url("/sluice-events"),
                body,
                WebhookServers.sign(body, Instant.now().plusSeconds(3600)));
        assertThat(expired.statusCode()).isEqualTo(400);
        assertThat(events).isEmpty();
    }

    @Test
    void consumerFailure_isA500_soSluiceRetries() throws Exception {
        String body = WebhookServers.EVENT;
        HttpResponse<String> r =
                WebhookServers.post(url("/failing-handler"), body, WebhookServers.sign(body, Instant.now()));
        assertThat(r.statusCode()).isEqualTo(500);
    }
}
