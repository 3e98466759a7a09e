package dev.sluice.postgres.backfill;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WatermarkTest {
    @Test
    void parse_readsBackWhatContentWrites_evenWithColonsInTheBackfillId() {
        Watermark low = new Watermark("bf:with:colons", "a1b2", 7, false);
        Watermark high = new Watermark("42", "ff", 1, true);

        assertThat(low.content()).isEqualTo("bf:with:colons:a1b2:7:low");
        assertThat(Watermark.parse(low.content())).isEqualTo(low);
        assertThat(Watermark.parse(high.content())).isEqualTo(high);
    }

    @Test
    void parse_rejectsWhatIsNotAWatermark() {
        assertThat(Watermark.parse("")).isNull();
        assertThat(Watermark.parse("just-text")).isNull();
        assertThat(Watermark.parse("id:run:x:high")).as("page not a number").isNull();
        assertThat(Watermark.parse("id:run:3:middle"))
                .as("neither low nor high")
                .isNull();
        assertThat(Watermark.parse(":run:3:low")).as("no backfill id").isNull();
    }

    @Test
    void parseSnapshot_keepsTheLow32BitsOfEpochQualifiedXids() {
        BackfillSource.Snapshot none = BackfillSource.parseSnapshot("100:105:");
        BackfillSource.Snapshot some = BackfillSource.parseSnapshot(
                ((1L << 32) + 7) + ":" + ((1L << 32) + 12) + ":" + ((1L << 32) + 8) + "," + ((1L << 32) + 10));

        assertThat(none.xmin()).isEqualTo(100);
        assertThat(none.inProgress()).isEmpty();
        assertThat(some.xmin()).isEqualTo(7);
        assertThat(some.inProgress()).containsExactly(8, 10);
    }
}
