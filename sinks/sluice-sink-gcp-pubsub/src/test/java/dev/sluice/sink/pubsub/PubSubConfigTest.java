package dev.sluice.sink.pubsub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.sink.InvalidConfigException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class PubSubConfigTest {
    private static final TestAccount ACCOUNT = TestAccount.create("config");
    private static final String KEY_FILE = ACCOUNT.keyFile(URI.create("https://oauth2.googleapis.com/token"));

    private static String account() {
        return KEY_FILE;
    }

    @Test
    void serviceAccount_readsAKeyFile_asTextOrBase64() {
        ServiceAccount plain = ServiceAccount.parse(KEY_FILE);
        ServiceAccount encoded =
                ServiceAccount.parse(Base64.getEncoder().encodeToString(KEY_FILE.getBytes(StandardCharsets.UTF_8)));
        assertThat(plain.clientEmail()).isEqualTo(ACCOUNT.email());
        assertThat(plain.tokenUri()).isEqualTo(ServiceAccount.GOOGLE_TOKEN_URI);
        assertThat(plain.privateKey().getEncoded())
                .isEqualTo(ACCOUNT.keys().getPrivate().getEncoded());
        assertThat(encoded.privateKey().getEncoded())
                .isEqualTo(plain.privateKey().getEncoded());
        assertThat(plain.toString()).doesNotContain("BEGIN").contains(ACCOUNT.email());
    }

    @Test
    void serviceAccount_withoutATokenUri_usesGooglesEndpoint() {
        String noTokenUri = KEY_FILE.replaceAll(",\"token_uri\":\"[^\"]*\"", "");
        assertThat(ServiceAccount.parse(noTokenUri).tokenUri()).isEqualTo(ServiceAccount.GOOGLE_TOKEN_URI);
    }

    @Test
    void serviceAccount_rejectsWhatIsNoKeyFile_atCredentials_withoutShowingIt() {
        assertProblem(() -> ServiceAccount.parse("base64-encoded-credentials"), "credentials", "JSON key file");
        assertProblem(() -> ServiceAccount.parse("{\"type\": \"service_account\""), "credentials", "not valid JSON");
        assertProblem(
                () -> ServiceAccount.parse("{\"type\": \"authorized_user\", \"client_email\": \"a@b\"}"),
                "credentials",
                "authorized_user");
        assertProblem(
                () -> ServiceAccount.parse(KEY_FILE.replace("client_email", "email")), "credentials", "client_email");
        String brokenKey = KEY_FILE.replaceFirst("(BEGIN PRIVATE KEY-----\\\\n)[A-Za-z0-9+/]{8}", "$1!!!!!!!!");
        assertThatThrownBy(() -> ServiceAccount.parse(brokenKey))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("private_key")
                .hasMessageNotContaining("BEGIN");
    }

    @Test
    void config_checksSequinsRules_atTheirFields() {
        assertProblem(
                () -> new PubSubConfig("My_Project", "records", account(), false, null), "project_id", "lowercase");
        assertProblem(() -> new PubSubConfig("proj", "records", account(), false, null), "project_id", "6 and 30");
        assertProblem(() -> new PubSubConfig("my-project", "r", account(), false, null), "topic_id", "3 and 255");
        assertProblem(() -> new PubSubConfig("my-project", "google-x", account(), false, null), "topic_id", "goog");
        assertProblem(() -> new PubSubConfig("my-project", "records", null, false, null), "credentials", "required");
        assertProblem(
                () -> new PubSubConfig("my-project", "records", null, true, null), "emulator_base_url", "required");
        assertProblem(
                () -> new PubSubConfig("my-project", "records", null, true, URI.create("localhost:8085")),
                "emulator_base_url",
                "http://");
    }

    @Test
    void config_checksTheKeyFile_butTakesAMaskedSecretUnchecked() {
        assertProblem(
                () -> new PubSubConfig("my-project", "records", "base64-encoded-credentials", false, null),
                "credentials",
                "JSON key file");
        // The server validates stored configurations with their secrets masked.
        PubSubConfig masked = new PubSubConfig("my-project", "records", "************", false, null);
        assertThatThrownBy(masked::serviceAccount).isInstanceOf(InvalidConfigException.class);
        assertThat(new PubSubConfig("my-project", "records", KEY_FILE, false, null)
                        .serviceAccount()
                        .clientEmail())
                .isEqualTo(ACCOUNT.email());
    }

    @Test
    void config_onTheEmulator_needsNoCredentials_andSendsThere() {
        PubSubConfig c = new PubSubConfig("my-project", "records", null, true, URI.create("http://localhost:8085"));
        assertThat(c.baseUrl()).isEqualTo(URI.create("http://localhost:8085"));
        assertThat(c.topicPath("records")).isEqualTo("projects/my-project/topics/records");
    }

    @Test
    void config_toString_hidesTheKey() {
        PubSubConfig c = new PubSubConfig("my-project", "records", account(), false, null);
        assertThat(c.toString())
                .doesNotContain("PRIVATE")
                .doesNotContain("private_key")
                .contains("***");
        assertThat(c.baseUrl()).isEqualTo(PubSubConfig.DEFAULT_ENDPOINT);
    }

    @Test
    void topicIdProblem_acceptsSequinsCharacters() {
        assertThat(PubSubConfig.topicIdProblem("orders.v1-a_b~c+d%20")).isNull();
        assertThat(PubSubConfig.topicIdProblem("1orders")).isNotNull();
        assertThat(PubSubConfig.topicIdProblem("a".repeat(256))).isNotNull();
    }

    private static void assertProblem(
            org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String field, String text) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(
                        InvalidConfigException.class,
                        e -> assertThat(e.problems()).singleElement().satisfies(p -> {
                            assertThat(p.field()).isEqualTo(field);
                            assertThat(p.message()).contains(text);
                        }));
    }
}
