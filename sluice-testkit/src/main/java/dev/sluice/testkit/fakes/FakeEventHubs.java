package dev.sluice.testkit.fakes;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A protocol fake of one Azure Event Hubs namespace's REST API (api-version 2014-01), built from Microsoft's
 * reference ("Send event", "Send batch events", "Generate a Shared Access Signature token", quotas), on 127.0.0.1:
 * what a sender sees of the service, and a record of the events each partition took.
 *
 * <ul>
 *   <li>Every request needs {@code Authorization: SharedAccessSignature sr=…&sig=…&se=…&skn=…}: a {@linkplain
 *       #addPolicy registered policy} ({@code skn}), an HMAC-SHA256 signature keyed with the policy key's UTF-8 bytes
 *       over {@code sr + "\n" + se}, {@code se} not past, and {@code sr} (URL-decoded) a prefix of the requested URL;
 *       else {@code 401}. The policy needs the {@code Send} right to send, {@code Manage} to read a description.
 *   <li>{@code POST /{eventHub}/messages}: with {@code Content-Type: application/vnd.microsoft.servicebus.json}, a
 *       JSON array of {@code {"Body", "UserProperties"}} (a batch); with any other type, the body is one event.
 *       The {@code BrokerProperties} header's {@code PartitionKey} picks the partition (a hash of the key); without
 *       one, events go round-robin. A request over the batch limit (1 MiB, {@linkplain #maxBatchBytes settable}) is
 *       {@code 413}; a malformed batch {@code 400}; an unknown event hub {@code 404}; success {@code 201}, empty.
 *   <li>{@code GET /{eventHub}}: the event hub's description, an Atom entry holding an {@code EventHubDescription};
 *       for a path that is no event hub, Azure's empty Atom feed ("Publicly Listed Services"), also {@code 200}.
 *   <li>Errors have Azure's XML body, {@code <Error><Code>…</Code><Detail>…</Detail></Error>}.
 * </ul>
 *
 * <p>A test can {@linkplain #throttle throttle} it ({@code 503} server busy), {@linkplain #failNextSends fail} chosen
 * sends, and {@link #stop()} and {@link #restart()} it on the same port, keeping its event hubs and events.
 *
 * <p>Thread-safe.
 */
public final class FakeEventHubs implements AutoCloseable {
    /** The batch limit of the Standard tier and above. */
    public static final int DEFAULT_MAX_BATCH_BYTES = 1024 * 1024;

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String BATCH_TYPE = "application/vnd.microsoft.servicebus.json";

    /**
     * An event as a partition holds it.
     *
     * @param body the event's body, as sent
     * @param userProperties its application properties
     * @param partitionKey the partition key it was sent with; null for none
     * @param partition the partition it is in
     */
    public record Event(
            String body,
            Map<String, String> userProperties,
            @Nullable String partitionKey,
            int partition) {}

    /**
     * A send request that reached an event hub (whatever the answer).
     *
     * @param eventHub the event hub
     * @param events how many events it held (0 when it could not be read)
     * @param partitionKey its partition key; null for none
     * @param status the HTTP status answered
     */
    public record SendCall(
            String eventHub, int events, @Nullable String partitionKey, int status) {}

    private record Policy(String key, Set<String> rights) {}

    private final Object lock = new Object();
    private final Map<String, List<List<Event>>> hubs = new LinkedHashMap<>();
    private final Map<String, Policy> policies = new HashMap<>();
    private final List<SendCall> calls = new ArrayList<>();
    private volatile int maxBatchBytes = DEFAULT_MAX_BATCH_BYTES;
    private volatile int throttle;
    private int skipSends;
    private int failSends;
    private int failStatus;
    private int roundRobin;
    private HttpServer server;
    private ExecutorService executor;

    private FakeEventHubs() {}

    /** Starts a fake namespace on 127.0.0.1 and a free port. Close it after the test. */
    public static FakeEventHubs start() {
        FakeEventHubs fake = new FakeEventHubs();
        fake.listen(0);
        return fake;
    }

    /** {@code http://127.0.0.1:<port>}: the namespace's base URL (for {@code endpoint_url}). */
    public URI url() {
        return URI.create("http://127.0.0.1:" + port());
    }

    public int port() {
        synchronized (lock) {
            return server.getAddress().getPort();
        }
    }

    /** Adds a shared access policy {@code name} with {@code key} and {@code rights} ({@code Send}, {@code Manage}, …). */
    public FakeEventHubs addPolicy(String name, String key, Set<String> rights) {
        synchronized (lock) {
            policies.put(name, new Policy(key, Set.copyOf(rights)));
        }
        return this;
    }

    /** Creates event hub {@code name} with {@code partitions} partitions, empty. */
    public FakeEventHubs createEventHub(String name, int partitions) {
        synchronized (lock) {
            List<List<Event>> parts = new ArrayList<>();
            for (int i = 0; i < partitions; i++) {
                parts.add(new ArrayList<>());
            }
            hubs.putIfAbsent(name, parts);
        }
        return this;
    }

    /** The events of each partition of {@code eventHub}, in partition order, each in the order taken. */
    public List<List<Event>> partitions(String eventHub) {
        synchronized (lock) {
            List<List<Event>> parts = hubs.get(eventHub);
            return parts == null ? List.of() : parts.stream().map(List::copyOf).toList();
        }
    }

    /** Every event of {@code eventHub}, partition by partition. */
    public List<Event> events(String eventHub) {
        return partitions(eventHub).stream().flatMap(List::stream).toList();
    }

    /** Every send request that reached an event hub so far. */
    public List<SendCall> sendCalls() {
        synchronized (lock) {
            return List.copyOf(calls);
        }
    }

    /** Sets the largest request body taken (the tier's batch limit; 262144 for Basic). */
    public FakeEventHubs maxBatchBytes(int bytes) {
        this.maxBatchBytes = bytes;
        return this;
    }

    /** Answers every authorised request with {@code status} (503: server busy) until called with 0. */
    public FakeEventHubs throttle(int status) {
        this.throttle = status;
        return this;
    }

    /** Lets {@code skip} sends through, then answers the {@code count} after them with {@code status}. */
    public FakeEventHubs failNextSends(int skip, int count, int status) {
        synchronized (lock) {
            skipSends = skip;
            failSends = count;
            failStatus = status;
        }
        return this;
    }

    /** Stops listening: connections are refused until {@link #restart()}. Event hubs and events are kept. */
    public void stop() {
        synchronized (lock) {
            if (server != null) {
                server.stop(0);
                executor.shutdownNow();
            }
        }
    }

    /** Listens again on the same port. */
    public void restart() {
        listen(port());
    }

    @Override
    public void close() {
        stop();
    }

    private void listen(int at) {
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), at), 0);
            ExecutorService e = Executors.newThreadPerTaskExecutor(
                    Thread.ofVirtual().name("fake-eventhubs-", 0).factory());
            s.createContext("/", this::handle);
            s.setExecutor(e);
            s.start();
            synchronized (lock) {
                server = s;
                executor = e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the Event Hubs fake on port " + at, e);
        }
    }

    // ---- requests

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            String path = exchange.getRequestURI().getRawPath();
            String method = exchange.getRequestMethod();
            String url = url() + path;
            boolean send = method.equals("POST") && path.endsWith("/messages");
            String hub = send ? path.substring(1, path.length() - "/messages".length()) : path.substring(1);
            String denied =
                    authorize(exchange.getRequestHeaders().getFirst("Authorization"), url, send ? "Send" : "Manage");
            if (denied != null) {
                error(exchange, 401, denied);
                return;
            }
            int t = throttle;
            if (t != 0) {
                error(
                        exchange,
                        t,
                        "ServerBusy: The request was terminated because the entity is being throttled."
                                + " Please wait 4 seconds and try again.");
                return;
            }
            if (send) {
                send(exchange, hub, body);
            } else if (method.equals("GET")) {
                describe(exchange, hub, url);
            } else {
                error(exchange, 405, "The requested HTTP operation is not supported in an EventHub.");
            }
        }
    }

    /** Null when the SAS token grants {@code right} on {@code url}, else why not. */
    private @Nullable String authorize(@Nullable String header, String url, String right) {
        String prefix = "SharedAccessSignature ";
        if (header == null || !header.startsWith(prefix)) {
            return "MalformedToken: The credentials contained in the authorization header are not in the WRAP or"
                    + " SharedAccessSignature format.";
        }
        Map<String, String> raw = new HashMap<>();
        for (String pair : header.substring(prefix.length()).split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                raw.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
        }
        String sr = raw.get("sr");
        String sig = raw.get("sig");
        String se = raw.get("se");
        String skn = raw.get("skn");
        if (sr == null || sig == null || se == null || skn == null) {
            return "MalformedToken: The token is missing sr, sig, se or skn.";
        }
        Policy policy;
        synchronized (lock) {
            policy = policies.get(URLDecoder.decode(skn, StandardCharsets.UTF_8));
        }
        if (policy == null || !signatureMatches(policy.key(), sr, se, URLDecoder.decode(sig, StandardCharsets.UTF_8))) {
            return "InvalidSignature: The token has an invalid signature.";
        }
        long expiry;
        try {
            expiry = Long.parseLong(se);
        } catch (NumberFormatException e) {
            return "MalformedToken: The token has an invalid se.";
        }
        if (expiry < Instant.now().getEpochSecond()) {
            return "ExpiredToken: The token is expired.";
        }
        String audience = URLDecoder.decode(sr, StandardCharsets.UTF_8);
        if (!url.toLowerCase(java.util.Locale.ROOT).startsWith(audience.toLowerCase(java.util.Locale.ROOT))) {
            return "InvalidAudience: The token audience is invalid (it is for '" + audience + "').";
        }
        if (!policy.rights().contains(right)
                && !(right.equals("Manage") && policy.rights().contains("EntityRead"))) {
            return "Unauthorized access. '" + (right.equals("Manage") ? "Manage,EntityRead" : right)
                    + "' claim(s) are required to perform this operation.";
        }
        return null;
    }

    private static boolean signatureMatches(String key, String sr, String se, String sig) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] expected = mac.doFinal((sr + "\n" + se).getBytes(StandardCharsets.UTF_8));
            return MessageDigest.isEqual(expected, Base64.getDecoder().decode(sig));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    private void send(HttpExchange exchange, String hub, byte[] body) throws IOException {
        String key = null;
        String brokerProperties = exchange.getRequestHeaders().getFirst("BrokerProperties");
        if (brokerProperties != null) {
            try {
                JsonNode props = JSON.readTree(brokerProperties);
                key = props.path("PartitionKey").isString()
                        ? props.get("PartitionKey").asString()
                        : null;
            } catch (JacksonException e) {
                refuse(exchange, hub, 0, null, 400, "The value of the BrokerProperties header is not valid JSON.");
                return;
            }
        }
        synchronized (lock) {
            if (!hubs.containsKey(hub)) {
                calls.add(new SendCall(hub, 0, key, 404));
                error(
                        exchange,
                        404,
                        "The messaging entity 'sb://"
                                + exchange.getRequestHeaders().getFirst("Host") + "/" + hub + "' could not be found.");
                return;
            }
            if (skipSends > 0) {
                skipSends--;
            } else if (failSends > 0) {
                failSends--;
                calls.add(new SendCall(hub, 0, key, failStatus));
                error(exchange, failStatus, "Injected failure (" + failStatus + ").");
                return;
            }
        }
        if (body.length > maxBatchBytes) {
            refuse(
                    exchange,
                    hub,
                    0,
                    key,
                    413,
                    "The received message (size: " + body.length + " bytes) exceeds the" + " limit (" + maxBatchBytes
                            + " bytes) currently allowed on the link.");
            return;
        }
        List<Event> events = new ArrayList<>();
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        if (contentType != null && contentType.startsWith(BATCH_TYPE)) {
            JsonNode batch;
            try {
                batch = JSON.readTree(body);
            } catch (JacksonException e) {
                refuse(exchange, hub, 0, key, 400, "The batch is not valid JSON.");
                return;
            }
            if (!batch.isArray() || batch.isEmpty()) {
                refuse(exchange, hub, 0, key, 400, "A batch is a non-empty JSON array of events.");
                return;
            }
            for (JsonNode e : batch) {
                if (!e.path("Body").isString()) {
                    refuse(exchange, hub, batch.size(), key, 400, "Each event of a batch needs a string Body.");
                    return;
                }
                Map<String, String> props = new LinkedHashMap<>();
                for (Map.Entry<String, JsonNode> p : e.path("UserProperties").properties()) {
                    props.put(p.getKey(), p.getValue().asString(""));
                }
                events.add(new Event(e.get("Body").asString(), Map.copyOf(props), key, 0));
            }
        } else {
            events.add(new Event(new String(body, StandardCharsets.UTF_8), Map.of(), key, 0));
        }
        synchronized (lock) {
            List<List<Event>> parts = hubs.get(hub);
            int partition = key != null ? Math.floorMod(key.hashCode(), parts.size()) : roundRobin++ % parts.size();
            for (Event e : events) {
                parts.get(partition).add(new Event(e.body(), e.userProperties(), key, partition));
            }
            calls.add(new SendCall(hub, events.size(), key, 201));
        }
        exchange.sendResponseHeaders(201, -1);
    }

    private void refuse(HttpExchange exchange, String hub, int events, @Nullable String key, int status, String detail)
            throws IOException {
        synchronized (lock) {
            calls.add(new SendCall(hub, events, key, status));
        }
        error(exchange, status, detail);
    }

    private void describe(HttpExchange exchange, String hub, String url) throws IOException {
        int partitions;
        synchronized (lock) {
            List<List<Event>> parts = hubs.get(hub);
            partitions = parts == null ? -1 : parts.size();
        }
        String xml;
        if (partitions < 0) {
            xml = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title type=\"text\">Publicly Listed Services</title>"
                    + "<subtitle type=\"text\">This is the list of publicly-listed services currently available."
                    + "</subtitle><id>uuid:" + java.util.UUID.randomUUID() + ";id=1</id><updated>" + Instant.now()
                    + "</updated><generator>Service Bus 1.1</generator></feed>";
        } else {
            StringBuilder ids = new StringBuilder();
            for (int i = 0; i < partitions; i++) {
                ids.append("<d3p1:string>").append(i).append("</d3p1:string>");
            }
            xml = "<entry xmlns=\"http://www.w3.org/2005/Atom\"><id>" + url + "</id><title type=\"text\">" + hub
                    + "</title><content type=\"application/xml\"><EventHubDescription"
                    + " xmlns=\"http://schemas.microsoft.com/netservices/2010/10/servicebus/connect\""
                    + " xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"><MessageRetentionInDays>1"
                    + "</MessageRetentionInDays><Status>Active</Status><PartitionCount>" + partitions
                    + "</PartitionCount><PartitionIds xmlns:d3p1=\"http://schemas.microsoft.com/2003/10/Serialization/"
                    + "Arrays\">" + ids + "</PartitionIds></EventHubDescription></content></entry>";
        }
        reply(exchange, 200, "application/atom+xml;type=entry;charset=utf-8", xml);
    }

    private static void error(HttpExchange exchange, int status, String detail) throws IOException {
        String escaped = detail.replace("&", "&amp;")
                .replace("<", "&lt;")
                .replace(">", "&gt;")
                .replace("'", "&apos;");
        reply(
                exchange,
                status,
                "application/xml; charset=utf-8",
                "<Error><Code>" + status + "</Code><Detail>" + escaped + " TrackingId:" + java.util.UUID.randomUUID()
                        + "</Detail></Error>");
    }

    private static void reply(HttpExchange exchange, int status, String type, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}
