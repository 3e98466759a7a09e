package dev.sluice.client.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * Signs and verifies the {@code Sluice-Signature} header of a notification webhook delivery:
 * {@code t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">}, keyed by the UTF-8 bytes of the webhook's
 * secret. While a secret is being rotated the header carries one {@code v1=} per secret; a delivery is genuine when
 * any of them matches.
 *
 * {@snippet class=dev.sluice.client.ReadmeExamplesIT region=verify}
 *
 * <p>Verify the <b>raw</b> body, byte for byte as received, before parsing it: re-serialized JSON does not match.
 * A timestamp further than the tolerance (default {@link #DEFAULT_TOLERANCE}) from now, in either direction, is
 * refused, so a captured delivery cannot be replayed later. Signatures are compared in constant time.
 *
 * <p>Thread-safe: static methods without shared state.
 */
public final class WebhookSignature {
    /** The header's name. */
    public static final String HEADER = "Sluice-Signature";
    /** How far a delivery's timestamp may be from now by default. */
    public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

    private WebhookSignature() {}

    /** Why a delivery was refused, or {@link #VALID}. */
    enum Outcome {
        VALID("valid"),
        MISSING("missing " + HEADER + " header"),
        MALFORMED("malformed " + HEADER + " header: expected t=<unix seconds>,v1=<hex>"),
        EXPIRED("timestamp outside the tolerance (a replayed or delayed delivery, or a clock out of sync)"),
        MISMATCH("no signature matches: wrong secret, or the body was changed");

        final String reason;

        Outcome(String reason) {
            this.reason = reason;
        }
    }

    /**
     * Whether {@code signatureHeader} is a valid signature of {@code rawBody} by {@code secret}, made within
     * {@link #DEFAULT_TOLERANCE} of now.
     *
     * @param rawBody the request body exactly as received
     * @param signatureHeader the {@code Sluice-Signature} header's value; null is refused
     * @param secret the webhook's secret
     */
    public static boolean verify(byte[] rawBody, @Nullable String signatureHeader, String secret) {
        return verify(rawBody, signatureHeader, secret, DEFAULT_TOLERANCE);
    }

    /** {@link #verify(byte[], String, String)} of a body given as a string (its UTF-8 bytes are checked). */
    public static boolean verify(String rawBody, @Nullable String signatureHeader, String secret) {
        return verify(rawBody.getBytes(StandardCharsets.UTF_8), signatureHeader, secret);
    }

    /** {@link #verify(byte[], String, String)} with another tolerance. */
    public static boolean verify(byte[] rawBody, @Nullable String signatureHeader, String secret, Duration tolerance) {
        return verify(rawBody, signatureHeader, secret, tolerance, Instant.now());
    }

    /** {@link #verify(byte[], String, String, Duration)} as of {@code now} (for tests and replays of old logs). */
    public static boolean verify(
            byte[] rawBody, @Nullable String signatureHeader, String secret, Duration tolerance, Instant now) {
        return check(rawBody, signatureHeader, secret, tolerance, now) == Outcome.VALID;
    }

    static Outcome check(byte[] rawBody, @Nullable String header, String secret, Duration tolerance, Instant now) {
        Objects.requireNonNull(rawBody, "rawBody");
        Objects.requireNonNull(secret, "secret");
        if (tolerance.isNegative()) {
            throw new IllegalArgumentException("tolerance must not be negative, got " + tolerance);
        }
        if (header == null || header.isBlank()) {
            return Outcome.MISSING;
        }
        Long t = null;
        List<byte[]> signatures = new ArrayList<>();
        for (String part : header.split(",")) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                continue;
            }
            String key = part.substring(0, eq).strip();
            String value = part.substring(eq + 1).strip();
            if (key.equals("t")) {
                try {
                    t = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    return Outcome.MALFORMED;
                }
            } else if (key.equals("v1")) {
                try {
                    signatures.add(HexFormat.of().parseHex(value));
                } catch (IllegalArgumentException e) {
                    // not hex: cannot match; other v1 values may
                }
            }
        }
        if (t == null || signatures.isEmpty()) {
            return Outcome.MALFORMED;
        }
        long skew = Math.abs(now.getEpochSecond() - t);
        if (skew > tolerance.toSeconds()) {
            return Outcome.EXPIRED;
        }
        byte[] expected = hmac(t, rawBody, secret);
        boolean match = false;
        for (byte[] s : signatures) {
            match |= MessageDigest.isEqual(expected, s); // no early exit: time does not tell which matched
        }
        return match ? Outcome.VALID : Outcome.MISMATCH;
    }

    /** The header value signing {@code rawBody} with {@code secret} at {@code timestamp}: {@code t=...,v1=...}. */
    public static String compute(byte[] rawBody, String secret, Instant timestamp) {
        long t = timestamp.getEpochSecond();
        return "t=" + t + ",v1=" + HexFormat.of().formatHex(hmac(t, rawBody, secret));
    }

    /** {@link #compute(byte[], String, Instant)} of a string body (its UTF-8 bytes). */
    public static String compute(String rawBody, String secret, Instant timestamp) {
        return compute(rawBody.getBytes(StandardCharsets.UTF_8), secret, timestamp);
    }

    /** {@link #compute(byte[], String, Instant)} now. */
    public static String compute(byte[] rawBody, String secret) {
        return compute(rawBody, secret, Instant.now());
    }

    private static byte[] hmac(long t, byte[] body, String secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((t + ".").getBytes(StandardCharsets.US_ASCII));
            return mac.doFinal(body);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
        }
    }
}
