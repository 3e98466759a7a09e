package dev.sluice.engine.queue;

import dev.sluice.core.Action;
import dev.sluice.core.Change;
import dev.sluice.core.TableSchema;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Fills the unchanged TOAST columns of a batch's updates with the rows' current values ({@code
 * reselect_unchanged_toast}): one query per table for the whole batch. A row that no longer exists keeps its
 * placeholder and its columns stay listed as unchanged; so does a message restored from the store (only its JSON
 * survives, filled when it was stored), and a table without a primary key (nothing to find the row by).
 *
 * <p>The values are those of the row when the message goes out, which a later change may already have touched: the
 * later change's message then carries them too.
 */
final class Reselect {
    private Reselect() {}

    /** The change to encode for each of {@code msgs}: filled where there was something to fill; null without one. */
    static List<@Nullable Change> fill(SourceRows source, List<Msg> msgs) throws Exception {
        List<@Nullable Change> out = new ArrayList<>(msgs.size());
        // Per table schema: the messages to fill, and the columns any of them lacks.
        Map<TableSchema, List<Integer>> byTable = new IdentityHashMap<>();
        Map<TableSchema, BitSet> columns = new IdentityHashMap<>();
        for (int i = 0; i < msgs.size(); i++) {
            Change c = msgs.get(i).change;
            out.add(c);
            BitSet toast = c == null ? null : c.unchangedToast();
            if (c == null || c.action() != Action.UPDATE || toast == null || toast.isEmpty()) {
                continue;
            }
            if (!c.table().hasPrimaryKey()) {
                continue;
            }
            byTable.computeIfAbsent(c.table(), t -> new ArrayList<>()).add(i);
            columns.computeIfAbsent(c.table(), t -> new BitSet()).or(toast);
        }
        for (Map.Entry<TableSchema, List<Integer>> e : byTable.entrySet()) {
            TableSchema table = e.getKey();
            int[] cols = columns.get(table).stream().toArray();
            // A row changed twice in the batch is read once.
            Map<List<String>, Integer> keyIndex = new LinkedHashMap<>();
            List<String[]> keys = new ArrayList<>();
            for (int i : e.getValue()) {
                String[] key = out.get(i).primaryKeyValues();
                if (keyIndex.putIfAbsent(Arrays.asList(key), keys.size()) == null) {
                    keys.add(key);
                }
            }
            List<@Nullable String[]> rows = source.current(table, cols, keys);
            for (int i : e.getValue()) {
                Change c = out.get(i);
                String[] row = rows.get(keyIndex.get(Arrays.asList(c.primaryKeyValues())));
                if (row != null) {
                    out.set(i, filled(c, cols, row));
                }
            }
        }
        return out;
    }

    private static Change filled(Change c, int[] cols, @Nullable String[] values) {
        String[] record = c.record().clone();
        BitSet toast = (BitSet) c.unchangedToast().clone();
        for (int j = 0; j < cols.length; j++) {
            if (toast.get(cols[j])) {
                record[cols[j]] = values[j];
                toast.clear(cols[j]);
            }
        }
        return new Change(
                c.table(),
                c.action(),
                record,
                c.changed(),
                c.old(),
                toast.isEmpty() ? null : toast,
                c.position(),
                c.commitTimestamp(),
                c.transactionAnnotations());
    }
}
