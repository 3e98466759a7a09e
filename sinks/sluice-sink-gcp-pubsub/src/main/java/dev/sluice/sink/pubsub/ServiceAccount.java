package dev.sluice.sink.pubsub;

import dev.sluice.core.sink.InvalidConfigException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A Google service account key, as the JSON key file Google hands out ({@code "type": "service_account"}): what the
 * sink signs its token requests with. Only the fields the OAuth 2.0 flow needs are kept.
 *
 * @param clientEmail the account's e-mail address: the JWT's {@code iss}
 * @param privateKeyId the key's id ({@code private_key_id}), sent as the JWT header's {@code kid}; null when absent
 * @param privateKey the RSA private key ({@code private_key}, PKCS#8 PEM)
 * @param tokenUri where tokens are asked for ({@code token_uri}); Google's when the file has none
 */
public record ServiceAccount(String clientEmail, @Nullable String privateKeyId, PrivateKey privateKey, URI tokenUri) {
    /** Google's OAuth 2.0 token endpoint, used when the key file names none. */
    public static final URI GOOGLE_TOKEN_URI = URI.create("https://oauth2.googleapis.com/token");

    private static final String FIELD = "credentials";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    public ServiceAccount {
        Objects.requireNonNull(clientEmail, "clientEmail");
        Objects.requireNonNull(privateKey, "privateKey");
        Objects.requireNonNull(tokenUri, "tokenUri");
    }

    /**
     * Reads a key file's JSON, given as is or base64-encoded (Sequin's API examples show a base64 value).
     *
     * @throws InvalidConfigException at {@code credentials} when it is not a service account key; the message never
     *     shows the key
     */
    public static ServiceAccount parse(String text) {
        String json = text.strip();
        if (!json.startsWith("{")) {
            try {
                json = new String(Base64.getMimeDecoder().decode(json), StandardCharsets.UTF_8).strip();
            } catch (IllegalArgumentException e) {
                json = "";
            }
            if (!json.startsWith("{")) {
                throw new InvalidConfigException(
                        FIELD, "must be a service account's JSON key file (as text, or base64-encoded)");
            }
        }
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JacksonException e) {
            // The parser's message may quote the key: say only where it broke.
            throw new InvalidConfigException(
                    FIELD,
                    "is not valid JSON (at line " + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr() + ")");
        }
        if (!node.isObject()) {
            throw new InvalidConfigException(FIELD, "must be a JSON object: a service account's key file");
        }
        String type = text(node, "type");
        if (type != null && !type.equals("service_account")) {
            throw new InvalidConfigException(
                    FIELD,
                    "is a key of type '" + type + "'; a service account's key file has \"type\": \"service_account\"");
        }
        String email = text(node, "client_email");
        if (email == null) {
            throw new InvalidConfigException(FIELD, "has no client_email: use a service account's JSON key file");
        }
        String pem = text(node, "private_key");
        if (pem == null) {
            throw new InvalidConfigException(FIELD, "has no private_key: use a service account's JSON key file");
        }
        String tokenUri = text(node, "token_uri");
        URI uri = GOOGLE_TOKEN_URI;
        if (tokenUri != null) {
            try {
                uri = URI.create(tokenUri);
            } catch (IllegalArgumentException e) {
                throw new InvalidConfigException(FIELD, "has a token_uri that is not a URL: " + tokenUri);
            }
            if (!"https".equalsIgnoreCase(uri.getScheme()) && !"http".equalsIgnoreCase(uri.getScheme())
                    || uri.getHost() == null) {
                throw new InvalidConfigException(FIELD, "has a token_uri that is not an http(s) URL: " + tokenUri);
            }
        }
        return new ServiceAccount(email, text(node, "private_key_id"), rsaKey(pem), uri);
    }

    private static PrivateKey rsaKey(String pem) {
        String body = pem.replace("-----BEGIN PRIVATE KEY-----", "")
                .replace("-----END PRIVATE KEY-----", "")
                .replaceAll("\\s", "");
        if (pem.contains("BEGIN RSA PRIVATE KEY")) {
            throw new InvalidConfigException(
                    FIELD, "has a PKCS#1 private_key; Google's key files hold PKCS#8 (BEGIN PRIVATE KEY)");
        }
        try {
            byte[] der = Base64.getDecoder().decode(body);
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new InvalidConfigException(FIELD, "has a private_key that is not a PEM-encoded RSA key");
        }
    }

    private static @Nullable String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || !v.isString() || v.asString().isBlank() ? null : v.asString();
    }

    @Override
    public String toString() {
        return "ServiceAccount[clientEmail=" + clientEmail + ", privateKeyId=" + privateKeyId
                + ", privateKey=***, tokenUri=" + tokenUri + "]";
    }
}
