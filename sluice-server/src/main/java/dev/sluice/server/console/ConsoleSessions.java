package dev.sluice.server.console;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Signed-in console sessions, kept in memory by the SHA-256 of their id (a memory dump shows no usable cookie). A
 * session belongs to the API key it was opened with, carries its own CSRF token, and ends after {@link #IDLE} without
 * use, on sign-out, or when its key is deleted.
 */
final class ConsoleSessions {
    static final Duration IDLE = Duration.ofHours(12);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A session as the pages see it. */
    record Session(UUID key, String csrf) {}

    private record Entry(Session session, Instant lastUsed) {}

    private final Map<String, Entry> byHash = new ConcurrentHashMap<>();
    private final Clock clock;

    ConsoleSessions(Clock clock) {
        this.clock = clock;
    }

    /** Opens a session for API key {@code key}; returns the cookie value, shown to no one but the browser. */
    String open(UUID key) {
        String id = random();
        byHash.put(hash(id), new Entry(new Session(key, random()), clock.instant()));
        return id;
    }

    /** The live session of cookie value {@code id}, which this use keeps alive. */
    Optional<Session> find(String id) {
        if (id == null || id.isEmpty()) {
            return Optional.empty();
        }
        String h = hash(id);
        Entry e = byHash.get(h);
        Instant now = clock.instant();
        if (e == null || e.lastUsed().plus(IDLE).isBefore(now)) {
            byHash.remove(h);
            return Optional.empty();
        }
        byHash.put(h, new Entry(e.session(), now));
        return Optional.of(e.session());
    }

    void close(String id) {
        if (id != null) {
            byHash.remove(hash(id));
        }
    }

    /** Ends the sessions of API key {@code key} (it was deleted). */
    void closeAll(UUID key) {
        byHash.values().removeIf(e -> e.session().key().equals(key));
    }

    private static String random() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static String hash(String id) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
