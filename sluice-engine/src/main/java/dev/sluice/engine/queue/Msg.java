package dev.sluice.engine.queue;

import dev.sluice.core.Action;
import dev.sluice.core.Change;
import dev.sluice.core.MessageContext;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import dev.sluice.engine.MessageStore;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/** One message queued for a sink, from the slot, a backfill or the store. Mutable; guarded by the queue's lock. */
final class Msg {
    /**
     * What a queued message costs the heap besides its values: itself, its change and position, and, when its row is
     * a group of its own (an insert of a new row), the group with its deque and map entry. Measured with a class
     * histogram of a server holding 374,000 small inserts of one transaction: about 690 bytes each, of which about
     * 110 were values. Counting less let {@code max_memory_mb: 128} take twice that in the heap.
     */
    static final long ENTRY_OVERHEAD = 600;

    final Position position;
    final TableId table;
    final Action action;
    final Instant committedAt;
    // Null for a message restored from the store: only its JSON survives.
    final @Nullable Change change;
    // As restored from the store; a change is encoded per attempt (its JSON is not kept, so that memory holds what
    // the bound counts).
    final byte @Nullable [] json;
    // A backfill's read, encoded before it was queued, under preContext: used while the sink's context is the same
    // (a reconfiguration may change it).
    final byte @Nullable [] pre;
    final @Nullable MessageContext preContext;
    // Null for a restored message (its transaction was acknowledged before this run) and for a backfill's read.
    final AckTracker.@Nullable Txn txn;
    // A backfill's read: told when it is resolved (it does not hold the slot; the backfill's cursor does).
    final @Nullable Runnable onResolved;
    final String key;
    final long bytes;
    final @Nullable String groupId;
    // The order it was queued in: the slot's order, reads included (a read at a high watermark may share its commit
    // position with the change right after it, so positions alone cannot order a batch).
    long seq;
    int attempts;

    @Nullable
    String lastError;

    @Nullable
    Instant lastAttemptAt;

    @Nullable
    Instant firstFailedAt;
    // Counted for the acknowledgement: delivered, discarded or stored.
    boolean resolved;
    // The store holds it as it is now.
    boolean stored;
    // Delivered or discarded: gone from its group.
    boolean finished;
    // Given up on: recorded as discarded in the store rather than removed.
    boolean discarded;
    // Its row is live in the store (counted against the spill budget), possibly with an older attempt count; the
    // row's JSON size.
    boolean inStore;
    int storedSize;
    // Its JSON's length in the batch it was last sent in (before functions), for the delivered-bytes meter.
    int sentBytes;

    /** A change from the slot ({@code txn} set) or a backfill's read ({@code pre} set). */
    Msg(
            Change change,
            AckTracker.@Nullable Txn txn,
            long bytes,
            @Nullable String groupId,
            @Nullable String key,
            @Nullable Runnable onResolved,
            byte @Nullable [] pre,
            @Nullable MessageContext preContext) {
        this.json = null;
        this.pre = pre;
        this.preContext = preContext;
        this.position = change.position();
        this.table = change.table().id();
        this.action = change.action();
        this.committedAt = change.commitTimestamp();
        this.change = change;
        this.txn = txn;
        this.onResolved = onResolved;
        this.key = key != null ? key : change.position().idempotencyKey();
        this.bytes = bytes;
        this.groupId = groupId;
    }

    /** A message read back from the store: resolved already, only its JSON survives. */
    Msg(MessageStore.Stored s) {
        this.position = s.position();
        this.table = s.table();
        this.action = s.action();
        this.committedAt = s.committedAt();
        this.change = null;
        this.json = s.json();
        this.pre = null;
        this.preContext = null;
        this.txn = null;
        this.onResolved = null;
        this.key = s.idempotencyKey();
        this.bytes = ENTRY_OVERHEAD + s.json().length;
        this.groupId = s.groupId();
        this.attempts = s.deliverCount();
        this.lastError = s.lastError();
        this.lastAttemptAt = s.lastAttemptAt();
        this.resolved = true;
        this.stored = true;
        this.inStore = true;
        this.storedSize = s.json().length;
    }

    /** The same message, grouped anew. */
    Msg(Msg m, @Nullable String groupId) {
        this.position = m.position;
        this.table = m.table;
        this.action = m.action;
        this.committedAt = m.committedAt;
        this.change = m.change;
        this.json = m.json;
        this.pre = m.pre;
        this.preContext = m.preContext;
        this.txn = m.txn;
        this.onResolved = m.onResolved;
        this.key = m.key;
        this.bytes = m.bytes;
        this.groupId = groupId;
        this.attempts = m.attempts;
        this.lastError = m.lastError;
        this.lastAttemptAt = m.lastAttemptAt;
        this.firstFailedAt = m.firstFailedAt;
        this.resolved = m.resolved;
        this.stored = m.stored;
        this.inStore = m.inStore;
        this.storedSize = m.storedSize;
    }

    /** Counts a failed attempt. */
    void failed(String reason, Instant at) {
        attempts++;
        lastError = reason;
        lastAttemptAt = at;
        if (firstFailedAt == null) {
            firstFailedAt = at;
        }
        stored = false; // its row, if any, has an older attempt count
    }

    /** Its row for the store, with {@code json} and the time of its next attempt. */
    MessageStore.Stored row(byte[] json, @Nullable Instant nextAttemptAt) {
        return new MessageStore.Stored(
                position,
                groupId,
                key,
                table,
                action,
                committedAt,
                json,
                attempts,
                lastError,
                lastAttemptAt,
                nextAttemptAt);
    }

    /** See {@link SinkQueue#sizeOf}. */
    static long sizeOf(Change c) {
        String[] old = c.old();
        return ENTRY_OVERHEAD + sizeOf(c.record()) + (old == null ? 0 : sizeOf(old));
    }

    private static long sizeOf(@Nullable String[] values) {
        long n = 0;
        for (String v : values) {
            n += v == null ? 8 : 40 + 2L * v.length();
        }
        return n;
    }
}
