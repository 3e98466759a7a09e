package dev.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The server reaches sinks only through the SinkProvider SPI: its main code names no sink module's package. */
class ServerLayeringTest {
    // Imports and fully qualified names alike.
    private static final Pattern SINK_PACKAGE = Pattern.compile("\\bdev\\.sluice\\.sink\\.[a-z]");

    @Test
    void mainSources_referToNoSinkModulePackage() throws IOException {
        Path main = Path.of("src/main/java");
        assertThat(main).isDirectory();
        List<String> found = new ArrayList<>();
        int files = 0;
        try (Stream<Path> walk = Files.walk(main)) {
            for (Path file : walk.filter(p -> p.toString().endsWith(".java")).toList()) {
                files++;
                List<String> lines = Files.readAllLines(file);
                for (int i = 0; i < lines.size(); i++) {
                    Matcher m = SINK_PACKAGE.matcher(lines.get(i));
                    if (m.find()) {
                        found.add(main.relativize(file) + ":" + (i + 1) + ": "
                                + lines.get(i).strip());
                    }
                }
            }
        }
        assertThat(files).as("sources scanned").isGreaterThan(50);
        assertThat(found).as("sink module code named in sluice-server/src/main").isEmpty();
    }

    @Test
    void thePatternFindsImportsAndQualifiedNames() {
        assertThat(SINK_PACKAGE
                        .matcher("import dev.sluice.sink.kafka.KafkaConfig;")
                        .find())
                .isTrue();
        assertThat(SINK_PACKAGE.matcher("new dev.sluice.sink.sqs.SqsSink(c)").find())
                .isTrue();
        assertThat(SINK_PACKAGE
                        .matcher("import dev.sluice.core.sink.SinkProvider;")
                        .find())
                .isFalse();
    }
}
