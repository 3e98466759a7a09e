package dev.sluice.engine;

import dev.sluice.core.Action;
import dev.sluice.core.Change;
import dev.sluice.core.Position;
import dev.sluice.engine.queue.SinkQueue;
import dev.sluice.postgres.backfill.Watermark;
import dev.sluice.postgres.capture.ChangeAssembler;
import dev.sluice.postgres.pgoutput.PgOutputMessage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Hands each committed change of the slot to the sinks that take it, and tells them where transactions end.
 *
 * <p>State (reader thread only): the transaction being read (its commit LSN, commit time, xid, next change index and
 * transaction annotations); {@code lastRoutedCommitLsn}, the commit LSN of the last transaction whose end was handed
 * to the sinks, and {@code partialCommitLsn}/{@code partialIdx}, the last change routed of a transaction that a
 * dropped connection cut off. After a reconnect, Postgres replays from the slot's flush position: transactions at or
 * before the former, and changes at or before the latter, are skipped, so no sink sees a change twice within one
 * process.
 *
 * <p>Admission: a sink added while streaming is positioned, the first time the router meets it and before it is
 * handed anything, at the end of the last transaction routed: every earlier one was before its time.
 *
 * <p>Backfills: a change a sink took is shown to that sink's running backfills (a row changed while its page was
 * read is not delivered from the page); a backfill's watermark is handed to its backfill.
 *
 * <p>Concurrency: the reader thread only; the sink list and the backfill map are concurrent (the API thread changes
 * them).
 */
final class Router {
    private static final String ANNOTATIONS_SET = "sequin:transaction_annotations.set";
    private static final String ANNOTATIONS_CLEAR = "sequin:transaction_annotations.clear";

    private final List<SinkQueue> sinks;
    private final Backfills backfills;
    private final Runnable whileBlocked;

    private long lastRoutedCommitLsn;
    private long lastRoutedEndLsn;
    private long partialCommitLsn;
    private int partialIdx = -1;
    // The transaction being read.
    private long commitLsn;
    private @Nullable Instant commitTs;
    // Its Begin's xid, for backfills to tell which page snapshots it was invisible to.
    private int xid;
    private boolean skip;
    private int idx;
    private @Nullable String annotations;

    /** @param whileBlocked run about once a second while a full sink keeps a change waiting */
    Router(List<SinkQueue> sinks, Backfills backfills, Runnable whileBlocked) {
        this.sinks = sinks;
        this.backfills = backfills;
        this.whileBlocked = whileBlocked;
    }

    void begin(PgOutputMessage.Begin b) {
        commitLsn = b.finalLsn();
        commitTs = b.commitTimestamp();
        xid = b.xid();
        skip = lastRoutedCommitLsn != 0 && Long.compareUnsigned(commitLsn, lastRoutedCommitLsn) <= 0;
        idx = 0;
        annotations = null;
    }

    void insert(PgOutputMessage.Insert i, ChangeAssembler assembler) throws InterruptedException {
        if (routable()) {
            route(assembler.assemble(i, new Position(commitLsn, idx), commitTs, annotations));
        }
        idx++;
    }

    void update(PgOutputMessage.Update u, ChangeAssembler assembler) throws InterruptedException {
        if (routable()) {
            route(assembler.assemble(u, new Position(commitLsn, idx), commitTs, annotations));
        }
        idx++;
    }

    void delete(PgOutputMessage.Delete d, ChangeAssembler assembler) throws InterruptedException {
        if (routable()) {
            route(assembler.assemble(d, new Position(commitLsn, idx), commitTs, annotations));
        }
        idx++;
    }

    /**
     * A TRUNCATE statement: one change per table, each with its own commit index, handed to every sink that takes
     * truncates of some of them (those tables only, together). Backfills are not told: see docs/delivery.md.
     */
    void truncate(PgOutputMessage.Truncate t, ChangeAssembler assembler) {
        int n = t.relationIds().length;
        if (!skip) {
            List<Change> all = assembler.truncate(t, new Position(commitLsn, idx), commitTs, annotations);
            List<Change> fresh = new ArrayList<>(n);
            for (Change c : all) {
                if (commitLsn != partialCommitLsn || c.position().commitIdx() > partialIdx) {
                    fresh.add(c);
                }
            }
            if (!fresh.isEmpty()) {
                partialCommitLsn = commitLsn;
                partialIdx = fresh.getLast().position().commitIdx();
                for (SinkQueue s : sinks) {
                    List<Change> mine = new ArrayList<>(fresh.size());
                    for (Change c : fresh) {
                        if (s.accepts(c.table(), Action.TRUNCATE)) {
                            mine.add(c);
                        }
                    }
                    if (!mine.isEmpty()) {
                        admit(s);
                        s.enqueueTruncate(mine);
                    }
                }
            }
        }
        idx += n;
    }

    /** A logical message other than a heartbeat: a backfill's watermark, or transaction annotations. */
    void message(PgOutputMessage.LogicalMessage m) throws InterruptedException {
        if (!m.transactional() && Watermark.PREFIX.equals(m.prefix())) {
            Watermark w = Watermark.parse(new String(m.content(), StandardCharsets.UTF_8));
            Backfill b = w == null ? null : backfills.get(w.backfillId());
            if (b != null) { // else finished, stopped, or another Sluice's
                b.watermark(w, m.lsn());
            }
        } else if (m.transactional() && ANNOTATIONS_SET.equals(m.prefix())) {
            annotations = new String(m.content(), StandardCharsets.UTF_8);
        } else if (m.transactional() && ANNOTATIONS_CLEAR.equals(m.prefix())) {
            annotations = null;
        }
    }

    void commit(PgOutputMessage.Commit c) {
        if (skip) {
            return;
        }
        for (SinkQueue s : sinks) {
            if (s.spec().state() != SinkState.DISABLED) {
                admit(s);
                s.markCommit(c.endLsn());
            }
        }
        lastRoutedCommitLsn = c.commitLsn();
        lastRoutedEndLsn = c.endLsn();
    }

    /** The end LSN of the last transaction handed to the sinks. */
    long lastRoutedEndLsn() {
        return lastRoutedEndLsn;
    }

    /** Positions a sink added while running, the first time the reader meets it (see the class notes). */
    void admit(SinkQueue s) {
        if (!s.positioned()) {
            s.positionAt(lastRoutedEndLsn);
        }
    }

    // Within a transaction cut off by a dropped connection, the changes already routed come again.
    private boolean routable() {
        return !skip && (commitLsn != partialCommitLsn || idx > partialIdx);
    }

    private void route(Change change) throws InterruptedException {
        partialCommitLsn = change.position().commitLsn();
        partialIdx = change.position().commitIdx();
        for (SinkQueue s : sinks) {
            if (s.accepts(change.table(), change.action())) {
                admit(s);
                if (s.enqueue(change, whileBlocked) && !backfills.isEmpty()) {
                    observed(s, change);
                }
            }
        }
    }

    /**
     * Lets the sink's running backfills note a change of their table. Only changes the sink took count: a read
     * dropped for one the sink never delivers (filtered, shed, or from before the sink began) would lose the row.
     */
    private void observed(SinkQueue sink, Change change) {
        for (Backfill b : backfills.all()) {
            if (b.sink() == sink) {
                b.observe(change, xid);
            }
        }
    }
}
