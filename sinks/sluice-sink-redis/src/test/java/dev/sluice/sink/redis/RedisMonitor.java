package dev.sluice.sink.redis;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Every command a real redis-server runs, in the order it runs them, read with {@code MONITOR}: what a Redis String
 * sink wrote, including the values a later {@code SET} of the same key replaced. Survives a server restart by {@link
 * #attach attaching} again; what was seen stays.
 */
final class RedisMonitor implements AutoCloseable {
    /** A command as {@code MONITOR} shows it: the database it ran in, and its arguments (the name first). */
    record Command(int database, List<byte[]> args) {
        String name() {
            return new String(args.getFirst(), StandardCharsets.UTF_8).toUpperCase(java.util.Locale.ROOT);
        }

        String arg(int i) {
            return new String(args.get(i), StandardCharsets.UTF_8);
        }
    }

    private final List<Command> seen = new ArrayList<>(); // guarded by itself; a drain benchmark adds 100,000s
    private volatile Socket socket;

    /** Connects as the default user and starts reading; returns once the server confirmed {@code MONITOR}. */
    void attach(int port, String password) throws Exception {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket = s;
        OutputStream out = s.getOutputStream();
        out.write(resp("AUTH", password));
        out.write(resp("MONITOR"));
        out.flush();
        InputStream in = new BufferedInputStream(s.getInputStream());
        CompletableFuture<Void> ready = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("redis-monitor").start(() -> {
            try {
                for (int oks = 0; oks < 2; oks++) {
                    String line = new String(line(in), StandardCharsets.UTF_8);
                    if (!line.equals("+OK")) {
                        throw new IOException("MONITOR refused: " + line);
                    }
                }
                ready.complete(null);
                for (byte[] line = line(in); line != null; line = line(in)) {
                    Command c = parse(line);
                    synchronized (seen) {
                        seen.add(c);
                    }
                }
            } catch (Exception e) {
                ready.completeExceptionally(e); // after a stop: the reading ends, what was seen stays
            }
        });
        ready.get(10, TimeUnit.SECONDS);
    }

    /** The commands seen so far, in the order the server ran them. */
    List<Command> commands() {
        synchronized (seen) {
            return List.copyOf(seen);
        }
    }

    @Override
    public void close() throws IOException {
        Socket s = socket;
        if (s != null) {
            s.close();
        }
    }

    private static byte[] resp(String... args) {
        StringBuilder b = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            byte[] bytes = a.getBytes(StandardCharsets.UTF_8);
            b.append('$').append(bytes.length).append("\r\n").append(a).append("\r\n");
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** One line without its CRLF; null at the end of the stream. */
    private static byte[] line(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                byte[] bytes = out.toByteArray();
                return bytes.length > 0 && bytes[bytes.length - 1] == '\r'
                        ? java.util.Arrays.copyOf(bytes, bytes.length - 1)
                        : bytes;
            }
            out.write(b);
        }
        return null;
    }

    /**
     * Parses {@code +1700000000.123456 [3 127.0.0.1:5000] "SET" "k" "v"}: each argument quoted as Redis' {@code
     * sdscatrepr} writes it ({@code \\}, {@code \"}, {@code \n}, {@code \r}, {@code \t}, {@code \a}, {@code \b},
     * {@code \xHH}).
     */
    static Command parse(byte[] line) {
        int at = indexOf(line, (byte) '[', 0) + 1;
        int db = 0;
        while (line[at] >= '0' && line[at] <= '9') {
            db = db * 10 + (line[at++] - '0');
        }
        at = indexOf(line, (byte) ']', at) + 1;
        List<byte[]> args = new ArrayList<>();
        while (at < line.length) {
            at = indexOf(line, (byte) '"', at) + 1;
            ByteArrayOutputStream arg = new ByteArrayOutputStream();
            while (line[at] != '"') {
                byte c = line[at++];
                if (c != '\\') {
                    arg.write(c);
                    continue;
                }
                byte e = line[at++];
                switch (e) {
                    case 'n' -> arg.write('\n');
                    case 'r' -> arg.write('\r');
                    case 't' -> arg.write('\t');
                    case 'a' -> arg.write(7);
                    case 'b' -> arg.write('\b');
                    case 'x' -> {
                        arg.write(Integer.parseInt(new String(line, at, 2, StandardCharsets.US_ASCII), 16));
                        at += 2;
                    }
                    default -> arg.write(e);
                }
            }
            at++;
            args.add(arg.toByteArray());
        }
        return new Command(db, args);
    }

    private static int indexOf(byte[] line, byte b, int from) {
        for (int i = from; i < line.length; i++) {
            if (line[i] == b) {
                return i;
            }
        }
        throw new IllegalArgumentException("no '" + (char) b + "' in " + new String(line, StandardCharsets.UTF_8));
    }
}
