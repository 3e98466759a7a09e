package dev.sluice.server.runtime;

import dev.sluice.core.Position;
import dev.sluice.engine.DeliveryLedger;
import dev.sluice.server.store.Fence;
import dev.sluice.server.store.ProgressTable;
import java.nio.ByteBuffer;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** Sinks' delivery progress in the metadata store, positions packed 12 bytes each. */
final class StoreLedger implements DeliveryLedger {
    private static final int POSITION_BYTES = Long.BYTES + Integer.BYTES;

    private final ProgressTable store;
    private final @Nullable Fence fence;

    /** @param fence the pipeline's lease, checked by every save */
    StoreLedger(ProgressTable store, @Nullable Fence fence) {
        this.store = store;
        this.fence = fence;
    }

    @Override
    public Progress load(String sinkId) throws SQLException {
        ProgressTable.SinkProgress p = store.load(UUID.fromString(sinkId));
        if (p == null) {
            return Progress.NONE;
        }
        ByteBuffer b = ByteBuffer.wrap(p.resolvedAfter());
        List<Position> after = new ArrayList<>(b.remaining() / POSITION_BYTES);
        while (b.remaining() >= POSITION_BYTES) {
            after.add(new Position(b.getLong(), b.getInt()));
        }
        return new Progress(p.acknowledgedLsn(), after);
    }

    @Override
    public void save(String sinkId, Progress progress) throws SQLException {
        ByteBuffer b = ByteBuffer.allocate(progress.resolvedAfter().size() * POSITION_BYTES);
        for (Position p : progress.resolvedAfter()) {
            b.putLong(p.commitLsn()).putInt(p.commitIdx());
        }
        store.save(
                UUID.fromString(sinkId), new ProgressTable.SinkProgress(progress.acknowledgedLsn(), b.array()), fence);
    }
}
