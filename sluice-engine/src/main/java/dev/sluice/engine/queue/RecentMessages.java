package dev.sluice.engine.queue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The last messages a sink sent out, as they were before its functions: what {@code POST /api/functions/test} runs a
 * function on when asked for a sink's recent messages. A ring written by the dispatcher without locking; a reader may
 * see a mix of two batches, which is all it needs.
 */
final class RecentMessages {
    static final int CAPACITY = 64;

    private final AtomicReferenceArray<byte[]> ring = new AtomicReferenceArray<>(CAPACITY);
    // Written by the dispatcher thread only.
    private volatile long written;

    /** Remembers the last of {@code jsons} (dispatcher thread). */
    void add(List<byte[]> jsons) {
        long w = written;
        for (int i = Math.max(0, jsons.size() - CAPACITY); i < jsons.size(); i++) {
            ring.lazySet((int) (w++ % CAPACITY), jsons.get(i));
        }
        written = w;
    }

    /** Up to {@code n} of the latest, oldest first. */
    List<byte[]> latest(int n) {
        long w = written;
        int count = (int) Math.min(Math.min(n, CAPACITY), w);
        List<byte[]> out = new ArrayList<>(count);
        for (long i = w - count; i < w; i++) {
            byte[] json = ring.get((int) (i % CAPACITY));
            if (json != null) {
                out.add(json);
            }
        }
        return out;
    }
}
