package dev.sluice.server.jobs;

import java.util.Locale;

/** What a replication job does (the seed's JobSpec {@code command}). */
public enum JobCommand {
    /** Checks both databases and the filters; changes nothing. */
    VALIDATE,
    /** Copies the schema, then the data. */
    INIT,
    /** Keeps the target in step with the source. */
    SYNC,
    /** Reports replication lag and progress. */
    STATUS,
    /** Compares source and target row by row. */
    VERIFY;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static JobCommand parse(String text) {
        for (JobCommand c : values()) {
            if (c.wireName().equals(text)) {
                return c;
            }
        }
        throw new IllegalArgumentException("must be one of validate, init, sync, status, verify");
    }
}
