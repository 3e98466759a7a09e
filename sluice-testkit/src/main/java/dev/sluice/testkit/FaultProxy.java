package dev.sluice.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on 127.0.0.1 for fault tests: it forwards every accepted connection to a target and can drop
 * the open connections, stop carrying bytes without closing anything (a network path gone silent), and refuse
 * new connections.
 *
 * <p>Concurrency: every method may be called from any thread. One platform thread accepts; each connection
 * has two virtual threads, one per direction. {@link #close()} closes the listener and every connection and
 * waits for the accept thread.
 */
public final class FaultProxy implements AutoCloseable {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final String targetHost;
    private final int targetPort;
    private final ServerSocket listener;
    private final Thread acceptor;
    private final Set<Pair> pairs = ConcurrentHashMap.newKeySet();
    // Guards blackholed; pumps wait on it while bytes must not flow.
    private final Object gate = new Object();
    private boolean blackholed;
    private volatile boolean refusing;
    private volatile boolean closed;

    private FaultProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = Thread.ofPlatform()
                .daemon()
                .name("fault-proxy-" + listener.getLocalPort())
                .start(this::acceptLoop);
    }

    /** Listens on a free port of 127.0.0.1 and forwards to {@code host:port}. */
    public static FaultProxy start(String host, int port) {
        try {
            return new FaultProxy(host, port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The port to connect to instead of the target's. */
    public int port() {
        return listener.getLocalPort();
    }

    /** Connections currently open (accepted and connected to the target). */
    public int connectionCount() {
        return pairs.size();
    }

    /** Resets every open connection, on both sides; new connections are accepted as before. */
    public void dropConnections() {
        for (Pair p : List.copyOf(pairs)) {
            p.close(true);
        }
        wakePumps();
    }

    /**
     * Stops carrying bytes in both directions, for open and new connections, without closing anything: each
     * peer sees a connection that hangs. Bytes read meanwhile are held and passed on after {@link #restore()}.
     */
    public void blackhole() {
        synchronized (gate) {
            blackholed = true;
        }
    }

    /** Carries bytes again after {@link #blackhole()}. */
    public void restore() {
        synchronized (gate) {
            blackholed = false;
            gate.notifyAll();
        }
    }

    /** While true, new connections are closed as soon as they are accepted; open ones are kept. */
    public void refuse(boolean refuse) {
        this.refusing = refuse;
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException e) {
            // closing anyway
        }
        dropConnections();
        try {
            acceptor.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void wakePumps() {
        synchronized (gate) {
            gate.notifyAll();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            if (refusing) {
                reset(client);
                continue;
            }
            Socket upstream = new Socket();
            try {
                upstream.setTcpNoDelay(true);
                client.setTcpNoDelay(true);
                upstream.connect(new InetSocketAddress(targetHost, targetPort), (int) CONNECT_TIMEOUT.toMillis());
            } catch (IOException e) {
                reset(client);
                closeQuietly(upstream);
                continue;
            }
            Pair pair = new Pair(client, upstream);
            pairs.add(pair);
            if (closed) {
                pair.close(true);
                return;
            }
            Thread.ofVirtual().name("fault-proxy-up").start(() -> pump(pair, client, upstream));
            Thread.ofVirtual().name("fault-proxy-down").start(() -> pump(pair, upstream, client));
        }
    }

    /** Copies {@code from} to {@code to} until either side ends; then closes the pair. */
    private void pump(Pair pair, Socket from, Socket to) {
        byte[] buf = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            while (true) {
                int n = in.read(buf);
                // An end of stream is held back like bytes are: a silent path does not carry a close either.
                if (!awaitFlowing(pair)) {
                    return;
                }
                if (n < 0) {
                    break;
                }
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // the pair ends below
        }
        pair.close(false);
    }

    /** Waits while blackholed; false if the pair was closed meanwhile. */
    private boolean awaitFlowing(Pair pair) {
        synchronized (gate) {
            while (blackholed && !pair.closed && !closed) {
                try {
                    gate.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return !pair.closed;
    }

    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (IOException e) {
            // a plain close then
        }
        closeQuietly(s);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    /** One proxied connection: the accepted client socket and the socket to the target. */
    private final class Pair {
        final Socket client;
        final Socket upstream;
        volatile boolean closed;

        Pair(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        /** @param abrupt reset (RST) rather than close normally */
        void close(boolean abrupt) {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            pairs.remove(this);
            if (abrupt) {
                reset(client);
                reset(upstream);
            } else {
                closeQuietly(client);
                closeQuietly(upstream);
            }
            wakePumps();
        }
    }
}
