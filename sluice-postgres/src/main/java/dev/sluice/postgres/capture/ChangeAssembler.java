package dev.sluice.postgres.capture;

import dev.sluice.core.Action;
import dev.sluice.core.Change;
import dev.sluice.core.Position;
import dev.sluice.core.TableSchema;
import dev.sluice.core.TruncateOption;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Delete;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Insert;
import dev.sluice.postgres.pgoutput.PgOutputMessage.RowChange;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Truncate;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Update;
import dev.sluice.postgres.pgoutput.TupleData;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Turns decoded row changes into {@link Change}s with the schema current in the {@link RelationCache}.
 *
 * <ul>
 *   <li>Insert: {@code record} is the new row; {@code changed} and {@code old} are null.
 *   <li>Update: {@code record} is the new row. An unchanged-TOAST column is filled from the old row when
 *       Postgres sent its value there, otherwise it stays null and is listed in {@code
 *       unchangedToast}. {@code changed} holds the columns whose old value is known and differs from
 *       the new one: every column of an {@code 'O'} old row, the replica-identity columns of a {@code
 *       'K'} old key, none without an old tuple. {@code old} holds the old values (null without an old
 *       tuple).
 *   <li>Delete: {@code record} is the old row ({@code 'O'}) or the old key with every other column
 *       null ({@code 'K'}); {@code changed} and {@code old} are null.
 * </ul>
 *
 * Truncate: one {@link Change} per truncated relation ({@link #truncate}), with no row and the statement's options.
 *
 * <p>Concurrency: not thread-safe (it reads the reader thread's relation cache).
 */
public final class ChangeAssembler {
    private final RelationCache relations;

    public ChangeAssembler(RelationCache relations) {
        this.relations = relations;
    }

    /**
     * @param position commit LSN of the transaction and this change's index in it
     * @param committedAt the transaction's commit timestamp
     * @param annotations raw JSON annotations of the transaction, or null
     * @throws IllegalStateException when the relation is unknown, or the tuple does not match its
     *     schema (column count, binary values)
     */
    public Change assemble(RowChange change, Position position, Instant committedAt, @Nullable String annotations) {
        CachedRelation relation = relations.get(change.relationId());
        return switch (change) {
            case Insert i -> wholeRow(relation, Action.INSERT, i.newTuple(), "new", position, committedAt, annotations);
            case Update u -> update(relation, u, position, committedAt, annotations);
            // For a 'K' old key Postgres sends the non-key columns as nulls, which is what the record keeps.
            case Delete d -> wholeRow(relation, Action.DELETE, d.oldTuple(), "old", position, committedAt, annotations);
        };
    }

    /**
     * A TRUNCATE statement as one change per relation, in the order Postgres listed them, at {@code first} and the
     * positions after it in the same transaction (one commit index each).
     *
     * @throws IllegalStateException when a relation is unknown
     */
    public List<Change> truncate(Truncate t, Position first, Instant committedAt, @Nullable String annotations) {
        Set<TruncateOption> options = EnumSet.noneOf(TruncateOption.class);
        if (t.cascade()) {
            options.add(TruncateOption.CASCADE);
        }
        if (t.restartIdentity()) {
            options.add(TruncateOption.RESTART_IDENTITY);
        }
        int[] ids = t.relationIds();
        List<Change> out = new ArrayList<>(ids.length);
        for (int i = 0; i < ids.length; i++) {
            TableSchema schema = relations.get(ids[i]).schema();
            Position at = new Position(first.commitLsn(), first.commitIdx() + i);
            out.add(Change.truncate(schema, options, at, committedAt, annotations));
        }
        return out;
    }

    /** An insert's new row or a delete's old row (or key) as the record, with no changes and no old values. */
    private static Change wholeRow(
            CachedRelation relation,
            Action action,
            TupleData tuple,
            String which,
            Position position,
            Instant commitTs,
            @Nullable String annotations) {
        TableSchema schema = relation.schema();
        TupleData row = checkWidth(relation, tuple, which);
        String[] record = new String[schema.columnCount()];
        BitSet toast = copyValues(relation, row, record);
        return new Change(schema, action, record, null, null, toast, position, commitTs, annotations);
    }

    private static Change update(
            CachedRelation relation, Update update, Position position, Instant commitTs, @Nullable String annotations) {
        TableSchema schema = relation.schema();
        int n = schema.columnCount();
        TupleData row = checkWidth(relation, update.newTuple(), "new");
        TupleData oldRow = update.oldTuple() == null ? null : checkWidth(relation, update.oldTuple(), "old");
        boolean fullOld = update.oldKind() == 'O';

        String[] record = new String[n];
        String[] old = oldRow == null ? null : new String[n];
        BitSet changed = new BitSet();
        BitSet toast = null;
        for (int i = 0; i < n; i++) {
            // The old value is known for every column of a full old row, and for key columns of an old key.
            boolean oldKnown = oldRow != null && (fullOld || relation.isKey(i)) && hasValue(oldRow, i);
            if (oldRow != null) {
                old[i] = value(relation, oldRow, i);
            }
            if (row.isUnchangedToast(i)) {
                if (oldKnown) {
                    record[i] = old[i];
                } else {
                    toast = toast == null ? new BitSet() : toast;
                    toast.set(i);
                }
                continue;
            }
            record[i] = value(relation, row, i);
            if (oldKnown && !Objects.equals(old[i], record[i])) {
                changed.set(i);
            }
        }
        return new Change(schema, Action.UPDATE, record, changed, old, toast, position, commitTs, annotations);
    }

    /** Copies a row's values into {@code record}; returns the unchanged-TOAST columns, or null when none. */
    private static @Nullable BitSet copyValues(CachedRelation relation, TupleData row, String[] record) {
        BitSet toast = null;
        for (int i = 0; i < record.length; i++) {
            if (row.isUnchangedToast(i)) {
                toast = toast == null ? new BitSet() : toast;
                toast.set(i);
            } else {
                record[i] = value(relation, row, i);
            }
        }
        return toast;
    }

    private static boolean hasValue(TupleData row, int column) {
        return !row.isUnchangedToast(column);
    }

    private static @Nullable String value(CachedRelation relation, TupleData row, int column) {
        return switch (row.kind(column)) {
            case 't' -> row.text(column);
            case 'n', 'u' -> null;
            default ->
                throw new IllegalStateException("binary value in column " + column + " of " + relation
                        + ": streams must be opened in text mode (binary 'false')");
        };
    }

    private static TupleData checkWidth(CachedRelation relation, TupleData row, String which) {
        if (row.size() != relation.schema().columnCount()) {
            throw new IllegalStateException(which + " tuple has " + row.size() + " columns but " + relation + " has "
                    + relation.schema().columnCount() + ": the Relation message and the change disagree");
        }
        return row;
    }
}
