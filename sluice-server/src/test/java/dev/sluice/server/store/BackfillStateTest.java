package dev.sluice.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BackfillStateTest {
    @Test
    void wireNames_areSequinsAndReadBack() {
        for (BackfillState s : BackfillState.values()) {
            assertThat(BackfillState.of(s.wireName())).contains(s);
        }
        assertThat(BackfillState.CANCELLED.wireName()).isEqualTo("cancelled");
        assertThat(BackfillState.of("canceled")).isEmpty();
    }

    @Test
    void usersMoveActiveAndPausedBackfillsOnly_andOnlyARunningOneEnds() {
        assertThat(BackfillState.ACTIVE.userMoves())
                .containsExactlyInAnyOrder(BackfillState.PAUSED, BackfillState.CANCELLED);
        assertThat(BackfillState.PAUSED.userMoves())
                .containsExactlyInAnyOrder(BackfillState.ACTIVE, BackfillState.CANCELLED);
        assertThat(BackfillState.COMPLETED.userMoves()).isEmpty();
        assertThat(BackfillState.ACTIVE.canEndIn(BackfillState.FAILED)).isTrue();
        assertThat(BackfillState.PAUSED.canEndIn(BackfillState.COMPLETED)).isFalse();
        assertThat(BackfillState.UNFINISHED).containsExactlyInAnyOrder(BackfillState.ACTIVE, BackfillState.PAUSED);
    }
}
