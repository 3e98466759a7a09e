package dev.sluice.postgres.types;

import dev.sluice.core.JsonWriter;
import dev.sluice.core.TimestampFormat;
import dev.sluice.core.ValueCodec;
import java.math.BigInteger;
import java.time.DateTimeException;
import java.time.LocalDate;

/**
 * Codecs of date, time, timetz, timestamp and timestamptz, reading the ISO DateStyle output
 * ({@code 2024-01-02 03:04:05.5+05:30}, {@code 0044-03-15 BC}) and writing ISO-8601 with six
 * fraction digits. timestamptz is converted to UTC from whatever offset the session's TimeZone gave
 * it, offsets with seconds included ({@code +05:53:28}, local mean time of old dates).
 *
 * <p>Years follow ISO-8601 as {@code java.time} prints them, so values parse back with
 * {@code java.time}: BC dates use astronomical numbering (1 BC is {@code 0000}, 44 BC is
 * {@code -0043}) and years past 9999 carry a {@code +}. {@code infinity} and {@code -infinity} stay
 * strings in both timestamp formats.
 */
final class DateTimeCodecs {
    private DateTimeCodecs() {}

    static final ValueCodec DATE = DateTimeCodecs::writeDate;
    static final ValueCodec TIME = (out, text, format) -> writeTime(out, text, false);
    static final ValueCodec TIMETZ = (out, text, format) -> writeTime(out, text, true);
    static final ValueCodec TIMESTAMP = (out, text, format) -> writeTimestamp(out, text, format, false);
    static final ValueCodec TIMESTAMPTZ = (out, text, format) -> writeTimestamp(out, text, format, true);

    private static final long MICROS_PER_SECOND = 1_000_000L;
    private static final long MICROS_PER_DAY = 86_400L * MICROS_PER_SECOND;
    private static final int NO_OFFSET = Integer.MIN_VALUE;
    private static final long INVALID = Long.MIN_VALUE;

    private static boolean isInfinity(String text) {
        return text.equals("infinity") || text.equals("-infinity");
    }

    private static void writeDate(JsonWriter out, String text, TimestampFormat format) {
        if (isInfinity(text)) {
            out.writeString(text);
            return;
        }
        Cursor c = new Cursor(text);
        long epochDay = c.date();
        if (epochDay == INVALID || !c.atEnd()) {
            out.writeString(text);
            return;
        }
        char[] buf = new char[24];
        int len = formatDate(buf, 0, epochDay);
        out.writeString(buf, 0, len);
    }

    private static void writeTime(JsonWriter out, String text, boolean withZone) {
        Cursor c = new Cursor(text);
        long micros = c.time();
        int offset = withZone ? c.offset() : 0;
        if (micros == INVALID || offset == NO_OFFSET || !c.atEnd() || c.bc) {
            out.writeString(text);
            return;
        }
        char[] buf = new char[32];
        int len = formatTime(buf, 0, micros);
        if (withZone) {
            len = formatOffset(buf, len, offset);
        }
        out.writeString(buf, 0, len);
    }

    private static void writeTimestamp(JsonWriter out, String text, TimestampFormat format, boolean withZone) {
        if (format != TimestampFormat.ISO8601 || !writeCommonTimestamp(out, text, withZone)) {
            writeAnyTimestamp(out, text, format, withZone);
        }
    }

    /** The general path of {@link #writeTimestamp}, which parses. */
    static void writeAnyTimestamp(JsonWriter out, String text, TimestampFormat format, boolean withZone) {
        if (isInfinity(text)) {
            out.writeString(text);
            return;
        }
        Cursor c = new Cursor(text);
        long epochDay = c.date();
        if (epochDay == INVALID || !c.accept(' ') && !c.accept('T')) {
            out.writeString(text);
            return;
        }
        long micros = c.time();
        int offset = withZone ? c.offset() : 0;
        if (micros == INVALID || offset == NO_OFFSET || !c.atEnd()) {
            out.writeString(text);
            return;
        }
        // Day and time of day are kept apart: Postgres' last years (to 294276 AD) do not fit in
        // a long of microseconds since 1970.
        micros -= offset * MICROS_PER_SECOND;
        epochDay += Math.floorDiv(micros, MICROS_PER_DAY);
        micros = Math.floorMod(micros, MICROS_PER_DAY);
        if (format == TimestampFormat.UNIX_MICROSECOND) {
            writeEpochMicros(out, epochDay, micros);
        } else {
            char[] buf = new char[40];
            int len = formatDate(buf, 0, epochDay);
            buf[len++] = 'T';
            len = formatTime(buf, len, micros);
            if (withZone) {
                buf[len++] = 'Z';
            }
            out.writeString(buf, 0, len);
        }
    }

    /**
     * The common case without parsing: {@code yyyy-MM-dd HH:mm:ss[.f{1,6}]} (AD, four-digit year), with {@code +00}
     * for timestamptz (a UTC session's offset), is rewritten in place as the general path would write it. Returns
     * false, having written nothing, for anything else.
     */
    private static boolean writeCommonTimestamp(JsonWriter out, String text, boolean withZone) {
        int n = text.length() - (withZone ? 3 : 0);
        if (n < 19 || n > 26 || n == 20) {
            return false;
        }
        if (withZone && !(text.charAt(n) == '+' && text.charAt(n + 1) == '0' && text.charAt(n + 2) == '0')) {
            return false;
        }
        if (text.charAt(4) != '-'
                || text.charAt(7) != '-'
                || text.charAt(10) != ' '
                || text.charAt(13) != ':'
                || text.charAt(16) != ':'
                || (n > 19 && text.charAt(19) != '.')) {
            return false;
        }
        for (int i : DIGIT_AT) {
            if (!ScalarCodecs.isDigit(text.charAt(i))) {
                return false;
            }
        }
        for (int i = 20; i < n; i++) {
            if (!ScalarCodecs.isDigit(text.charAt(i))) {
                return false;
            }
        }
        int year = number(text, 0) * 100 + number(text, 2);
        int month = number(text, 5);
        int day = number(text, 8);
        if (year == 0
                || month < 1
                || month > 12
                || day < 1
                || day > java.time.Month.of(month).length(isLeap(year))
                || number(text, 11) > 23
                || number(text, 14) > 59
                || number(text, 17) > 59) {
            return false;
        }
        char[] buf = new char[27];
        text.getChars(0, 19, buf, 0);
        buf[10] = 'T';
        buf[19] = '.';
        int digits = Math.max(0, n - 20);
        if (digits > 0) {
            text.getChars(20, 20 + digits, buf, 20);
        }
        for (int i = 20 + digits; i < 26; i++) {
            buf[i] = '0';
        }
        if (withZone) {
            buf[26] = 'Z';
        }
        out.writeString(buf, 0, withZone ? 27 : 26);
        return true;
    }

    private static final int[] DIGIT_AT = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};

    private static boolean isLeap(int year) {
        return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    }

    private static int number(String s, int at) {
        return (s.charAt(at) - '0') * 10 + s.charAt(at + 1) - '0';
    }

    private static void writeEpochMicros(JsonWriter out, long epochDay, long microsOfDay) {
        long dayLimit = Long.MAX_VALUE / MICROS_PER_DAY;
        if (epochDay > -dayLimit && epochDay < dayLimit) {
            out.writeNumber(epochDay * MICROS_PER_DAY + microsOfDay);
        } else {
            // still exact: JSON numbers have no size limit, a consumer may read it as a big integer
            out.writeNumber(BigInteger.valueOf(epochDay)
                    .multiply(BigInteger.valueOf(MICROS_PER_DAY))
                    .add(BigInteger.valueOf(microsOfDay)));
        }
    }

    /** Writes {@code yyyy-MM-dd} with ISO-8601 years; returns the new length. */
    static int formatDate(char[] buf, int pos, long epochDay) {
        LocalDate date = LocalDate.ofEpochDay(epochDay);
        int year = date.getYear();
        if (year < 0) {
            buf[pos++] = '-';
        } else if (year > 9999) {
            buf[pos++] = '+';
        }
        int abs = Math.abs(year);
        int width = 4;
        for (int limit = 10000; abs >= limit && width < 10; limit *= 10) {
            width++;
        }
        for (int i = pos + width - 1; i >= pos; i--, abs /= 10) {
            buf[i] = (char) ('0' + abs % 10);
        }
        pos += width;
        buf[pos++] = '-';
        pos = two(buf, pos, date.getMonthValue());
        buf[pos++] = '-';
        return two(buf, pos, date.getDayOfMonth());
    }

    /** Writes {@code HH:mm:ss.SSSSSS}; {@code 24:00:00} stays as Postgres allows it in time. */
    static int formatTime(char[] buf, int pos, long microsOfDay) {
        long seconds = microsOfDay / MICROS_PER_SECOND;
        int fraction = (int) (microsOfDay % MICROS_PER_SECOND);
        pos = two(buf, pos, (int) (seconds / 3600));
        buf[pos++] = ':';
        pos = two(buf, pos, (int) (seconds / 60 % 60));
        buf[pos++] = ':';
        pos = two(buf, pos, (int) (seconds % 60));
        buf[pos++] = '.';
        for (int div = 100_000; div > 0; div /= 10) {
            buf[pos++] = (char) ('0' + fraction / div % 10);
        }
        return pos;
    }

    /** Writes {@code Z} for UTC, else {@code ±HH:mm} or {@code ±HH:mm:ss}. */
    static int formatOffset(char[] buf, int pos, int offsetSeconds) {
        if (offsetSeconds == 0) {
            buf[pos++] = 'Z';
            return pos;
        }
        buf[pos++] = offsetSeconds < 0 ? '-' : '+';
        int abs = Math.abs(offsetSeconds);
        pos = two(buf, pos, abs / 3600);
        buf[pos++] = ':';
        pos = two(buf, pos, abs / 60 % 60);
        if (abs % 60 != 0) {
            buf[pos++] = ':';
            pos = two(buf, pos, abs % 60);
        }
        return pos;
    }

    private static int two(char[] buf, int pos, int value) {
        buf[pos++] = (char) ('0' + value / 10 % 10);
        buf[pos++] = (char) ('0' + value % 10);
        return pos;
    }

    /** Reads the parts of an ISO DateStyle value, left to right; a trailing " BC" is taken off first. */
    private static final class Cursor {
        private final String s;
        private final int end;
        private final boolean bc;
        private int pos;

        Cursor(String s) {
            this.s = s;
            this.bc = s.endsWith(" BC");
            this.end = bc ? s.length() - 3 : s.length();
        }

        boolean atEnd() {
            return pos == end;
        }

        boolean accept(char c) {
            if (pos < end && s.charAt(pos) == c) {
                pos++;
                return true;
            }
            return false;
        }

        /** An unsigned number of {@code min} to {@code max} digits, or -1. */
        private long digits(int min, int max) {
            long value = 0;
            int start = pos;
            while (pos < end && pos - start < max && ScalarCodecs.isDigit(s.charAt(pos))) {
                value = value * 10 + (s.charAt(pos++) - '0');
            }
            return pos - start >= min ? value : -1;
        }

        /** {@code y-MM-dd} as an epoch day, the year read as BC when the text ends with " BC". */
        long date() {
            long year = digits(1, 9);
            if (year < 0 || !accept('-')) {
                return INVALID;
            }
            long month = digits(2, 2);
            if (month < 0 || !accept('-')) {
                return INVALID;
            }
            long day = digits(2, 2);
            if (day < 0) {
                return INVALID;
            }
            try {
                return LocalDate.of((int) (bc ? 1 - year : year), (int) month, (int) day)
                        .toEpochDay();
            } catch (DateTimeException e) {
                return INVALID;
            }
        }

        /** {@code HH:mm:ss[.f{1,6}]} as microseconds of the day. */
        long time() {
            long hour = digits(2, 2);
            if (hour < 0 || hour > 24 || !accept(':')) {
                return INVALID;
            }
            long minute = digits(2, 2);
            if (minute < 0 || minute > 59 || !accept(':')) {
                return INVALID;
            }
            long second = digits(2, 2);
            if (second < 0 || second > 60) {
                return INVALID;
            }
            long micros = ((hour * 60 + minute) * 60 + second) * MICROS_PER_SECOND;
            if (accept('.')) {
                int start = pos;
                long fraction = digits(1, 6);
                if (fraction < 0) {
                    return INVALID;
                }
                for (int i = pos - start; i < 6; i++) {
                    fraction *= 10;
                }
                micros += fraction;
            }
            return micros;
        }

        /** {@code ±HH[:mm[:ss]]} as seconds east of UTC, or {@link #NO_OFFSET}. */
        int offset() {
            int sign;
            if (accept('+')) {
                sign = 1;
            } else if (accept('-')) {
                sign = -1;
            } else {
                return NO_OFFSET;
            }
            long hours = digits(2, 2);
            if (hours < 0) {
                return NO_OFFSET;
            }
            long seconds = hours * 3600;
            if (accept(':')) {
                long minutes = digits(2, 2);
                if (minutes < 0) {
                    return NO_OFFSET;
                }
                seconds += minutes * 60;
                if (accept(':')) {
                    long secs = digits(2, 2);
                    if (secs < 0) {
                        return NO_OFFSET;
                    }
                    seconds += secs;
                }
            }
            return (int) (sign * seconds);
        }
    }
}
