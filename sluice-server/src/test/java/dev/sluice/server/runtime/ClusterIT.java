package dev.sluice.server.runtime;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.FaultProxy;
import dev.sluice.testkit.WebhookReceiver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Three server processes share one metadata Postgres (cluster mode) while a writer commits a change every few
 * milliseconds: the owner of the database's lease is killed, cut off from the store, or every node is restarted in
 * turn; each time another node streams again, nothing written is lost, and a duplicate carries its first delivery's
 * idempotency key.
 */
class ClusterIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

    @RegisterExtension
    final ServerFixture sluice = new ServerFixture();

    private String db;
    private WebhookReceiver receiver;
    private Path config;
    private final Map<String, ServerProcess> nodes = new HashMap<>();
    private final Set<String> written = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean writing = new AtomicBoolean();
    private Thread writer;

    @BeforeEach
    void setUp() {
        db = sluice.database("cluster", "CREATE TABLE events (id int PRIMARY KEY, seq int NOT NULL)");
        receiver = sluice.receiver();
        config = sluice.writeConfig(sluice.yaml(db, "batch_size: 25"));
    }

    @AfterEach
    void stopWriter() throws InterruptedException {
        stopWriting();
    }

    private ServerProcess start(String id, String metadataUrl) throws Exception {
        return start(id, metadataUrl, Map.of());
    }

    private ServerProcess start(String id, String metadataUrl, Map<String, String> extraEnv) throws Exception {
        Path home = sluice.home().resolve(id);
        Files.createDirectories(home);
        Map<String, String> env = new HashMap<>(extraEnv);
        env.putAll(Map.of(
                "SLUICE_DATABASE_URL", metadataUrl,
                "SLUICE_SECRET_KEY", KEY,
                "SLUICE_API_TOKEN", ServerFixture.TOKEN,
                "SLUICE_NODE_ID", id));
        ServerProcess p = sluice.closeAfter(ServerProcess.start(home, config, env));
        nodes.put(id, p);
        return p.awaitHealthy(WAIT);
    }

    private ServerProcess start(String id) throws Exception {
        return start(id, PG.jdbcUrl(sluice.metaDb()));
    }

    private static JsonNode get(ServerProcess node, String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + node.port() + path))
                                .header("Authorization", "Bearer " + ServerFixture.TOKEN)
                                .timeout(Duration.ofSeconds(5))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    /** The id of the node that holds a lease, as any live node's API says; null when none does. */
    private String owner(ServerProcess asked) throws Exception {
        for (JsonNode n : get(asked, "/api/nodes").get("data")) {
            if (!n.get("pipelines").isEmpty()) {
                return n.get("id").asString();
            }
        }
        return null;
    }

    /** Whether {@code node} streams the database now (its /health lists it as streaming). */
    private static boolean streaming(ServerProcess node) {
        try {
            JsonNode h = JSON.readTree(node.health());
            for (JsonNode d : h.get("databases")) {
                if ("streaming".equals(d.get("state").asString())) {
                    return true;
                }
            }
            return false;
        } catch (Exception e) {
            return false;
        }
    }

    private void startWriting() {
        writing.set(true);
        AtomicInteger next = new AtomicInteger();
        writer = Thread.ofPlatform().name("cluster-writer").start(() -> {
            try (Connection c = DriverManager.getConnection(PG.jdbcUrl(db), "postgres", "postgres");
                    Statement st = c.createStatement()) {
                while (writing.get()) {
                    int i = next.incrementAndGet();
                    int id = i % 40; // updates of a few rows: per-row order matters
                    st.execute("INSERT INTO events VALUES (" + id + ", " + i + ") ON CONFLICT (id) DO UPDATE SET seq = "
                            + i);
                    written.add(id + ":" + i);
                    Thread.sleep(5);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private void stopWriting() throws InterruptedException {
        writing.set(false);
        if (writer != null) {
            writer.join(Duration.ofSeconds(10));
        }
    }

    /** Every written change arrived (with its first key, if twice). */
    private void assertNothingLost() {
        receiver.awaitAccepted(
                m -> NoLossIT.keyByChange(m).keySet().containsAll(written), WAIT, written.size() + " written changes");
    }

    private int acceptedNow() {
        return receiver.acceptedMessages().size();
    }

    @Test
    void killingTheOwner_anotherNodeStreamsAgain_andNothingIsLost() throws Exception {
        ServerProcess n1 = start("n1");
        start("n2");
        start("n3");
        String first = owner(n1);
        assertThat(first).as("one node holds the lease").isNotNull();
        assertThat(nodes.values().stream().filter(ClusterIT::streaming).count())
                .as("exactly one node reads the slot")
                .isEqualTo(1);

        startWriting();
        await().atMost(WAIT).until(() -> acceptedNow() > 50);
        long killedAt = System.nanoTime();
        nodes.remove(first).kill();
        ServerProcess any = nodes.values().iterator().next();
        await("another node takes the lease and streams")
                .atMost(WAIT)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    String o = owner(any);
                    return o != null && !o.equals(first) && streaming(nodes.get(o));
                });
        Duration takeover = Duration.ofNanos(System.nanoTime() - killedAt);
        System.out.println("ClusterIT: a node streams again " + takeover.toMillis() + " ms after the owner's SIGKILL");
        // The lease lasts 10 s; a renewal tick, the takeover and the slot's release follow.
        assertThat(takeover).isLessThan(Duration.ofSeconds(30));
        int before = acceptedNow();
        await().atMost(WAIT).until(() -> acceptedNow() > before + 50);

        stopWriting();
        assertNothingLost();
    }

    @Test
    void anOwnerCutOffFromTheMetadataStore_stopsBeforeAnotherNodeStarts() throws Exception {
        try (FaultProxy proxy = FaultProxy.start("localhost", PG.port())) {
            String proxied = "jdbc:postgresql://localhost:" + proxy.port() + "/" + sluice.metaDb()
                    + "?user=postgres&password=postgres";
            ServerProcess n1 = start("n1", proxied);
            assertThat(owner(n1)).isEqualTo("n1");
            ServerProcess n2 = start("n2");
            startWriting();
            await().atMost(WAIT).until(() -> acceptedNow() > 50);

            proxy.blackhole();
            try {
                await("n2 takes over").atMost(WAIT).until(() -> streaming(n2));
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError(
                        "n2 did not stream within " + WAIT + "\n--- n1:\n" + n1.output() + "\n--- n2:\n" + n2.output(),
                        e);
            }
            String n1Log = n1.output();
            String n2Log = n2.output();
            LocalTime stopped = timeOf(n1Log, "stopping its pipeline before the lease can expire");
            LocalTime took = timeOf(n2Log, "took the lease on database");
            assertThat(stopped).as("n1 noticed it could not renew:\n%s", n1Log).isNotNull();
            assertThat(took).as("n2 took the lease:\n%s", n2Log).isNotNull();
            assertThat(stopped).as("n1 stopped before n2 started").isBefore(took);
            assertThat(streaming(n1)).as("n1 reads no more").isFalse();

            int before = acceptedNow();
            await().atMost(WAIT).until(() -> acceptedNow() > before + 50);
            stopWriting();
            assertNothingLost();
            proxy.restore();
        }
    }

    @Test
    void aRollingRestartOfEveryNode_losesNothing_andANewDatabaseGoesToAnIdleNode() throws Exception {
        start("n1");
        start("n2");
        start("n3");
        startWriting();
        await().atMost(WAIT).until(() -> acceptedNow() > 50);
        for (String id : List.of("n1", "n2", "n3")) {
            int exit = nodes.remove(id).stop(); // SIGTERM: hands its pipeline over at once
            assertThat(exit).as("SIGTERM: a clean exit").isIn(0, 143);
            int before = acceptedNow();
            await(id + " stopped: changes still flow").atMost(WAIT).until(() -> acceptedNow() > before + 20);
            start(id);
        }
        stopWriting();
        assertNothingLost();

        // A second database created through one node's API is taken by a node that runs nothing yet.
        ServerProcess n1 = nodes.get("n1");
        String first = owner(n1);
        String db2 = sluice.database("cluster2", "CREATE TABLE other (id int PRIMARY KEY)");
        HttpResponse<String> created = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + n1.port() + "/api/postgres_databases"))
                                .header("Authorization", "Bearer " + ServerFixture.TOKEN)
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(sluice.databaseJson("second", db2)))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        await("the second database runs on another node").atMost(WAIT).until(() -> {
            Set<String> owners = new HashSet<>();
            for (JsonNode n : get(n1, "/api/nodes").get("data")) {
                if (!n.get("pipelines").isEmpty()) {
                    owners.add(n.get("id").asString());
                }
            }
            return owners.size() == 2 && owners.contains(first);
        });
        // Every node answers the API alike: the new database is listed by all three.
        for (ServerProcess n : nodes.values()) {
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> get(n, "/api/postgres_databases").toString().contains("\"second\""));
        }
    }

    @Test
    void drainingTheOwnerThroughAnotherNode_handsItsPipelineOverAndItTakesNoneBack() throws Exception {
        ServerProcess n1 = start("n1");
        ServerProcess n2 = start("n2");
        String ownerId = owner(n1);
        ServerProcess owner = nodes.get(ownerId);
        ServerProcess other = owner == n1 ? n2 : n1;
        startWriting();
        await().atMost(WAIT).until(() -> acceptedNow() > 20);

        HttpResponse<String> drained = send(other, "POST", "/api/nodes/" + ownerId + "/drain", "{}");
        assertThat(drained.statusCode()).as(drained.body()).isEqualTo(202);
        assertThat(JSON.readTree(drained.body()).get("id").asString()).isEqualTo(ownerId);
        await("the other node takes over").atMost(WAIT).until(() -> streaming(other));
        await().atMost(WAIT)
                .until(
                        () -> JSON.readTree(owner.health())
                                .get("node")
                                .get("role")
                                .asString(),
                        "draining"::equals);
        assertThat(streaming(owner)).isFalse();
        int before = acceptedNow();
        await().atMost(WAIT).until(() -> acceptedNow() > before + 20);
        stopWriting();
        assertNothingLost();
        assertThat(owner(other)).as("the drained node took nothing back").isNotEqualTo(ownerId);
        assertThat(send(other, "POST", "/api/nodes/nobody/drain", "{}").statusCode())
                .isEqualTo(404);
    }

    @Test
    void aNodeThatDoesNotRunTheSink_relaysItsPipelineRequestsToTheOwner() throws Exception {
        ServerProcess n1 = start("n1");
        ServerProcess n2 = start("n2");
        String ownerId = owner(n1);
        ServerProcess owner = nodes.get(ownerId);
        ServerProcess other = owner == n1 ? n2 : n1;
        startWriting();
        await().atMost(WAIT).until(() -> acceptedNow() > 20);
        stopWriting();

        HttpResponse<String> viaOther = send(other, "GET", "/api/sinks/hook/status", null);
        assertThat(viaOther.statusCode()).as(viaOther.body()).isEqualTo(200);
        assertThat(viaOther.headers().firstValue("X-Sluice-Served-By"))
                .as("answered by the node that runs the sink")
                .hasValueSatisfying(a -> assertThat(a).endsWith(":" + owner.port()));
        JsonNode status = JSON.readTree(viaOther.body());
        JsonNode direct =
                JSON.readTree(send(owner, "GET", "/api/sinks/hook/status", null).body());
        assertThat(status.get("delivered_total").asLong())
                .as("the running pipeline's count, not a stopped sink's zero")
                .isPositive();
        assertThat(status.get("health")).isEqualTo(direct.get("health"));
        assertThat(send(other, "GET", "/api/sinks/hook/messages", null).statusCode())
                .isEqualTo(200);
        assertThat(send(other, "POST", "/api/sinks/hook/messages/redeliver", "{}")
                        .statusCode())
                .isEqualTo(send(owner, "POST", "/api/sinks/hook/messages/redeliver", "{}")
                        .statusCode());

        // Configuration reads are answered by any node from the shared store, without a relay; a list shows each
        // sink's live health as the node that runs it does.
        HttpResponse<String> sinks = send(other, "GET", "/api/sinks", null);
        assertThat(sinks.statusCode()).isEqualTo(200);
        assertThat(sinks.headers().firstValue("X-Sluice-Served-By")).isEmpty();
        JsonNode listed = JSON.readTree(sinks.body()).get("data").get(0);
        JsonNode listedByOwner = JSON.readTree(
                        send(owner, "GET", "/api/sinks", null).body())
                .get("data")
                .get(0);
        assertThat(listedByOwner.at("/health/status").asString()).isEqualTo("healthy");
        assertThat(listed.at("/health/status").asString())
                .as("the owner's live health, not a stopped sink's 'initializing'")
                .isEqualTo("healthy");
        assertThat(listed.at("/health/checks/1/delivered").asLong())
                .as("the running pipeline's count")
                .isPositive();

        // A console session opened on one node is known to the other (sessions are in the store).
        HttpResponse<String> signIn = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + other.port() + "/sign-in"))
                                .header("Origin", "http://localhost:" + other.port())
                                .header("Content-Type", "application/x-www-form-urlencoded")
                                .POST(HttpRequest.BodyPublishers.ofString("token=" + ServerFixture.TOKEN))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(signIn.statusCode()).as(signIn.body()).isEqualTo(303);
        String cookie = signIn.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        HttpResponse<String> overview = consolePage(owner, "/", cookie);
        assertThat(overview.statusCode()).as("signed in on the other node too").isEqualTo(200);
        assertThat(overview.body()).contains("hook");
        // The other node's overview shows the owner's live rows: the reader's state and the sink's health.
        HttpResponse<String> overviewElsewhere = consolePage(other, "/", cookie);
        assertThat(overviewElsewhere.body())
                .as("rows of a pipeline the owner runs")
                .contains("class=\"pill health-healthy\">healthy<")
                .doesNotContain("not running");

        // A console page about the sink, asked of the node that does not run it, shows the running pipeline's
        // numbers: the owner answers it.
        HttpResponse<String> sinkPage = consolePage(other, "/console/sinks/hook/live", cookie);
        assertThat(sinkPage.statusCode()).as(sinkPage.body()).isEqualTo(200);
        assertThat(sinkPage.headers().firstValue("X-Sluice-Served-By"))
                .hasValueSatisfying(a -> assertThat(a).endsWith(":" + owner.port()));
        assertThat(sinkPage.body()).as("live health, not 'initializing'").contains("id=\"sink-health\">healthy<");

        // The live trace, asked of the other node, streams the owner's deliveries as they happen.
        var trace = HttpClient.newHttpClient()
                .sendAsync(
                        HttpRequest.newBuilder(URI.create(
                                        "http://localhost:" + other.port() + "/console/events/sinks/hook/trace"))
                                .header("Cookie", cookie)
                                .header("Accept", "text/event-stream")
                                .build(),
                        HttpResponse.BodyHandlers.ofLines());
        startWriting();
        try {
            HttpResponse<java.util.stream.Stream<String>> events = trace.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(events.statusCode()).isEqualTo(200);
            assertThat(events.headers().firstValue("X-Sluice-Served-By"))
                    .hasValueSatisfying(a -> assertThat(a).endsWith(":" + owner.port()));
            String delivery = java.util.concurrent.CompletableFuture.supplyAsync(() -> events.body()
                            .filter(line -> line.startsWith("data:") && line.length() > 5)
                            .findFirst()
                            .orElse(""))
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(delivery).as("a traced delivery of the owner").isNotEmpty();
            events.body().close();
        } finally {
            stopWriting();
        }

        // A relay header that no node signed is refused.
        HttpResponse<String> forged = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(
                                        URI.create("http://localhost:" + owner.port() + "/api/sinks/hook/status"))
                                .header("X-Sluice-Forwarded", java.util.UUID.randomUUID() + ".99999999999999.AAAA")
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(forged.statusCode()).isEqualTo(401);
    }

    private static HttpResponse<String> consolePage(ServerProcess node, String path, String cookie) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + node.port() + path))
                                .header("Cookie", cookie)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void clocksSecondsApart_changeNothing_leasesGoByTheStoresClock() throws Exception {
        String lib = libfaketime();
        ServerProcess n1 = start("n1");
        // libfaketime preloaded into the node's JVM shifts its clocks by a constant (its monotonic clock too: a
        // constant
        // offset there changes no interval, and leaving it alone makes libfaketime cut the JVM's timed waits short).
        start("n2", PG.jdbcUrl(sluice.metaDb()), skewed(lib, "+4s"));
        start("n3", PG.jdbcUrl(sluice.metaDb()), skewed(lib, "-4s"));
        await("every node is live by the store's clock").atMost(WAIT).until(() -> {
            JsonNode data = get(n1, "/api/nodes").get("data");
            int live = 0;
            for (JsonNode n : data) {
                live += "live".equals(n.get("status").asString()) ? 1 : 0;
            }
            return live == 3;
        });
        String first = owner(n1);
        startWriting();
        await().atMost(WAIT).until(() -> acceptedNow() > 50);
        nodes.remove(first).kill();
        ServerProcess any = nodes.values().iterator().next();
        await("another node takes the lease and streams").atMost(WAIT).until(() -> {
            String o = owner(any);
            return o != null && !o.equals(first) && streaming(nodes.get(o));
        });
        assertThat(nodes.values().stream().filter(ClusterIT::streaming).count())
                .as("one reader")
                .isEqualTo(1);
        // A relay between nodes whose clocks differ is accepted (its signature is valid for minutes).
        for (ServerProcess n : nodes.values()) {
            assertThat(send(n, "GET", "/api/sinks/hook/status", null).statusCode())
                    .isEqualTo(200);
        }
        int before = acceptedNow();
        await().atMost(WAIT).until(() -> acceptedNow() > before + 50);
        stopWriting();
        assertNothingLost();
    }

    private static Map<String, String> skewed(String lib, String offset) {
        return Map.of("LD_PRELOAD", lib, "FAKETIME", offset);
    }

    /** libfaketime (Debian's faketime package); skips without it (outside CI; .ci/run installs and requires it). */
    private static String libfaketime() {
        for (String dir : List.of("/usr/lib/x86_64-linux-gnu/faketime", "/usr/lib/aarch64-linux-gnu/faketime")) {
            Path p = Path.of(dir, "libfaketime.so.1"); // the MT variant makes every clock read ~20 µs
            if (Files.exists(p)) {
                return p.toString();
            }
        }
        String why = "libfaketime is not installed (apt-get install faketime; .ci/run installs it)";
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI: " + why);
        }
        System.out.println("NOTICE: " + why + "; skipping the clock skew test");
        org.junit.jupiter.api.Assumptions.assumeTrue(false, why);
        return null;
    }

    private static HttpResponse<String> send(ServerProcess node, String method, String path, String body)
            throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + node.port() + path))
                                .header("Authorization", "Bearer " + ServerFixture.TOKEN)
                                .header("Content-Type", "application/json")
                                .timeout(Duration.ofSeconds(30))
                                .method(
                                        method,
                                        body == null
                                                ? HttpRequest.BodyPublishers.noBody()
                                                : HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }

    private static final Pattern LINE_TIME = Pattern.compile("^(\\d{2}:\\d{2}:\\d{2}\\.\\d{3}) ");

    /** The time of the first log line containing {@code text}, or null. */
    private static LocalTime timeOf(String log, String text) {
        List<String> lines = new ArrayList<>(log.lines().toList());
        for (String line : lines) {
            if (line.contains(text)) {
                Matcher m = LINE_TIME.matcher(line);
                if (m.find()) {
                    return LocalTime.parse(m.group(1));
                }
            }
        }
        return null;
    }
}
