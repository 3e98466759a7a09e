package dev.sluice.client;

import org.jspecify.annotations.Nullable;

/**
 * The outcome of a {@code test_connection}: a failed check is an answer, not an exception.
 *
 * @param success whether everything checked out
 * @param reason what is wrong (unreachable host, authentication failed, {@code wal_level}, missing topic, ...), or
 *     null on success
 */
public record ConnectionTest(boolean success, @Nullable String reason) {}
