package dev.sluice.bench.e2e;

import java.util.Map;

/**
 * A written backlog waiting in its slots: every slot was created before the first write, so each one
 * holds exactly {@code changes} row changes of table {@code public.bench}.
 *
 * @param slots one slot per drain system, keyed by {@link DrainSystem}
 * @param changes row changes written (insert, update, delete)
 * @param transactions transactions they were written in
 * @param walBytes WAL written between the slots' creation and the end of the workload
 * @param endLsn WAL end position after the last commit, {@code X/Y}
 * @param writeSeconds how long writing took
 */
record Backlog(
        String host,
        int port,
        String database,
        String publication,
        Map<DrainSystem, String> slots,
        long changes,
        long transactions,
        long walBytes,
        String endLsn,
        double writeSeconds) {
    Backlog {
        slots = Map.copyOf(slots);
    }

    String slot(DrainSystem system) {
        String s = slots.get(system);
        if (s == null) {
            throw new IllegalArgumentException("no slot was created for " + system.label());
        }
        return s;
    }
}
