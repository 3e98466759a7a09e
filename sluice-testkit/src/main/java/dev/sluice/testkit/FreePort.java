package dev.sluice.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * Finds a TCP port that nothing listens on right now. Prefer binding to port 0 directly; use this for servers that
 * need the port before they start (a server process restarted on its port), or for a "connection refused" peer.
 *
 * <p>Ports come from below the kernel's ephemeral range (Linux: 32768 and up), which outgoing connections draw their
 * local ports from: a port handed out here cannot be taken by some client's connection before the server binds it,
 * as one bound with port 0 can. Each port is handed out once per JVM. Another process may still bind it in between.
 */
public final class FreePort {
    private static final int LOW = 20_000;
    private static final int HIGH = 32_000;
    private static final java.util.Set<Integer> GIVEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private FreePort() {}

    /** A port that was free a moment ago. */
    public static int find() {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = random.nextInt(LOW, HIGH);
            if (!GIVEN.contains(port) && bindable(port) && GIVEN.add(port)) {
                return port;
            }
        }
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port", e);
        }
    }

    /** Free on every interface (servers bind the wildcard address) and on loopback. */
    private static boolean bindable(int port) {
        try (ServerSocket any = new ServerSocket()) {
            any.setReuseAddress(false);
            any.bind(new java.net.InetSocketAddress(port), 1);
        } catch (IOException e) {
            return false;
        }
        return true;
    }
}
