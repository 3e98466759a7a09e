package dev.sluice.server.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class WebhookSignatureTest {
    private static final String SECRET = "whsec_0123456789abcdefghijklmnopqrstuvwxyzABCDE";
    private static final byte[] BODY =
            "{\"id\":\"evt_1\",\"type\":\"sink.failing\",\"data\":{\"é\":1}}".getBytes(StandardCharsets.UTF_8);
    private static final long T = 1_765_000_000L;
    private static final Instant NOW = Instant.ofEpochSecond(T);

    /** The HMAC as a receiver would compute it, independently of the class under test. */
    private static String hmac(long t, byte[] body, String secret) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        mac.update((t + ".").getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(mac.doFinal(body));
    }

    @Test
    void compute_isHexHmacSha256OfTimestampDotBody() throws Exception {
        assertThat(WebhookSignature.compute(T, BODY, SECRET)).isEqualTo(hmac(T, BODY, SECRET));
        assertThat(WebhookSignature.compute(T, BODY, SECRET)).hasSize(64).matches("[0-9a-f]+");
        assertThat(WebhookSignature.header(T, BODY, SECRET)).isEqualTo("t=" + T + ",v1=" + hmac(T, BODY, SECRET));
    }

    @Test
    void verify_acceptsAFreshSignature_withinTheTolerance() throws Exception {
        String header = "t=" + T + ",v1=" + hmac(T, BODY, SECRET);
        WebhookSignature.verify(BODY, header, SECRET, Duration.ofMinutes(5), NOW);
        WebhookSignature.verify(BODY, header, SECRET, Duration.ofMinutes(5), NOW.plusSeconds(300));
        WebhookSignature.verify(BODY, header, SECRET, Duration.ofMinutes(5), NOW.minusSeconds(300));
        // Any of several v1 (as during a secret rotation on the receiver's side) may match.
        WebhookSignature.verify(
                BODY,
                "t=" + T + ",v1=" + "0".repeat(64) + ",v1=" + hmac(T, BODY, SECRET),
                SECRET,
                Duration.ofMinutes(5),
                NOW);
    }

    @Test
    void verify_rejectsTimestampsOutsideTheTolerance() throws Exception {
        String header = "t=" + T + ",v1=" + hmac(T, BODY, SECRET);
        assertThatThrownBy(() ->
                        WebhookSignature.verify(BODY, header, SECRET, Duration.ofMinutes(5), NOW.plusSeconds(301)))
                .isInstanceOf(WebhookSignature.InvalidSignatureException.class)
                .hasMessageContaining("tolerance");
        assertThatThrownBy(() ->
                        WebhookSignature.verify(BODY, header, SECRET, Duration.ofMinutes(5), NOW.minusSeconds(301)))
                .isInstanceOf(WebhookSignature.InvalidSignatureException.class);
        WebhookSignature.verify(BODY, header, SECRET, Duration.ofMinutes(10), NOW.plusSeconds(301));
    }

    @Test
    void verify_rejectsATamperedBody_anotherSecret_andAnotherTimestamp() throws Exception {
        String header = "t=" + T + ",v1=" + hmac(T, BODY, SECRET);
        byte[] tampered = BODY.clone();
        tampered[5] ^= 1;
        assertThatThrownBy(() -> WebhookSignature.verify(tampered, header, SECRET, Duration.ofMinutes(5), NOW))
                .isInstanceOf(WebhookSignature.InvalidSignatureException.class)
                .hasMessageContaining("no v1 signature matches");
        assertThatThrownBy(() -> WebhookSignature.verify(BODY, header, SECRET + "x", Duration.ofMinutes(5), NOW))
                .isInstanceOf(WebhookSignature.InvalidSignatureException.class);
        String moved = "t=" + (T + 1) + ",v1=" + hmac(T, BODY, SECRET);
        assertThatThrownBy(() -> WebhookSignature.verify(BODY, moved, SECRET, Duration.ofMinutes(5), NOW))
                .isInstanceOf(WebhookSignature.InvalidSignatureException.class);
    }

    @Test
    void verify_rejectsMalformedHeaders() {
        String sig = WebhookSignature.compute(T, BODY, SECRET);
        for (String bad : new String[] {
            "", "   ", "v1=" + sig, "t=" + T, "t=abc,v1=" + sig, "garbage", "t=" + T + ";v1=" + sig, "=1,v1=" + sig
        }) {
            assertThatThrownBy(() -> WebhookSignature.verify(BODY, bad, SECRET, Duration.ofMinutes(5), NOW))
                    .as("header '%s'", bad)
                    .isInstanceOf(WebhookSignature.InvalidSignatureException.class);
        }
    }

    @Test
    void settings_backOffDoublesUpToTheCap() {
        WebhookSettings s = new WebhookSettings(
                Duration.ofSeconds(10),
                Duration.ofSeconds(1),
                Duration.ofSeconds(5),
                8,
                Duration.ofHours(24),
                Duration.ofSeconds(1));
        assertThat(s.backoff(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.backoff(2)).isEqualTo(Duration.ofSeconds(2));
        assertThat(s.backoff(3)).isEqualTo(Duration.ofSeconds(4));
        assertThat(s.backoff(4)).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.backoff(40)).isEqualTo(Duration.ofSeconds(5));
        assertThatThrownBy(() -> WebhookSettings.from(k -> k.equals("SLUICE_WEBHOOKS_TIMEOUT") ? "10s" : null))
                .hasMessageContaining("SLUICE_WEBHOOKS_TIMEOUT must be an ISO-8601 duration");
    }

    @Test
    void secrets_areWhsecAndThirtyTwoRandomBytes() {
        String a = Webhooks.newSecret();
        assertThat(a).startsWith("whsec_").hasSize(6 + 43).doesNotContain("=", "+", "/");
        assertThat(Webhooks.newSecret()).isNotEqualTo(a);
    }
}
