package dev.sluice.server.api;

import dev.sluice.server.store.MetadataStore.Kind;
import dev.sluice.server.store.StoredConfig;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.node.ObjectNode;

/**
 * One kind of configuration resource as the API shows it: how an entry of the stored configuration is rendered,
 * and how a request body becomes an entry (in the shape of sluice.yaml, which then goes through the same
 * validation as the file).
 */
interface Resource {
    Kind kind();

    /** For messages: "sink", "postgres database", "http endpoint". */
    String label();

    /** The response object for the entry at {@code index} of {@code loaded}. */
    ObjectNode render(StoredConfig.Loaded loaded, int index, boolean showSensitive);

    /**
     * The new yaml-shaped entry for a create ({@code existing} null) or an update (merged into a copy of
     * {@code existing}).
     *
     * @throws ApiException for problems the yaml validation cannot name in API terms
     */
    ObjectNode toEntry(ObjectNode body, @Nullable ObjectNode existing, StoredConfig.Loaded loaded);

    /** Maps a validation problem's key path within the entry to the API field it concerns. */
    default String apiField(String entryPath) {
        return entryPath;
    }

    /** Keys that responses carry but requests need not: accepted in a body and ignored. */
    Set<String> readOnly();
}
