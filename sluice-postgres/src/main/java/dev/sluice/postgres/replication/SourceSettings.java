package dev.sluice.postgres.replication;

import java.util.Objects;
import java.util.Properties;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGProperty;

/**
 * How to reach a source database and which slot and publication to read.
 *
 * @param ssl {@code sslmode=require} when true (encrypted, certificate not verified), else disabled
 * @param ipv6 the host is reached over IPv6 (an IPv6 literal is bracketed in the URL)
 * @param primary when this source is a read replica: its primary, where Sluice writes what a standby cannot
 *     (the publication, the snapshot record a new slot waits for, later heartbeats); its slot and publication
 *     names are this source's
 */
public record SourceSettings(
        String host,
        int port,
        String database,
        String user,
        @Nullable String password,
        boolean ssl,
        boolean ipv6,
        String slotName,
        String publicationName,
        boolean createSlot,
        boolean createPublication,
        @Nullable SourceSettings primary) {

    /**
     * Session settings that make the text output of every type deterministic. pgjdbc sends its own
     * DateStyle (ISO), TimeZone (the JVM's) and extra_float_digits (3), which take precedence, so
     * {@link ReplicationSession} sets TimeZone to UTC after connecting; the value codecs accept any
     * zone offset.
     */
    static final String SESSION_OPTIONS =
            "-c IntervalStyle=iso_8601 -c bytea_output=hex -c DateStyle=ISO -c extra_float_digits=3";

    public SourceSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(slotName, "slotName");
        Objects.requireNonNull(publicationName, "publicationName");
    }

    /** A source that is not a replica. */
    public SourceSettings(
            String host,
            int port,
            String database,
            String user,
            @Nullable String password,
            boolean ssl,
            boolean ipv6,
            String slotName,
            String publicationName,
            boolean createSlot,
            boolean createPublication) {
        this(
                host,
                port,
                database,
                user,
                password,
                ssl,
                ipv6,
                slotName,
                publicationName,
                createSlot,
                createPublication,
                null);
    }

    public String jdbcUrl() {
        String h = ipv6 && host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        // Encoded, so that a database name can never add driver parameters ("db?socketFactory=...") or path parts.
        return "jdbc:postgresql://" + h + ":" + port + "/"
                + java.net.URLEncoder.encode(database, java.nio.charset.StandardCharsets.UTF_8)
                        .replace("+", "%20");
    }

    /** Never shows the password: records print every component by default. */
    @Override
    public String toString() {
        return "SourceSettings[" + describe() + ", ssl=" + ssl + ", ipv6=" + ipv6 + ", slot=" + slotName
                + ", publication=" + publicationName + ", password=" + (password == null ? "none" : "***")
                + (primary == null ? "" : ", primary=" + primary.describe()) + "]";
    }

    /** Where this source is, for logs and errors: never includes the password. */
    public String describe() {
        return user + "@" + host + ":" + port + "/" + database;
    }

    /** Connection properties for a normal (catalog) or a replication connection. */
    public Properties properties(boolean replication) {
        Properties p = new Properties();
        PGProperty.USER.set(p, user);
        if (password != null) {
            PGProperty.PASSWORD.set(p, password);
        }
        PGProperty.SSL_MODE.set(p, ssl ? "require" : "disable");
        PGProperty.CONNECT_TIMEOUT.set(p, 10);
        PGProperty.SOCKET_TIMEOUT.set(p, replication ? 0 : 60);
        PGProperty.TCP_KEEP_ALIVE.set(p, true);
        PGProperty.APPLICATION_NAME.set(p, replication ? "sluice-replication" : "sluice");
        PGProperty.OPTIONS.set(p, SESSION_OPTIONS);
        if (replication) {
            PGProperty.REPLICATION.set(p, "database");
            PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "10");
            PGProperty.PREFER_QUERY_MODE.set(p, "simple");
        }
        return p;
    }
}
