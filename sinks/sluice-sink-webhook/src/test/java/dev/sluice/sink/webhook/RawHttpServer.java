package dev.sluice.sink.webhook;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1 server on a plain socket whose responses a test writes byte for byte: chunked bodies, bodies framed by
 * the end of the connection, interim responses, connections closed while idle. It records each request's head and body
 * exactly as received and counts connections.
 */
final class RawHttpServer implements AutoCloseable {
    /** What to do after a request: the bytes to answer, and whether to close the connection then. */
    record Answer(String bytes, boolean closeAfter) {
        static Answer keepAlive(String bytes) {
            return new Answer(bytes, false);
        }

        static Answer thenClose(String bytes) {
            return new Answer(bytes, true);
        }
    }

    /** Chooses the answer to the {@code n}th request (from 0) over all connections. */
    @FunctionalInterface
    interface Script {
        Answer answer(int n);
    }

    record Received(String head, String body) {
        String requestLine() {
            return head.substring(0, head.indexOf("\r\n"));
        }

        /** Header lines with this name (ignoring case), as received. */
        List<String> headers(String name) {
            return head.lines()
                    .skip(1)
                    .filter(l -> l.toLowerCase(Locale.ROOT).startsWith(name.toLowerCase(Locale.ROOT) + ":"))
                    .toList();
        }
    }

    private final ServerSocket server;
    private final Script script;
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    private RawHttpServer(Script script) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.script = script;
        Thread.ofPlatform().daemon().name("raw-http-accept").start(this::accept);
    }

    static RawHttpServer start(Script script) throws IOException {
        return new RawHttpServer(script);
    }

    URI url(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + pathAndQuery);
    }

    int connections() {
        return connections.get();
    }

    List<Received> received() {
        return List.copyOf(received);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                connections.incrementAndGet();
                sockets.add(socket);
                Thread.ofPlatform().daemon().name("raw-http-conn").start(() -> serve(socket));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                int length = contentLength(head);
                String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
                received.add(new Received(head, body));
                Answer answer = script.answer(requests.getAndIncrement());
                out.write(answer.bytes().getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                if (answer.closeAfter()) {
                    return;
                }
            }
        } catch (IOException e) {
            // The client went away.
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static int contentLength(String head) {
        return head.lines()
                .filter(l -> l.toLowerCase(Locale.ROOT).startsWith("content-length:"))
                .map(l -> Integer.parseInt(l.substring(l.indexOf(':') + 1).trim()))
                .findFirst()
                .orElse(0);
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
