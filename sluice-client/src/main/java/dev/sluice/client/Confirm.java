package dev.sluice.client;

/**
 * The explicit consent that calls which destroy or rewrite data require: deleting a database (and the sinks that
 * read it), discarding every failed message of a sink, backfilling a whole table into a sink, a replication
 * {@code init} job with {@code drop_existing}. Without it those calls throw {@link ConfirmationRequiredException}
 * before sending anything.
 */
public enum Confirm {
    /** I know what this call destroys or rewrites. */
    YES
}
