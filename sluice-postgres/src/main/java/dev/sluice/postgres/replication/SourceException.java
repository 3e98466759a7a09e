package dev.sluice.postgres.replication;

import java.sql.SQLException;

/**
 * A problem with a source database, classified so that callers can decide what to do and explained
 * so that an operator knows how to fix it. The message never contains a password.
 */
public final class SourceException extends RuntimeException {
    /** What kind of problem; all kinds are retried by the pipeline, since operators fix them live. */
    public enum Kind {
        /** Network: refused, timed out, host unknown, connection dropped. */
        UNREACHABLE,
        /** Wrong user or password, or pg_hba rejects us. */
        AUTHENTICATION,
        /** The database is not set up for logical replication (wal_level, publication, slot). */
        SETUP,
        /** The user lacks a privilege. */
        PERMISSION,
        /** Another client is reading the slot. */
        SLOT_IN_USE,
        /** Anything else. */
        OTHER
    }

    private final Kind kind;

    public SourceException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public SourceException(Kind kind, String message) {
        this(kind, message, null);
    }

    public Kind kind() {
        return kind;
    }

    /** Classifies a driver failure by SQLSTATE (never by message text). */
    public static SourceException classify(SQLException e, SourceSettings where, String doing) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String detail = e.getMessage() == null
                ? e.getClass().getSimpleName()
                : e.getMessage().strip();
        while (detail.endsWith(".")) {
            detail = detail.substring(0, detail.length() - 1); // our advice follows after ". "
        }
        String at = " (" + where.describe() + ")";
        String during = " while " + doing + at + ": " + detail;
        if (state.equals("08004") && where.ssl()) {
            // pgjdbc rejects with 08004 when the server answers the TLS request with "no" (and for a
            // few other refusals): with ssl on, a server without TLS is the likely cause, and the
            // network advice below would send the operator the wrong way.
            return advised(
                    Kind.SETUP,
                    "Postgres refused the connection" + during,
                    "This database has ssl: true; if the server does not accept TLS connections, set ssl: false"
                            + " (or sslmode=disable in the url), otherwise enable TLS on the server.",
                    e);
        }
        if (state.startsWith("08") || state.isEmpty() && e.getCause() instanceof java.io.IOException) {
            return advised(
                    Kind.UNREACHABLE,
                    "cannot reach Postgres" + during,
                    "Check the hostname and port, that Postgres is running and that it accepts TCP connections"
                            + " from this machine.",
                    e);
        }
        if (state.startsWith("28")) {
            return advised(
                    Kind.AUTHENTICATION,
                    "Postgres rejected the login" + during,
                    "Check the username and password, and that pg_hba.conf allows this user (replication"
                            + " connections need a 'replication' or 'all' database entry).",
                    e);
        }
        if (state.equals("3D000")) {
            return advised(Kind.SETUP, "database does not exist" + at + ": " + detail, "Check the database name.", e);
        }
        if (state.equals("42501")) {
            return advised(
                    Kind.PERMISSION,
                    "permission denied" + during,
                    "The user needs the REPLICATION attribute (ALTER ROLE <user> WITH REPLICATION) and SELECT on"
                            + " the captured tables.",
                    e);
        }
        if (state.equals("55006")) {
            return advised(
                    Kind.SLOT_IN_USE,
                    "replication slot '" + where.slotName() + "' is in use by another client" + at,
                    "Only one reader per slot: stop the other reader (see pg_stat_replication) or give this"
                            + " database its own slot.",
                    e);
        }
        return new SourceException(Kind.OTHER, "Postgres error" + during, e);
    }

    /** What went wrong, then what the operator can do about it. */
    private static SourceException advised(Kind kind, String what, String advice, SQLException e) {
        return new SourceException(kind, what + ". " + advice, e);
    }
}
