package dev.sluice.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * Finds a TCP port on 127.0.0.1 that nothing listens on right now. Prefer binding to port 0 directly;
 * use this for servers that need the port before they start, or for a "connection refused" peer.
 *
 * <p><b>Warning:</b> another process may take the port between this call and its use.
 */
public final class FreePort {
    private FreePort() {}

    /** A port that was free a moment ago. */
    public static int find() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port", e);
        }
    }
}
