package dev.sluice.sink.kinesis;

import dev.sluice.testkit.FreePort;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * The kinesis-local emulator (npm {@code kinesis-local}, a Node build of kinesis-mock) in a child process on a plain
 * HTTP port of 127.0.0.1. Installs the package under {@code ~/.cache/sluice} when missing (needs npm and network).
 * Streams live in memory: a restart loses them. Public for the server's end-to-end tests.
 */
public final class KinesisLocal implements AutoCloseable {
    static final String VERSION = "0.6.2";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Path main;
    private final Path log;
    private final int port;
    private Process process;
    private @Nullable KinesisAsyncClient admin;

    private KinesisLocal(Path main, Path log, int port) {
        this.main = main;
        this.log = log;
        this.port = port;
    }

    /** Installs if needed and starts the emulator on a free port; returns once the port answers. */
    public static KinesisLocal start() {
        KinesisLocal k = new KinesisLocal(install(), Path.of("target", "kinesis-local.log"), FreePort.find());
        k.restart();
        return k;
    }

    public int port() {
        return port;
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** Stops the emulator (by its PID) and waits until it is gone. */
    public void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Starts the emulator again on the same port, empty. */
    public void restart() {
        stop();
        ProcessBuilder pb = new ProcessBuilder("node", main.toString());
        pb.environment()
                .put(
                        "KINESIS_MOCK_CERT_PATH",
                        main.resolveSibling("server.json").toString());
        pb.environment().put("KINESIS_MOCK_PLAIN_PORT", Integer.toString(port));
        // Its TLS port defaults to 4567: take a free one so that several emulators can run at once.
        pb.environment().put("KINESIS_MOCK_TLS_PORT", Integer.toString(FreePort.find()));
        pb.environment().put("CREATE_STREAM_DURATION", "50ms");
        pb.environment().put("LOG_LEVEL", "WARN");
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        try {
            Files.createDirectories(log.getParent());
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start node " + main, e);
        }
        try {
            Awaitility.await("kinesis-local listens on port " + port)
                    .atMost(START_TIMEOUT)
                    .pollInterval(Duration.ofMillis(100))
                    .failFast("kinesis-local exited; see " + log, () -> !process.isAlive())
                    .until(this::listening);
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
    }

    private boolean listening() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    /** An ARN of stream {@code name} in the emulator's account and region. */
    public static String arn(String name) {
        return "arn:aws:kinesis:us-east-1:000000000000:stream/" + name;
    }

    /** Creates stream {@code name} with {@code shards} shards and waits until it is active; returns its ARN. */
    public String createStream(String name, int shards) {
        admin().createStream(r -> r.streamName(name).shardCount(shards)).join();
        String arn = arn(name);
        Awaitility.await("stream " + name + " active")
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> admin().describeStreamSummary(r -> r.streamARN(arn))
                                .join()
                                .streamDescriptionSummary()
                                .streamStatus()
                        == StreamStatus.ACTIVE);
        return arn;
    }

    /** Every record of every shard of the stream: shard id to records, each shard in order. */
    public Map<String, List<Record>> records(String arn) {
        Map<String, List<Record>> out = new LinkedHashMap<>();
        for (Shard shard : admin().listShards(r -> r.streamARN(arn)).join().shards()) {
            List<Record> records = new ArrayList<>();
            String iterator = admin().getShardIterator(r ->
                            r.streamARN(arn).shardId(shard.shardId()).shardIteratorType(ShardIteratorType.TRIM_HORIZON))
                    .join()
                    .shardIterator();
            while (iterator != null) {
                String it = iterator;
                var page = admin().getRecords(
                                r -> r.streamARN(arn).shardIterator(it).limit(1000))
                        .join();
                records.addAll(page.records());
                iterator = page.records().isEmpty() ? null : page.nextShardIterator();
            }
            out.put(shard.shardId(), records);
        }
        return out;
    }

    /** A client of the emulator, for tests to create and read streams; closed with the emulator. */
    public synchronized KinesisAsyncClient admin() {
        if (admin == null) {
            admin = KinesisAsyncClient.builder()
                    .region(Region.US_EAST_1)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "y")))
                    .httpClientBuilder(NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP1_1))
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
    }

    private static Path install() {
        Path dir = Path.of(System.getProperty("user.home"), ".cache", "sluice", "kinesis-local-" + VERSION);
        Path main = dir.resolve("node_modules/kinesis-local/main.js");
        if (Files.isRegularFile(main)) {
            return main;
        }
        try {
            Files.createDirectories(dir);
            Process npm = new ProcessBuilder(
                            "npm",
                            "install",
                            "--no-audit",
                            "--no-fund",
                            "--prefix",
                            dir.toString(),
                            "kinesis-local@" + VERSION)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!npm.waitFor(3, TimeUnit.MINUTES) || npm.exitValue() != 0 || !Files.isRegularFile(main)) {
                throw new IllegalStateException("npm install kinesis-local@" + VERSION + " into " + dir + " failed");
            }
            return main;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run npm (is Node.js installed?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
