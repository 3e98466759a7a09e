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
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on 127.0.0.1 for fault tests: it forwards every accepted connection to a target and can drop
 * the open connections, stop carrying bytes without closing anything (a network path gone silent), and refuse
 * new connections.
 *
 * <p>It also counts what the connecting side does: connections accepted, connections the client still holds
 * open, and the most it held open at once. A client closing its end is noticed while blackholed too, so a test
 * can tell connections a client gave up on from connections it leaks.
 *
 * <p>Concurrency: every method may be called from any thread. One platform thread accepts; each connection
 * has four virtual threads, a reader and a writer per direction. {@link #close()} closes the listener and every
 * connection and waits for the accept thread.
 */
public final class FaultProxy implements AutoCloseable {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    // Bytes held per direction while blackholed before the reader stops reading: about a TCP window, so a
    // silent path still pushes back on the sender, yet a request and the client's close behind it are seen.
    private static final int HOLD_LIMIT = 256 * 1024;
    // Marks the end of stream in a direction's held chunks (compared by identity).
    private static final byte[] END = new byte[0];

    private final String targetHost;
    private final int targetPort;
    private final ServerSocket listener;
    private final Thread acceptor;
    private final Set<Pair> pairs = ConcurrentHashMap.newKeySet();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicInteger clientOpen = new AtomicInteger();
    private final AtomicInteger maxClientOpen = new AtomicInteger();
    // Guards blackholed and every direction's held chunks; readers and writers wait on it.
    private final Object gate = new Object();
    private boolean blackholed;
    // Guarded by gate: bytes read from either side of any connection and not yet written to the other.
    private long heldTotal;
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

    /** Connections accepted and connected to the target since the start. */
    public long acceptedCount() {
        return accepted.get();
    }

    /**
     * Connections the client holds open: accepted, and neither closed by the client (seen as an end of stream or
     * an error on its side, blackholed or not) nor closed by this proxy.
     */
    public int openClientConnections() {
        return clientOpen.get();
    }

    /** The most {@linkplain #openClientConnections() client connections} open at once since the start. */
    public int maxOpenClientConnections() {
        return maxClientOpen.get();
    }

    /**
     * Bytes read from either side and not yet passed on to the other: while {@linkplain #blackhole() blackholed},
     * what the silent path has swallowed so far. A test waits for it to know its bytes reached the proxy and stopped
     * there.
     */
    public long heldBytes() {
        synchronized (gate) {
            return heldTotal;
        }
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
            accepted.incrementAndGet();
            maxClientOpen.accumulateAndGet(clientOpen.incrementAndGet(), Math::max);
            if (closed) {
                pair.close(true);
                return;
            }
            Direction up = new Direction(pair, client, upstream, true);
            Direction down = new Direction(pair, upstream, client, false);
            Thread.ofVirtual().name("fault-proxy-up-read").start(() -> read(up));
            Thread.ofVirtual().name("fault-proxy-up-write").start(() -> write(up));
            Thread.ofVirtual().name("fault-proxy-down-read").start(() -> read(down));
            Thread.ofVirtual().name("fault-proxy-down-write").start(() -> write(down));
        }
    }

    /**
     * Reads {@code d.from} into its held chunks until the end of stream, which is held too: a silent path does not
     * carry a close either. Keeps reading while blackholed, up to {@link #HOLD_LIMIT}, so a client's close is seen.
     */
    private void read(Direction d) {
        byte[] buf = new byte[16 * 1024];
        try {
            InputStream in = d.from.getInputStream();
            while (true) {
                int n = in.read(buf);
                synchronized (gate) {
                    if (n < 0) {
                        d.held.add(END);
                        gate.notifyAll();
                        break;
                    }
                    d.held.add(Arrays.copyOf(buf, n));
                    d.heldBytes += n;
                    heldTotal += n;
                    gate.notifyAll();
                    while (d.heldBytes >= HOLD_LIMIT && !d.pair.closed && !closed) {
                        gate.wait();
                    }
                    if (d.pair.closed || closed) {
                        return;
                    }
                }
            }
        } catch (IOException e) {
            // An error is not held back: the pair ends now.
            d.pair.close(false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            d.pair.close(false);
        }
        if (d.fromClient) {
            d.pair.clientGone();
        }
    }

    /** Passes held chunks on to {@code d.to} while bytes flow; closes the pair after the end of stream. */
    private void write(Direction d) {
        try {
            OutputStream out = d.to.getOutputStream();
            while (true) {
                byte[] chunk;
                synchronized (gate) {
                    while ((blackholed || d.held.isEmpty()) && !d.pair.closed && !closed) {
                        gate.wait();
                    }
                    if (d.pair.closed || closed) {
                        return;
                    }
                    chunk = d.held.poll();
                    d.heldBytes -= chunk.length;
                    heldTotal -= chunk.length;
                    gate.notifyAll();
                }
                if (chunk == END) {
                    break;
                }
                out.write(chunk);
                out.flush();
            }
        } catch (IOException e) {
            // the pair ends below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        d.pair.close(false);
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

    /** One direction of a pair: bytes read from {@code from} and not yet written to {@code to}. */
    private static final class Direction {
        final Pair pair;
        final Socket from;
        final Socket to;
        final boolean fromClient;
        // Guarded by gate.
        final ArrayDeque<byte[]> held = new ArrayDeque<>();
        int heldBytes;

        Direction(Pair pair, Socket from, Socket to, boolean fromClient) {
            this.pair = pair;
            this.from = from;
            this.to = to;
            this.fromClient = fromClient;
        }
    }

    /** One proxied connection: the accepted client socket and the socket to the target. */
    private final class Pair {
        final Socket client;
        final Socket upstream;
        volatile boolean closed;
        private boolean clientGone;

        /** The client's end is closed: counted once, whether the client or this proxy closed it. */
        void clientGone() {
            synchronized (this) {
                if (clientGone) {
                    return;
                }
                clientGone = true;
            }
            clientOpen.decrementAndGet();
        }

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
            clientGone();
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
