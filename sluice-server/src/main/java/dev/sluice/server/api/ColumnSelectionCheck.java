package dev.sluice.server.api;

import dev.sluice.postgres.replication.SourceException;
import dev.sluice.server.config.DatabaseConfig;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.config.TableConfig;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.Kind;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a sink's column selection against its database's tables, live: the columns listed exist, no primary-key
 * column is excluded, and an include list names the whole primary key. A table that does not exist (yet) is a
 * warning. When the database cannot be read, the check
 * is skipped with a warning: the selection is saved, and at run time primary-key columns are delivered anyway and
 * unknown names match nothing.
 */
final class ColumnSelectionCheck {
    private static final Logger log = LoggerFactory.getLogger(ColumnSelectionCheck.class);

    private ColumnSelectionCheck() {}

    /**
     * Problems by API field ({@code tables[i].include_columns}), empty when none; throws nothing. A warning is added
     * to {@code warnings} when the check could not be made.
     */
    static Map<String, List<String>> problems(SinkConfig sink, ConfigSnapshot snapshot, List<String> warnings) {
        if (sink.tables().stream().noneMatch(TableConfig::selectsColumns)) {
            return Map.of();
        }
        int db = snapshot.indexOf(Kind.DATABASE, sink.database());
        if (db < 0) {
            return Map.of(); // the yaml validation names a missing database
        }
        return problems(
                sink, snapshot.revealed(Kind.DATABASE, List.of(db)).databases().get(db), warnings);
    }

    /** As {@link #problems(SinkConfig, ConfigSnapshot, List)}, against {@code d} (with its password). */
    static Map<String, List<String>> problems(SinkConfig sink, DatabaseConfig d, List<String> warnings) {
        if (sink.tables().stream().noneMatch(TableConfig::selectsColumns)) {
            return Map.of();
        }
        List<TableCatalog.TableInfo> tables;
        try {
            tables = TableCatalog.read(d.sourceSettings());
        } catch (SQLException e) {
            String reason = SourceException.classify(e, d.sourceSettings(), "reading the tables")
                    .getMessage();
            String warning = "the column selection was not checked against database '" + d.name() + "': " + reason;
            log.warn("sink {}: {}", sink.name(), warning);
            warnings.add(warning);
            return Map.of();
        }
        return problems(sink, tables, warnings);
    }

    static Map<String, List<String>> problems(
            SinkConfig sink, List<TableCatalog.TableInfo> tables, List<String> warnings) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (int i = 0; i < sink.tables().size(); i++) {
            TableConfig t = sink.tables().get(i);
            if (!t.selectsColumns()) {
                continue;
            }
            boolean include = t.includeColumns() != null;
            String field = "tables[" + i + "]." + (include ? "include_columns" : "exclude_columns");
            TableCatalog.TableInfo info = tables.stream()
                    .filter(x -> x.id().equals(t.name()))
                    .findFirst()
                    .orElse(null);
            if (info == null) {
                // It may be created later: its selection then applies from its first change.
                warnings.add("table " + t.name() + " does not exist in database '" + sink.database()
                        + "' (yet); its column selection was not checked");
                continue;
            }
            List<String> listed = include ? t.includeColumns() : t.excludeColumns();
            for (String column : listed) {
                TableCatalog.ColumnInfo c = info.column(column);
                if (c == null) {
                    out.computeIfAbsent(field, k -> new ArrayList<>())
                            .add("column '" + column + "' does not exist in " + t.name() + "; its columns: "
                                    + String.join(
                                            ", ",
                                            info.columns().stream()
                                                    .map(TableCatalog.ColumnInfo::name)
                                                    .toList()));
                } else if (!include && c.primaryKeyPosition() != null) {
                    out.computeIfAbsent(field, k -> new ArrayList<>())
                            .add("cannot exclude primary key column '" + column + "' of " + t.name()
                                    + ": messages are keyed and grouped by it");
                }
            }
            if (include) {
                for (String pk : info.primaryKey()) {
                    if (!listed.contains(pk)) {
                        out.computeIfAbsent(field, k -> new ArrayList<>())
                                .add("must include primary key column '" + pk + "' of " + t.name()
                                        + ": messages are keyed and grouped by it");
                    }
                }
            }
        }
        return out;
    }
}
