package dev.sluice.engine;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Which rows of a backfilled table changed in the stream while a page was read: the rows a page must not deliver,
 * because a live change carries a newer version. Pure: no threads, clock or I/O.
 *
 * <p>State: the rows changed since the previous page's low watermark ({@code older}) and since the last low watermark
 * ({@code current}) — one page earlier than DBLog needs, to cover a transaction whose commit was written before the
 * low watermark but became visible only after the page's snapshot; and the rows each transaction changed, in stream
 * order, until every snapshot sees the transaction (its xid precedes a page snapshot's xmin): a transaction still in
 * progress for a page's snapshot changed rows the page read in their older version, however many pages ago its
 * commit was.
 *
 * <p>Concurrency: not thread-safe; the backfill's lock guards it.
 *
 * <p>Failure: when more than {@code maxRemembered} changed rows wait for an old transaction, the oldest are forgotten
 * (memory stays bounded; a read of one of them may then arrive after its change) and {@link #forgetting()} says so.
 */
final class WatermarkWindow {
    private final int maxRemembered;
    private Set<String> older = new HashSet<>();
    private Set<String> current = new HashSet<>();
    private final LinkedHashMap<Integer, List<String>> byXid = new LinkedHashMap<>();
    private int remembered;
    private boolean forgetting;

    WatermarkWindow(int maxRemembered) {
        this.maxRemembered = maxRemembered;
    }

    /** A live change of transaction {@code xid} to the row {@code key}; {@code oldKey} when the key itself changed. */
    void changed(String key, @Nullable String oldKey, int xid) {
        current.add(key);
        List<String> rows = byXid.computeIfAbsent(xid, x -> new ArrayList<>(2));
        rows.add(key);
        remembered++;
        if (oldKey != null) {
            current.add(oldKey);
            rows.add(oldKey);
            remembered++;
        }
        forgetOldest();
    }

    /** A low watermark: a new window begins. */
    void low() {
        older = current;
        current = new HashSet<>();
    }

    /**
     * A page's high watermark: the rows its page must drop, given its snapshot's xmin and the transactions in progress
     * for it. Transactions before the xmin are seen by every later snapshot and are forgotten.
     */
    Set<String> high(int xmin, int[] inProgress) {
        Set<String> drop = new HashSet<>(older);
        drop.addAll(current);
        for (int xid : inProgress) {
            List<String> rows = byXid.get(xid);
            if (rows != null) {
                drop.addAll(rows);
            }
        }
        byXid.entrySet().removeIf(e -> {
            boolean seen = e.getKey() - xmin < 0; // modulo 2^32, as Postgres compares xids
            if (seen) {
                remembered -= e.getValue().size();
            }
            return seen;
        });
        return drop;
    }

    /** Whether rows were ever forgotten past the bound (a read may then arrive after its change). */
    boolean forgetting() {
        return forgetting;
    }

    private void forgetOldest() {
        var it = byXid.entrySet().iterator();
        while (remembered > maxRemembered && it.hasNext()) {
            remembered -= it.next().getValue().size();
            it.remove();
            forgetting = true;
        }
    }
}
