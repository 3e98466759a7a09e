package dev.sluice.server.notify;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code Sluice-Signature} header of a webhook delivery: {@code t=<unix seconds>,v1=<hex HMAC-SHA256>}, the HMAC
 * of {@code "<t>.<raw body>"} keyed by the UTF-8 bytes of the subscription's secret ({@code whsec_…}). The timestamp
 * is signed too, so a receiver that rejects old ones rejects replays. The SDK has a copy of this algorithm.
 *
 * <p>Thread-safe and stateless.
 */
public final class WebhookSignature {
    /** How far a signature's timestamp may be from the receiver's clock by default. */
    public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

    private WebhookSignature() {}

    /** Why a signature was rejected. */
    public static final class InvalidSignatureException extends Exception {
        InvalidSignatureException(String message) {
            super(message, null, false, false);
        }
    }

    /** The hex HMAC-SHA256 of {@code "<t>.<body>"} keyed by {@code secret}'s UTF-8 bytes. */
    public static String compute(long t, byte[] body, String secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((t + ".").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** The header value for {@code body} signed at {@code t}. */
    public static String header(long t, byte[] body, String secret) {
        return "t=" + t + ",v1=" + compute(t, body, secret);
    }

    /**
     * Checks a {@code Sluice-Signature} header against the raw body: well formed, a {@code v1} that matches (compared
     * in constant time; any of several {@code v1} may), and a timestamp within {@code tolerance} of {@code now}.
     *
     * @throws InvalidSignatureException saying what is wrong
     */
    public static void verify(byte[] body, String header, String secret, Duration tolerance, Instant now)
            throws InvalidSignatureException {
        if (header == null || header.isBlank()) {
            throw new InvalidSignatureException("no Sluice-Signature header");
        }
        Long t = null;
        java.util.List<String> signatures = new java.util.ArrayList<>();
        for (String part : header.split(",")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new InvalidSignatureException("malformed Sluice-Signature: expected t=<seconds>,v1=<hex>");
            }
            String key = part.substring(0, eq).strip();
            String value = part.substring(eq + 1).strip();
            if (key.equals("t")) {
                try {
                    t = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    throw new InvalidSignatureException("malformed Sluice-Signature: t is not a number");
                }
            } else if (key.equals("v1")) {
                signatures.add(value);
            }
        }
        if (t == null || signatures.isEmpty()) {
            throw new InvalidSignatureException("malformed Sluice-Signature: expected t=<seconds>,v1=<hex>");
        }
        long skew = Math.abs(now.getEpochSecond() - t);
        if (skew > tolerance.toSeconds()) {
            throw new InvalidSignatureException("the signature's timestamp is " + skew
                    + " s away from now, more than the tolerance of " + tolerance.toSeconds() + " s");
        }
        byte[] expected = compute(t, body, secret).getBytes(StandardCharsets.US_ASCII);
        boolean match = false;
        for (String s : signatures) {
            match |= MessageDigest.isEqual(expected, s.getBytes(StandardCharsets.US_ASCII));
        }
        if (!match) {
            throw new InvalidSignatureException("no v1 signature matches the body and secret");
        }
    }

    /** As {@link #verify(byte[], String, String, Duration, Instant)} with the default tolerance and the clock's now. */
    public static void verify(byte[] body, String header, String secret) throws InvalidSignatureException {
        verify(body, header, secret, DEFAULT_TOLERANCE, Instant.now());
    }
}
