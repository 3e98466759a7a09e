package dev.sluice.server.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sluice demo} from the packaged jar: changes flow within seconds and Ctrl-C leaves nothing behind. */
class DemoIT {
    @TempDir
    Path home;

    @Test
    void demoPrintsDeliveredChangesAndStopsCleanly() throws Exception {
        Path jar = Path.of("target", "sluice.jar").toAbsolutePath();
        Path out = home.resolve("demo.out");
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-jar", jar.toString(), "demo", "--port", "0", "--rate", "20")
                .redirectErrorStream(true)
                .redirectOutput(out.toFile());
        pb.environment().put("SLUICE_HOME", home.toString());
        Process p = pb.start();
        try {
            String text = await("three updates printed")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .failFast("the demo exited early", () -> !p.isAlive())
                    .until(() -> Files.readString(out), t -> countLines(t, "  update ") >= 3);
            assertThat(text).contains("Sluice demo is running.", "First message, in full", "\"action\" : \"");
            assertThat(text)
                    .containsPattern("console: http://localhost:[0-9]+/")
                    .contains("API token (shown once");
            assertThat(countLines(text, "  insert ")).isGreaterThanOrEqualTo(1);
            assertThat(countLines(text, "  update ")).as(text).isGreaterThanOrEqualTo(3);
            // REPLICA IDENTITY FULL on orders: updates show the previous values
            assertThat(text).containsPattern("update public.orders .* changes \\{\"status\":");

            p.destroy(); // SIGTERM, as Ctrl-C
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.readString(out)).contains("Demo stopped").doesNotContain("Exception");
            String dir = home.toString();
            assertThat(ProcessHandle.allProcesses()
                            .filter(ph -> ph.info().commandLine().orElse("").contains(dir))
                            .toList())
                    .as("no process left running on the demo's data directory")
                    .isEmpty();
        } finally {
            p.destroyForcibly();
        }
    }

    private static long countLines(String text, String marker) {
        return text.lines().filter(l -> l.contains(marker)).count();
    }
}
