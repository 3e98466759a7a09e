package dev.sluice.server.api;

import dev.sluice.server.config.ApiTokenConfig;
import dev.sluice.server.store.ApiKeyTable;
import dev.sluice.server.store.ApiKeyTable.ApiKey;
import dev.sluice.server.store.MetadataStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * API tokens: created with 256 random bits, shown once, stored as SHA-256 hashes, checked in constant time.
 *
 * <p>The hashes are cached in memory and reloaded on every change made through this class. Thread-safe.
 */
public final class ApiTokens {
    static final String PREFIX = "sluice_";
    static final int MAX_TOKEN_LENGTH = ApiTokenConfig.MAX_TOKEN_LENGTH;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A token just created: the only moment its value is known. */
    public record Created(ApiKey key, String token) {}

    private final ApiKeyTable store;
    private volatile List<ApiKey> keys;

    public ApiTokens(MetadataStore store) throws SQLException {
        this.store = store.apiKeys();
        this.keys = this.store.list();
    }

    /**
     * Makes sure at least one token exists: {@code fromEnv} (SLUICE_API_TOKEN) when given, kept under the name
     * {@code env}; otherwise, on the very first start only, a new token that is returned so the caller can print it
     * once. Returns null when nothing has to be shown.
     */
    public @Nullable String bootstrap(@Nullable String fromEnv) throws SQLException {
        if (fromEnv != null && !fromEnv.isBlank()) {
            byte[] hash = hash(fromEnv.strip());
            if (keys.stream().noneMatch(k -> MessageDigest.isEqual(k.tokenHash(), hash))) {
                store.deleteNamed("env");
                store.insert(UUID.randomUUID(), "env", hash);
                reload();
            }
            return null;
        }
        if (!keys.isEmpty()) {
            return null;
        }
        return create("bootstrap").token();
    }

    /**
     * Makes the key {@code name} hold {@code token}, as a config file's {@code api_tokens} entry does at every start:
     * created when missing, replaced when its token changed. Returns whether anything changed.
     */
    public boolean ensure(String name, String token) throws SQLException {
        byte[] hash = hash(token);
        for (ApiKey k : keys) {
            if (k.name().equals(name) && MessageDigest.isEqual(k.tokenHash(), hash)) {
                return false;
            }
        }
        store.deleteNamed(name);
        store.insert(UUID.randomUUID(), name, hash);
        reload();
        return true;
    }

    /** Why {@code token} cannot be an API token, or null when it can. */
    public static @Nullable String checkToken(String token) {
        return ApiTokenConfig.problem(token);
    }

    /** Whether {@code token} is a current API token. Takes the same time whichever key matches, if any. */
    public boolean verify(@Nullable String token) {
        return find(token) != null;
    }

    /**
     * The id of the API key whose token is {@code token}, or null when none is: what rate limits and idempotency
     * keys are scoped by, never the token itself. Takes the same time whichever key matches, if any.
     */
    public @Nullable UUID find(@Nullable String token) {
        if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_LENGTH) {
            return null;
        }
        byte[] hash = hash(token);
        UUID found = null;
        for (ApiKey k : keys) {
            if (MessageDigest.isEqual(k.tokenHash(), hash)) {
                found = k.id();
            }
        }
        return found;
    }

    public List<ApiKey> list() {
        return keys;
    }

    /** Creates a token; null if the name is taken. */
    public @Nullable Created create(String name) throws SQLException {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        return create(name, PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(raw));
    }

    /**
     * Keeps a caller-chosen token (Sequin's {@code api_tokens} and {@code POST /api/api_keys} with {@code token});
     * null if the name is taken. The token must pass {@link #checkToken}.
     */
    public @Nullable Created create(String name, String token) throws SQLException {
        UUID id = UUID.randomUUID();
        if (!store.insert(id, name, hash(token))) {
            return null;
        }
        reload();
        ApiKey key = keys.stream().filter(k -> k.id().equals(id)).findFirst().orElseThrow();
        return new Created(key, token);
    }

    public boolean delete(UUID id) throws SQLException {
        boolean deleted = store.delete(id);
        reload();
        return deleted;
    }

    private void reload() throws SQLException {
        keys = store.list();
    }

    static byte[] hash(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
