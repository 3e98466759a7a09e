package dev.sluice.server.console;

import java.util.Locale;

/** How the console's templates write numbers: bytes, rates and durations, short and in one style. */
final class Format {
    private Format() {}

    /** {@code 1.5 MiB}; an em dash for a negative (unknown) count. */
    static String bytes(long n) {
        if (n < 0) {
            return "—";
        }
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? n + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** Messages per second: whole numbers from 10 up, one decimal below. */
    static String rate(double perSecond) {
        return perSecond >= 10
                ? String.format(Locale.ROOT, "%,.0f", perSecond)
                : String.format(Locale.ROOT, "%.1f", perSecond);
    }

    /** {@code 850 ms}, {@code 12.3 s}, {@code 4 min 5 s}, {@code 2 h 3 min}. */
    static String seconds(double s) {
        if (Double.isNaN(s) || s < 0) {
            return "—";
        }
        if (s < 1) {
            return Math.round(s * 1000) + " ms";
        }
        if (s < 60) {
            return String.format(Locale.ROOT, "%.1f s", s);
        }
        long whole = Math.round(s);
        if (whole < 3600) {
            return whole / 60 + " min " + whole % 60 + " s";
        }
        return whole / 3600 + " h " + (whole % 3600) / 60 + " min";
    }
}
