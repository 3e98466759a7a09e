package dev.sluice.core;

/**
 * An option of a {@code TRUNCATE} statement as the source ran it (pgoutput's truncate options); {@link #wireName()}
 * is how {@code metadata.truncate_options} lists it.
 */
public enum TruncateOption {
    /** {@code CASCADE}: tables that reference the truncated ones were truncated too. */
    CASCADE("cascade"),
    /** {@code RESTART IDENTITY}: sequences owned by the table's columns were reset. */
    RESTART_IDENTITY("restart_identity");

    private final String wireName;

    TruncateOption(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
