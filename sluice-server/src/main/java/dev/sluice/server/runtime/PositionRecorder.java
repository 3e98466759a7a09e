package dev.sluice.server.runtime;

import dev.sluice.core.Lsn;
import dev.sluice.server.store.Fence;
import dev.sluice.server.store.PositionTable;
import java.sql.SQLException;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a database's acknowledged slot position to the store off the reader thread, keeping only
 * the latest value: a slow or unavailable metadata store never stalls replication.
 */
final class PositionRecorder implements LongConsumer {
    private static final Logger log = LoggerFactory.getLogger(PositionRecorder.class);

    private final PositionTable store;
    private final UUID databaseId;
    private final String slotName;
    private final AtomicLong latest = new AtomicLong();
    private final AtomicBoolean writing = new AtomicBoolean();
    private volatile boolean warned;

    private final @Nullable Fence fence;

    /** @param fence the pipeline's lease, checked by every write */
    PositionRecorder(PositionTable store, UUID databaseId, String slotName, @Nullable Fence fence) {
        this.fence = fence;
        this.store = store;
        this.databaseId = databaseId;
        this.slotName = slotName;
    }

    @Override
    public void accept(long lsn) {
        latest.set(lsn);
        if (writing.compareAndSet(false, true)) {
            Thread.ofVirtual().name("position-" + slotName).start(this::drain);
        }
    }

    private void drain() {
        try {
            long written = -1;
            long next;
            while ((next = latest.get()) != written) {
                store.record(databaseId, slotName, new Lsn(next).toString(), fence);
                written = next;
            }
            warned = false;
        } catch (SQLException | RuntimeException e) {
            if (!warned) {
                warned = true;
                log.warn(
                        "could not record the slot position of {} in the metadata store: {}", slotName, e.getMessage());
            }
        } finally {
            writing.set(false);
        }
    }
}
