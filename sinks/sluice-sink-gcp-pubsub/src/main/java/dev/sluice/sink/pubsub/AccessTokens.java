package dev.sluice.sink.pubsub;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * OAuth 2.0 access tokens of a service account, by Google's flow for server-to-server applications
 * (https://developers.google.com/identity/protocols/oauth2/service-account): a JWT ({@code iss} the account,
 * {@code scope} Pub/Sub's, {@code aud} the token URI, one hour long) signed RS256 with the account's private key,
 * exchanged at the token URI ({@code grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer}) for a bearer token.
 *
 * <p>A token is kept until {@link #REFRESH_MARGIN} before it expires, or until a call is refused with it ({@link
 * #invalidate}), so that a sink asks for one about once an hour.
 *
 * <p>Concurrency: thread-safe; one request for a token at a time, the others wait for it.
 */
final class AccessTokens {
    /** Pub/Sub's OAuth scope. */
    static final String SCOPE = "https://www.googleapis.com/auth/pubsub";
    /** Google takes assertions of at most one hour. */
    static final Duration ASSERTION_LIFETIME = Duration.ofHours(1);
    /** A token is renewed this long before it expires, so that no request carries one that lapses in flight. */
    static final Duration REFRESH_MARGIN = Duration.ofMinutes(5);

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

    private final ServiceAccount account;
    private final HttpClient http;
    private final InstantSource clock;
    private final ReentrantLock lock = new ReentrantLock();
    private @Nullable String token;
    private Instant renewAt = Instant.MIN;

    AccessTokens(ServiceAccount account, HttpClient http, InstantSource clock) {
        this.account = account;
        this.http = http;
        this.clock = clock;
    }

    /** Why the token endpoint gave no token: an answer (its status and OAuth error), not a transport failure. */
    static final class Refused extends Exception {
        final int status;

        Refused(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }

        /** Whether the endpoint refused the account or its key (as opposed to failing itself). */
        boolean credentialsRefused() {
            return status == 400 || status == 401 || status == 403;
        }
    }

    /**
     * A valid access token, asking for a new one when the current one is near its end.
     *
     * @throws Refused when the token endpoint answers without a token
     * @throws IOException when it cannot be reached or did not answer in time
     */
    String current(Duration timeout) throws IOException, InterruptedException, Refused {
        // A lock, not synchronized: the request below would pin a virtual thread's carrier on Java 21.
        lock.lockInterruptibly();
        try {
            return currentLocked(timeout);
        } finally {
            lock.unlock();
        }
    }

    private String currentLocked(Duration timeout) throws IOException, InterruptedException, Refused {
        Instant now = clock.instant();
        if (token != null && now.isBefore(renewAt)) {
            return token;
        }
        String assertion = assertion(now);
        String form =
                "grant_type=" + URLEncoder.encode("urn:ietf:params:oauth:grant-type:jwt-bearer", StandardCharsets.UTF_8)
                        + "&assertion=" + assertion;
        HttpRequest request = HttpRequest.newBuilder(account.tokenUri())
                .timeout(timeout)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        JsonNode body = parse(response.body());
        if (response.statusCode() != 200) {
            throw new Refused(
                    response.statusCode(),
                    "the token endpoint " + endpoint() + " answered " + response.statusCode() + " for service account "
                            + account.clientEmail() + oauthError(body));
        }
        JsonNode accessToken = body == null ? null : body.get("access_token");
        if (accessToken == null
                || !accessToken.isString()
                || accessToken.asString().isEmpty()) {
            throw new Refused(502, "the token endpoint " + endpoint() + " answered 200 without an access_token");
        }
        JsonNode expiresIn = body.get("expires_in");
        long seconds = expiresIn != null && expiresIn.canConvertToLong() ? expiresIn.asLong() : 3600;
        Duration lifetime = Duration.ofSeconds(Math.max(0, seconds));
        // A short-lived token is kept for half its life rather than not at all.
        Duration margin =
                lifetime.compareTo(REFRESH_MARGIN.multipliedBy(2)) < 0 ? lifetime.dividedBy(2) : REFRESH_MARGIN;
        token = accessToken.asString();
        renewAt = now.plus(lifetime).minus(margin);
        return token;
    }

    /** Forgets {@code refused}, a token a call was refused with, so that the next call asks for a new one. */
    void invalidate(String refused) {
        lock.lock();
        try {
            if (refused.equals(token)) {
                token = null;
            }
        } finally {
            lock.unlock();
        }
    }

    /** The signed JWT, {@code header.claims.signature}, base64url without padding. */
    String assertion(Instant now) {
        StringBuilder header = new StringBuilder("{\"alg\":\"RS256\",\"typ\":\"JWT\"");
        if (account.privateKeyId() != null) {
            header.append(",\"kid\":");
            Json.string(header, account.privateKeyId());
        }
        header.append('}');
        long iat = now.getEpochSecond();
        StringBuilder claims = new StringBuilder("{\"iss\":");
        Json.string(claims, account.clientEmail());
        claims.append(",\"scope\":");
        Json.string(claims, SCOPE);
        claims.append(",\"aud\":");
        Json.string(claims, account.tokenUri().toString());
        claims.append(",\"iat\":").append(iat);
        claims.append(",\"exp\":").append(iat + ASSERTION_LIFETIME.toSeconds()).append('}');
        String signingInput = B64URL.encodeToString(header.toString().getBytes(StandardCharsets.UTF_8)) + "."
                + B64URL.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8));
        try {
            Signature rsa = Signature.getInstance("SHA256withRSA");
            rsa.initSign(account.privateKey());
            rsa.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + B64URL.encodeToString(rsa.sign());
        } catch (GeneralSecurityException e) {
            // The key was read as an RSA key when configured: signing can only fail on a broken JDK.
            throw new IllegalStateException("cannot sign with the service account's key: " + e.getMessage(), e);
        }
    }

    /** The token URI without query, for messages. */
    String endpoint() {
        URI u = account.tokenUri();
        return u.getScheme() + "://" + u.getAuthority() + (u.getRawPath() == null ? "" : u.getRawPath());
    }

    /** {@code ": <error>: <error_description>"} of an OAuth error answer, or empty. */
    private static String oauthError(@Nullable JsonNode body) {
        if (body == null || !body.isObject()) {
            return "";
        }
        JsonNode error = body.get("error");
        JsonNode description = body.get("error_description");
        StringBuilder out = new StringBuilder();
        if (error != null && error.isString()) {
            out.append(": ").append(Json.cut(error.asString()));
        }
        if (description != null && description.isString()) {
            out.append(": ").append(Json.cut(description.asString()));
        }
        return out.toString();
    }

    private static @Nullable JsonNode parse(String body) {
        try {
            return JSON.readTree(body);
        } catch (JacksonException e) {
            return null;
        }
    }
}
