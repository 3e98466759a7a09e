package dev.sluice.client.webhook;

import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A Javalin {@link Handler} for the URL Sluice's notification webhooks POST to: it verifies the
 * {@code Sluice-Signature} of the raw body, answers {@code 400} with the reason when it does not hold, and otherwise
 * hands the parsed {@link WebhookEvent} to your code (also left in the attribute {@link WebhookEvent#ATTRIBUTE}).
 * The answer is {@code 200} unless your code sets another; an exception from it goes to Javalin's exception
 * handling, so Sluice retries the delivery.
 *
 * {@snippet class=dev.sluice.client.webhook.WebhookHandlerIT region=handler}
 *
 * <p>Needs Javalin 7 at run time (the SDK does not bring it). Thread-safe when {@code onEvent} is.
 */
public final class WebhookHandler implements Handler {
    /** What to do with a verified event. */
    @FunctionalInterface
    public interface EventConsumer {
        void accept(Context ctx, WebhookEvent event) throws Exception;
    }

    private final String secret;
    private final Duration tolerance;
    private final EventConsumer onEvent;

    /** Verifies with {@code secret} and the default tolerance, then calls {@code onEvent}. */
    public WebhookHandler(String secret, EventConsumer onEvent) {
        this(secret, WebhookSignature.DEFAULT_TOLERANCE, onEvent);
    }

    /** Verifies with {@code secret}, refusing timestamps further than {@code tolerance} from now. */
    public WebhookHandler(String secret, Duration tolerance, EventConsumer onEvent) {
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("secret must not be empty: use the webhook's secret from its create");
        }
        this.secret = secret;
        this.tolerance = Objects.requireNonNull(tolerance, "tolerance");
        this.onEvent = Objects.requireNonNull(onEvent, "onEvent");
    }

    @Override
    public void handle(Context ctx) throws Exception {
        byte[] body = ctx.bodyAsBytes();
        WebhookSignature.Outcome outcome =
                WebhookSignature.check(body, ctx.header(WebhookSignature.HEADER), secret, tolerance, Instant.now());
        if (outcome != WebhookSignature.Outcome.VALID) {
            ctx.status(400).result("webhook refused: " + outcome.reason);
            return;
        }
        WebhookEvent event;
        try {
            event = WebhookEvent.parse(body);
        } catch (IllegalArgumentException e) {
            ctx.status(400).result("webhook refused: " + e.getMessage());
            return;
        }
        ctx.attribute(WebhookEvent.ATTRIBUTE, event);
        onEvent.accept(ctx, event);
    }
}
