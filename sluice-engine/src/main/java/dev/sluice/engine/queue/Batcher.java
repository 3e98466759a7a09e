package dev.sluice.engine.queue;

import dev.sluice.engine.SinkSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Which groups' heads go into the next batch, and when.
 *
 * <p>State: the batches in delivery and the current generation (a batch's outcome counts only while its generation
 * is current; abandoning the batches still out after a grace period starts a new one).
 *
 * <p>Rules: a batch is due when the ready messages fill {@code batch_size}, when the oldest has waited
 * {@code batch_timeout}, or when nothing is in delivery and no transaction is being read (nothing more is coming
 * soon). While batches are out, a partial one waits for more, so a busy sink gets fuller, fewer requests. A batch
 * is filled from ready groups, oldest ready first, each group giving its head messages in order; a group whose last
 * delivery failed goes alone, with its head message only. Within a batch, messages are in queueing order. While a
 * truncate is queued ({@link Fences}), a group gives only the head messages that need not wait for it, a group whose
 * head waits is parked, and a truncate statement's messages go together (starting the next batch if this one has no
 * room left for them).
 *
 * <p>Concurrency: guarded by the queue's lock.
 */
final class Batcher {
    /** A batch handed to the sink; its outcome counts only while {@code generation} is current. */
    record Dispatch(long generation, List<GroupQueue.Group> groups, List<Msg> msgs, boolean probe) {}

    private final Fences fences;
    private int inFlight;
    private long generation;

    Batcher(Fences fences) {
        this.fences = fences;
    }

    /** Whether the ready messages make a batch now (see the class notes). */
    boolean due(SinkSpec spec, GroupQueue q, boolean inTransaction, long now) {
        return q.readyCount() >= spec.batchSize() || (!inTransaction && inFlight == 0) || now - dueAt(spec, q) >= 0;
    }

    /** When a partial batch of the ready messages is due at the latest. */
    long dueAt(SinkSpec spec, GroupQueue q) {
        return q.readySince() + spec.batchTimeout().toNanos();
    }

    /**
     * Takes up to batch_size messages from ready groups, oldest ready first; null when there is none. With
     * {@code onlyStartedTransactions}, only groups whose head belongs to a transaction that has started going out.
     */
    @Nullable
    Dispatch build(GroupQueue q, SinkSpec spec, boolean onlyStartedTransactions, boolean probe, long now) {
        List<GroupQueue.Group> gs = new ArrayList<>();
        List<Msg> ms = new ArrayList<>(Math.min(spec.batchSize(), q.readyCount()));
        int room = spec.batchSize();
        for (Iterator<GroupQueue.Group> it = q.readyIterator(); it.hasNext() && room > 0; ) {
            GroupQueue.Group g = it.next();
            AckTracker.Txn headTxn = g.msgs.getFirst().txn;
            if (onlyStartedTransactions && (headTxn == null || !headTxn.started)) {
                continue;
            }
            // A group whose last delivery failed is retried in a batch of its own: one bad row must not fail the
            // batches of healthy ones again and again.
            if (g.failures > 0 && !gs.isEmpty()) {
                continue;
            }
            boolean alone = g.failures > 0;
            // ...and with its head message only, so that the messages behind a bad one are not charged with its
            // failures (max_retry_count counts per message).
            int take = Math.min(alone ? 1 : room, g.available());
            if (fences.active()) {
                int statement = fences.statement(g);
                if (statement > 0) {
                    int together = Math.min(statement, spec.batchSize());
                    if (together > room) {
                        continue; // the next batch starts with them
                    }
                    take = together;
                } else {
                    take = fences.free(g, take);
                    if (take == 0) {
                        it.remove();
                        q.taken(g, now);
                        fences.park(g);
                        continue;
                    }
                }
            }
            it.remove();
            q.taken(g, now);
            int n = 0;
            for (Msg m : g.msgs) {
                if (n == take) {
                    break;
                }
                ms.add(m);
                if (m.txn != null) {
                    m.txn.started = true;
                }
                n++;
            }
            g.inFlight = n;
            room -= n;
            gs.add(g);
            if (alone) {
                break;
            }
        }
        if (gs.isEmpty()) {
            return null;
        }
        inFlight++;
        // In queueing order: each group's messages keep their order, and a transaction that fits reads as committed.
        ms.sort(Comparator.comparingLong(m -> m.seq));
        return new Dispatch(generation, gs, ms, probe);
    }

    /** Batches in delivery. */
    int inFlight() {
        return inFlight;
    }

    /** Whether {@code d}'s outcome still counts; if so, it is no longer in delivery. */
    boolean settle(Dispatch d) {
        if (d.generation() != generation) {
            return false; // abandoned: its messages were made ready again
        }
        inFlight--;
        return true;
    }

    /** Gives up on every batch in delivery: their outcomes will be ignored. Returns how many there were. */
    int abandonAll() {
        int n = inFlight;
        if (n > 0) {
            generation++;
            inFlight = 0;
        }
        return n;
    }
}
