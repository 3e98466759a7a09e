package dev.sluice.server.api;

import dev.sluice.server.config.ConfigException;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.Draft;
import dev.sluice.server.store.StoredConfig;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Saves configuration changes one at a time, and applies each to the running pipelines before the response is sent.
 * Callers hold {@link #lock()} from reading the snapshot they change until the save, so that no change is lost.
 */
final class ConfigWriter {
    private final StoredConfig stored;
    private final Engine engine;

    ConfigWriter(StoredConfig stored, Engine engine) {
        this.stored = stored;
        this.engine = engine;
    }

    Object lock() {
        return stored.writeLock();
    }

    /**
     * Holding {@link #lock()}: the configuration as stored now, reloaded (and run) first if another node saved since
     * it was last read, so that an edit starts from what is there.
     */
    ConfigSnapshot fresh() throws SQLException {
        StoredConfig.Saved reloaded = stored.reloadIfChanged();
        if (reloaded != null) {
            engine.apply(reloaded.running());
        }
        return stored.snapshot();
    }

    /** Saves {@code draft} and makes the engine run it; a 422 naming every problem when it is invalid. */
    ConfigSnapshot save(Draft draft) throws SQLException {
        StoredConfig.Saved saved;
        try {
            saved = stored.save(draft);
        } catch (ConfigException e) {
            throw invalid(e, null, -1);
        } catch (StoredConfig.ConcurrentSaveException e) {
            throw ApiException.conflict(e.getMessage());
        }
        engine.apply(saved.running());
        return saved.snapshot();
    }

    /** Validates {@code draft}; problems of the entry at {@code index} of {@code res} are named by their API field. */
    static SluiceConfig validate(Draft draft, Resource res, int index) {
        try {
            return StoredConfig.validate(draft);
        } catch (ConfigException e) {
            throw invalid(e, res, index);
        }
    }

    /** Problems of the entry being edited are named by their API field; others by their full path. */
    static ApiException invalid(ConfigException e, @Nullable Resource res, int index) {
        Map<String, List<String>> errors = new LinkedHashMap<>();
        String prefix = res == null ? null : res.kind().section + "[" + index + "]";
        for (ConfigException.Problem p : e.problems()) {
            String field = p.path();
            if (prefix != null && field.startsWith(prefix + ".")) {
                field = res.apiField(field.substring(prefix.length() + 1));
            } else if (prefix != null && field.equals(prefix)) {
                field = "";
            }
            errors.computeIfAbsent(field, k -> new ArrayList<>()).add(p.message());
        }
        return ApiException.invalid(errors);
    }
}
