package dev.sluice.server.config;

import dev.sluice.core.TableId;
import java.util.List;
import java.util.Objects;

/**
 * Per-table settings of a sink.
 *
 * @param name the table
 * @param groupColumnNames columns whose values form the message group (ordering key) instead of the primary key;
 *     empty means the primary key
 */
public record TableConfig(TableId name, List<String> groupColumnNames) {
    public TableConfig {
        Objects.requireNonNull(name, "name");
        groupColumnNames = List.copyOf(groupColumnNames);
    }
}
