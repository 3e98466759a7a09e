package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.server.runtime.ServerOptions;
import dev.sluice.server.runtime.SluiceServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/** Secrets at rest and in responses and logs, API keys, and the bootstrap token. */
class ApiSecurityIT {
    static final String PASSWORD = "pw-Very-Secret-4711";
    static final String HEADER_SECRET = "Bearer hdr-Secret-0815";

    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static ListAppender<ILoggingEvent> logs;
    static ApiClient api;

    @BeforeAll
    static void start() {
        logs = new ListAppender<>();
        logs.start();
        root().addAppender(logs);
        sluice.start();
        api = sluice.api();
    }

    @AfterAll
    static void stop() {
        root().detachAppender(logs);
    }

    private static Logger root() {
        return ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }

    private static List<String> rows(String sql) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = ServerFixture.PG.connect(sluice.metaDb());
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    @Test
    void secrets_areCiphertextAtRest_maskedInResponses_andNeverLogged() throws Exception {
        String db = sluice.database("secrets");
        String body = sluice.databaseJson("secret-db", db)
                .replace(
                        "\"username\": \"postgres\"", "\"username\": \"postgres\", \"password\": \"" + PASSWORD + "\"");
        ApiClient.Reply created = api.post("/api/postgres_databases", body);
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        assertThat(created.get("password").asString()).isEqualTo(Obfuscate.MASK);
        ApiClient.Reply ep = api.post("/api/destinations/http_endpoints", """
                {"name": "secret-ep", "url": "https://example.com/hook",
                 "headers": {"X-Plain": "visible"}, "encrypted_headers": {"Authorization": "%s"}}""".formatted(HEADER_SECRET));
        assertThat(ep.status()).as(ep.text()).isEqualTo(201);

        // At rest: the sealed columns hold ciphertext, the specs hold no secret.
        String everything = String.join(
                "\n", rows("SELECT concat_ws(' ', name, spec::text, sealed_password) FROM sluice.postgres_databases"));
        everything += String.join(
                "\n", rows("SELECT concat_ws(' ', name, spec::text, sealed_headers) FROM sluice.http_endpoints"));
        assertThat(everything)
                .doesNotContain(PASSWORD)
                .doesNotContain(HEADER_SECRET)
                .doesNotContain("hdr-Secret");
        assertThat(rows("SELECT sealed_password FROM sluice.postgres_databases WHERE name = 'secret-db'"))
                .singleElement()
                .isNotNull();

        // In responses: masked, unless asked for.
        for (String path : List.of("/api/postgres_databases/secret-db", "/api/postgres_databases")) {
            assertThat(api.get(path).text()).doesNotContain(PASSWORD).contains(Obfuscate.MASK);
        }
        assertThat(api.get("/api/destinations/http_endpoints/secret-ep").text())
                .doesNotContain("hdr-Secret")
                .contains("visible");
        assertThat(api.get("/api/config/export").text())
                .doesNotContain(PASSWORD)
                .doesNotContain("hdr-Secret");
        assertThat(api.get("/api/postgres_databases/secret-db?show_sensitive=true")
                        .get("password")
                        .asString())
                .isEqualTo(PASSWORD);
        assertThat(api.get("/api/destinations/http_endpoints/secret-ep?show_sensitive=true")
                        .get("encrypted_headers")
                        .get("Authorization")
                        .asString())
                .isEqualTo(HEADER_SECRET);

        // Sending the mask back (a GET-modify-PUT client) keeps the stored secret.
        ApiClient.Reply roundTrip = api.put("/api/postgres_databases/secret-db", created.text());
        assertThat(roundTrip.status()).as(roundTrip.text()).isEqualTo(200);
        assertThat(api.get("/api/postgres_databases/secret-db?show_sensitive=true")
                        .get("password")
                        .asString())
                .isEqualTo(PASSWORD);
        assertThat(api.patch("/api/destinations/http_endpoints/secret-ep", ep.text())
                        .status())
                .isEqualTo(200);
        assertThat(api.get("/api/destinations/http_endpoints/secret-ep?show_sensitive=true")
                        .get("encrypted_headers")
                        .get("Authorization")
                        .asString())
                .isEqualTo(HEADER_SECRET);

        // Nothing logged holds a secret or a token.
        for (ILoggingEvent e : logs.list) {
            String line = e.getFormattedMessage()
                    + (e.getThrowableProxy() == null
                            ? ""
                            : e.getThrowableProxy().getMessage());
            assertThat(line)
                    .doesNotContain(PASSWORD)
                    .doesNotContain("hdr-Secret")
                    .doesNotContain(ServerFixture.TOKEN);
        }
    }

    @Test
    void apiKeys_showTheTokenOnce_storeOnlyItsHash_andStopWorkingWhenDeleted() throws Exception {
        ApiClient.Reply created = api.post("/api/api_keys", "{\"name\": \"ci-bot\"}");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        String token = created.get("token").asString();
        assertThat(token).startsWith("sluice_").hasSizeGreaterThan(40);
        assertThat(api.get("/api/api_keys").text()).contains("ci-bot").doesNotContain(token);
        assertThat(api.post("/api/api_keys", "{\"name\": \"ci-bot\"}").status()).isEqualTo(422);
        assertThat(api.post("/api/api_keys", "{\"name\": \"x\", \"scope\": \"all\"}")
                        .status())
                .isEqualTo(422);

        String hex = HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        assertThat(rows("SELECT encode(token_hash, 'hex') FROM sluice.api_keys WHERE name = 'ci-bot'"))
                .containsExactly(hex);
        assertThat(rows("SELECT concat_ws(' ', id, name, encode(token_hash, 'escape')) FROM sluice.api_keys"))
                .noneMatch(r -> r.contains(token));

        ApiClient other = api.withToken(token);
        assertThat(other.get("/api/sinks").status()).isEqualTo(200);
        assertThat(api.delete("/api/api_keys/ci-bot").status()).isEqualTo(200);
        assertThat(other.get("/api/sinks").status()).isEqualTo(401);
        assertThat(api.delete("/api/api_keys/ci-bot").status()).isEqualTo(404);
    }

    @Test
    void apiKeys_takeACallerChosenToken_asSequinDoes() {
        String chosen = "ci-token-" + UUID.randomUUID();
        ApiClient.Reply created = api.post("/api/api_keys", "{\"name\": \"chosen\", \"token\": \"" + chosen + "\"}");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        assertThat(created.get("token").asString()).isEqualTo(chosen);
        ApiClient other = api.withToken(chosen);
        assertThat(other.get("/api/sinks").status()).isEqualTo(200);
        // The same token twice, a blank one, one with spaces, a number: 422, naming token.
        for (String bad : List.of("\"" + chosen + "\"", "\"  \"", "\"a b\"", "42")) {
            ApiClient.Reply r = api.post("/api/api_keys", "{\"name\": \"chosen-2\", \"token\": " + bad + "}");
            assertThat(r.status()).as(bad).isEqualTo(422);
            assertThat(r.get("validation_errors").has("token")).as(bad).isTrue();
        }
        assertThat(api.delete("/api/api_keys/chosen").status()).isEqualTo(200);
        assertThat(other.get("/api/sinks").status()).isEqualTo(401);
    }

    @Test
    void apiTokensOfTheFile_becomeKeys_andNoBootstrapTokenIsPrinted() throws Exception {
        Path home = Files.createTempDirectory("sluice-filetokens");
        Path file = home.resolve("sluice.yaml");
        Files.writeString(file, """
                account: {name: acme}
                users: [{email: a@example.com, password: pw}]
                api_tokens:
                  - name: from-file
                    token: file-token-0123456789
                """);
        String metaDb = ServerFixture.PG.createDatabase("tokmeta");
        ServerOptions options = new ServerOptions(home, 0, file, null, ServerFixture.PG.jdbcUrl(metaDb), null, null);
        String out = captureStdout(() -> {
            try (SluiceServer s = SluiceServer.start(options)) {
                ApiClient client = new ApiClient(s.port(), "file-token-0123456789");
                assertThat(client.get("/api/sinks").status()).isEqualTo(200);
                assertThat(client.get("/api/api_keys").text()).contains("from-file");
                return s.port();
            }
        });
        assertThat(out).contains("'account' is not applicable").doesNotContain("shown once");
        // A changed token replaces the old one at the next start.
        Files.writeString(file, Files.readString(file).replace("file-token-0123456789", "file-token-abcdefghij"));
        captureStdout(() -> {
            try (SluiceServer s = SluiceServer.start(options)) {
                assertThat(new ApiClient(s.port(), "file-token-0123456789")
                                .get("/api/sinks")
                                .status())
                        .isEqualTo(401);
                assertThat(new ApiClient(s.port(), "file-token-abcdefghij")
                                .get("/api/sinks")
                                .status())
                        .isEqualTo(200);
                return s.port();
            }
        });
    }

    @Test
    void firstStart_printsABootstrapTokenOnce_thatWorks() throws Exception {
        Path home = Files.createTempDirectory("sluice-bootstrap");
        String metaDb = ServerFixture.PG.createDatabase("bootmeta");
        ServerOptions options = new ServerOptions(home, 0, null, null, ServerFixture.PG.jdbcUrl(metaDb), null, null);
        String first = captureStdout(() -> {
            try (SluiceServer s = SluiceServer.start(options)) {
                return s.port();
            }
        });
        Matcher m = Pattern.compile("API token \\(shown once; store it now\\): (\\S+)")
                .matcher(first);
        assertThat(m.find()).as(first).isTrue();
        String token = m.group(1);
        String second = captureStdout(() -> {
            try (SluiceServer s = SluiceServer.start(options)) {
                assertThat(new ApiClient(s.port(), token).get("/api/sinks").status())
                        .isEqualTo(200);
                assertThat(new ApiClient(s.port(), "sluice_wrong")
                                .get("/api/sinks")
                                .status())
                        .isEqualTo(401);
                return s.port();
            }
        });
        assertThat(second).doesNotContain("API token");
    }

    @FunctionalInterface
    interface Body {
        Object run() throws Exception;
    }

    private static String captureStdout(Body body) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setOut(original);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
