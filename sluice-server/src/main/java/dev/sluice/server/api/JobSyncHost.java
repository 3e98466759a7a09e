package dev.sluice.server.api;

import dev.sluice.engine.DatabasePipeline;
import dev.sluice.server.config.ConfigException;
import dev.sluice.server.config.ConfigLoader;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.jobs.SyncHost;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.Draft;
import dev.sluice.server.store.Kind;
import dev.sluice.server.store.StoredConfig;
import java.sql.SQLException;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** The sync jobs' resources, written as a config apply (without prune) and a delete of the API would write them. */
final class JobSyncHost implements SyncHost {
    private final StoredConfig stored;
    private final ConfigWriter writer;
    private final Engine engine;

    JobSyncHost(StoredConfig stored, ConfigWriter writer, Engine engine) {
        this.stored = stored;
        this.writer = writer;
        this.engine = engine;
    }

    @Override
    public void ensure(String yaml) throws SQLException {
        synchronized (writer.lock()) {
            ConfigSnapshot loaded = writer.fresh();
            Draft base = loaded.editable();
            Draft draft;
            try {
                SluiceConfig file = ConfigLoader.parse(
                        yaml,
                        "sync job",
                        name -> null,
                        loaded.ids(Kind.DATABASE).keySet(),
                        loaded.config().httpEndpoints());
                draft = StoredConfig.merge(base, file, false);
                StoredConfig.validate(draft);
            } catch (ConfigException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            if (!ConfigPlan.changes(base, draft).isEmpty()) {
                writer.save(draft);
            }
        }
    }

    @Override
    public void remove(String name) throws SQLException {
        synchronized (writer.lock()) {
            Draft draft = writer.fresh().editable();
            boolean changed = false;
            for (Kind k : new Kind[] {Kind.SINK, Kind.DATABASE}) {
                int at = draft.indexOf(k, name);
                if (at >= 0) {
                    draft.remove(k, at);
                    changed = true;
                }
            }
            if (changed) {
                writer.save(draft);
            }
        }
    }

    @Override
    public DatabasePipeline.@Nullable Status status(String name) {
        UUID id = stored.snapshot().ids(Kind.DATABASE).get(name);
        return id == null ? null : engine.status(id);
    }
}
