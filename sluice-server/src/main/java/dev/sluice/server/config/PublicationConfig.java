package dev.sluice.server.config;

/**
 * The publication that selects which tables' changes the slot sees.
 *
 * @param name the publication name (at most 63 characters, as Postgres truncates longer identifiers)
 * @param createIfNotExists whether Sluice creates the publication when it is missing
 */
public record PublicationConfig(String name, boolean createIfNotExists) {
    static final String DEFAULT_NAME = "sluice_pub";
    static final int MAX_NAME_LENGTH = 63;

    public PublicationConfig {
        if (name == null || name.isBlank() || name.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("invalid publication name '" + name + "': use 1 to 63 characters");
        }
    }
}
