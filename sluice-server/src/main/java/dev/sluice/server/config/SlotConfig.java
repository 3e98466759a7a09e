package dev.sluice.server.config;

import java.util.regex.Pattern;

/**
 * The logical replication slot a database is read through.
 *
 * @param name a Postgres slot name: 1 to 63 of lower-case letters, digits and underscores
 * @param createIfNotExists whether Sluice creates the slot when it is missing (otherwise a missing slot is an error)
 * @param enabled false for Sequin's {@code status: disabled}: the slot is not read (the database's sinks stop; the
 *     slot keeps its position, so they resume where they were)
 */
public record SlotConfig(String name, boolean createIfNotExists, boolean enabled) {
    static final String DEFAULT_NAME = "sluice_slot";
    static final Pattern VALID_NAME = Pattern.compile("[a-z0-9_]{1,63}");

    public SlotConfig {
        if (name == null || !VALID_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "invalid slot name '" + name + "': use 1 to 63 lower-case letters, digits or underscores");
        }
    }

    /** An enabled slot. */
    public SlotConfig(String name, boolean createIfNotExists) {
        this(name, createIfNotExists, true);
    }
}
