package dev.sluice.sink.sns;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.testkit.FreePort;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sns.SnsAsyncClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The fauxqs SNS/SQS emulator (npm {@code fauxqs}, in memory) in a child process of Node.js on a free port of
 * 127.0.0.1. Installs the package under {@code ~/.cache/sluice} when missing (needs npm and the npm registry).
 *
 * <p>What a topic received is read through an SQS queue of the same name (FIFO for a FIFO topic) subscribed to it
 * with raw message delivery: fauxqs fans each published message out to it, a FIFO queue dropping a deduplication id
 * it already has, as AWS does, and shows the queue's messages without consuming them ({@code GET
 * /_fauxqs/queues/<name>}). fauxqs itself takes any credentials; the launcher here refuses any access key id but
 * {@link #ACCESS_KEY_ID}, as SNS refuses an unknown one. A restart loses every topic and message; {@link #restart()}
 * makes the topics again.
 *
 * <p>Without Node.js, {@link #start()} skips the test with a notice, except under {@code CI=true}, where it fails.
 * Public for the server's end-to-end tests.
 */
public final class Fauxqs implements AutoCloseable {
    static final String VERSION = "1.9.2";
    /**
     * The only access key id this fauxqs takes (any secret): requests signed with another get SNS's 403 {@code
     * InvalidClientTokenId}. The signature itself is not checked.
     */
    public static final String ACCESS_KEY_ID = "AKIDFAUXQSSLUICE";
    /** The account fauxqs puts in its ARNs. */
    public static final String ACCOUNT = "000000000000";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    // fauxqs's own start listens on every interface and makes its init resources after listening; this listens on
    // the loopback address only, with the topics, queues and subscriptions of FAUXQS_INIT made before, so that no
    // message published right after a restart finds a topic without its queue.
    private static final String LAUNCHER = """
            import { readFileSync } from "node:fs";
            import { buildApp } from "fauxqs";
            import { SqsStore } from "./node_modules/fauxqs/dist/sqs/sqsStore.js";
            import { SnsStore } from "./node_modules/fauxqs/dist/sns/snsStore.js";
            import { S3Store } from "./node_modules/fauxqs/dist/s3/s3Store.js";
            import { applyInitConfig } from "./node_modules/fauxqs/dist/initConfig.js";
            const port = Number(process.env.FAUXQS_PORT);
            const stores = { sqsStore: new SqsStore(), snsStore: new SnsStore(), s3Store: new S3Store() };
            const init = JSON.parse(readFileSync(process.env.FAUXQS_INIT, "utf8"));
            applyInitConfig(init, stores.sqsStore, stores.snsStore, stores.s3Store, { port, region: "us-east-1" });
            const app = buildApp({ logger: false, stores });
            // fauxqs takes any credentials; SNS refuses an unknown access key id with InvalidClientTokenId.
            const keyId = process.env.FAUXQS_ACCESS_KEY_ID;
            app.addHook("onRequest", async (request, reply) => {
              if (request.method !== "POST") return;
              const auth = request.headers["authorization"] ?? "";
              if (auth.includes("Credential=" + keyId + "/")) return;
              reply.code(403).header("content-type", "text/xml").send(
                '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type>'
                + '<Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.'
                + '</Message></Error><RequestId>00000000-0000-4000-8000-000000000000</RequestId></ErrorResponse>');
              return reply;
            });
            await app.listen({ port, host: "127.0.0.1" });
            """;

    private final Path launcher;
    private final Path log;
    private final Path init;
    private final int port;
    private final Set<String> topics = new LinkedHashSet<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private @Nullable Process process;
    private @Nullable SnsAsyncClient admin;

    /** One message as the subscribed queue holds it. */
    public record Received(
            String body, @Nullable String groupId, @Nullable String deduplicationId) {}

    private Fauxqs(Path launcher, Path log, int port) {
        this.launcher = launcher;
        this.log = log;
        this.port = port;
        this.init = log.resolveSibling("fauxqs-init-" + port + ".json");
    }

    /** Installs if needed and starts fauxqs on a free port; returns once the port answers. */
    public static Fauxqs start() {
        requireNode();
        Fauxqs f = new Fauxqs(install(), Path.of("target", "fauxqs.log").toAbsolutePath(), FreePort.find());
        f.restart();
        return f;
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** The ARN of topic {@code name} in fauxqs's account, in us-east-1. */
    public static String arn(String name) {
        return "arn:aws:sns:us-east-1:" + ACCOUNT + ":" + name;
    }

    /** Stops fauxqs (by its PID) and waits until it is gone. */
    public void stop() {
        Process p = process;
        if (p == null) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Starts fauxqs again on the same port, with the topics made so far (empty). */
    public void restart() {
        stop();
        ProcessBuilder pb = new ProcessBuilder("node", launcher.toString());
        pb.environment().put("FAUXQS_PORT", Integer.toString(port));
        pb.environment().put("FAUXQS_INIT", init.toString());
        pb.environment().put("FAUXQS_ACCESS_KEY_ID", ACCESS_KEY_ID);
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        try {
            Files.createDirectories(log.getParent());
            Files.writeString(init, initConfig());
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start node " + launcher, e);
        }
        Process started = process;
        try {
            Awaitility.await("fauxqs listens on port " + port)
                    .atMost(START_TIMEOUT)
                    .pollInterval(Duration.ofMillis(100))
                    .failFast("fauxqs exited; see " + log, () -> !started.isAlive())
                    .until(this::listening);
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
    }

    /** fauxqs's init config: each topic made so far, its queue and the raw subscription between them. */
    private String initConfig() {
        StringBuilder queues = new StringBuilder();
        StringBuilder topicList = new StringBuilder();
        StringBuilder subscriptions = new StringBuilder();
        for (String name : topics) {
            String sep = queues.isEmpty() ? "" : ",";
            boolean fifo = name.endsWith(".fifo");
            queues.append(sep)
                    .append("{\"name\":\"")
                    .append(name)
                    .append(fifo ? "\",\"attributes\":{\"FifoQueue\":\"true\"}}" : "\"}");
            topicList
                    .append(sep)
                    .append("{\"name\":\"")
                    .append(name)
                    .append(fifo ? "\",\"attributes\":{\"FifoTopic\":\"true\"}}" : "\"}");
            subscriptions
                    .append(sep)
                    .append("{\"topic\":\"")
                    .append(name)
                    .append("\",\"queue\":\"")
                    .append(name)
                    .append("\",\"attributes\":{\"RawMessageDelivery\":\"true\"}}");
        }
        return "{\"queues\":[" + queues + "],\"topics\":[" + topicList + "],\"subscriptions\":[" + subscriptions + "]}";
    }

    /** Makes topic {@code name} (FIFO when it ends in .fifo) and its subscribed queue; returns the topic's ARN. */
    public String createTopic(String name) {
        topics.add(name);
        boolean fifo = name.endsWith(".fifo");
        Map<String, String> fifoAttribute = fifo ? Map.of("FifoTopic", "true") : Map.of();
        String topicArn = admin().createTopic(r -> r.name(name).attributes(fifoAttribute))
                .join()
                .topicArn();
        post(
                "AmazonSQS.CreateQueue",
                "{\"QueueName\":\"" + name + "\"" + (fifo ? ",\"Attributes\":{\"FifoQueue\":\"true\"}" : "") + "}");
        admin().subscribe(r -> r.topicArn(topicArn)
                        .protocol("sqs")
                        .endpoint("arn:aws:sqs:us-east-1:" + ACCOUNT + ":" + name)
                        .attributes(Map.of("RawMessageDelivery", "true")))
                .join();
        return topicArn;
    }

    /** What topic {@code name} received so far, in the order its subscribed queue keeps (per group on FIFO). */
    public List<Received> received(String name) {
        JsonNode queue = JSON.readTree(get("/_fauxqs/queues/" + name));
        List<Received> out = new ArrayList<>();
        for (String state : List.of("inflight", "ready", "delayed")) {
            for (JsonNode m : queue.path("messages").path(state)) {
                JsonNode message = m.has("message") ? m.get("message") : m;
                out.add(new Received(
                        message.get("body").asString(),
                        text(message.get("messageGroupId")),
                        text(message.get("messageDeduplicationId"))));
            }
        }
        return out;
    }

    private static @Nullable String text(@Nullable JsonNode node) {
        return node == null || node.isNull() ? null : node.asString();
    }

    /** A client of fauxqs, for tests to make topics; closed with it. */
    public synchronized SnsAsyncClient admin() {
        if (admin == null) {
            admin = SnsAsyncClient.builder()
                    .region(Region.US_EAST_1)
                    .credentialsProvider(StaticCredentialsProvider.create(
                            AwsBasicCredentials.create(ACCESS_KEY_ID, "fauxqs-admin-secret")))
                    .httpClientBuilder(NettyNioAsyncHttpClient.builder())
                    .endpointOverride(URI.create(endpoint()))
                    .build();
        }
        return admin;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (admin != null) {
                admin.close();
                admin = null;
            }
        }
        stop();
        http.close();
    }

    private boolean listening() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    private String get(String path) {
        return exchange(HttpRequest.newBuilder(URI.create(endpoint() + path)).GET());
    }

    /** An SQS call in its JSON protocol (fauxqs serves SQS beside SNS). */
    private void post(String target, String json) {
        exchange(HttpRequest.newBuilder(URI.create(endpoint() + "/"))
                .header("Content-Type", "application/x-amz-json-1.0")
                .header("X-Amz-Target", target)
                // Unsigned, but with the access key id this fauxqs takes (and the region it reads from here).
                .header(
                        "Authorization",
                        "AWS4-HMAC-SHA256 Credential=" + ACCESS_KEY_ID
                                + "/20250101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    private String exchange(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r =
                    http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("fauxqs answered " + r.statusCode() + ": " + r.body());
            }
            return r.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void requireNode() {
        boolean found;
        try {
            Process p = new ProcessBuilder("node", "--version")
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            found = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            found = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            found = false;
        }
        if (!found && "true".equals(System.getenv("CI"))) {
            throw new IllegalStateException("node is not installed; the SNS tests run fauxqs on Node.js");
        }
        if (!found) {
            System.out.println("NOTICE: node is not installed; skipping the SNS tests (they run the fauxqs emulator"
                    + " on Node.js: apt-get install nodejs npm)");
        }
        assumeTrue(found, "node is not installed");
    }

    private static Path install() {
        Path dir = Path.of(System.getProperty("user.home"), ".cache", "sluice", "fauxqs-" + VERSION);
        Path module = dir.resolve("node_modules/fauxqs/package.json");
        Path launcher = dir.resolve("launch.mjs");
        try {
            if (!Files.isRegularFile(module)) {
                Files.createDirectories(dir);
                Process npm = new ProcessBuilder(
                                "npm",
                                "install",
                                "--no-audit",
                                "--no-fund",
                                "--prefix",
                                dir.toString(),
                                "fauxqs@" + VERSION)
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start();
                if (!npm.waitFor(5, TimeUnit.MINUTES) || npm.exitValue() != 0 || !Files.isRegularFile(module)) {
                    throw new IllegalStateException("npm install fauxqs@" + VERSION + " into " + dir + " failed");
                }
            }
            Files.writeString(launcher, LAUNCHER);
            return launcher;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run npm (is Node.js installed?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
