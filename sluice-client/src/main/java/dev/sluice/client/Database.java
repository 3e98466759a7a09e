package dev.sluice.client;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * A Postgres database Sluice reads, through one replication slot and publication.
 *
 * @param id its id (a UUID)
 * @param name its unique name
 * @param hostname the host Sluice connects to
 * @param port the port
 * @param database the database's name in Postgres
 * @param username the role Sluice connects as
 * @param ssl whether the connection uses TLS
 * @param poolSize the connection pool's size
 * @param slotName the replication slot
 * @param publicationName the publication
 * @param slotStatus {@code active}, or {@code disabled} when the slot is not read
 * @param raw the whole JSON object, with the fields this record does not have (password mask, primary,
 *     annotations, ...)
 */
public record Database(
        String id,
        String name,
        @Nullable String hostname,
        int port,
        @Nullable String database,
        @Nullable String username,
        boolean ssl,
        int poolSize,
        @Nullable String slotName,
        @Nullable String publicationName,
        @Nullable String slotStatus,
        JsonNode raw) {

    static Database from(JsonNode n) {
        JsonNode slot = n.path("replication_slots").path(0);
        Integer port = Json.intOrNull(n, "port");
        Integer pool = Json.intOrNull(n, "pool_size");
        return new Database(
                Json.str(n, "id", ""),
                Json.str(n, "name", ""),
                Json.str(n, "hostname"),
                port == null ? 5432 : port,
                Json.str(n, "database"),
                Json.str(n, "username"),
                Json.bool(n, "ssl"),
                pool == null ? 0 : pool,
                Json.str(slot, "slot_name"),
                Json.str(slot, "publication_name"),
                Json.str(slot, "status"),
                n);
    }
}
