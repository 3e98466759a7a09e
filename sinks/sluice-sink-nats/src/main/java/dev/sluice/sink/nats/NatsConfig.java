package dev.sluice.sink.nats;

import dev.sluice.core.sink.InvalidConfigException;
import io.nats.client.NKey;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Configuration of a {@link NatsSink}, validated on construction: an invalid value throws {@link
 * InvalidConfigException} at its field. Field names are Sequin's ({@code host}, {@code port}, {@code username},
 * {@code password}, {@code jwt}, {@code nkey_seed}, {@code tls}), plus Sluice's {@code request_timeout_ms}.
 *
 * <p>Authentication: none; {@code username} with {@code password}; {@code nkey_seed} alone (the server knows the
 * user by its public nkey); {@code jwt} with {@code nkey_seed} (user credentials, as in a {@code .creds} file). As
 * Sequin does, every given credential is sent (the server uses those its configuration asks for), and the JWT and
 * seed are not checked here beyond being given in pairs, so that Sequin's configurations (whose examples hold
 * placeholders) are accepted: {@link #credentialsProblem()} checks them before connecting. {@link #toString()} shows
 * none of the secrets.
 *
 * @param host the NATS server's host name or address
 * @param port its client port, 1 to 65535
 * @param username the user, with {@code password}; null when not used
 * @param password the user's password; null when not used
 * @param jwt the user JWT, with {@code nkey_seed}; null when not used
 * @param nkeySeed the user's nkey seed ({@code SU…}), which signs the server's nonce; null when not used
 * @param tls whether to connect with TLS, verifying the server's certificate and host name against the JVM's
 *     trusted CAs
 * @param requestTimeout how long connecting, or waiting for the server to take a batch, may take; positive
 */
public record NatsConfig(
        String host,
        int port,
        @Nullable String username,
        @Nullable String password,
        @Nullable String jwt,
        @Nullable String nkeySeed,
        boolean tls,
        Duration requestTimeout) {
    /** NATS' client port when none is configured. */
    public static final int DEFAULT_PORT = 4222;
    /** How long connecting or one batch may take when {@code request_timeout_ms} is not given. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(15);
    /** Sequin's limit on the length of a routed {@code subject}. */
    public static final int MAX_SUBJECT_LENGTH = 255;

    // Sequin's rule for a routed subject: letters, digits, dots, hyphens and underscores.
    private static final Pattern SUBJECT = Pattern.compile("[a-zA-Z0-9.\\-_]+");
    private static final Pattern JWT = Pattern.compile("[A-Za-z0-9_\\-]+\\.[A-Za-z0-9_\\-]+\\.[A-Za-z0-9_\\-]+");

    public NatsConfig {
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (host == null || host.isBlank()) {
            throw new InvalidConfigException("host", "is required, like nats.example.com or 10.0.0.5");
        }
        host = host.strip();
        if (host.contains("://") || host.contains("/") || host.chars().anyMatch(Character::isWhitespace)) {
            throw new InvalidConfigException(
                    "host", "is a host name or address only, got '" + host + "'; put the port in port and use tls");
        }
        if (port < 1 || port > 65_535) {
            throw new InvalidConfigException("port", "must be between 1 and 65535, got " + port);
        }
        username = blankToNull(username);
        password = emptyToNull(password);
        jwt = blankToNull(jwt);
        nkeySeed = blankToNull(nkeySeed);
        if (username != null && password == null) {
            throw new InvalidConfigException("password", "is required with username");
        }
        if (password != null && username == null) {
            throw new InvalidConfigException("username", "is required with password");
        }
        if (jwt != null && nkeySeed == null) {
            throw new InvalidConfigException(
                    "nkey_seed", "is required with jwt: it signs the server's challenge for the JWT's user");
        }
        if (requestTimeout.isZero() || requestTimeout.isNegative()) {
            throw new InvalidConfigException(
                    "request_timeout_ms", "must be positive, got " + requestTimeout.toMillis() + " ms");
        }
    }

    /** With no credentials, no TLS and the default timeout. */
    public NatsConfig(String host, int port) {
        this(host, port, null, null, null, null, false, DEFAULT_REQUEST_TIMEOUT);
    }

    /**
     * What makes a routed {@code subject} unusable (Sequin's rule: 1 to {@value #MAX_SUBJECT_LENGTH} letters, digits,
     * dots, hyphens and underscores; and NATS': no empty token), or null when it is usable.
     */
    static @Nullable String subjectProblem(String subject) {
        if (subject.isEmpty()) {
            return "is empty";
        }
        if (subject.length() > MAX_SUBJECT_LENGTH) {
            return "is " + subject.length() + " characters long; at most " + MAX_SUBJECT_LENGTH;
        }
        if (!SUBJECT.matcher(subject).matches()) {
            return "must contain only letters, digits, dots, hyphens and underscores";
        }
        return tokenProblem(subject);
    }

    /**
     * What makes {@code subject} unusable as a NATS subject to publish to (whitespace, a wildcard token, an empty
     * token), or null when NATS takes it. For the default subject, made of database, schema and table names.
     */
    static @Nullable String publishSubjectProblem(String subject) {
        for (int i = 0; i < subject.length(); i++) {
            char c = subject.charAt(i);
            if (Character.isWhitespace(c) || Character.isISOControl(c)) {
                return "contains whitespace or a control character";
            }
        }
        for (String token : subject.split("\\.", -1)) {
            if (token.equals("*") || token.equals(">")) {
                return "has a wildcard token ('" + token + "')";
            }
        }
        return tokenProblem(subject);
    }

    /**
     * What makes routed {@code headers} unusable, or null: a map of header names (printable ASCII without colon or
     * space) to a string or a list of strings (one line each, no CR or LF). A problem never shows a header value, which
     * may be a secret.
     */
    static @Nullable String headersProblem(Map<?, ?> headers) {
        for (Map.Entry<?, ?> e : headers.entrySet()) {
            if (!(e.getKey() instanceof String name) || name.isEmpty()) {
                return "must map header names to values; a name is empty";
            }
            for (int i = 0; i < name.length(); i++) {
                char c = name.charAt(i);
                if (c <= ' ' || c >= 127 || c == ':') {
                    return "has header name '" + printable(name) + "': printable ASCII without ':' or space only";
                }
            }
            Object value = e.getValue();
            List<?> values = value instanceof List<?> l ? l : java.util.Collections.singletonList(value);
            for (Object v : values) {
                if (!(v instanceof String s)) {
                    return "must give header '" + name + "' a string or a list of strings";
                }
                if (s.indexOf('\r') >= 0 || s.indexOf('\n') >= 0) {
                    return "must give header '" + name + "' values without CR or LF";
                }
            }
        }
        return null;
    }

    /**
     * What makes the JWT or the nkey seed unusable (not a JWT; not a user seed, or a bad checksum), or null. Never
     * shows either.
     */
    @Nullable
    String credentialsProblem() {
        if (jwt != null && !JWT.matcher(jwt).matches()) {
            return "jwt is not a JWT (three base64url parts separated by dots); give the user JWT of a .creds file";
        }
        return nkeySeed == null ? null : seedProblem(nkeySeed);
    }

    /** {@code host:port}, for messages. */
    public String address() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /** The server URL the client connects to: {@code nats://} or, with {@code tls}, {@code tls://}. */
    String url() {
        return (tls ? "tls://" : "nats://") + address();
    }

    private static @Nullable String tokenProblem(String subject) {
        if (subject.startsWith(".") || subject.endsWith(".") || subject.contains("..")) {
            return "must not start or end with a dot, nor hold two dots in a row (an empty token)";
        }
        return null;
    }

    private static @Nullable String seedProblem(String seed) {
        if (!seed.startsWith("SU")) {
            return "nkey_seed is not a user nkey seed: one starts with SU (the seed line of a .creds file)";
        }
        try {
            NKey key = NKey.fromSeed(seed.toCharArray());
            key.clear();
            return null;
        } catch (RuntimeException e) { // the decoder throws IllegalArgumentException or IllegalStateException
            return "nkey_seed is not a valid nkey seed (bad encoding or checksum)";
        }
    }

    private static String printable(String s) {
        StringBuilder out = new StringBuilder();
        s.codePoints()
                .limit(60)
                .forEach(c -> out.append(c < ' ' || c == 127 ? "\\u" + Integer.toHexString(c) : Character.toString(c)));
        return out.toString();
    }

    private static @Nullable String blankToNull(@Nullable String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    private static @Nullable String emptyToNull(@Nullable String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    @Override
    public String toString() {
        return "NatsConfig[host=" + host + ", port=" + port + ", username=" + username + ", password="
                + hidden(password) + ", jwt=" + hidden(jwt) + ", nkeySeed=" + hidden(nkeySeed) + ", tls=" + tls
                + ", requestTimeout=" + requestTimeout.toMillis() + " ms]";
    }

    private static String hidden(@Nullable String secret) {
        return secret == null ? "null" : "***";
    }
}
