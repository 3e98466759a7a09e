package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.sluice.server.fixture.ServerFixture;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/** {@code X-Request-Id} on every response under /api, in every error body, and in the log lines of the request. */
class RequestIdIT {
    private static final String GENERATED = "req_[0-9a-f]{24}";

    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static RawApi api;

    @BeforeAll
    static void start() {
        sluice.start();
        api = new RawApi(sluice.server().port(), ServerFixture.TOKEN);
    }

    private static String id(HttpResponse<String> r) {
        String id = RawApi.header(r, "X-Request-Id");
        assertThat(id).as("X-Request-Id of " + r.statusCode() + " " + r.body()).isNotNull();
        return id;
    }

    /** The id of an error response: in the header and, the same, in the body's request_id. */
    private static String errorId(HttpResponse<String> r, int status) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        String id = id(r);
        JsonNode body = RawApi.json(r);
        assertThat(body.get("summary").asString()).isNotBlank();
        assertThat(body.get("request_id").asString()).as(r.body()).isEqualTo(id);
        return id;
    }

    @Test
    void successes_carryAFreshGeneratedId() {
        HttpResponse<String> first = api.get("/api/functions");
        HttpResponse<String> second = api.get("/api/functions");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(id(first)).matches(GENERATED);
        assertThat(id(second)).matches(GENERATED).isNotEqualTo(id(first));
        // The document is served without a token, and still gets an id.
        assertThat(id(api.withToken(null).get("/api/openapi.json"))).matches(GENERATED);
    }

    @Test
    void errors_carryTheIdInTheHeaderAndTheBody() {
        HttpResponse<String> noToken = api.withToken(null).get("/api/functions");
        assertThat(errorId(noToken, 401)).matches(GENERATED);
        assertThat(errorId(api.withToken("sluice_not_a_token_0123456789").get("/api/functions"), 401))
                .matches(GENERATED);
        assertThat(errorId(api.get("/api/no_such_route"), 404)).matches(GENERATED);
        HttpResponse<String> missing = api.get("/api/functions/no-such-function");
        assertThat(errorId(missing, 404)).matches(GENERATED);
        assertThat(RawApi.json(missing).at("/errors/detail").asString()).isEqualTo("Function not found");
        HttpResponse<String> invalid = api.post("/api/functions", "{\"name\": \"f\", \"type\": \"nonsense\"}");
        assertThat(errorId(invalid, 422)).matches(GENERATED);
        assertThat(RawApi.json(invalid).has("validation_errors")).isTrue();
        assertThat(errorId(api.post("/api/functions", "{not json"), 400)).matches(GENERATED);
    }

    @Test
    void aValidClientId_isEchoed_inSuccessesAndErrors() {
        assertThat(id(api.get("/api/functions", "X-Request-Id", "client-1.a:b_C")))
                .isEqualTo("client-1.a:b_C");
        String long128 = "a".repeat(128);
        assertThat(errorId(api.get("/api/functions/nope", "X-Request-Id", long128), 404))
                .isEqualTo(long128);
        assertThat(errorId(api.withToken(null).get("/api/functions", "X-Request-Id", "trace-401"), 401))
                .isEqualTo("trace-401");
    }

    @Test
    void anInvalidClientId_isReplacedByAGeneratedOne() {
        for (String bad : List.of("a".repeat(129), "has space", "semi;colon", "ünïcode", "a/b")) {
            HttpResponse<String> r = api.get("/api/functions", "X-Request-Id", bad);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(id(r)).as(bad).matches(GENERATED);
        }
    }

    @Test
    void logLinesOfARequest_carryItsIdInTheMdc() {
        String db = sluice.database("rid");
        HttpResponse<String> created = api.post("/api/postgres_databases", sluice.databaseJson("rid-db", db));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger root = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(Logger.ROOT_LOGGER_NAME);
        root.addAppender(logs);
        try {
            // Removing a database stops its pipeline in the request, which logs it.
            HttpResponse<String> deleted =
                    api.send("DELETE", "/api/postgres_databases/rid-db", null, "X-Request-Id", "trace-delete-1");
            assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);
        } finally {
            root.detachAppender(logs);
        }
        List<ILoggingEvent> stopped;
        synchronized (logs) {
            stopped = logs.list.stream()
                    .filter(e -> e.getFormattedMessage().contains("database rid-db: removed"))
                    .toList();
        }
        assertThat(stopped).isNotEmpty();
        assertThat(stopped)
                .allSatisfy(e -> assertThat(e.getMDCPropertyMap()).containsEntry(ApiGuards.MDC_KEY, "trace-delete-1"));
        // The id leaves the MDC with the request: the next request's lines do not carry it.
        assertThat(id(api.get("/api/functions"))).isNotEqualTo("trace-delete-1");
    }

    @Test
    void aRequestJettyRefusesBeforeTheRoutes_stillGetsAnIdUnderApi() throws Exception {
        // Escapes that are not UTF-8: Jetty answers 400 before any handler runs, through the JSON error handler.
        String sent = raw("GET /api/functions/%C3%28 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                + "X-Request-Id: trace-jetty\r\n\r\n");
        assertThat(sent).startsWith("HTTP/1.1 400 ").contains("\r\nX-Request-Id: trace-jetty\r\n");
        assertThat(sent).endsWith("\"request_id\":\"trace-jetty\"}");
        String generated = raw("GET /api/functions/%C3%28 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertThat(generated).containsPattern("\r\nX-Request-Id: " + GENERATED + "\r\n");
    }

    private static String raw(String request) throws java.io.IOException {
        try (java.net.Socket s =
                new java.net.Socket("localhost", sluice.server().port())) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
