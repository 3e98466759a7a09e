package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StreamApiTest {
    @Test
    void parseWait_readsMillisecondsAndSequinsUnits() {
        assertThat(StreamApi.parseWait("1500")).isEqualTo(1500);
        assertThat(StreamApi.parseWait("250ms")).isEqualTo(250);
        assertThat(StreamApi.parseWait("60s")).isEqualTo(60_000);
        assertThat(StreamApi.parseWait("5m")).isEqualTo(StreamApi.MAX_WAIT_MS);
        assertThat(StreamApi.parseWait(" 2 s ")).isEqualTo(2000);
    }

    @Test
    void parseWait_rejectsOtherForms() {
        assertThat(StreamApi.parseWait("")).isEqualTo(-1);
        assertThat(StreamApi.parseWait("1h")).isEqualTo(-1);
        assertThat(StreamApi.parseWait("-5s")).isEqualTo(-1);
        assertThat(StreamApi.parseWait("1.5s")).isEqualTo(-1);
        assertThat(StreamApi.parseWait("soon")).isEqualTo(-1);
    }
}
