package dev.sluice.client.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Signature vectors computed independently (Python's {@code hmac.new(secret, f"{t}.{body}", sha256).hexdigest()}),
 * and the verifier's refusals.
 */
class WebhookSignatureTest {
    static final String SECRET = "whsec_test_secret";
    static final String BODY = "{\"id\":\"evt_1\",\"type\":\"sink.failing\",\"created_at\":\"2023-11-14T22:13:20Z\","
            + "\"data\":{\"sink\":{\"name\":\"orders\"}}}";
    static final Instant T = Instant.ofEpochSecond(1_700_000_000L);
    static final String VECTOR = "t=1700000000,v1=fbbef1eebb3ec2bc0d6b3cbafec6195f2e883c8f8b85eb863d0ef4ccd37fd7c7";

    @Test
    void compute_matchesTheIndependentVectors() {
        assertThat(WebhookSignature.compute(BODY, SECRET, T)).isEqualTo(VECTOR);
        // The key is the secret's UTF-8 bytes; an empty body still signs "<t>.".
        assertThat(WebhookSignature.compute("", "sécret", T))
                .isEqualTo("t=1700000000,v1=39f07a424c93b9c87e16bf40534f7f97a77edfb8c0ec78d21b7ff4d562d0a1aa");
    }

    @Test
    void verify_acceptsTheVectorWithinTolerance() {
        byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
        assertThat(WebhookSignature.verify(body, VECTOR, SECRET, Duration.ofMinutes(5), T.plusSeconds(299)))
                .isTrue();
        assertThat(WebhookSignature.verify(body, VECTOR, SECRET, Duration.ofMinutes(5), T.minusSeconds(60)))
                .as("a clock a little behind")
                .isTrue();
        assertThat(WebhookSignature.verify(
                        body, " t=1700000000 , v1=" + VECTOR.substring(16), SECRET, Duration.ofMinutes(5), T))
                .as("spaces around parts")
                .isTrue();
    }

    @Test
    void verify_refusesReplaysAndTampering() {
        byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
        assertThat(WebhookSignature.check(body, VECTOR, SECRET, Duration.ofMinutes(5), T.plusSeconds(301)))
                .isEqualTo(WebhookSignature.Outcome.EXPIRED);
        assertThat(WebhookSignature.verify(body, VECTOR, SECRET))
                .as("signed in 2023, verified now")
                .isFalse();
        assertThat(WebhookSignature.check(
                        (BODY + " ").getBytes(StandardCharsets.UTF_8), VECTOR, SECRET, Duration.ofMinutes(5), T))
                .isEqualTo(WebhookSignature.Outcome.MISMATCH);
        assertThat(WebhookSignature.check(body, VECTOR, "whsec_other", Duration.ofMinutes(5), T))
                .isEqualTo(WebhookSignature.Outcome.MISMATCH);
        String otherTime = VECTOR.replace("t=1700000000", "t=1700000001");
        assertThat(WebhookSignature.check(body, otherTime, SECRET, Duration.ofMinutes(5), T))
                .as("the timestamp is signed too")
                .isEqualTo(WebhookSignature.Outcome.MISMATCH);
        assertThat(WebhookSignature.check(body, null, SECRET, Duration.ofMinutes(5), T))
                .isEqualTo(WebhookSignature.Outcome.MISSING);
        assertThat(WebhookSignature.check(body, "v1=abc", SECRET, Duration.ofMinutes(5), T))
                .isEqualTo(WebhookSignature.Outcome.MALFORMED);
        assertThat(WebhookSignature.check(body, "t=soon,v1=abc", SECRET, Duration.ofMinutes(5), T))
                .isEqualTo(WebhookSignature.Outcome.MALFORMED);
        assertThat(WebhookSignature.check(body, "t=1700000000", SECRET, Duration.ofMinutes(5), T))
                .isEqualTo(WebhookSignature.Outcome.MALFORMED);
        assertThatThrownBy(() -> WebhookSignature.verify(body, VECTOR, SECRET, Duration.ofSeconds(-1)))
                .hasMessageContaining("tolerance");
    }

    @Test
    void verify_acceptsAnyOfSeveralSignaturesDuringARotation() {
        byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
        String oldSig = WebhookSignature.compute(body, "whsec_old", T);
        String newSig = WebhookSignature.compute(body, "whsec_new", T);
        String both = oldSig + ",v1=" + newSig.substring(newSig.indexOf("v1=") + 3) + ",v1=nothex";
        Duration tol = Duration.ofMinutes(5);
        assertThat(WebhookSignature.verify(body, both, "whsec_old", tol, T)).isTrue();
        assertThat(WebhookSignature.verify(body, both, "whsec_new", tol, T)).isTrue();
        assertThat(WebhookSignature.verify(body, both, "whsec_third", tol, T)).isFalse();
    }

    @Test
    void computeNow_verifiesNow() {
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
        assertThat(WebhookSignature.verify(body, WebhookSignature.compute(body, SECRET), SECRET))
                .isTrue();
        assertThat(WebhookSignature.verify("{}", WebhookSignature.compute(body, SECRET), SECRET))
                .isTrue();
    }

    @Test
    void event_parses() {
        WebhookEvent e = WebhookEvent.parse(BODY);
        assertThat(e.id()).isEqualTo("evt_1");
        assertThat(e.type()).isEqualTo(WebhookEvent.SINK_FAILING);
        assertThat(e.createdAt()).isEqualTo(T);
        assertThat(e.data().path("sink").path("name").asString()).isEqualTo("orders");
        assertThatThrownBy(() -> WebhookEvent.parse("[1]")).hasMessageContaining("not an event");
        assertThatThrownBy(() -> WebhookEvent.parse("{")).hasMessageContaining("not JSON");
    }
}
