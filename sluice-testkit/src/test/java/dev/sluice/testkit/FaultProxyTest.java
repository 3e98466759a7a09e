package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FaultProxyTest {
    private final Echo echo = new Echo();
    private final FaultProxy proxy = FaultProxy.start("127.0.0.1", echo.port());

    @AfterEach
    void tearDown() throws IOException {
        proxy.close();
        echo.close();
    }

    @Test
    void forwardsBytesBothWays() throws Exception {
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "hello")).isEqualTo("hello");
            assertThat(roundTrip(s, "again")).isEqualTo("again");
            await(() -> proxy.connectionCount() == 1);
        }
        await(() -> proxy.connectionCount() == 0);
    }

    @Test
    void dropConnections_resetsOpenConnectionsAndAcceptsNewOnes() throws Exception {
        try (Socket a = connect();
                Socket b = connect()) {
            roundTrip(a, "a");
            roundTrip(b, "b");
            assertThat(proxy.connectionCount()).isEqualTo(2);

            proxy.dropConnections();

            assertThat(proxy.connectionCount()).isZero();
            assertThatThrownBy(() -> {
                        // A reset shows as an exception or an end of stream, depending on timing.
                        a.getOutputStream().write('x');
                        if (a.getInputStream().read() < 0) {
                            throw new IOException("closed");
                        }
                    })
                    .isInstanceOf(IOException.class);
            try (Socket c = connect()) {
                assertThat(roundTrip(c, "new")).isEqualTo("new");
            }
        }
    }

    @Test
    void blackhole_holdsBytesWithoutClosingAndRestoreDeliversThem() throws Exception {
        try (Socket s = connect()) {
            roundTrip(s, "before");
            proxy.blackhole();
            s.getOutputStream().write("held".getBytes(StandardCharsets.UTF_8));
            // The proxy read the bytes and holds them: they did not go on to the echo, so nothing came back.
            await(() -> proxy.heldBytes() == 4);
            assertThat(echo.received.get()).isEqualTo("before".length());
            assertThat(s.getInputStream().available()).isZero();
            assertThat(proxy.connectionCount()).isEqualTo(1);

            proxy.restore();
            s.setSoTimeout(5000);
            assertThat(new String(s.getInputStream().readNBytes(4), StandardCharsets.UTF_8))
                    .isEqualTo("held");
            assertThat(roundTrip(s, "after")).isEqualTo("after");
        }
    }

    @Test
    void blackhole_appliesToNewConnectionsToo() throws Exception {
        proxy.blackhole();
        try (Socket s = connect()) {
            s.getOutputStream().write('x');
            await(() -> proxy.heldBytes() == 1);
            assertThat(echo.received.get()).isZero();
            assertThat(s.getInputStream().available()).isZero();
            proxy.restore();
            s.setSoTimeout(5000);
            assertThat(s.getInputStream().read()).isEqualTo('x');
        }
    }

    @Test
    void blackhole_stillNoticesAClientClosingItsConnection() throws Exception {
        proxy.blackhole();
        Socket a = connect();
        Socket b = connect();
        Socket c = connect();
        await(() -> proxy.openClientConnections() == 3);
        a.getOutputStream().write("request".getBytes(StandardCharsets.UTF_8));
        a.close(); // a client giving up on a request that got no answer
        b.close();
        await(() -> proxy.openClientConnections() == 1);
        // The target has not seen the close: the path is silent.
        assertThat(proxy.connectionCount()).isEqualTo(3);
        assertThat(proxy.maxOpenClientConnections()).isEqualTo(3);
        assertThat(proxy.acceptedCount()).isEqualTo(3);

        proxy.restore();
        await(() -> proxy.connectionCount() == 1);
        try (c) {
            assertThat(roundTrip(c, "still")).isEqualTo("still");
        }
        await(() -> proxy.openClientConnections() == 0);
        assertThat(proxy.maxOpenClientConnections()).isEqualTo(3);
    }

    @Test
    void refuse_closesNewConnectionsAtOnceAndKeepsOpenOnes() throws Exception {
        try (Socket open = connect()) {
            roundTrip(open, "1");
            proxy.refuse(true);
            try (Socket refused = connect()) {
                refused.setSoTimeout(5000);
                assertThatThrownBy(() -> {
                            refused.getOutputStream().write('x');
                            if (refused.getInputStream().read() < 0) {
                                throw new IOException("closed");
                            }
                        })
                        .isInstanceOf(IOException.class);
            }
            assertThat(roundTrip(open, "2")).isEqualTo("2");
            proxy.refuse(false);
            try (Socket again = connect()) {
                assertThat(roundTrip(again, "3")).isEqualTo("3");
            }
        }
    }

    @Test
    void close_closesEveryConnection() throws Exception {
        Socket s = connect();
        roundTrip(s, "x");
        proxy.close();
        s.setSoTimeout(5000);
        try (s) {
            assertThatThrownBy(() -> {
                        if (s.getInputStream().read() < 0) {
                            throw new IOException("closed");
                        }
                    })
                    .isInstanceOf(IOException.class);
        }
        assertThat(proxy.connectionCount()).isZero();
        await(() -> echo.open.isEmpty());
    }

    private Socket connect() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
        s.setSoTimeout(5000);
        return s;
    }

    private static String roundTrip(Socket s, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        s.getOutputStream().write(bytes);
        return new String(s.getInputStream().readNBytes(bytes.length), StandardCharsets.UTF_8);
    }

    private static void await(BooleanSupplier condition) {
        Awaitility.await()
                .atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(10))
                .until(condition::getAsBoolean);
    }

    /** Echoes every byte back, one virtual thread per connection. */
    private static final class Echo implements AutoCloseable {
        final ServerSocket server;
        final Set<Socket> open = ConcurrentHashMap.newKeySet();
        final AtomicLong received = new AtomicLong();

        Echo() {
            try {
                server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        open.add(s);
                        Thread.ofVirtual().start(() -> serve(s));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        private void serve(Socket s) {
            try (s;
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream()) {
                byte[] buf = new byte[8192];
                for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                    received.addAndGet(n);
                    out.write(buf, 0, n);
                }
            } catch (IOException e) {
                // peer went away
            } finally {
                open.remove(s);
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : open) {
                s.close();
            }
        }
    }
}
