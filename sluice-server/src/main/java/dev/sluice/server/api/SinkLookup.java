package dev.sluice.server.api;

import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.Kind;
import dev.sluice.server.store.StoredConfig;
import io.javalin.http.Context;
import java.util.Objects;
import java.util.UUID;

/** Finds the sink a route's {@code {id_or_name}} names, in the current configuration snapshot; 404 when none. */
final class SinkLookup {
    /**
     * A sink with its ids.
     *
     * @param index its position in {@code snapshot}
     */
    record SinkRef(UUID id, UUID databaseId, SinkConfig config, int index, ConfigSnapshot snapshot) {
        String name() {
            return config.name();
        }
    }

    private final StoredConfig stored;

    SinkLookup(StoredConfig stored) {
        this.stored = stored;
    }

    SinkRef find(Context ctx) {
        return find(stored.snapshot(), ctx.pathParam("id_or_name"));
    }

    static SinkRef find(ConfigSnapshot snapshot, String idOrName) {
        int i = snapshot.indexOf(Kind.SINK, idOrName);
        if (i < 0) {
            throw ApiException.notFound("sink", Requests.clip(idOrName));
        }
        return at(snapshot, i);
    }

    static SinkRef at(ConfigSnapshot snapshot, int index) {
        SinkConfig s = snapshot.config().sinks().get(index);
        return new SinkRef(
                snapshot.id(Kind.SINK, index),
                Objects.requireNonNull(snapshot.databaseId(s.database())),
                s,
                index,
                snapshot);
    }
}
