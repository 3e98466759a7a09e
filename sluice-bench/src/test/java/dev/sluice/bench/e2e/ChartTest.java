package dev.sluice.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartTest {
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    @TempDir
    Path dir;

    /** Made-up numbers in the shape a real run produces. */
    static List<DrainResult> sampleDrains() {
        return List.of(
                new DrainResult("raw-pgjdbc", 1_000_000, 6.4),
                new DrainResult("sluice-null", 1_000_000, 7.1),
                new DrainResult("sluice-webhook", 1_000_000, 9.8),
                new DrainResult("debezium-embedded", 1_000_000, 31.0));
    }

    static List<LiveResult> sampleLive() {
        List<LiveResult> out = new ArrayList<>();
        int[] rates = {1_000, 5_000, 10_000};
        for (int k = 0; k < rates.length; k++) {
            List<LiveResult.Point> timeline = new ArrayList<>();
            for (int t = 0; t < 30; t++) {
                double p99 = 3 + 4 * k + 2 * Math.sin(t / 3.0) + (t == 12 && k == 2 ? 30 : 0);
                timeline.add(new LiveResult.Point(t, rates[k], p99));
            }
            timeline.add(new LiveResult.Point(30, 0, 0));
            out.add(new LiveResult(
                    rates[k],
                    30,
                    rates[k] * 30L,
                    2 + 3 * k,
                    4 + 4 * k,
                    6 + 5 * k,
                    40 + 10 * k,
                    20 + 30 * k,
                    (200L + 50 * k) << 20,
                    timeline));
        }
        return out;
    }

    @Test
    void drawsBothPanelsIntoAPngOfTheChartSize() throws IOException {
        Path png = dir.resolve("out/chart.png");

        Chart.write(sampleDrains(), sampleLive(), png);

        assertIsPng(png);
    }

    @Test
    void drawsNoDataPanelsForEmptyResults() throws IOException {
        Path png = dir.resolve("empty.png");

        Chart.write(List.of(), List.of(), png);

        assertIsPng(png);
    }

    @Test
    void oneLiveRunWithOneSecondAndOneDrainStillDraw() throws IOException {
        Path png = dir.resolve("tiny.png");
        LiveResult one = new LiveResult(500, 1, 500, 1, 2, 3, 4, 5, 6, List.of(new LiveResult.Point(0, 500, 3)));

        Chart.write(List.of(new DrainResult("raw-pgjdbc", 0, 0)), List.of(one), png);

        assertIsPng(png);
    }

    @Test
    void axesUseRoundSteps() {
        assertThat(Chart.Axis.of(163_000, 5)).isEqualTo(new Chart.Axis(200_000, 50_000));
        assertThat(Chart.Axis.of(26.25, 6)).isEqualTo(new Chart.Axis(30, 5));
        assertThat(Chart.Axis.of(0, 5).max()).isPositive();
        assertThat(Chart.compact(150_000)).isEqualTo("150k");
        assertThat(Chart.compact(1_250_000)).isEqualTo("1.25M");
        assertThat(Chart.compact(2.5)).isEqualTo("2.5");
    }

    private static void assertIsPng(Path png) throws IOException {
        byte[] bytes = Files.readAllBytes(png);
        assertThat(bytes).startsWith(PNG_SIGNATURE);
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isEqualTo(Chart.WIDTH);
        assertThat(image.getHeight()).isEqualTo(Chart.HEIGHT);
    }

    /** Writes the sample chart to a path, to look at it. */
    public static void main(String[] args) {
        Chart.write(sampleDrains(), sampleLive(), Path.of(args[0]));
        Chart.write(List.of(), List.of(), Path.of(args[1]));
    }
}
