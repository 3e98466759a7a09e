package dev.sluice.engine;

import dev.sluice.core.Position;
import java.util.List;
import java.util.Objects;

/**
 * Where each sink's delivery progress is kept across restarts, so that a replay of the slot after a restart skips
 * what the sink already has. The slot replays from its confirmed position, which is the slowest sink's; without
 * this, every faster sink would receive that stretch again.
 *
 * <p>Implementations are called from one recorder thread per database (saves) and from the thread adding a sink
 * (loads); they must not block for long.
 */
public interface DeliveryLedger {
    /**
     * What a sink had resolved (delivered, or given up on) when its progress was last saved.
     *
     * @param acknowledgedLsn every transaction ending at or before it is resolved
     * @param resolvedAfter messages of later transactions that are resolved, in no particular order
     */
    record Progress(long acknowledgedLsn, List<Position> resolvedAfter) {
        public static final Progress NONE = new Progress(0, List.of());

        public Progress {
            resolvedAfter = List.copyOf(Objects.requireNonNull(resolvedAfter));
        }
    }

    /** The sink's last saved progress, or {@link Progress#NONE}. */
    Progress load(String sinkId) throws Exception;

    /** Replaces the sink's saved progress. */
    void save(String sinkId, Progress progress) throws Exception;

    /** Keeps nothing: after a restart, sinks receive the slot's replay in full. */
    DeliveryLedger NONE = new DeliveryLedger() {
        @Override
        public Progress load(String sinkId) {
            return Progress.NONE;
        }

        @Override
        public void save(String sinkId, Progress progress) {}
    };
}
