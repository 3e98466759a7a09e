package dev.sluice.postgres.types;

import dev.sluice.core.JsonWriter;
import dev.sluice.core.TimestampFormat;
import dev.sluice.core.ValueCodec;

/**
 * interval → {@code {"months": m, "days": d, "microseconds": us}}, the three fields Postgres stores.
 * Years count 12 months, weeks 7 days, hours and minutes go into microseconds; each field keeps its
 * own sign, as in Postgres.
 *
 * <p>Reads the {@code iso_8601} IntervalStyle ({@code P1Y2M3DT4H5M6.789S},
 * {@code P-1Y-2M3DT-4H-5M-6.789S}, {@code PT0S}) and the default {@code postgres} and
 * {@code postgres_verbose} styles ({@code 1 year 2 mons 3 days -04:05:06.789},
 * {@code @ 1 year 2 mons ago}). Other text ({@code sql_standard} style) is written as a string;
 * {@code infinity} and {@code -infinity} (Postgres 17) stay strings.
 */
final class IntervalCodec implements ValueCodec {
    static final IntervalCodec INSTANCE = new IntervalCodec();

    private static final long MICROS_PER_SECOND = 1_000_000L;
    private static final long MICROS_PER_MINUTE = 60 * MICROS_PER_SECOND;
    private static final long MICROS_PER_HOUR = 60 * MICROS_PER_MINUTE;

    private IntervalCodec() {}

    @Override
    public void write(JsonWriter out, String text, TimestampFormat format) {
        Parsed p = new Parsed();
        boolean ok = !text.isEmpty() && text.charAt(0) == 'P' ? p.iso(text) : p.postgres(text);
        if (!ok) {
            out.writeString(text);
            return;
        }
        out.writeStartObject();
        out.writeName("months");
        out.writeNumber(p.months);
        out.writeName("days");
        out.writeNumber(p.days);
        out.writeName("microseconds");
        out.writeNumber(p.micros);
        out.writeEndObject();
    }

    /** The fields of one interval while its text is read. */
    static final class Parsed {
        private static final int NO_NUMBER = 0;
        private static final int WHOLE = 1;
        private static final int FRACTIONAL = 2;

        long months;
        long days;
        long micros;

        // the last number read by number(): whole part, fraction in microseconds, both signed
        private long whole;
        private long fractionMicros;
        private int pos;

        /** {@code P[nY][nM][nW][nD][T[nH][nM][n[.f]S]]}, each n optionally signed. */
        boolean iso(String s) {
            pos = 1;
            boolean timePart = false;
            if (pos == s.length()) {
                return false;
            }
            while (pos < s.length()) {
                if (s.charAt(pos) == 'T' && !timePart) {
                    timePart = true;
                    pos++;
                    continue;
                }
                int number = number(s);
                if (number == NO_NUMBER || pos >= s.length()) {
                    return false;
                }
                char unit = s.charAt(pos++);
                if (number == FRACTIONAL && !(timePart && unit == 'S')) {
                    return false;
                }
                if (!timePart) {
                    switch (unit) {
                        case 'Y' -> months += whole * 12;
                        case 'M' -> months += whole;
                        case 'W' -> days += whole * 7;
                        case 'D' -> days += whole;
                        default -> {
                            return false;
                        }
                    }
                } else {
                    switch (unit) {
                        case 'H' -> micros += whole * MICROS_PER_HOUR;
                        case 'M' -> micros += whole * MICROS_PER_MINUTE;
                        case 'S' -> micros += whole * MICROS_PER_SECOND + fractionMicros;
                        default -> {
                            return false;
                        }
                    }
                }
            }
            return true;
        }

        /**
         * Space-separated {@code <n> <unit>} pairs and an optional {@code [±]H:MM:SS[.f]} time,
         * with an optional leading {@code @} and trailing {@code ago} (verbose style).
         */
        boolean postgres(String s) {
            int n = s.length();
            pos = 0;
            boolean any = false;
            boolean ago = false;
            while (true) {
                while (pos < n && s.charAt(pos) == ' ') {
                    pos++;
                }
                if (pos >= n) {
                    break;
                }
                if (ago) {
                    return false; // nothing may follow "ago"
                }
                if (s.charAt(pos) == '@' && !any) {
                    pos++;
                    continue;
                }
                if (s.startsWith("ago", pos) && any && (pos + 3 == n || s.charAt(pos + 3) == ' ')) {
                    ago = true;
                    pos += 3;
                    continue;
                }
                int tokenEnd = s.indexOf(' ', pos);
                if (tokenEnd < 0) {
                    tokenEnd = n;
                }
                if (s.indexOf(':', pos) >= 0 && s.indexOf(':', pos) < tokenEnd) {
                    if (!clock(s, tokenEnd)) {
                        return false;
                    }
                } else if (!quantity(s, n)) {
                    return false;
                }
                any = true;
            }
            if (ago) {
                months = -months;
                days = -days;
                micros = -micros;
            }
            return any;
        }

        /** {@code <number> <unit>}. */
        private boolean quantity(String s, int n) {
            int number = number(s);
            if (number == NO_NUMBER || pos >= n || s.charAt(pos) != ' ') {
                return false;
            }
            int unitStart = ++pos;
            while (pos < n && s.charAt(pos) != ' ') {
                pos++;
            }
            int len = pos - unitStart;
            if (unit(s, unitStart, len, "year", "years")) {
                months += whole * 12;
            } else if (unit(s, unitStart, len, "mon", "mons") || unit(s, unitStart, len, "month", "months")) {
                months += whole;
            } else if (unit(s, unitStart, len, "week", "weeks")) {
                days += whole * 7;
            } else if (unit(s, unitStart, len, "day", "days")) {
                days += whole;
            } else if (unit(s, unitStart, len, "hour", "hours")) {
                micros += whole * MICROS_PER_HOUR;
            } else if (unit(s, unitStart, len, "min", "mins") || unit(s, unitStart, len, "minute", "minutes")) {
                micros += whole * MICROS_PER_MINUTE;
            } else if (unit(s, unitStart, len, "sec", "secs") || unit(s, unitStart, len, "second", "seconds")) {
                micros += whole * MICROS_PER_SECOND + fractionMicros;
                return true;
            } else {
                return false;
            }
            return number == WHOLE;
        }

        private static boolean unit(String s, int start, int len, String singular, String plural) {
            return len == singular.length() && s.regionMatches(start, singular, 0, len)
                    || len == plural.length() && s.regionMatches(start, plural, 0, len);
        }

        /** {@code [±]H+:MM[:SS[.f]]} up to {@code end}. */
        private boolean clock(String s, int end) {
            boolean negative = false;
            if (s.charAt(pos) == '-' || s.charAt(pos) == '+') {
                negative = s.charAt(pos) == '-';
                pos++;
            }
            long hours = digits(s, end, 1, 18);
            if (hours < 0 || !accept(s, end, ':')) {
                return false;
            }
            long minutes = digits(s, end, 2, 2);
            if (minutes < 0) {
                return false;
            }
            long value = hours * MICROS_PER_HOUR + minutes * MICROS_PER_MINUTE;
            if (accept(s, end, ':')) {
                long seconds = digits(s, end, 2, 2);
                if (seconds < 0) {
                    return false;
                }
                value += seconds * MICROS_PER_SECOND;
                if (accept(s, end, '.')) {
                    long fraction = fraction(s, end);
                    if (fraction < 0) {
                        return false;
                    }
                    value += fraction;
                }
            }
            if (pos != end) {
                return false;
            }
            micros += negative ? -value : value;
            return true;
        }

        /**
         * Reads a signed decimal into {@link #whole} and {@link #fractionMicros}; returns
         * {@link #NO_NUMBER}, {@link #WHOLE} or {@link #FRACTIONAL}.
         */
        private int number(String s) {
            int n = s.length();
            boolean negative = false;
            if (pos < n && (s.charAt(pos) == '-' || s.charAt(pos) == '+')) {
                negative = s.charAt(pos) == '-';
                pos++;
            }
            long w = digits(s, n, 1, 18);
            if (w < 0) {
                return NO_NUMBER;
            }
            long f = 0;
            int kind = WHOLE;
            if (accept(s, n, '.')) {
                f = fraction(s, n);
                if (f < 0) {
                    return NO_NUMBER;
                }
                kind = FRACTIONAL;
            }
            whole = negative ? -w : w;
            fractionMicros = negative ? -f : f;
            return kind;
        }

        /** 1 to 6 fraction digits as microseconds, or -1. */
        private long fraction(String s, int end) {
            int start = pos;
            long f = digits(s, end, 1, 6);
            if (f < 0) {
                return -1;
            }
            for (int i = pos - start; i < 6; i++) {
                f *= 10;
            }
            return f;
        }

        private boolean accept(String s, int end, char c) {
            if (pos < end && s.charAt(pos) == c) {
                pos++;
                return true;
            }
            return false;
        }

        private long digits(String s, int end, int min, int max) {
            long value = 0;
            int start = pos;
            while (pos < end && pos - start < max && ScalarCodecs.isDigit(s.charAt(pos))) {
                value = value * 10 + (s.charAt(pos++) - '0');
            }
            return pos - start >= min ? value : -1;
        }
    }
}
