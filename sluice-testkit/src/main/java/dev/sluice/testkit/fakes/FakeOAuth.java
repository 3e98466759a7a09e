package dev.sluice.testkit.fakes;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Google's OAuth 2.0 token endpoint for service accounts, as its reference describes it, for {@link FakePubSub}: the
 * JWT bearer grant ({@code grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer}), an RS256 assertion by a
 * registered account, checked ({@code iss}, signature, {@code aud}, {@code iat}/{@code exp} at most an hour apart,
 * a Pub/Sub or cloud-platform {@code scope}); answers {@code {"access_token", "expires_in", "token_type"}} or {@code
 * 400 {"error", "error_description"}} ({@code invalid_grant}, ...). Thread-safe.
 */
final class FakeOAuth {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";

    private final Map<String, PublicKey> accounts = new ConcurrentHashMap<>();
    private final Map<String, String> tokens = new ConcurrentHashMap<>(); // token -> account

    void addAccount(String clientEmail, PublicKey publicKey) {
        accounts.put(clientEmail, publicKey);
    }

    void expireTokens() {
        tokens.clear();
    }

    /** The account a {@code Authorization} header's bearer token was issued to; null when none is valid. */
    @Nullable
    String account(@Nullable String authorization) {
        if (authorization == null || !authorization.startsWith("Bearer ")) {
            return null;
        }
        return tokens.get(authorization.substring("Bearer ".length()).strip());
    }

    /** Answers a token request, a form, as {@code tokenUri} (the {@code aud} assertions must name). */
    void token(HttpExchange exchange, String form, String tokenUri) throws IOException {
        Map<String, String> params = new HashMap<>();
        for (String pair : form.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                params.put(
                        URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        if (!JWT_BEARER.equals(params.get("grant_type"))) {
            oauthError(exchange, "unsupported_grant_type", "Invalid grant_type: " + params.get("grant_type"));
            return;
        }
        String jwt = params.getOrDefault("assertion", "");
        String[] parts = jwt.split("\\.");
        if (parts.length != 3) {
            oauthError(exchange, "invalid_request", "Invalid JWT: malformed assertion");
            return;
        }
        JsonNode header;
        JsonNode claims;
        try {
            header = JSON.readTree(Base64.getUrlDecoder().decode(parts[0]));
            claims = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
        } catch (IllegalArgumentException | JacksonException e) {
            oauthError(exchange, "invalid_request", "Invalid JWT: cannot decode the assertion");
            return;
        }
        if (!"RS256".equals(header.path("alg").asString(""))) {
            oauthError(exchange, "invalid_grant", "Invalid JWT: alg must be RS256");
            return;
        }
        String iss = claims.path("iss").asString("");
        PublicKey key = accounts.get(iss);
        if (key == null) {
            oauthError(exchange, "invalid_grant", "Invalid grant: account not found");
            return;
        }
        if (!verifies(key, parts)) {
            oauthError(exchange, "invalid_grant", "Invalid JWT Signature.");
            return;
        }
        long now = Instant.now().getEpochSecond();
        long iat = claims.path("iat").asLong(0);
        long exp = claims.path("exp").asLong(0);
        if (exp - iat > 3600 || exp < now || iat > now + 300) {
            oauthError(
                    exchange,
                    "invalid_grant",
                    "Invalid JWT: Token must be a short-lived token (60 minutes) and"
                            + " in a reasonable timeframe. Check your iat and exp values in the JWT claim.");
            return;
        }
        if (!tokenUri.equals(claims.path("aud").asString(""))) {
            oauthError(exchange, "invalid_grant", "Invalid JWT: aud must be the token endpoint");
            return;
        }
        String scope = claims.path("scope").asString("");
        if (!scope.contains("https://www.googleapis.com/auth/pubsub")
                && !scope.contains("https://www.googleapis.com/auth/cloud-platform")) {
            oauthError(exchange, "invalid_scope", "Invalid OAuth scope or ID token audience provided.");
            return;
        }
        String token = "ya29.fake-" + UUID.randomUUID();
        tokens.put(token, iss);
        FakePubSub.reply(
                exchange, 200, "{\"access_token\":\"" + token + "\",\"expires_in\":3599,\"token_type\":\"Bearer\"}");
    }

    private static boolean verifies(PublicKey key, String[] parts) {
        try {
            Signature rsa = Signature.getInstance("SHA256withRSA");
            rsa.initVerify(key);
            rsa.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            return rsa.verify(Base64.getUrlDecoder().decode(parts[2]));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    private static void oauthError(HttpExchange exchange, String error, String description) throws IOException {
        FakePubSub.reply(
                exchange,
                400,
                "{\"error\":\"" + error + "\",\"error_description\":" + JSON.writeValueAsString(description) + "}");
    }
}
