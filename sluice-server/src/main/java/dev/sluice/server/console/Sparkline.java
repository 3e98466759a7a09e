package dev.sluice.server.console;

import java.util.Locale;

/** A small line chart drawn by the server as SVG points, so a table row needs no script to show a trend. */
final class Sparkline {
    static final int WIDTH = 120;
    static final int HEIGHT = 24;
    /** Points shown: the last two minutes at one sample a second. */
    static final int POINTS = 120;

    private Sparkline() {}

    /**
     * The {@code points} of an SVG polyline in a {@value #WIDTH}×{@value #HEIGHT} box for the last {@value #POINTS}
     * of {@code values}, scaled to their maximum (a flat line at the bottom when all are 0); empty for no values.
     */
    static String path(double[] values) {
        int from = Math.max(0, values.length - POINTS);
        int n = values.length - from;
        if (n == 0) {
            return "";
        }
        double max = 0;
        for (int i = from; i < values.length; i++) {
            max = Math.max(max, values[i]);
        }
        StringBuilder out = new StringBuilder();
        double step = n == 1 ? 0 : (double) WIDTH / (POINTS - 1);
        double x0 = WIDTH - step * (n - 1);
        for (int i = 0; i < n; i++) {
            double v = values[from + i];
            double y = max <= 0 ? HEIGHT - 1 : (HEIGHT - 1) - (v / max) * (HEIGHT - 2);
            if (i > 0) {
                out.append(' ');
            }
            out.append(String.format(Locale.ROOT, "%.1f,%.1f", x0 + step * i, y));
        }
        return out.toString();
    }
}
