package dev.sluice.server.store;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Where a backfill is, with the moves allowed between states in one place. {@link #wireName()} is both the stored
 * value and the API's (Sequin's) spelling; it never changes with the constant's name.
 *
 * <pre>
 * active ──▶ paused ──▶ active        (API)
 * active, paused ──▶ cancelled        (API)
 * active ──▶ completed, failed        (the running backfill)
 * </pre>
 */
public enum BackfillState {
    ACTIVE("active"),
    PAUSED("paused"),
    COMPLETED("completed"),
    CANCELLED("cancelled"),
    FAILED("failed");

    /** The states of a backfill with rows still to read; a sink has at most one such backfill per table. */
    public static final Set<BackfillState> UNFINISHED =
            java.util.Collections.unmodifiableSet(EnumSet.of(ACTIVE, PAUSED));

    private final String wireName;

    BackfillState(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** The state of a stored or requested name; empty for an unknown one. */
    public static Optional<BackfillState> of(String wireName) {
        return Arrays.stream(values()).filter(s -> s.wireName.equals(wireName)).findFirst();
    }

    /** The states a user may move a backfill to from this one, through the API. */
    public Set<BackfillState> userMoves() {
        return switch (this) {
            case ACTIVE -> EnumSet.of(PAUSED, CANCELLED);
            case PAUSED -> EnumSet.of(ACTIVE, CANCELLED);
            case COMPLETED, CANCELLED, FAILED -> EnumSet.noneOf(BackfillState.class);
        };
    }

    /** Whether the running backfill itself may end in {@code to} from this state. */
    public boolean canEndIn(BackfillState to) {
        return this == ACTIVE && (to == COMPLETED || to == FAILED);
    }

    /** The wire names of some states, for messages and SQL parameters. */
    public static List<String> wireNames(Set<BackfillState> states) {
        return states.stream().map(BackfillState::wireName).toList();
    }
}
