package dev.sluice.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.server.destination.Destinations;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A {@code sequin.yaml} sink with each of Sequin's destination examples, written as Sequin documents it, loads
 * without a problem: every Sequin destination type, with Sequin's keys and values.
 */
class SequinDestinationsYamlTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String DIR = "/sequin-api-examples/";
    private static final String FILE = """
            databases:
              - name: app
                hostname: localhost
                database: app
            http_endpoints:
              - name: hooks
                url: http://localhost:8080/
            """;

    @Test
    void eachSequinDestinationExample_loadsAsWritten() throws IOException {
        List<String> files = examples();
        assertThat(files).hasSize(16);
        for (String file : files) {
            ObjectNode destination = (ObjectNode) read(file).get("destination").deepCopy();
            String type = destination.get("type").asString();
            if (type.equals("webhook")) {
                destination.put("http_endpoint", "hooks"); // the endpoint the file declares
            }
            if (type.equals("gcp_pubsub")) {
                // The example's credentials are a placeholder; a real key file (the provider's example) is checked.
                destination.put("credentials", (String) Destinations.installed()
                        .find(type)
                        .orElseThrow()
                        .examples()
                        .getFirst()
                        .get("credentials"));
            }
            // JSON is YAML: the destination goes in as a flow mapping.
            String yaml = FILE + "sinks:\n  - name: s\n    database: app\n    destination: " + destination + "\n";
            SluiceConfig config;
            try {
                config = ConfigLoader.parse(yaml, "sluice.yaml", name -> null);
            } catch (ConfigException e) {
                throw new AssertionError(file + ": " + e.getMessage(), e);
            }
            assertThat(config.sinks()).as(file).hasSize(1);
        }
    }

    private static List<String> examples() throws IOException {
        try (InputStream in = SequinDestinationsYamlTest.class.getResourceAsStream(DIR + "index.txt")) {
            return new String(Objects.requireNonNull(in).readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .filter(f -> f.startsWith("sinks.create_get_update.response.") && f.endsWith(".normalized.json"))
                    .toList();
        }
    }

    private static JsonNode read(String file) throws IOException {
        try (InputStream in = SequinDestinationsYamlTest.class.getResourceAsStream(DIR + file)) {
            return JSON.readTree(Objects.requireNonNull(in, file).readAllBytes());
        }
    }
}
