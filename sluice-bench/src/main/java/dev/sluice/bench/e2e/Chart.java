package dev.sluice.bench.e2e;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The benchmark's one picture, drawn with Java2D so the harness needs no charting library: on the left,
 * backlog-drain throughput per system as horizontal bars; on the right, p99 latency per second of each
 * live run, with the 25 ms target as a dashed line.
 */
public final class Chart {
    static final int WIDTH = 1400;
    static final int HEIGHT = 700;
    static final double TARGET_MS = 25;

    private static final int SPLIT = 600;
    private static final Color INK = new Color(0x22, 0x22, 0x22);
    private static final Color GRID = new Color(0xE3, 0xE3, 0xE3);
    private static final Color MUTED = new Color(0x77, 0x77, 0x77);
    private static final Color TARGET = new Color(0xC6, 0x28, 0x28);
    private static final Color[] SERIES = {
        new Color(0x1F, 0x77, 0xB4),
        new Color(0xFF, 0x7F, 0x0E),
        new Color(0x2C, 0xA0, 0x2C),
        new Color(0x94, 0x67, 0xBD),
        new Color(0x8C, 0x56, 0x4B),
        new Color(0x17, 0xBE, 0xCF),
    };
    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 18);
    private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
    private static final Font SMALL = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

    private Chart() {}

    /** Draws both panels into a {@value #WIDTH}×{@value #HEIGHT} PNG at {@code png}; an empty list draws "no data". */
    public static void write(List<DrainResult> drains, List<LiveResult> live, Path png) {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            g.setColor(GRID);
            g.drawLine(SPLIT, 30, SPLIT, HEIGHT - 30);
            drawThroughput(g, drains);
            drawLatency(g, live);
        } finally {
            g.dispose();
        }
        try {
            Path dir = png.toAbsolutePath().getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            if (!ImageIO.write(image, "png", png.toFile())) {
                throw new IllegalStateException("no PNG writer in this JDK");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + png, e);
        }
    }

    // Left panel: one bar per system, value at the end of the bar.
    private static void drawThroughput(Graphics2D g, List<DrainResult> drains) {
        int left = 30;
        int right = SPLIT - 40;
        title(g, "Backlog drain: throughput (changes/s)", left, right);
        if (drains.isEmpty()) {
            noData(g, left, right);
            return;
        }
        g.setFont(LABEL);
        FontMetrics fm = g.getFontMetrics();
        int nameWidth = 0;
        for (DrainResult d : drains) {
            nameWidth = Math.max(nameWidth, fm.stringWidth(d.system()));
        }
        int plotLeft = left + nameWidth + 12;
        int plotRight = right - 90; // room for the value label of the longest bar
        int top = 80;
        int bottom = HEIGHT - 80;
        double max = 0;
        for (DrainResult d : drains) {
            max = Math.max(max, d.changesPerSecond());
        }
        Axis x = Axis.of(max, 5);

        g.setFont(SMALL);
        for (double v = 0; v <= x.max() + x.step() / 2; v += x.step()) {
            int px = plotLeft + (int) Math.round(v / x.max() * (plotRight - plotLeft));
            g.setColor(GRID);
            g.drawLine(px, top, px, bottom);
            g.setColor(INK);
            g.drawLine(px, bottom, px, bottom + 5);
            centered(g, compact(v), px, bottom + 20);
        }
        g.drawLine(plotLeft, bottom, plotRight, bottom);
        g.drawLine(plotLeft, top, plotLeft, bottom);
        g.setFont(LABEL);
        centered(g, "changes per second", (plotLeft + plotRight) / 2, bottom + 45);

        int slot = (bottom - top) / drains.size();
        int barHeight = Math.min(56, (int) (slot * 0.6));
        for (int i = 0; i < drains.size(); i++) {
            DrainResult d = drains.get(i);
            int cy = top + slot * i + slot / 2;
            int w = (int) Math.round(d.changesPerSecond() / x.max() * (plotRight - plotLeft));
            g.setColor(SERIES[i % SERIES.length]);
            g.fillRect(plotLeft + 1, cy - barHeight / 2, Math.max(w, 1), barHeight);
            g.setColor(INK);
            g.setFont(LABEL);
            g.drawString(d.system(), plotLeft - 8 - fm.stringWidth(d.system()), cy + fm.getAscent() / 2 - 2);
            g.setFont(LABEL.deriveFont(Font.BOLD));
            g.drawString(
                    String.format(Locale.ROOT, "%,.0f", d.changesPerSecond()),
                    plotLeft + w + 8,
                    cy + fm.getAscent() / 2 - 2);
        }
    }

    // Right panel: p99 of each second, one line per live rate, and the target.
    private static void drawLatency(Graphics2D g, List<LiveResult> live) {
        int left = SPLIT + 40;
        int right = WIDTH - 30;
        title(g, "Live: p99 latency per second (commit \u2192 webhook)", left, right);
        if (live.isEmpty()) {
            noData(g, left, right);
            return;
        }
        int plotLeft = left + 50;
        int plotRight = right - 10;
        int top = 80;
        int bottom = HEIGHT - 80;
        double maxMs = TARGET_MS;
        int maxT = 1;
        for (LiveResult r : live) {
            for (LiveResult.Point p : r.timeline()) {
                maxMs = Math.max(maxMs, p.p99Ms());
                maxT = Math.max(maxT, p.t() + 1);
            }
        }
        Axis y = Axis.of(maxMs * 1.05, 6);
        Axis x = Axis.of(maxT, 8);

        g.setFont(SMALL);
        FontMetrics small = g.getFontMetrics();
        for (double v = 0; v <= y.max() + y.step() / 2; v += y.step()) {
            int py = bottom - (int) Math.round(v / y.max() * (bottom - top));
            g.setColor(GRID);
            g.drawLine(plotLeft, py, plotRight, py);
            g.setColor(INK);
            g.drawLine(plotLeft - 5, py, plotLeft, py);
            String label = compact(v);
            g.drawString(label, plotLeft - 8 - small.stringWidth(label), py + small.getAscent() / 2 - 1);
        }
        for (double v = 0; v <= x.max() + x.step() / 2; v += x.step()) {
            int px = plotLeft + (int) Math.round(v / x.max() * (plotRight - plotLeft));
            g.setColor(INK);
            g.drawLine(px, bottom, px, bottom + 5);
            centered(g, compact(v), px, bottom + 20);
        }
        g.setColor(INK);
        g.drawLine(plotLeft, bottom, plotRight, bottom);
        g.drawLine(plotLeft, top, plotLeft, bottom);
        g.setFont(LABEL);
        centered(g, "seconds", (plotLeft + plotRight) / 2, bottom + 45);
        Graphics2D rotated = (Graphics2D) g.create();
        rotated.rotate(-Math.PI / 2);
        rotated.drawString("p99 (ms)", -(top + bottom) / 2 - 28, left + 2);
        rotated.dispose();

        int targetY = bottom - (int) Math.round(TARGET_MS / y.max() * (bottom - top));
        Stroke plain = g.getStroke();
        g.setColor(TARGET);
        g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {8, 6}, 0));
        g.drawLine(plotLeft, targetY, plotRight, targetY);
        g.setStroke(plain);
        g.setFont(SMALL);
        g.drawString("target " + compact(TARGET_MS) + " ms", plotLeft + 6, targetY - 5);

        g.setStroke(new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        for (int i = 0; i < live.size(); i++) {
            g.setColor(SERIES[i % SERIES.length]);
            Path2D.Double line = new Path2D.Double();
            boolean pen = false;
            for (LiveResult.Point p : live.get(i).timeline()) {
                if (p.messages() == 0) {
                    pen = false; // a second without messages has no latency: break the line
                    continue;
                }
                double px = plotLeft + (p.t() + 0.5) / x.max() * (plotRight - plotLeft);
                double py = bottom - p.p99Ms() / y.max() * (bottom - top);
                if (pen) {
                    line.lineTo(px, py);
                } else {
                    line.moveTo(px, py);
                    g.fillOval((int) px - 2, (int) py - 2, 5, 5); // visible even as a single point
                    pen = true;
                }
            }
            g.draw(line);
        }
        g.setStroke(plain);
        legend(g, live, plotRight, top);
    }

    private static void legend(Graphics2D g, List<LiveResult> live, int plotRight, int top) {
        g.setFont(LABEL);
        FontMetrics fm = g.getFontMetrics();
        String[] rows = new String[live.size()];
        int width = 0;
        for (int i = 0; i < rows.length; i++) {
            LiveResult r = live.get(i);
            rows[i] = String.format(
                    Locale.ROOT, "%,d/s   p50 %s  p99 %s ms", r.targetRate(), ms(r.p50Ms()), ms(r.p99Ms()));
            width = Math.max(width, fm.stringWidth(rows[i]));
        }
        int lineHeight = fm.getHeight() + 4;
        int boxWidth = width + 50;
        int x = plotRight - boxWidth - 10;
        int y = top + 10;
        g.setColor(new Color(255, 255, 255, 230));
        g.fillRect(x, y, boxWidth, lineHeight * rows.length + 10);
        g.setColor(GRID);
        g.drawRect(x, y, boxWidth, lineHeight * rows.length + 10);
        Stroke plain = g.getStroke();
        for (int i = 0; i < rows.length; i++) {
            int cy = y + 5 + lineHeight * i + lineHeight / 2;
            g.setColor(SERIES[i % SERIES.length]);
            g.setStroke(new BasicStroke(3f));
            g.drawLine(x + 10, cy, x + 34, cy);
            g.setStroke(plain);
            g.setColor(INK);
            g.drawString(rows[i], x + 42, cy + fm.getAscent() / 2 - 2);
        }
    }

    private static void title(Graphics2D g, String text, int left, int right) {
        g.setColor(INK);
        g.setFont(TITLE);
        centered(g, text, (left + right) / 2, 45);
    }

    private static void noData(Graphics2D g, int left, int right) {
        g.setColor(MUTED);
        g.setFont(TITLE.deriveFont(Font.PLAIN, 22f));
        centered(g, "no data", (left + right) / 2, HEIGHT / 2);
    }

    private static void centered(Graphics2D g, String text, int cx, int baseline) {
        g.drawString(text, cx - g.getFontMetrics().stringWidth(text) / 2, baseline);
    }

    /** 1500 → "1.5k", 2000000 → "2M", 12.5 → "12.5". */
    static String compact(double v) {
        if (v >= 1e6) {
            return trim(v / 1e6) + "M";
        }
        if (v >= 1e3) {
            return trim(v / 1e3) + "k";
        }
        return trim(v);
    }

    private static String ms(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String trim(double v) {
        String s = String.format(Locale.ROOT, "%.2f", v);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }

    /** An axis from 0 to a round maximum, in round steps of 1, 2 or 5 times a power of ten. */
    record Axis(double max, double step) {
        static Axis of(double dataMax, int ticks) {
            double top = dataMax > 0 ? dataMax : 1;
            double raw = top / ticks;
            double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
            double norm = raw / magnitude;
            double step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * magnitude;
            return new Axis(Math.ceil(top / step) * step, step);
        }
    }
}
