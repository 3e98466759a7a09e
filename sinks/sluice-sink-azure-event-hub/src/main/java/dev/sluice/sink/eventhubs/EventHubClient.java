package dev.sluice.sink.eventhubs;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * The calls of the Event Hubs REST API (api-version {@value #API_VERSION}) the sink makes: send a batch of events
 * ({@code POST /{eventHub}/messages}) and read an event hub's description ({@code GET /{eventHub}}), authorised by a
 * shared access signature.
 *
 * <p>The SAS token, by Microsoft's "Generate a Shared Access Signature token": {@code SharedAccessSignature
 * sr=<url-encoded resource URI>&sig=<url-encoded base64 HMAC-SHA256>&se=<expiry, epoch seconds>&skn=<policy>}, the
 * HMAC keyed with the policy key's UTF-8 bytes over {@code <url-encoded resource URI> + "\n" + <expiry>}. The resource
 * is the event hub's URI; a token lives {@link #TOKEN_LIFETIME}, and one is made for each request (an HMAC is cheap).
 *
 * <p>Concurrency: thread-safe; calls block (the sink makes them on virtual threads).
 */
final class EventHubClient implements AutoCloseable {
    static final String API_VERSION = "2014-01";
    /** The content type of a batch of events. */
    static final String BATCH_CONTENT_TYPE = "application/vnd.microsoft.servicebus.json";
    /** How long a SAS token is valid. */
    static final Duration TOKEN_LIFETIME = Duration.ofHours(1);

    private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final EventHubConfig config;
    private final HttpClient http;
    private final InstantSource clock;
    private final String base;

    EventHubClient(EventHubConfig config, Duration timeout, InstantSource clock) {
        this.config = config;
        this.clock = clock;
        this.http = HttpClient.newBuilder()
                .connectTimeout(timeout.compareTo(MAX_CONNECT_TIMEOUT) < 0 ? timeout : MAX_CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.base = config.baseUrl();
    }

    /** An answer: the HTTP status and, for a failure, the {@code Detail} of Azure's XML error body (cut). */
    record Reply(int status, String detail, String body) {
        boolean ok() {
            return status / 100 == 2;
        }
    }

    /**
     * Sends a batch: {@code body} a JSON array of events, with {@code partitionKey} (for every event of the batch) in
     * the {@code BrokerProperties} header; null for none.
     */
    Reply send(String eventHub, byte[] body, @Nullable String partitionKey, Duration timeout)
            throws IOException, InterruptedException {
        long seconds = Math.max(1, timeout.toSeconds());
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create(hubUrl(eventHub) + "/messages?timeout=" + seconds + "&api-version=" + API_VERSION))
                .timeout(timeout)
                .header("Authorization", token(eventHub))
                .header("Content-Type", BATCH_CONTENT_TYPE)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (partitionKey != null) {
            StringBuilder props = new StringBuilder("{\"PartitionKey\":");
            Events.string(props, partitionKey);
            request.header("BrokerProperties", props.append('}').toString());
        }
        return call(request.build());
    }

    /** Reads the event hub's description (an Atom entry), which needs a policy with Manage rights. */
    Reply describe(String eventHub, Duration timeout) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(hubUrl(eventHub) + "?api-version=" + API_VERSION))
                .timeout(timeout)
                .header("Authorization", token(eventHub))
                .GET()
                .build();
        return call(request);
    }

    /** The namespace's base URL, for messages (it holds no credentials). */
    String where() {
        return base;
    }

    private String hubUrl(String eventHub) {
        return base + "/" + eventHub;
    }

    private Reply call(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        int status = response.statusCode();
        String body = response.body() == null ? "" : response.body();
        return new Reply(status, status / 100 == 2 ? "" : detail(body), body);
    }

    /** The SAS token for the event hub's URI. */
    String token(String eventHub) {
        String resource = URLEncoder.encode(hubUrl(eventHub), StandardCharsets.UTF_8);
        long expiry = clock.instant().plus(TOKEN_LIFETIME).getEpochSecond();
        String signature;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(config.sharedAccessKey().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] sig = mac.doFinal((resource + "\n" + expiry).getBytes(StandardCharsets.UTF_8));
            signature = URLEncoder.encode(Base64.getEncoder().encodeToString(sig), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no HmacSHA256", e);
        }
        return "SharedAccessSignature sr=" + resource + "&sig=" + signature + "&se=" + expiry + "&skn="
                + URLEncoder.encode(config.sharedAccessKeyName(), StandardCharsets.UTF_8);
    }

    /** The {@code Detail} of {@code <Error><Code>…</Code><Detail>…</Detail></Error>}, else the start of the body. */
    static String detail(String body) {
        int start = body.indexOf("<Detail>");
        int end = body.indexOf("</Detail>");
        String text = start >= 0 && end > start ? body.substring(start + "<Detail>".length(), end) : body.strip();
        return Events.cut(text.replace("&apos;", "'")
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"));
    }

    @Override
    public void close() {
        http.shutdownNow(); // a closed sink's requests fail rather than hold the close up
    }
}
