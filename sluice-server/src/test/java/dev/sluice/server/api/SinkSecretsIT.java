package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.SinkProvider;
import dev.sluice.core.sink.SinkProviders;
import dev.sluice.server.fixture.ServerFixture;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The secrets of every installed sink type, the part of the sink conformance suite that needs the server: a sink of
 * each type created through the API with every secret field of its schema set (from the provider's
 * {@link SinkProvider#examples()}) never shows a secret in a response, the sink list, the metadata store or the
 * export; {@code show_sensitive} shows it; and a destination sent back as shown, masked, keeps the stored secret.
 */
class SinkSecretsIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static ApiClient api;

    @BeforeAll
    static void start() {
        sluice.start();
        api = sluice.api();
        String db = sluice.database("secrets");
        ApiClient.Reply d = api.post("/api/postgres_databases", sluice.databaseJson("secrets-db", db));
        assertThat(d.status()).as(d.text()).isEqualTo(201);
    }

    /** Every installed provider with a secret field. */
    static Stream<String> typesWithSecrets() {
        return SinkProviders.installed().all().stream()
                .filter(p -> !p.schema().secretNames().isEmpty())
                .map(SinkProvider::type);
    }

    @Test
    void everyTypeWithSecretsHasAnExampleSettingEachOfThem() {
        typesWithSecrets().forEach(type -> {
            Set<String> set = new HashSet<>();
            provider(type).examples().forEach(d -> set.addAll(d.keySet()));
            assertThat(set)
                    .as("the secret fields the '%s' provider's examples() set", type)
                    .containsAll(provider(type).schema().secretNames());
        });
    }

    @ParameterizedTest
    @MethodSource("typesWithSecrets")
    void secretsAreMaskedInResponsesListsTheStoreAndTheExport_andAMaskSentBackKeepsThem(String type) throws Exception {
        List<Map<String, Object>> examples = provider(type).examples();
        assertThat(examples).as("examples() of " + type).isNotEmpty();
        Set<String> secretFields = provider(type).schema().secretNames();
        int n = 0;
        for (Map<String, Object> destination : examples) {
            String name = type + "-secrets-" + ++n;
            Map<String, String> secrets = new LinkedHashMap<>();
            destination.forEach((k, v) -> {
                if (secretFields.contains(k)) {
                    secrets.put(k, String.valueOf(v));
                }
            });
            ObjectNode body = ApiClient.JSON.createObjectNode();
            // Disabled: nothing connects to the (made-up) peer.
            body.put("name", name).put("database", "secrets-db").put("status", "disabled");
            ObjectNode dest = body.putObject("destination");
            dest.put("type", type);
            destination.forEach((k, v) -> dest.set(k, ApiClient.JSON.valueToTree(v)));

            ApiClient.Reply created = api.post("/api/sinks", body.toString());
            assertThat(created.status()).as(created.text()).isEqualTo(201);
            assertNoSecret(created.text(), secrets, "the create response");
            JsonNode shown = api.get("/api/sinks/" + name).get("destination");
            secrets.keySet()
                    .forEach(field -> assertThat(shown.get(field).asString())
                            .as("%s shown", field)
                            .isEqualTo(Obfuscate.MASK));
            assertNoSecret(api.get("/api/sinks/" + name).text(), secrets, "GET");
            assertNoSecret(api.get("/api/sinks").text(), secrets, "the sink list");
            assertNoSecret(String.join("\n", metadataRows()), secrets, "the metadata store");
            String exported = api.get("/api/config/export").get("yaml").asString();
            assertNoSecret(exported, secrets, "the export");
            assertThat(api.send("POST", "/api/config/plan", exported, "application/yaml")
                            .get("changes"))
                    .as("the export plans back unchanged, its masks standing for the stored secrets:%n%s", exported)
                    .isEmpty();
            assertSensitive(name, secrets);

            // Sent back as shown, masked: the stored secrets stay.
            ApiClient.Reply patched = api.patch("/api/sinks/" + name, "{\"destination\": " + shown + "}");
            assertThat(patched.status()).as(patched.text()).isEqualTo(200);
            assertNoSecret(patched.text(), secrets, "the update response");
            assertSensitive(name, secrets);
        }
    }

    private static void assertSensitive(String name, Map<String, String> secrets) {
        JsonNode revealed =
                api.get("/api/sinks/" + name + "?show_sensitive=true").get("destination");
        secrets.forEach((field, value) -> assertThat(revealed.get(field).asString())
                .as("%s with show_sensitive", field)
                .isEqualTo(value));
    }

    private static void assertNoSecret(String text, Map<String, String> secrets, String where) {
        secrets.forEach((field, value) ->
                assertThat(text).as("%s shows no %s", where, field).doesNotContain(value));
    }

    private static SinkProvider<?> provider(String type) {
        return SinkProviders.installed().find(type).orElseThrow();
    }

    private static List<String> metadataRows() throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = ServerFixture.PG.connect(sluice.metaDb());
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT concat_ws(' ', spec::text, sealed_secrets) FROM sluice.sinks")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
