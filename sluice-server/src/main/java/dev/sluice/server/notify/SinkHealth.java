package dev.sluice.server.notify;

import dev.sluice.engine.DatabasePipeline;
import dev.sluice.server.config.SinkStatus;
import org.jspecify.annotations.Nullable;

/**
 * A sink's overall health as {@code GET /api/sinks/{id}} shows it in {@code health.status}, in one place for the
 * API and the webhook watcher: {@code paused}, {@code initializing}, {@code error} (its last delivery failed),
 * {@code warning} (its spill budget is used up) or {@code healthy}.
 */
public final class SinkHealth {
    public static final String HEALTHY = "healthy";
    public static final String ERROR = "error";
    public static final String WARNING = "warning";
    public static final String PAUSED = "paused";
    public static final String INITIALIZING = "initializing";

    private SinkHealth() {}

    /** The status of a sink configured with {@code configured}, running as {@code live} (null: not running). */
    public static String of(SinkStatus configured, DatabasePipeline.@Nullable SinkStatus live) {
        if (configured == SinkStatus.DISABLED) {
            return PAUSED;
        }
        if (live == null) {
            return INITIALIZING;
        }
        if (configured == SinkStatus.PAUSED) {
            return PAUSED;
        }
        if (live.lastError() != null) {
            return ERROR;
        }
        // A used-up spill budget alone is a warning: nothing is lost with pause_on_full, but the slot waits.
        return live.spillBudgetUsedUp() ? WARNING : HEALTHY;
    }
}
