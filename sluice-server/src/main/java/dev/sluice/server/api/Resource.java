package dev.sluice.server.api;

import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.Kind;
import java.sql.SQLException;
import java.util.Set;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.node.ObjectNode;

/**
 * One kind of configuration resource as the API shows it: how an entry of the configuration is rendered, and how a
 * request body becomes an entry (in the shape of sluice.yaml, which then goes through the same validation as the
 * file).
 */
interface Resource {
    Kind kind();

    /** For messages: "sink", "postgres database", "http endpoint". */
    String label();

    /**
     * Renders resources of this kind by index, from {@code view}: the snapshot's configuration (secrets masked) or one
     * with the secrets of the rendered resources revealed ({@code show_sensitive}). What a rendering needs beyond the
     * configuration is read once here, for all the resources rendered with it.
     */
    IntFunction<ObjectNode> renderer(ConfigSnapshot snapshot, SluiceConfig view) throws SQLException;

    /**
     * The new yaml-shaped entry for a create ({@code existing} null) or an update (merged into a copy of
     * {@code existing}, whose secrets are in clear).
     *
     * @throws ApiException for problems the yaml validation cannot name in API terms
     */
    ObjectNode toEntry(ObjectNode body, @Nullable ObjectNode existing, ConfigSnapshot snapshot);

    /** Maps a validation problem's key path within the entry to the API field it concerns. */
    default String apiField(String entryPath) {
        return entryPath;
    }

    /** Keys that responses carry but requests need not: accepted in a body and ignored. */
    Set<String> readOnly();
}
