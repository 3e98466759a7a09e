package dev.sluice.server.config;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The primary of a source database that is a read replica. Sluice reads changes from the replica (Postgres 16 or
 * later decodes on a standby) and uses the primary only for what a standby cannot do: create the publication and
 * write the records a new slot and, later, heartbeats need.
 *
 * @param password null to connect without one
 * @param ipv6 Sequin's flag, kept and shown as given (Sluice resolves the host name either way)
 */
public record PrimaryConfig(
        String hostname,
        int port,
        String database,
        String username,
        @Nullable String password,
        boolean ssl,
        boolean ipv6) {
    public PrimaryConfig {
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(username, "username");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be between 1 and 65535, got " + port);
        }
    }

    public PrimaryConfig(
            String hostname, int port, String database, String username, @Nullable String password, boolean ssl) {
        this(hostname, port, database, username, password, ssl, false);
    }

    /** Like the generated one, but without the password. */
    @Override
    public String toString() {
        return "PrimaryConfig[" + username + "@" + hostname + ":" + port + "/" + database + ", ssl=" + ssl
                + ", password=" + (password == null ? "none" : "***") + "]";
    }
}
