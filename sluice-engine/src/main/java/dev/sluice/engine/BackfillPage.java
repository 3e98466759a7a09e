package dev.sluice.engine;

import dev.sluice.core.MessageContext;
import dev.sluice.core.MessageEncoder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A backfill's page read and not yet fully delivered. Written by the backfill's thread until it is handed over (under
 * the backfill's lock), then completed by the reader at its high watermark; {@link #outstanding} is counted down by
 * the sink's threads.
 */
final class BackfillPage {
    final long seq;
    // Each row's idempotency key and message but for its position, under context: encoded by the backfill's thread as
    // the rows arrive, so that the reader only completes them. Released once enqueued.
    @Nullable
    List<String> keys = new ArrayList<>();
    // Each row's SinkQueue.sizeOf, taken here rather than on the reader's thread.
    long[] sizes = new long[64];

    MessageEncoder.@Nullable PreparedBatch prepared = new MessageEncoder.PreparedBatch();
    final MessageContext context;

    // Set once the page is read; released once enqueued.
    @Nullable
    List<@Nullable String[]> rows;

    int read;

    @Nullable
    List<String> cursor;
    // The page's snapshot: its xmin and the transactions in progress for it (32-bit xids, as the stream gives them).
    int xmin;

    int[] invisible = new int[0];
    // Reads not yet resolved, plus one until the reader has enqueued them all.
    final AtomicInteger outstanding = new AtomicInteger(1);
    int ingested;
    volatile boolean enqueued;

    BackfillPage(long seq, MessageContext context) {
        this.seq = seq;
        this.context = context;
    }

    void read(List<@Nullable String[]> rows, @Nullable List<String> cursor) {
        this.rows = rows;
        this.read = rows.size();
        this.cursor = cursor;
    }

    /** Notes a prepared row's key and size. */
    void prepared(String key, long size) {
        List<String> k = java.util.Objects.requireNonNull(keys);
        if (sizes.length == k.size()) {
            sizes = java.util.Arrays.copyOf(sizes, k.size() * 2);
        }
        sizes[k.size()] = size;
        k.add(key);
    }
}
