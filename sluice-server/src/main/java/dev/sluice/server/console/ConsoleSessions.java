package dev.sluice.server.console;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Signed-in console sessions, kept in the metadata store by the SHA-256 of their id (neither a dump of the store nor
 * of the memory shows a usable cookie), so that every node of a cluster knows them. A session belongs to the API key
 * it was opened with (deleting the key ends it), carries its own CSRF token, and ends after {@link #IDLE} without use
 * or on sign-out. A use is written back at most once a {@link #TOUCH_EVERY}, not on every request.
 */
final class ConsoleSessions {
    static final Duration IDLE = Duration.ofHours(12);
    private static final Duration TOUCH_EVERY = Duration.ofMinutes(1);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A session as the pages see it. */
    record Session(UUID key, String csrf) {}

    private final DataSource dataSource;
    private final Clock clock;

    ConsoleSessions(DataSource dataSource, Clock clock) {
        this.dataSource = dataSource;
        this.clock = clock;
    }

    /** Opens a session for API key {@code key}; returns the cookie value, shown to no one but the browser. */
    String open(UUID key) {
        String id = random();
        Instant now = clock.instant();
        try (Connection c = dataSource.getConnection();
                PreparedStatement forget = c.prepareStatement("DELETE FROM console_sessions WHERE last_used_at < ?");
                PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO console_sessions (id_hash, api_key_id, csrf, last_used_at) VALUES (?, ?, ?, ?)")) {
            forget.setObject(1, OffsetDateTime.ofInstant(now.minus(IDLE), ZoneOffset.UTC));
            forget.executeUpdate();
            ps.setString(1, hash(id));
            ps.setObject(2, key);
            ps.setString(3, random());
            ps.setObject(4, OffsetDateTime.ofInstant(now, ZoneOffset.UTC));
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot save the console session: " + e.getMessage(), e);
        }
        return id;
    }

    /** The live session of cookie value {@code id}, which this use keeps alive; empty when none or expired. */
    Optional<Session> find(String id) {
        if (id == null || id.isEmpty()) {
            return Optional.empty();
        }
        String h = hash(id);
        Instant now = clock.instant();
        try (Connection c = dataSource.getConnection()) {
            Session session;
            Instant lastUsed;
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT api_key_id, csrf, last_used_at FROM console_sessions WHERE id_hash = ?")) {
                ps.setString(1, h);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    session = new Session(rs.getObject(1, UUID.class), rs.getString(2));
                    lastUsed = rs.getObject(3, OffsetDateTime.class).toInstant();
                }
            }
            if (lastUsed.plus(IDLE).isBefore(now)) {
                delete(c, h);
                return Optional.empty();
            }
            if (lastUsed.plus(TOUCH_EVERY).isBefore(now)) {
                try (PreparedStatement ps =
                        c.prepareStatement("UPDATE console_sessions SET last_used_at = ? WHERE id_hash = ?")) {
                    ps.setObject(1, OffsetDateTime.ofInstant(now, ZoneOffset.UTC));
                    ps.setString(2, h);
                    ps.executeUpdate();
                }
            }
            return Optional.of(session);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the console session: " + e.getMessage(), e);
        }
    }

    void close(String id) {
        if (id != null) {
            try (Connection c = dataSource.getConnection()) {
                delete(c, hash(id));
            } catch (SQLException e) {
                throw new IllegalStateException("cannot end the console session: " + e.getMessage(), e);
            }
        }
    }

    /** Ends the sessions of API key {@code key} (it was deleted; the store's foreign key does it too). */
    void closeAll(UUID key) {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM console_sessions WHERE api_key_id = ?")) {
            ps.setObject(1, key);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot end the console sessions: " + e.getMessage(), e);
        }
    }

    private static void delete(Connection c, String idHash) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM console_sessions WHERE id_hash = ?")) {
            ps.setString(1, idHash);
            ps.executeUpdate();
        }
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
