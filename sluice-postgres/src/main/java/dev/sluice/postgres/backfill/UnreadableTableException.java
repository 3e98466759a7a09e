package dev.sluice.postgres.backfill;

import java.util.Objects;

/**
 * A table cannot be backfilled as asked. The {@link Reason} tells callers which part of the request is wrong, so
 * that they never read the message to find out; the message says what to fix.
 */
public final class UnreadableTableException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** What is wrong. */
    public enum Reason {
        /** The table does not exist, or is not a table. */
        NO_TABLE,
        /** The sort column does not exist in the table. */
        NO_SORT_COLUMN,
        /** The table has no primary key and no sort column was given. */
        NO_PRIMARY_KEY
    }

    private final Reason reason;

    public UnreadableTableException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
