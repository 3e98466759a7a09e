package dev.sluice.postgres.types;

import static dev.sluice.postgres.types.Render.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.TimestampFormat;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;

class DateTimeCodecsTest {
    private static final TimestampFormat UNIX = TimestampFormat.UNIX_MICROSECOND;

    /**
     * The common-case rewrite of timestamps (UTC offset {@code +00}, four-digit AD year) writes what the general path
     * writes, for valid values and for text that only looks like one.
     */
    @Test
    void timestamps_commonCaseWritesWhatTheGeneralPathWrites() {
        java.util.Random random = new java.util.Random(3);
        String[] odd = {
            "2024-02-29 23:59:59", "2023-02-29 00:00:00", "2024-13-01 00:00:00", "2024-04-31 00:00:00",
            "0000-01-01 00:00:00", "0001-01-01 00:00:00.000001", "9999-12-31 23:59:59.999999", "2024-01-01 24:00:00",
            "2024-01-01 00:60:00", "2024-01-01 00:00:60", "2024-01-01 00:00:00.", "2024-01-01 00:00:00.1234567",
            "2024-1-01 00:00:00", "2024-01-01 0a:00:00"
        };
        java.util.List<String> cases = new java.util.ArrayList<>(java.util.List.of(odd));
        for (int i = 0; i < 2_000; i++) {
            LocalDateTime t =
                    LocalDateTime.ofEpochSecond(random.nextLong(-62_000_000_000L, 253_000_000_000L), 0, ZoneOffset.UTC);
            String fraction = random.nextBoolean() ? "" : "." + "123456".substring(0, 1 + random.nextInt(6));
            cases.add(t.toLocalDate() + " "
                    + t.toLocalTime().withNano(0).toString().replaceAll("^(\\d\\d:\\d\\d)$", "$1:00") + fraction);
        }
        for (String c : cases) {
            for (boolean zone : new boolean[] {true, false}) {
                String text = zone ? c + "+00" : c;
                dev.sluice.core.JsonWriter general = new dev.sluice.core.JsonWriter();
                DateTimeCodecs.writeAnyTimestamp(general, text, TimestampFormat.ISO8601, zone);
                assertThat(json(zone ? DateTimeCodecs.TIMESTAMPTZ : DateTimeCodecs.TIMESTAMP, text))
                        .as(text)
                        .isEqualTo(general.toString());
            }
        }
        assertThat(json(DateTimeCodecs.TIMESTAMPTZ, "2024-02-29 23:59:59.5+00"))
                .isEqualTo("\"2024-02-29T23:59:59.500000Z\"");
        assertThat(json(DateTimeCodecs.TIMESTAMPTZ, "2023-02-29 00:00:00+00")).isEqualTo("\"2023-02-29 00:00:00+00\"");
    }

    @Test
    void date_isoPassesThrough() {
        assertThat(json(DateTimeCodecs.DATE, "2024-01-02")).isEqualTo("\"2024-01-02\"");
        assertThat(json(DateTimeCodecs.DATE, "2024-02-29")).isEqualTo("\"2024-02-29\"");
        assertThat(json(DateTimeCodecs.DATE, "0001-01-01")).isEqualTo("\"0001-01-01\"");
    }

    @Test
    void date_bcUsesAstronomicalYear() {
        assertThat(json(DateTimeCodecs.DATE, "0001-01-01 BC")).isEqualTo("\"0000-01-01\"");
        assertThat(json(DateTimeCodecs.DATE, "0044-03-15 BC")).isEqualTo("\"-0043-03-15\"");
        assertThat(json(DateTimeCodecs.DATE, "4714-11-24 BC")).isEqualTo("\"-4713-11-24\"");
    }

    @Test
    void date_farFutureGetsPlusSign() {
        assertThat(json(DateTimeCodecs.DATE, "5874897-12-31")).isEqualTo("\"+5874897-12-31\"");
        assertThat(json(DateTimeCodecs.DATE, "10000-01-01")).isEqualTo("\"+10000-01-01\"");
    }

    @Test
    void date_infinityAndGarbageStayStrings() {
        assertThat(json(DateTimeCodecs.DATE, "infinity")).isEqualTo("\"infinity\"");
        assertThat(json(DateTimeCodecs.DATE, "-infinity", UNIX)).isEqualTo("\"-infinity\"");
        assertThat(json(DateTimeCodecs.DATE, "01/02/2024")).isEqualTo("\"01/02/2024\"");
        assertThat(json(DateTimeCodecs.DATE, "2024-02-30")).isEqualTo("\"2024-02-30\"");
    }

    @Test
    void time_writesSixFractionDigits() {
        assertThat(json(DateTimeCodecs.TIME, "12:34:56.789")).isEqualTo("\"12:34:56.789000\"");
        assertThat(json(DateTimeCodecs.TIME, "12:34:56")).isEqualTo("\"12:34:56.000000\"");
        assertThat(json(DateTimeCodecs.TIME, "00:00:00.000001")).isEqualTo("\"00:00:00.000001\"");
        assertThat(json(DateTimeCodecs.TIME, "24:00:00")).isEqualTo("\"24:00:00.000000\"");
        assertThat(json(DateTimeCodecs.TIME, "12:34")).isEqualTo("\"12:34\"");
    }

    @Test
    void timetz_keepsItsOffset() {
        assertThat(json(DateTimeCodecs.TIMETZ, "12:34:56.789+05:30")).isEqualTo("\"12:34:56.789000+05:30\"");
        assertThat(json(DateTimeCodecs.TIMETZ, "12:34:56+00")).isEqualTo("\"12:34:56.000000Z\"");
        assertThat(json(DateTimeCodecs.TIMETZ, "01:02:03-08")).isEqualTo("\"01:02:03.000000-08:00\"");
        assertThat(json(DateTimeCodecs.TIMETZ, "01:02:03+05:53:28")).isEqualTo("\"01:02:03.000000+05:53:28\"");
        assertThat(json(DateTimeCodecs.TIMETZ, "01:02:03")).isEqualTo("\"01:02:03\"");
    }

    @Test
    void timestamp_writesIsoWithSixFractionDigitsAndNoZone() {
        assertThat(json(DateTimeCodecs.TIMESTAMP, "2024-01-02 03:04:05.123456"))
                .isEqualTo("\"2024-01-02T03:04:05.123456\"");
        assertThat(json(DateTimeCodecs.TIMESTAMP, "2024-01-02 03:04:05.1")).isEqualTo("\"2024-01-02T03:04:05.100000\"");
        assertThat(json(DateTimeCodecs.TIMESTAMP, "2024-01-02 03:04:05")).isEqualTo("\"2024-01-02T03:04:05.000000\"");
        assertThat(json(DateTimeCodecs.TIMESTAMP, "0044-03-15 12:00:00 BC"))
                .isEqualTo("\"-0043-03-15T12:00:00.000000\"");
        assertThat(json(DateTimeCodecs.TIMESTAMP, "294276-12-31 23:59:59.999999"))
                .isEqualTo("\"+294276-12-31T23:59:59.999999\"");
    }

    @Test
    void timestamp_unixMicrosecond() {
        assertThat(json(DateTimeCodecs.TIMESTAMP, "1970-01-01 00:00:00", UNIX)).isEqualTo("0");
        assertThat(json(DateTimeCodecs.TIMESTAMP, "2024-01-02 03:04:05.123456", UNIX))
                .isEqualTo(Long.toString(micros(
                        LocalDateTime.of(2024, 1, 2, 3, 4, 5, 123_456_000).toInstant(ZoneOffset.UTC))));
        assertThat(json(DateTimeCodecs.TIMESTAMP, "1969-12-31 23:59:59.999999", UNIX))
                .isEqualTo("-1");
        assertThat(json(DateTimeCodecs.TIMESTAMP, "infinity", UNIX)).isEqualTo("\"infinity\"");
        assertThat(json(DateTimeCodecs.TIMESTAMP, "4714-11-24 00:00:00 BC", UNIX))
                .isEqualTo(Long.toString(micros(Instant.parse("-4713-11-24T00:00:00Z"))));
    }

    @Test
    void timestamp_unixMicrosecondBeyondLongStaysExact() {
        // Postgres' last timestamp is about 29 years past what a long of microseconds since 1970 holds
        assertThat(json(DateTimeCodecs.TIMESTAMP, "294276-12-31 23:59:59.999999", UNIX))
                .isEqualTo("9224318015999999999");
    }

    @Test
    void timestamptz_convertsAnyOffsetToUtc() {
        assertThat(json(DateTimeCodecs.TIMESTAMPTZ, "2024-01-02 03:04:05.123456+00"))
                .isEqualTo("\"2024-01-02T03:04:05.123456Z\"");
        assertThat(json(DateTimeCodecs.TIMESTAMPTZ, "2024-01-02 08:34:05.123456+05:30"))
                .isEqualTo("\"2024-01-02T03:04:05.123456Z\"");
        assertThat(json(DateTimeCodecs.TIMESTAMPTZ, "2024-01-01 22:04:05-05"))
                .isEqualTo("\"2024-01-02T03:04:05.000000Z\"");
        assertThat(json(DateTimeCodecs.TIMESTAMPTZ, "1900-01-01 05:53:28+05:53:28"))
                .isEqualTo("\"1900-01-01T00:00:00.000000Z\"");
        assertThat(json(DateTimeCodecs.TIMESTAMPTZ, "2024-03-01 01:00:00+02"))
                .isEqualTo("\"2024-02-29T23:00:00.000000Z\"");
    }

    @Test
    void timestamptz_bcAndInfinity() {
        assertThat(json(DateTimeCodecs.TIMESTAMPTZ, "0044-03-15 12:00:00+00 BC"))
                .isEqualTo("\"-0043-03-15T12:00:00.000000Z\"");
        assertThat(json(DateTimeCodecs.TIMESTAMPTZ, "infinity")).isEqualTo("\"infinity\"");
        assertThat(json(DateTimeCodecs.TIMESTAMPTZ, "-infinity")).isEqualTo("\"-infinity\"");
    }

    @Test
    void timestamptz_unixMicrosecondIsUtc() {
        assertThat(json(DateTimeCodecs.TIMESTAMPTZ, "2024-01-02 08:34:05.123456+05:30", UNIX))
                .isEqualTo(Long.toString(micros(Instant.parse("2024-01-02T03:04:05.123456Z"))));
        assertThat(json(DateTimeCodecs.TIMESTAMPTZ, "0044-03-15 12:00:00+00 BC", UNIX))
                .isEqualTo(Long.toString(micros(Instant.parse("-0043-03-15T12:00:00Z"))));
    }

    @Test
    void timestamptz_garbageStaysString() {
        assertThat(json(DateTimeCodecs.TIMESTAMPTZ, "2024-01-02 03:04:05")).isEqualTo("\"2024-01-02 03:04:05\"");
        assertThat(json(DateTimeCodecs.TIMESTAMPTZ, "Tue Jan 02 03:04:05 2024 UTC"))
                .isEqualTo("\"Tue Jan 02 03:04:05 2024 UTC\"");
        assertThat(json(DateTimeCodecs.TIMESTAMP, "2024-01-02 03:04:05+00")).isEqualTo("\"2024-01-02 03:04:05+00\"");
    }

    private static long micros(Instant i) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, i);
    }
}
