package dev.sluice.postgres.pgoutput;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One decoded pgoutput message (logical replication protocol versions 1 and 2, plus the {@code 'M'}
 * logical decoding message of the {@code messages} option). Match with an exhaustive {@code switch}.
 *
 * <p>LSNs are unsigned 64-bit WAL positions held in a {@code long}; relation ids are {@code pg_class}
 * OIDs (unsigned 32-bit, held in an {@code int}).
 *
 * @see <a href="https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html">Logical
 *     Replication Message Formats</a>
 */
public sealed interface PgOutputMessage {

    /** A row change: {@link Insert}, {@link Update} or {@link Delete}. */
    sealed interface RowChange extends PgOutputMessage {
        int relationId();
    }

    /**
     * Start of a transaction.
     *
     * @param finalLsn LSN of the transaction's commit record: the {@code commit_lsn} of its changes
     */
    record Begin(long finalLsn, Instant commitTimestamp, int xid) implements PgOutputMessage {}

    /**
     * End of a transaction.
     *
     * @param flags currently unused by Postgres (always 0)
     * @param commitLsn LSN of the commit record
     * @param endLsn end LSN of the transaction: where the next one starts
     */
    record Commit(int flags, long commitLsn, long endLsn, Instant commitTimestamp) implements PgOutputMessage {}

    /** The transaction was replicated into this server from {@code name}. */
    record Origin(long commitLsn, String name) implements PgOutputMessage {}

    /**
     * A table's shape, sent before its first change in a session and again after it changes.
     *
     * @param namespace schema name; Postgres sends an empty string for {@code pg_catalog}
     * @param replicaIdentity {@code d} default (primary key), {@code n} nothing, {@code f} full,
     *     {@code i} index
     */
    record Relation(int relationId, String namespace, String name, char replicaIdentity, List<RelationColumn> columns)
            implements PgOutputMessage {
        public Relation {
            columns = List.copyOf(columns);
        }
    }

    /**
     * A published column.
     *
     * @param key part of the replica identity (the key sent in old tuples)
     * @param typeModifier {@code atttypmod}, -1 when none
     */
    record RelationColumn(boolean key, String name, int typeOid, int typeModifier) {}

    /** A non-built-in type used by a following Relation. */
    record Type(int typeOid, String namespace, String name) implements PgOutputMessage {}

    record Insert(int relationId, TupleData newTuple) implements RowChange {}

    /**
     * @param oldKind {@code 'K'} (old replica-identity key: the key changed), {@code 'O'} (whole old
     *     row: REPLICA IDENTITY FULL) or 0 when Postgres sent no old tuple
     * @param oldTuple null exactly when {@code oldKind} is 0
     */
    record Update(int relationId, char oldKind, @Nullable TupleData oldTuple, TupleData newTuple) implements RowChange {
        public Update {
            if ((oldKind == 0) != (oldTuple == null)) {
                throw new IllegalArgumentException("oldTuple must be present exactly when oldKind is set");
            }
        }
    }

    /** @param oldKind {@code 'K'} (key columns only, others null) or {@code 'O'} (whole old row) */
    record Delete(int relationId, char oldKind, TupleData oldTuple) implements RowChange {}

    /** @param options bit 1: CASCADE, bit 2: RESTART IDENTITY */
    record Truncate(int options, int[] relationIds) implements PgOutputMessage {
        public static final int CASCADE = 1;
        public static final int RESTART_IDENTITY = 2;

        public boolean cascade() {
            return (options & CASCADE) != 0;
        }

        public boolean restartIdentity() {
            return (options & RESTART_IDENTITY) != 0;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Truncate t && t.options == options && Arrays.equals(t.relationIds, relationIds);
        }

        @Override
        public int hashCode() {
            return 31 * options + Arrays.hashCode(relationIds);
        }

        @Override
        public String toString() {
            return "Truncate[options=" + options + ", relationIds=" + Arrays.toString(relationIds) + "]";
        }
    }

    /**
     * A message written with {@code pg_logical_emit_message}.
     *
     * @param transactional true when it was emitted inside (and delivered within) a transaction
     * @param lsn LSN of the message's WAL record
     */
    record LogicalMessage(boolean transactional, long lsn, String prefix, byte[] content) implements PgOutputMessage {
        @Override
        public boolean equals(Object o) {
            return o instanceof LogicalMessage m
                    && m.transactional == transactional
                    && m.lsn == lsn
                    && m.prefix.equals(prefix)
                    && Arrays.equals(m.content, content);
        }

        @Override
        public int hashCode() {
            return (prefix.hashCode() * 31 + Long.hashCode(lsn)) * 31 + Arrays.hashCode(content);
        }

        @Override
        public String toString() {
            return "LogicalMessage[transactional=" + transactional + ", lsn=" + lsn + ", prefix=" + prefix
                    + ", content=" + content.length + " bytes]";
        }
    }

    /**
     * Protocol 2: Postgres starts sending part of an in-progress transaction (it outgrew {@code
     * logical_decoding_work_mem}). Until the {@link StreamStop}, its messages come as {@link Streamed}.
     *
     * @param firstSegment the first block of this transaction
     */
    record StreamStart(int xid, boolean firstSegment) implements PgOutputMessage {}

    /** Protocol 2: the end of a block of a streamed transaction; other transactions may follow. */
    record StreamStop() implements PgOutputMessage {}

    /**
     * Protocol 2: a streamed transaction committed; its changes, sent earlier in blocks, are to be applied
     * now, as if a Begin, the changes and this Commit had come together.
     */
    record StreamCommit(int xid, int flags, long commitLsn, long endLsn, Instant commitTimestamp)
            implements PgOutputMessage {}

    /**
     * Protocol 2: a streamed transaction ({@code subXid == xid}) or one of its subtransactions (a rolled
     * back savepoint) aborted: its streamed changes are to be dropped.
     */
    record StreamAbort(int xid, int subXid) implements PgOutputMessage {}

    /**
     * Protocol 2: a message sent inside a stream block, with the xid of the (sub)transaction it belongs to.
     */
    record Streamed(int xid, PgOutputMessage message) implements PgOutputMessage {}
}
