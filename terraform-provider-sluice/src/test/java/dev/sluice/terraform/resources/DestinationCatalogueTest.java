package dev.sluice.terraform.resources;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.ConfigField;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.server.destination.Destinations;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The provider's catalogue of destination types (a resource file, so that the provider starts without the sinks'
 * classes) is what the server's installed sink providers declare. When a sink gains a field, this test fails and
 * writes the new catalogue to {@code target/destinations.json}, to be copied over the resource.
 */
class DestinationCatalogueTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void catalogue_isWhatTheInstalledSinkProvidersDeclare() throws IOException {
        List<SinkProvider<?>> providers =
                new ArrayList<>(Destinations.installed().all());
        providers.sort(Comparator.comparing(SinkProvider::type));
        ArrayNode expected = JSON.createArrayNode();
        for (SinkProvider<?> p : providers) {
            ObjectNode t = expected.addObject();
            t.put("type", p.type());
            ArrayNode aliases = t.putArray("aliases");
            p.aliases().stream().sorted().forEach(aliases::add);
            ArrayNode fields = t.putArray("fields");
            for (ConfigField f : p.schema().fields()) {
                ObjectNode o = fields.addObject();
                o.put("name", f.name());
                o.put("type", f.type().name().toLowerCase(Locale.ROOT));
                o.put("secret", f.secret());
                ArrayNode allowed = o.putArray("allowed");
                f.allowed().forEach(allowed::add);
                o.put("doc", f.doc());
            }
        }
        String want = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(expected) + "\n";
        String have;
        try (InputStream in = DestinationTypes.class.getResourceAsStream("destinations.json")) {
            have = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!want.equals(have)) {
            Path out = Path.of("target", "destinations.json");
            Files.writeString(out, want);
            assertThat(have)
                    .as(
                            "the sinks' fields changed: copy %s to src/main/resources/dev/sluice/terraform/resources/",
                            out.toAbsolutePath())
                    .isEqualTo(want);
        }
    }

    @Test
    void aFieldSharedByTwoTypes_hasOneTerraformType() {
        // The destination attribute is one object of every type's fields: a name must mean one type everywhere.
        assertThat(DestinationTypes.load().all()).isNotEmpty();
        assertThat(DestinationTypes.load().attributes())
                .extracting(a -> a.name())
                .contains("type", "hosts", "queue_url", "stream_arn", "http_endpoint", "password");
    }
}
