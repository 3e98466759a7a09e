package dev.sluice.sink.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.sluice.core.sink.SinkException;
import dev.sluice.testkit.TestMessages;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * https endpoints: a real TLS server (the JDK's) with certificates made by {@code keytool} for this run. The sink
 * verifies the chain and the host name, and fails retriably, saying why, when either is wrong.
 */
class WebhookHttpsIT {
    private static final char[] PASSWORD = "changeit".toCharArray();

    @TempDir
    static Path dir;

    private static KeyStore forLoopback;
    private static KeyStore forOtherHost;

    private final List<HttpsServer> servers = new CopyOnWriteArrayList<>();
    private final List<WebhookSink> sinks = new CopyOnWriteArrayList<>();
    private final List<String> bodies = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void certificates() throws Exception {
        forLoopback = keyStore("loopback", "ip:127.0.0.1");
        forOtherHost = keyStore("other", "dns:elsewhere.example");
    }

    private static KeyStore keyStore(String name, String san) throws Exception {
        Path file = dir.resolve(name + ".p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(
                        keytool.toString(),
                        "-genkeypair",
                        "-alias",
                        "server",
                        "-keyalg",
                        "EC",
                        "-groupname",
                        "secp256r1",
                        "-dname",
                        "CN=sluice-test",
                        "-ext",
                        "SAN=" + san,
                        "-validity",
                        "2",
                        "-storetype",
                        "PKCS12",
                        "-keystore",
                        file.toString(),
                        "-storepass",
                        new String(PASSWORD))
                .redirectErrorStream(true)
                .start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, PASSWORD);
        }
        return store;
    }

    @AfterEach
    void stop() {
        sinks.forEach(WebhookSink::close);
        servers.forEach(s -> s.stop(0));
    }

    private URI serve(KeyStore keys) throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, PASSWORD);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(context));
        server.createContext("/hook", exchange -> {
            bodies.add(new String(exchange.getRequestBody().readAllBytes()));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
        servers.add(server);
        return URI.create("https://127.0.0.1:" + server.getAddress().getPort() + "/hook");
    }

    /** Trusts exactly the certificate in {@code keys}. */
    private static SSLSocketFactory trusting(KeyStore keys) throws Exception {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("server", keys.getCertificate("server"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context.getSocketFactory();
    }

    private WebhookSink sink(URI url, SSLSocketFactory tls) {
        WebhookSink sink = new WebhookSink(new WebhookConfig(url, Map.of(), true, Duration.ofSeconds(5)), tls);
        sinks.add(sink);
        return sink;
    }

    private static SinkException failure(WebhookSink sink) throws Exception {
        try {
            sink.deliver(TestMessages.batch("t", 1)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return (SinkException) e.getCause();
        }
        throw new AssertionError("expected the delivery to fail");
    }

    @Test
    void trustedCertificate_deliversOverTls() throws Exception {
        URI url = serve(forLoopback);
        WebhookSink sink = sink(url, trusting(forLoopback));

        for (int i = 0; i < 3; i++) {
            sink.deliver(TestMessages.batch("s" + i, 2)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        }

        assertThat(bodies).hasSize(3).allSatisfy(b -> assertThat(b).startsWith("{\"data\":["));
    }

    @Test
    void certificateOfAnUnknownIssuer_failsRetriably() throws Exception {
        URI url = serve(forLoopback);
        WebhookSink sink = sink(url, null);

        SinkException failure = failure(sink);

        assertThat(failure.retriable()).isTrue();
        assertThat(failure.getMessage())
                .startsWith("request to " + url + " failed: ")
                .contains("certification path");
        assertThat(bodies).isEmpty();
    }

    @Test
    void certificateForAnotherHost_failsRetriably() throws Exception {
        URI url = serve(forOtherHost);
        WebhookSink sink = sink(url, trusting(forOtherHost));

        SinkException failure = failure(sink);

        assertThat(failure.retriable()).isTrue();
        assertThat(failure.getMessage())
                .startsWith("request to " + url + " failed: ")
                .contains("127.0.0.1");
        assertThat(bodies).isEmpty();
    }
}
