package dev.sluice.server.destination;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.ConfigField;
import dev.sluice.core.sink.SinkProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class DestinationsTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void installedTypes_areTheSinkModulesAndTheServersPullStream() {
        assertThat(Destinations.installed().types())
                .contains("kafka", "kinesis", "redis_stream", "sequin_stream", "sqs", "webhook")
                .doesNotHaveDuplicates();
    }

    /** Each type is documented in docs/sinks/<type>.md, every field of its schema included. */
    @Test
    void everyType_hasItsDocsPage_namingEachField() throws IOException {
        for (SinkProvider<?> p : Destinations.installed().all()) {
            Path page = Path.of("../docs/sinks/" + p.type() + ".md");
            assertThat(page).as("docs page of " + p.type()).isRegularFile();
            String text = Files.readString(page);
            for (ConfigField f : p.schema().fields()) {
                assertThat(text).as(page + " documents " + f.name()).contains("`" + f.name() + "`");
            }
        }
    }

    /**
     * Each type is in every list of types the docs keep: the README's links, configuration.md's table of keys,
     * api.md's supported types, terraform.md's fields, and functions.md's routing table when it has routing keys.
     */
    @Test
    void everyType_isInTheDocsListsOfTypes() throws IOException {
        String readme = Files.readString(Path.of("../README.md"));
        String configuration = Files.readString(Path.of("../docs/configuration.md"));
        String api = Files.readString(Path.of("../docs/api.md"));
        String terraform = Files.readString(Path.of("../docs/terraform.md"));
        String functions = Files.readString(Path.of("../docs/functions.md"));
        String apiTypes = api.lines()
                .filter(l -> l.startsWith("- **Sink types**"))
                .findFirst()
                .orElseThrow();
        for (SinkProvider<?> p : Destinations.installed().all()) {
            String t = p.type();
            assertThat(readme).as("README links docs/sinks/%s.md", t).contains("(docs/sinks/" + t + ".md)");
            assertThat(configuration)
                    .as("configuration.md's table of keys has %s", t)
                    .contains("\n| `" + t + "`");
            assertThat(apiTypes).as("api.md's sink types name %s", t).contains("`" + t + "`");
            assertThat(terraform).as("terraform.md lists the fields of %s", t).contains("`" + t + "` (");
            if (!p.routingKeys().isEmpty()) {
                assertThat(functions)
                        .as("functions.md's routing table has %s", t)
                        .contains("\n| `" + t + "`");
            }
        }
    }

    @Test
    void secretsOfAnEntry_comeFromItsTypesSchema_orEveryTypesWhenUnknown() {
        ObjectNode kafka = JSON.createObjectNode()
                .put("type", "kafka")
                .put("password", "p")
                .put("secret_access_key", "not a kafka key");
        assertThat(Destinations.secretNames(kafka)).containsExactlyInAnyOrder("password", "aws_secret_access_key");
        ObjectNode taken = Destinations.takeSecrets(kafka);
        assertThat(taken).isNotNull();
        assertThat(taken.propertyNames()).containsExactly("password");
        assertThat(kafka.has("password")).isFalse();

        ObjectNode unknown =
                JSON.createObjectNode().put("type", "carrier_pigeon").put("secret_access_key", "s");
        Destinations.mask(unknown, "***");
        assertThat(unknown.get("secret_access_key").asString()).isEqualTo("***");
    }

    @Test
    void renameReferences_followsTheSchemasReferenceFields() {
        ObjectNode webhook = JSON.createObjectNode().put("type", "webhook").put("http_endpoint", "old");
        Destinations.renameReferences(webhook, Destinations.HTTP_ENDPOINT, "old", "new");
        assertThat(webhook.get("http_endpoint").asString()).isEqualTo("new");
        ObjectNode kafka = JSON.createObjectNode().put("type", "kafka").put("topic", "old");
        Destinations.renameReferences(kafka, Destinations.HTTP_ENDPOINT, "old", "new");
        assertThat(kafka.get("topic").asString()).isEqualTo("old");
    }

    @Test
    void openApi_getsASchemaPairPerType_andTheOneOfLists() {
        ObjectNode doc = JSON.createObjectNode();
        ObjectNode schemas = doc.putObject("components").putObject("schemas");
        schemas.putObject("Sink").putObject("properties").putObject("destination");
        schemas.putObject("SinkInput").putObject("properties").putObject("destination");
        DestinationOpenApi.addTo(doc, Destinations.installed());
        assertThat(schemas.propertyNames())
                .contains("SequinStreamDestination", "SequinStreamDestinationInput", "SqsDestination");
        assertThat(schemas.at("/Sink/properties/destination/oneOf").size())
                .isEqualTo(Destinations.installed().all().size());
        assertThat(schemas.at("/KafkaDestination/properties/password/description")
                        .asString())
                .contains("Sealed at rest");
        assertThat(schemas.at("/KafkaDestination/properties/sasl_mechanism/enum")
                        .size())
                .isEqualTo(4);
        assertThat(schemas.at("/KafkaDestinationInput/properties/request_timeout_ms/default")
                        .asLong())
                .isEqualTo(30_000);
        assertThat(schemas.at("/KafkaDestinationInput/required").toString())
                .isEqualTo("[\"type\",\"hosts\",\"topic\"]");
        assertThat(schemas.at("/WebhookDestination/required").toString())
                .isEqualTo("[\"type\",\"http_endpoint\",\"http_endpoint_path\",\"batch\",\"request_timeout_ms\"]");
    }
}
