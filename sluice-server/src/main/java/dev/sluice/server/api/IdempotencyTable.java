package dev.sluice.server.api;

import dev.sluice.server.store.SecretBox;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * The {@code idempotency_keys} table (V10): one row per API token and key, claimed when the first request starts and
 * completed with its response. Thread-safe; each statement runs on its own (autocommit), and the claim is one {@code
 * INSERT ... ON CONFLICT DO NOTHING}, so two requests with one key never both run, on one node or several. Response
 * bodies are sealed with the {@link SecretBox}: a create's response may hold a secret (a new API token, or passwords
 * asked for with {@code show_sensitive}).
 */
final class IdempotencyTable {
    /** What a request is, to tell a retry from another request reusing the key. */
    record Fingerprint(String method, String path, byte[] bodySha256) {
        boolean sameAs(Fingerprint o) {
            return method.equals(o.method) && path.equals(o.path) && MessageDigest.isEqual(bodySha256, o.bodySha256);
        }
    }

    /** A stored response. */
    record Stored(int status, @Nullable String contentType, byte[] body) {}

    /** The outcome of claiming a key. */
    sealed interface Claim {}

    /** The key was free: this request runs, and must {@link #complete} or {@link #release} it. */
    record Started() implements Claim {}

    /** An earlier request with the key finished: its response. */
    record Replay(Stored response) implements Claim {}

    /** An earlier request with the key is still running. */
    record Running() implements Claim {}

    /** The key was used with another request. */
    record Mismatch(Fingerprint first) implements Claim {}

    private final DataSource dataSource;
    private final SecretBox secrets;

    IdempotencyTable(DataSource dataSource, SecretBox secrets) {
        this.dataSource = dataSource;
        this.secrets = secrets;
    }

    /**
     * Claims {@code key} for {@code request}, or says why not. A row that expired, or that is still running but was
     * claimed before {@code abandonedBefore} (its node died mid-request), is dropped first.
     */
    Claim claim(UUID token, String key, Fingerprint request, Instant now, Instant expires, Instant abandonedBefore)
            throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            // A row deleted between our INSERT and SELECT (it expired just then) sends us round again.
            for (int attempt = 0; attempt < 3; attempt++) {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM idempotency_keys WHERE token_id = ? AND"
                        + " idempotency_key = ? AND (expires_at <= ? OR (status IS NULL AND created_at <= ?))")) {
                    ps.setObject(1, token);
                    ps.setString(2, key);
                    ps.setTimestamp(3, Timestamp.from(now));
                    ps.setTimestamp(4, Timestamp.from(abandonedBefore));
                    ps.executeUpdate();
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO idempotency_keys (token_id,"
                        + " idempotency_key, method, path, request_sha256, created_at, expires_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
                    ps.setObject(1, token);
                    ps.setString(2, key);
                    ps.setString(3, request.method());
                    ps.setString(4, request.path());
                    ps.setBytes(5, request.bodySha256());
                    ps.setTimestamp(6, Timestamp.from(now));
                    ps.setTimestamp(7, Timestamp.from(expires));
                    if (ps.executeUpdate() == 1) {
                        return new Started();
                    }
                }
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT method, path, request_sha256, status,"
                                + " content_type, sealed_body FROM idempotency_keys WHERE token_id = ? AND idempotency_key = ?")) {
                    ps.setObject(1, token);
                    ps.setString(2, key);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) {
                            continue;
                        }
                        Fingerprint first = new Fingerprint(rs.getString(1), rs.getString(2), rs.getBytes(3));
                        if (!first.sameAs(request)) {
                            return new Mismatch(first);
                        }
                        int status = rs.getInt(4);
                        if (rs.wasNull()) {
                            return new Running();
                        }
                        return new Replay(new Stored(status, rs.getString(5), unseal(rs.getString(6))));
                    }
                }
            }
        }
        throw new SQLException("idempotency key '" + key + "' was claimed and dropped three times in a row");
    }

    /** Stores the response of the request that claimed {@code key}. */
    void complete(UUID token, String key, Stored response) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("UPDATE idempotency_keys SET status = ?, content_type = ?,"
                        + " sealed_body = ? WHERE token_id = ? AND idempotency_key = ? AND status IS NULL")) {
            ps.setInt(1, response.status());
            ps.setString(2, response.contentType());
            ps.setString(3, secrets.encrypt(Base64.getEncoder().encodeToString(response.body())));
            ps.setObject(4, token);
            ps.setString(5, key);
            ps.executeUpdate();
        }
    }

    /** Frees {@code key} after a response that is not kept (a 5xx), so that a retry runs again. */
    void release(UUID token, String key) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM idempotency_keys WHERE token_id = ? AND"
                        + " idempotency_key = ? AND status IS NULL")) {
            ps.setObject(1, token);
            ps.setString(2, key);
            ps.executeUpdate();
        }
    }

    private byte[] unseal(@Nullable String sealed) {
        return sealed == null ? new byte[0] : Base64.getDecoder().decode(secrets.decrypt(sealed));
    }

    /** Deletes every expired row; returns how many. */
    int purge(Instant now) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM idempotency_keys WHERE expires_at <= ?")) {
            ps.setTimestamp(1, Timestamp.from(now));
            return ps.executeUpdate();
        }
    }
}
