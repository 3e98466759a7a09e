package dev.sluice.sink.nats;

import dev.sluice.testkit.FreePort;
import io.nats.client.Connection;
import io.nats.client.NKey;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.support.JsonSerializable;
import io.nats.client.support.JwtUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * A real {@code nats-server} in operator mode (decentralised JWT authentication, no JetStream): an operator, one
 * account preloaded in a memory resolver, and a user of it whose JWT and seed ({@link #userJwt()}, {@link
 * #userSeed()}) are what a {@code .creds} file holds. The JWTs are issued here with the client's own {@link
 * JwtUtils}, as {@code nsc} would.
 */
final class NatsOperatorServer implements AutoCloseable {
    private static final String NO_LIMITS = "\"limits\":{\"subs\":-1,\"data\":-1,\"payload\":-1,\"imports\":-1,"
            + "\"exports\":-1,\"wildcards\":true,\"conn\":-1,\"leaf\":-1}";

    private final int port = FreePort.find();
    private Path dir;
    private Process process;
    private String userJwt;
    private String userSeed;

    void start() throws Exception {
        Path binary = NatsServer.requireBinary();
        dir = Files.createTempDirectory("sluice-nats-op-");
        long now = JwtUtils.currentTimeSeconds();
        NKey operator = NKey.createOperator(null);
        String operatorPub = new String(operator.getPublicKey());
        String operatorJwt = JwtUtils.issueJWT(
                operator, operatorPub, "sluice-test-operator", null, now, operatorPub, claim("operator", ""));
        NKey account = NKey.createAccount(null);
        String accountPub = new String(account.getPublicKey());
        String accountJwt = JwtUtils.issueJWT(
                operator, accountPub, "sluice-test-account", null, now, operatorPub, claim("account", NO_LIMITS));
        NKey user = NKey.createUser(null);
        userJwt = JwtUtils.issueUserJWT(account, accountPub, new String(user.getPublicKey()), "sluice-test-user");
        userSeed = new String(user.getSeed());
        Files.writeString(dir.resolve("nats.conf"), """
                listen: "127.0.0.1:%d"
                operator: "%s"
                resolver: MEMORY
                resolver_preload: {
                  %s: "%s"
                }
                """.formatted(port, operatorJwt, accountPub, accountJwt));
        process = new ProcessBuilder(List.of(
                        binary.toString(), "-c", dir.resolve("nats.conf").toString()))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("nats.log").toFile())
                .start();
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .ignoreExceptions()
                .until(() -> {
                    try (Connection c = client()) {
                        return c.getStatus() == Connection.Status.CONNECTED;
                    }
                });
    }

    int port() {
        return port;
    }

    String userJwt() {
        return userJwt;
    }

    String userSeed() {
        return userSeed;
    }

    /** A connection as the user, for reading back. */
    Connection client() throws Exception {
        return Nats.connect(new Options.Builder()
                .server("nats://127.0.0.1:" + port)
                .authHandler(Nats.staticCredentials(userJwt.toCharArray(), userSeed.toCharArray()))
                .connectionTimeout(Duration.ofSeconds(5))
                .errorListener(new io.nats.client.ErrorListener() {})
                .build());
    }

    @Override
    public void close() throws Exception {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static JsonSerializable claim(String type, String more) {
        String json = "{\"type\":\"" + type + "\",\"version\":2" + (more.isEmpty() ? "" : "," + more) + "}";
        return () -> json;
    }
}
