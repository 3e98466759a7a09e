package dev.sluice.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.server.store.BackfillState;
import dev.sluice.server.store.BackfillTable.BackfillRow;
import java.time.Instant;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The Backfills page's progress bar, rate and time left, from stored rows. */
class BackfillsPageTest {
    private static final Instant T0 = Instant.parse("2026-12-07T06:00:00Z");

    private static BackfillRow row(
            BackfillState state, @Nullable Long initial, long processed, long resumedRows, long secondsRunning) {
        Instant at = T0.plusSeconds(secondsRunning);
        return new BackfillRow(
                UUID.randomUUID(),
                UUID.randomUUID(),
                "public",
                "items",
                null,
                null,
                state,
                null,
                initial,
                processed,
                processed,
                T0,
                resumedRows,
                T0,
                at,
                state == BackfillState.COMPLETED ? at : null,
                null,
                null,
                null);
    }

    @Test
    void anActiveBackfillShowsRowsReadOfRowsExpected_itsRateAndTimeLeft() {
        BackfillsPage.BackfillView v = BackfillsPage.view(row(BackfillState.ACTIVE, 10_000L, 2_500, 0, 5), "hook");
        assertThat(v.value()).isEqualTo(2_500);
        assertThat(v.max()).isEqualTo(10_000);
        assertThat(v.percent()).isEqualTo(25);
        assertThat(v.rate()).isEqualTo("500 rows/s");
        assertThat(v.eta()).isEqualTo("15.0 s");
        assertThat(v.unfinished()).isTrue();
    }

    @Test
    void anEstimateBelowWhatWasReadNeverShowsMoreThanAFullBar() {
        BackfillsPage.BackfillView v = BackfillsPage.view(row(BackfillState.ACTIVE, 900L, 1_000, 0, 1), "hook");
        assertThat(v.max()).isEqualTo(1_000);
        assertThat(v.percent()).isEqualTo(100);
    }

    @Test
    void aCompletedBackfillIsFull_evenOfAnEmptyTable() {
        BackfillsPage.BackfillView done =
                BackfillsPage.view(row(BackfillState.COMPLETED, 5_000L, 4_990, 0, 10), "hook");
        assertThat(done.value()).isEqualTo(done.max()).isEqualTo(4_990);
        assertThat(done.percent()).isEqualTo(100);
        assertThat(done.eta()).isEqualTo("—");
        BackfillsPage.BackfillView empty = BackfillsPage.view(row(BackfillState.COMPLETED, 0L, 0, 0, 1), "hook");
        assertThat(empty.value()).isEqualTo(empty.max()).isEqualTo(1);
        assertThat(empty.percent()).isEqualTo(100);
    }

    @Test
    void beforeACountOrARateThereIsNeither() {
        BackfillsPage.BackfillView v = BackfillsPage.view(row(BackfillState.ACTIVE, null, 0, 0, 0), "hook");
        assertThat(v.max()).isZero();
        assertThat(v.percent()).isZero();
        assertThat(v.rate()).isEqualTo("—");
        assertThat(v.eta()).isEqualTo("—");
    }
}
