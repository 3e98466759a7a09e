package dev.sluice.client;

import java.time.Instant;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * An API key.
 *
 * @param id its id (a UUID)
 * @param name its unique name
 * @param insertedAt when it was created
 * @param token the token: only in the answer of {@link ApiKeys#create}, null everywhere else (the server keeps only
 *     its hash). <b>Warning:</b> it is the whole credential; store it as a secret and never log it
 * @param raw the whole JSON object
 */
public record ApiKey(
        String id,
        String name,
        @Nullable Instant insertedAt,
        @Nullable String token,
        JsonNode raw) {

    @Override
    public String toString() {
        return "ApiKey[id=" + id + ", name=" + name + ", insertedAt=" + insertedAt
                + (token == null ? "" : ", token=***") + "]";
    }

    static ApiKey from(JsonNode n) {
        return new ApiKey(
                Json.str(n, "id", ""),
                Json.str(n, "name", ""),
                Json.instant(n, "inserted_at"),
                Json.str(n, "token"),
                n);
    }
}
