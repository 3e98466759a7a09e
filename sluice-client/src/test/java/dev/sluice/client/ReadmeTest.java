package dev.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's Java blocks are the regions of {@link ReadmeExamplesIT} (and of the webhook filter and handler
 * tests), word for word: each block follows a
 * {@code <!-- region: name -->} line, and every Java block has one. Fix a failure by copying the region into the
 * README (or the other way round).
 */
class ReadmeTest {
    private static final Pattern START = Pattern.compile("^\\s*// @start region=\"([a-z-]+)\"\\s*$");
    private static final Pattern END = Pattern.compile("^\\s*// @end\\s*$");
    private static final Pattern MARK = Pattern.compile("^<!-- region: ([a-z-]+) -->$");

    @Test
    void readmeBlocksAreTheExamplesRegions() throws IOException {
        Map<String, String> regions = new LinkedHashMap<>();
        for (String source :
                List.of("ReadmeExamplesIT.java", "webhook/WebhookFilterIT.java", "webhook/WebhookHandlerIT.java")) {
            regions.putAll(regions(Path.of("src/test/java/dev/sluice/client", source)));
        }
        Map<String, String> blocks = readmeBlocks(Path.of("README.md"));
        assertThat(regions).isNotEmpty();
        assertThat(blocks.keySet()).as("README blocks").containsExactlyInAnyOrderElementsOf(regions.keySet());
        blocks.forEach((name, block) -> assertThat(block)
                .as("README block '%s' must equal region '%s' of ReadmeExamplesIT", name, name)
                .isEqualTo(regions.get(name)));
    }

    static Map<String, String> regions(Path source) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        String name = null;
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(source)) {
            Matcher start = START.matcher(line);
            if (start.matches()) {
                name = start.group(1);
                lines.clear();
            } else if (name != null && END.matcher(line).matches()) {
                out.put(name, dedent(lines));
                name = null;
            } else if (name != null) {
                lines.add(line);
            }
        }
        return out;
    }

    static Map<String, String> readmeBlocks(Path readme) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(readme);
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).equals("```java")) {
                continue;
            }
            Matcher mark = i >= 1 ? MARK.matcher(lines.get(i - 1)) : null;
            assertThat(mark != null && mark.matches())
                    .as("README line %d: a ```java block must follow a <!-- region: name --> line", i + 1)
                    .isTrue();
            List<String> block = new ArrayList<>();
            int j = i + 1;
            while (!lines.get(j).equals("```")) {
                block.add(lines.get(j++));
            }
            out.put(mark.group(1), dedent(block));
            i = j;
        }
        return out;
    }

    private static String dedent(List<String> lines) {
        int indent = lines.stream()
                .filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length())
                .min()
                .orElse(0);
        StringBuilder sb = new StringBuilder();
        for (String l : lines) {
            sb.append(l.isBlank() ? "" : l.substring(indent).stripTrailing()).append('\n');
        }
        return sb.toString();
    }
}
