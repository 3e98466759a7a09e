package dev.sluice.client.webhook;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A {@code jakarta.servlet} filter for the URL Sluice's notification webhooks POST to: it verifies the
 * {@code Sluice-Signature} of the raw body, answers {@code 400} with the reason when it does not hold, and otherwise
 * passes the request on with the parsed {@link WebhookEvent} in the request attribute {@link WebhookEvent#ATTRIBUTE}
 * (the body can still be read).
 *
 * {@snippet class=dev.sluice.client.webhook.WebhookFilterIT region=filter}
 *
 * <p>Needs {@code jakarta.servlet-api} 6 at run time (the SDK does not bring it). Configure it in code, or in
 * {@code web.xml} with the init parameters {@code secret} and optionally {@code tolerance-seconds}. Bodies above
 * {@value #MAX_BODY_BYTES} bytes are answered {@code 413}. Thread-safe.
 */
public final class WebhookFilter implements Filter {
    /** The largest body read. */
    public static final int MAX_BODY_BYTES = 1 << 20;

    private @Nullable String secret;
    private Duration tolerance;

    /** For {@code web.xml}: the secret comes from the init parameter {@code secret}. */
    public WebhookFilter() {
        this.tolerance = WebhookSignature.DEFAULT_TOLERANCE;
    }

    /** Verifies with {@code secret} and the default tolerance. */
    public WebhookFilter(String secret) {
        this(secret, WebhookSignature.DEFAULT_TOLERANCE);
    }

    /** Verifies with {@code secret}, refusing timestamps further than {@code tolerance} from now. */
    public WebhookFilter(String secret, Duration tolerance) {
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("secret must not be empty: use the webhook's secret from its create");
        }
        this.secret = secret;
        this.tolerance = tolerance;
    }

    @Override
    public void init(FilterConfig config) throws ServletException {
        String s = config.getInitParameter("secret");
        if (s != null && !s.isEmpty()) {
            secret = s;
        }
        String t = config.getInitParameter("tolerance-seconds");
        if (t != null) {
            try {
                tolerance = Duration.ofSeconds(Long.parseLong(t.strip()));
            } catch (NumberFormatException e) {
                throw new ServletException("tolerance-seconds must be a whole number of seconds, got '" + t + "'");
            }
        }
        if (secret == null) {
            throw new ServletException("WebhookFilter needs the webhook's secret: init parameter 'secret'");
        }
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (!(request instanceof HttpServletRequest http) || !(response instanceof HttpServletResponse out)) {
            chain.doFilter(request, response);
            return;
        }
        String key = secret;
        if (key == null) {
            throw new ServletException(
                    "WebhookFilter has no secret: construct it with one or set init parameter 'secret'");
        }
        byte[] body = readBody(http.getInputStream());
        if (body == null) {
            reject(out, 413, "body larger than " + MAX_BODY_BYTES + " bytes");
            return;
        }
        WebhookSignature.Outcome outcome =
                WebhookSignature.check(body, http.getHeader(WebhookSignature.HEADER), key, tolerance, Instant.now());
        if (outcome != WebhookSignature.Outcome.VALID) {
            reject(out, 400, outcome.reason);
            return;
        }
        WebhookEvent event;
        try {
            event = WebhookEvent.parse(body);
        } catch (IllegalArgumentException e) {
            reject(out, 400, e.getMessage());
            return;
        }
        http.setAttribute(WebhookEvent.ATTRIBUTE, event);
        chain.doFilter(new Replayed(http, body), response);
    }

    private static byte @Nullable [] readBody(InputStream in) throws IOException {
        byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
        return body.length > MAX_BODY_BYTES ? null : body;
    }

    private static void reject(HttpServletResponse out, int status, String reason) throws IOException {
        out.setStatus(status);
        out.setContentType("text/plain;charset=utf-8");
        out.getOutputStream().write(("webhook refused: " + reason).getBytes(StandardCharsets.UTF_8));
    }

    /** The request with its body, already read, readable again. */
    private static final class Replayed extends HttpServletRequestWrapper {
        private final byte[] body;

        Replayed(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new UnsupportedOperationException("the body was already read by WebhookFilter");
                }

                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return in.read(b, off, len);
                }
            };
        }

        @Override
        public java.io.BufferedReader getReader() {
            return new java.io.BufferedReader(
                    new java.io.InputStreamReader(new ByteArrayInputStream(body), StandardCharsets.UTF_8));
        }
    }
}
