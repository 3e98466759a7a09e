package dev.sluice.sink.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.testkit.TestMessages;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Subscription;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code tls: true} against a real nats-server that requires TLS, with a certificate for {@code localhost} issued by a
 * CA made here (openssl) and put in the JVM's default trust store ({@code javax.net.ssl.trustStore}, read when the
 * default TLS context is first made: no other test of this JVM uses TLS before). Connecting by the name the
 * certificate is for works; by an address it is not for, the host name check refuses it.
 */
class NatsTlsIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(3);
    private static Path certs;
    private static NatsServer nats;

    @BeforeAll
    static void start() throws Exception {
        NatsServer.requireBinary();
        certs = Files.createTempDirectory("sluice-nats-tls-");
        makeCertificates();
        System.setProperty(
                "javax.net.ssl.trustStore", certs.resolve("trust.p12").toString());
        System.setProperty("javax.net.ssl.trustStorePassword", "changeit");
        System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
        nats = new NatsServer("tls {\n  cert_file: \"" + certs.resolve("server.pem") + "\"\n  key_file: \""
                + certs.resolve("server.key") + "\"\n}");
        nats.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (nats != null) {
            nats.close();
        }
        if (certs != null) {
            try (Stream<Path> files = Files.walk(certs)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static NatsConfig config(String host, boolean tls) {
        return new NatsConfig(host, nats.port(), NatsServer.USER, NatsServer.PASSWORD, null, null, tls, TIMEOUT);
    }

    @Test
    void trustedCertificateForTheHostName_connects_andMessagesArrive() throws Exception {
        NatsConfig c = config("localhost", true);
        assertThat(new NatsProvider().check(c, TIMEOUT)).isEqualTo(CheckResult.OK);
        try (Connection client = nats.client();
                NatsSink sink = new NatsSink(c)) {
            Subscription sub = client.subscribe("sequin.>");
            client.flush(TIMEOUT);
            sink.start(new SinkContext("nats-tls", "nats-tls"));
            sink.deliver(new Batch(List.of(TestMessages.insert("t-1", "tls", 0))))
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            AtomicReference<Message> got = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                got.set(sub.nextMessage(Duration.ofMillis(100)));
                return got.get() != null;
            });
            assertThat(got.get().getSubject()).isEqualTo("sequin.shop.public.orders.insert");
        }
    }

    @Test
    void certificateForAnotherHostName_isRefused() {
        CheckResult result = new NatsProvider().check(config("127.0.0.1", true), TIMEOUT);
        assertThat(result.status()).as(result.detail()).isEqualTo(CheckResult.Status.FAILED);
        assertThat(result.detail()).contains("TLS handshake failed");
    }

    @Test
    void withoutTls_aServerThatRequiresIt_isNotOk() {
        CheckResult result = new NatsProvider().check(config("localhost", false), TIMEOUT);
        assertThat(result.ok()).as(result.detail()).isFalse();
        assertThat(result.detail()).contains("SSL required by server").doesNotContain(NatsServer.PASSWORD);
    }

    private static void makeCertificates() throws IOException, InterruptedException {
        boolean openssl = Files.isExecutable(Path.of("/usr/bin/openssl"));
        if (!openssl) {
            System.out.println("NOTICE: openssl is not installed; skipping the NATS TLS tests");
        }
        assumeTrue(openssl, "openssl is not installed");
        Files.writeString(certs.resolve("ext.cnf"), "subjectAltName=DNS:localhost\n");
        run(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=sluice-test-ca");
        run(
                "openssl",
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=localhost");
        run(
                "openssl",
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "2",
                "-extfile",
                "ext.cnf");
        String keytool =
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        run(
                keytool,
                "-importcert",
                "-noprompt",
                "-alias",
                "ca",
                "-file",
                "ca.pem",
                "-keystore",
                "trust.p12",
                "-storetype",
                "PKCS12",
                "-storepass",
                "changeit");
    }

    private static void run(String... command) throws IOException, InterruptedException {
        File log = certs.resolve("commands.log").toFile();
        Process p = new ProcessBuilder(command)
                .directory(certs.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log))
                .start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + Files.readString(log.toPath()));
        }
    }
}
