package dev.sluice.bench.e2e;

import dev.sluice.postgres.replication.SourceSettings;
import java.time.Duration;

/** Reads a {@link Backlog} from one slot until every change arrived, timing it with a {@link ChangeCounter}. */
interface Drainer {
    /**
     * Drains the slot of {@code system}; returns what arrived, fewer than {@link Backlog#changes()} when
     * {@code timeout} passed first.
     */
    DrainRun drain(Backlog backlog, Duration timeout) throws Exception;

    static Drainer of(DrainSystem system, String debeziumFormat) {
        return switch (system) {
            case RAW -> new RawPgOutputReader();
            case SLUICE_NULL -> new SluiceDrain(false);
            case SLUICE_WEBHOOK -> new SluiceDrain(true);
            case SLUICE_PATH, SLUICE_JS, SLUICE_ROUTING -> new SluiceDrain(system);
            case DEBEZIUM -> new DebeziumDrain(debeziumFormat);
            case SLUICE_POSTGRES -> new PostgresDrain();
        };
    }

    /** The source settings Sluice would use for this slot (superuser, no password, no TLS). */
    static SourceSettings settings(Backlog b, DrainSystem system) {
        return new SourceSettings(
                b.host(),
                b.port(),
                b.database(),
                "postgres",
                null,
                false,
                false,
                b.slot(system),
                b.publication(),
                false,
                false);
    }
}
