package dev.sluice.postgres.types;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IntervalCodecTest {

    private static String json(String text) {
        return Render.json(IntervalCodec.INSTANCE, text);
    }

    private static String obj(long months, long days, long micros) {
        return "{\"months\":" + months + ",\"days\":" + days + ",\"microseconds\":" + micros + "}";
    }

    @Test
    void iso8601_allFields() {
        assertThat(json("P1Y2M3DT4H5M6.789S")).isEqualTo(obj(14, 3, 14_706_789_000L));
        assertThat(json("PT0S")).isEqualTo(obj(0, 0, 0));
        assertThat(json("P2W")).isEqualTo(obj(0, 14, 0));
        assertThat(json("PT0.000001S")).isEqualTo(obj(0, 0, 1));
    }

    @Test
    void iso8601_negativeParts() {
        assertThat(json("P-1Y-2M3DT-4H-5M-6.789S")).isEqualTo(obj(-14, 3, -14_706_789_000L));
        assertThat(json("PT-0.5S")).isEqualTo(obj(0, 0, -500_000));
        assertThat(json("P-178956970Y-8M")).isEqualTo(obj(-2_147_483_648L, 0, 0));
    }

    @Test
    void postgresStyle() {
        assertThat(json("1 year 2 mons 3 days 04:05:06.789")).isEqualTo(obj(14, 3, 14_706_789_000L));
        assertThat(json("-1 years -2 mons +3 days -04:05:06.789")).isEqualTo(obj(-14, 3, -14_706_789_000L));
        assertThat(json("00:00:00")).isEqualTo(obj(0, 0, 0));
        assertThat(json("3 days")).isEqualTo(obj(0, 3, 0));
        assertThat(json("-00:00:00.5")).isEqualTo(obj(0, 0, -500_000));
        assertThat(json("2562047788:00:54.775807")).isEqualTo(obj(0, 0, Long.MAX_VALUE));
    }

    @Test
    void postgresVerboseStyle() {
        assertThat(json("@ 1 year 2 mons 3 days 4 hours 5 mins 6.789 secs")).isEqualTo(obj(14, 3, 14_706_789_000L));
        assertThat(json("@ 1 day 2 hours ago")).isEqualTo(obj(0, -1, -7_200_000_000L));
    }

    @Test
    void infinityAndUnknownStylesStayStrings() {
        assertThat(json("infinity")).isEqualTo("\"infinity\"");
        assertThat(json("-infinity")).isEqualTo("\"-infinity\"");
        assertThat(json("1-2 3 4:05:06")).isEqualTo("\"1-2 3 4:05:06\"");
        assertThat(json("P1.5Y")).isEqualTo("\"P1.5Y\"");
        assertThat(json("P")).isEqualTo("\"P\"");
        assertThat(json("")).isEqualTo("\"\"");
        assertThat(json("3 fortnights")).isEqualTo("\"3 fortnights\"");
    }
}
