package dev.sluice.server.config;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An entry of the {@code api_tokens} section, as in Sequin's {@code sequin.yaml}: an API key with a token chosen in
 * the file, so that CI or a development setup knows its token in advance. Applied at every start; only the token's
 * hash is stored.
 *
 * @param name the API key's name
 * @param token the token itself (a secret)
 */
public record ApiTokenConfig(String name, String token) {
    /** Longest token accepted: it travels in an {@code Authorization} header. */
    public static final int MAX_TOKEN_LENGTH = 512;

    public ApiTokenConfig {
        Objects.requireNonNull(name);
        Objects.requireNonNull(token);
    }

    /** Why {@code token} cannot be an API token, or null when it can. */
    public static @Nullable String problem(String token) {
        if (token.isBlank()) {
            return "must not be blank";
        }
        if (token.length() > MAX_TOKEN_LENGTH) {
            return "must be at most " + MAX_TOKEN_LENGTH + " characters, got " + token.length();
        }
        if (token.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            return "must not contain spaces or control characters";
        }
        return null;
    }

    @Override
    public String toString() {
        return "ApiTokenConfig[name=" + name + ", token=************]";
    }
}
