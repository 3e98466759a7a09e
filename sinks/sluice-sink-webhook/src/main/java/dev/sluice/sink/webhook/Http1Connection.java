package dev.sluice.sink.webhook;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpConnectTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.jspecify.annotations.Nullable;

/**
 * One keep-alive HTTP/1.1 connection with blocking I/O: writes a request, reads the response, and says whether the
 * connection may carry another one.
 *
 * <p>Response framing follows RFC 9112 §6.3: no body for a {@code HEAD} request, and for 1xx, 204 and 304; {@code
 * Transfer-Encoding: chunked}; {@code
 * Content-Length}; otherwise the body runs to the end of the connection, which is then not reused. Interim 1xx
 * responses are skipped. Bodies of 2xx responses are read and dropped (a body over {@value #DRAIN_LIMIT} bytes closes
 * the connection instead); of other responses the first {@code errorBodyLimit} bytes are kept.
 *
 * <p>Not thread-safe, except {@link #close()}, which another thread may call to abort an exchange in progress.
 */
final class Http1Connection implements AutoCloseable {
    /** Failure before any byte of the response arrived: on a reused connection, likely closed by the peer while idle. */
    static final class NoResponseException extends IOException {
        NoResponseException(String message, @Nullable Throwable cause) {
            super(message, cause);
        }
    }

    private static final int BUFFER = 8192;
    private static final int MAX_LINE = 8192;
    private static final int MAX_HEADERS = 200;
    private static final long DRAIN_LIMIT = 256 * 1024;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] buf = new byte[BUFFER];
    private int pos;
    private int lim;
    private boolean reusable;
    private int exchanges;
    private long idleSince;

    private Http1Connection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /**
     * Connects (and for https, wraps the socket in TLS with host name verification; the handshake happens on the
     * first write).
     *
     * @throws HttpConnectTimeoutException when the connection was not established within {@code connectTimeoutMillis}
     */
    static Http1Connection open(String host, int port, @Nullable SSLSocketFactory tls, int connectTimeoutMillis)
            throws IOException {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(host), port);
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.setKeepAlive(true);
            try {
                socket.connect(address, connectTimeoutMillis);
            } catch (SocketTimeoutException e) {
                HttpConnectTimeoutException timeout = new HttpConnectTimeoutException("connect timed out");
                timeout.initCause(e);
                throw timeout;
            }
            if (tls == null) {
                return new Http1Connection(socket);
            }
            SSLSocket secure = (SSLSocket) tls.createSocket(socket, host, port, true);
            SSLParameters parameters = secure.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            secure.setSSLParameters(parameters);
            return new Http1Connection(secure);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** How many exchanges this connection completed: 0 for a new one. */
    int exchanges() {
        return exchanges;
    }

    /** Whether the last response allows another request on this connection. */
    boolean reusable() {
        // Bytes beyond the response mean the connection is out of step with the peer.
        return reusable && pos == lim && !socket.isClosed();
    }

    long idleSince() {
        return idleSince;
    }

    /**
     * Sends one request and reads its response. {@code body} may be empty when {@code head} carries it.
     *
     * @param bodiless whether the response has no body whatever its headers say: the request was {@code HEAD}
     * @throws NoResponseException when writing failed or the connection ended before the response began
     */
    HttpReply exchange(byte[] head, byte[] body, int errorBodyLimit, boolean bodiless) throws IOException {
        reusable = false;
        try {
            out.write(head);
            if (body.length > 0) {
                out.write(body);
            }
            out.flush();
        } catch (IOException e) {
            throw new NoResponseException("could not send the request: " + e.getMessage(), e);
        }
        boolean started;
        try {
            started = fill();
        } catch (IOException e) {
            throw new NoResponseException("no response: " + e.getMessage(), e);
        }
        if (!started) {
            throw new NoResponseException("connection closed before a response", null);
        }
        HttpReply reply;
        while (true) {
            reply = readResponse(errorBodyLimit, bodiless);
            if (reply != null) {
                break;
            }
        }
        exchanges++;
        idleSince = System.nanoTime();
        return reply;
    }

    /** Reads one response; null for an interim 1xx response that was skipped. */
    private @Nullable HttpReply readResponse(int errorBodyLimit, boolean bodiless) throws IOException {
        String statusLine = readLine();
        // "HTTP/1.1 200 OK": version, space, three digits.
        if (statusLine.length() < 12 || !statusLine.startsWith("HTTP/1.") || statusLine.charAt(8) != ' ') {
            throw new IOException("malformed HTTP status line: " + printable(statusLine));
        }
        boolean http11 = statusLine.charAt(7) != '0';
        int status = parseStatus(statusLine);
        long contentLength = -1;
        boolean chunked = false;
        boolean close = !http11;
        String location = null;
        for (int n = 0; ; n++) {
            String line = readLine();
            if (line.isEmpty()) {
                break;
            }
            if (n == MAX_HEADERS) {
                throw new IOException("HTTP response has more than " + MAX_HEADERS + " header lines");
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IOException("malformed HTTP header line: " + printable(line));
            }
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> contentLength = parseLength(value);
                case "transfer-encoding" ->
                    chunked = value.toLowerCase(Locale.ROOT).endsWith("chunked");
                case "connection" -> {
                    String v = value.toLowerCase(Locale.ROOT);
                    close = v.contains("close") || (!http11 && !v.contains("keep-alive"));
                }
                case "location" -> location = value;
                default -> {}
            }
        }
        if (status >= 100 && status < 200) {
            return null; // 100 Continue, 103 Early Hints: the final response follows.
        }
        boolean success = status >= 200 && status < 300;
        Prefix body = new Prefix(success ? 0 : errorBodyLimit);
        boolean framed = true;
        if (bodiless || status == 204 || status == 304) {
            // No body, whatever the headers say.
        } else if (chunked) {
            framed = readChunked(body);
        } else if (contentLength >= 0) {
            framed = readCounted(contentLength, body);
        } else {
            readToEnd(body);
            framed = false;
        }
        reusable = framed && !close;
        return new HttpReply(status, location, body.bytes());
    }

    private static int parseStatus(String statusLine) throws IOException {
        int status = 0;
        for (int i = 9; i < 12; i++) {
            char c = statusLine.charAt(i);
            if (c < '0' || c > '9') {
                throw new IOException("malformed HTTP status line: " + printable(statusLine));
            }
            status = status * 10 + (c - '0');
        }
        return status;
    }

    private static long parseLength(String value) throws IOException {
        try {
            long length = Long.parseLong(value);
            if (length >= 0) {
                return length;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IOException("malformed Content-Length in HTTP response: " + printable(value));
    }

    /** Reads {@code length} body bytes; false (connection not reusable) when it gave up on a body too long to drain. */
    private boolean readCounted(long length, Prefix body) throws IOException {
        long left = length;
        while (left > 0) {
            if (body.full() && left > DRAIN_LIMIT) {
                return false;
            }
            if (pos == lim && !fill()) {
                throw new EOFException("connection closed in the middle of the response body");
            }
            int n = (int) Math.min(left, lim - pos);
            body.take(buf, pos, n);
            pos += n;
            left -= n;
        }
        return true;
    }

    private boolean readChunked(Prefix body) throws IOException {
        long drained = 0;
        while (true) {
            String sizeLine = readLine();
            int semicolon = sizeLine.indexOf(';');
            String hex = (semicolon >= 0 ? sizeLine.substring(0, semicolon) : sizeLine).trim();
            long size;
            try {
                size = Long.parseLong(hex, 16);
            } catch (NumberFormatException e) {
                throw new IOException("malformed chunk size in HTTP response: " + printable(sizeLine));
            }
            if (size < 0) {
                throw new IOException("malformed chunk size in HTTP response: " + printable(sizeLine));
            }
            if (size == 0) {
                while (!readLine().isEmpty()) {
                    // trailer fields: ignored
                }
                return true;
            }
            drained += size;
            if (body.full() && drained > DRAIN_LIMIT) {
                return false;
            }
            if (!readCounted(size, body)) {
                return false;
            }
            if (!readLine().isEmpty()) {
                throw new IOException("malformed chunked HTTP response: no line end after a chunk");
            }
        }
    }

    private void readToEnd(Prefix body) throws IOException {
        long drained = 0;
        while (pos < lim || fill()) {
            int n = lim - pos;
            body.take(buf, pos, n);
            pos = lim;
            drained += n;
            if (body.full() && drained > DRAIN_LIMIT) {
                return;
            }
        }
    }

    /** A line without its CRLF (or bare LF), as ISO-8859-1. */
    private String readLine() throws IOException {
        StringBuilder line = null;
        while (true) {
            if (pos == lim && !fill()) {
                throw new EOFException("connection closed in the middle of the response head");
            }
            int start = pos;
            while (pos < lim && buf[pos] != '\n') {
                pos++;
            }
            int end = pos;
            boolean complete = pos < lim;
            if (complete) {
                pos++; // the LF
            }
            String part = new String(buf, start, end - start, StandardCharsets.ISO_8859_1);
            line = line == null ? new StringBuilder(part) : line.append(part);
            if (line.length() > MAX_LINE) {
                throw new IOException("HTTP response line longer than " + MAX_LINE + " bytes");
            }
            if (complete) {
                int length = line.length();
                if (length > 0 && line.charAt(length - 1) == '\r') {
                    line.setLength(length - 1);
                }
                return line.toString();
            }
        }
    }

    /** Reads more bytes into the empty buffer; false at the end of the stream. */
    private boolean fill() throws IOException {
        int n = in.read(buf, 0, buf.length);
        if (n < 0) {
            pos = lim = 0;
            return false;
        }
        pos = 0;
        lim = n;
        return true;
    }

    private static String printable(String s) {
        String cut = s.length() > 80 ? s.substring(0, 80) + "…" : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }

    /** Closes the socket; safe from any thread, idempotent. An exchange in progress fails with an IOException. */
    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // Nothing to do: the connection is gone either way.
        }
    }

    /** Keeps the first {@code limit} bytes given to it. */
    private static final class Prefix {
        private final byte[] kept;
        private int length;

        Prefix(int limit) {
            this.kept = new byte[limit];
        }

        void take(byte[] b, int off, int n) {
            int k = Math.min(n, kept.length - length);
            System.arraycopy(b, off, kept, length, k);
            length += k;
        }

        boolean full() {
            return length == kept.length;
        }

        byte[] bytes() {
            return length == kept.length ? kept : java.util.Arrays.copyOf(kept, length);
        }
    }
}
