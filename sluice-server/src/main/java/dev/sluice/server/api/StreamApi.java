package dev.sluice.server.api;

import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.stream.PullStream;
import dev.sluice.server.stream.SequinStreamProvider;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The pull API of {@code sequin_stream} sinks: {@code /api/sequin_streams/{id_or_name}/receive|ack|nack}, and the same
 * under Sequin's {@code /api/http_pull_consumers/}. Receive long-polls up to {@code wait_for} milliseconds.
 */
final class StreamApi {
    static final int MAX_BATCH = 1000;
    /** Sequin's bound: five minutes. */
    static final long MAX_WAIT_MS = 300_000;

    private static final Pattern WAIT = Pattern.compile("(\\d{1,9})\\s*(ms|s|m)?");

    private final SinkLookup sinks;
    private final Engine engine;

    StreamApi(SinkLookup sinks, Engine engine) {
        this.sinks = sinks;
        this.engine = engine;
    }

    void routes(List<ManagementApi.Route> out) {
        for (String base : List.of("/api/sequin_streams/{id_or_name}", "/api/http_pull_consumers/{id_or_name}")) {
            out.add(new ManagementApi.Route("GET", base + "/receive", this::receive));
            out.add(new ManagementApi.Route("POST", base + "/receive", this::receive));
            out.add(new ManagementApi.Route("POST", base + "/ack", ctx -> settle(ctx, true)));
            out.add(new ManagementApi.Route("POST", base + "/nack", ctx -> settle(ctx, false)));
        }
    }

    /** The running pull stream of the route's sink; reads the configuration snapshot, nothing from the store. */
    private PullStream stream(Context ctx) {
        SinkConfig sink = sinks.find(ctx).config();
        if (!sink.destination().type().equals(SequinStreamProvider.TYPE)) {
            throw ApiException.invalid(
                    "id_or_name",
                    "sink '" + sink.name() + "' delivers to "
                            + sink.destination().type()
                            + ", not to a sequin_stream: only sequin_stream sinks are pulled");
        }
        PullStream stream = engine.stream(sink.name());
        if (stream == null) {
            throw ApiException.conflict("sink '" + sink.name() + "' is "
                    + sink.status().wireName() + " or not running yet: nothing can be received until it is active");
        }
        return stream;
    }

    private void receive(Context ctx) throws InterruptedException {
        ObjectNode body =
                ctx.method().name().equals("POST") ? Requests.optionalObject(ctx) : Requests.JSON.createObjectNode();
        int batchSize = (int) number(ctx, body, "batch_size", 1, 1, MAX_BATCH);
        long waitFor = waitFor(ctx, body);
        PullStream stream = stream(ctx);
        List<PullStream.Received> got = stream.receive(batchSize, Duration.ofMillis(waitFor));
        ObjectNode n = Requests.JSON.createObjectNode();
        ArrayNode data = n.putArray("data");
        for (PullStream.Received r : got) {
            ObjectNode message = (ObjectNode) Requests.JSON.readTree(r.message().json());
            ObjectNode item = data.addObject();
            item.put("ack_id", r.ackId());
            // Sequin's server nests the message under data; its docs show the fields beside ack_id. Both, so that
            // clients written against either read it.
            item.set("data", message);
            message.properties().forEach(e -> item.set(e.getKey(), e.getValue()));
        }
        ctx.json(n);
    }

    private void settle(Context ctx, boolean ack) {
        PullStream stream = stream(ctx);
        ObjectNode body = Requests.object(ctx);
        JsonNode ids = body.get("ack_ids");
        if (!(ids instanceof ArrayNode array)) {
            throw ApiException.invalid("ack_ids", "required: a list of the ack_id values that receive returned");
        }
        List<String> list = new ArrayList<>();
        for (JsonNode id : array) {
            if (!id.isString()) {
                throw ApiException.invalid("ack_ids", "expected strings, got " + Requests.kind(id));
            }
            list.add(id.asString());
        }
        if (ack) {
            stream.ack(list);
        } else {
            stream.nack(list);
        }
        ctx.json(Map.of("success", true));
    }

    /**
     * {@code wait_for} in milliseconds: a number, or as Sequin also takes it a string of digits with an optional unit
     * ({@code "500ms"}, {@code "60s"}, {@code "5m"}).
     */
    static long waitFor(Context ctx, ObjectNode body) {
        JsonNode v = body.get("wait_for");
        String text = v != null && v.isString() ? v.asString() : v == null ? ctx.queryParam("wait_for") : null;
        if (text == null) {
            return number(ctx, body, "wait_for", 0, 0, MAX_WAIT_MS);
        }
        long ms = parseWait(text);
        if (ms < 0) {
            throw ApiException.invalid(
                    "wait_for",
                    "expected milliseconds or a duration such as \"60s\" or \"5m\", got '" + Requests.clip(text) + "'");
        }
        if (ms > MAX_WAIT_MS) {
            throw ApiException.invalid("wait_for", "must be at most " + MAX_WAIT_MS + " ms (5m), got " + ms + " ms");
        }
        return ms;
    }

    /** Milliseconds of {@code 123}, {@code 123ms}, {@code 60s} or {@code 5m}; -1 when not of that form. */
    static long parseWait(String text) {
        Matcher m = WAIT.matcher(text.strip());
        if (!m.matches()) {
            return -1;
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "ms" : m.group(2);
        return switch (unit) {
            case "s" -> n * 1000;
            case "m" -> n * 60_000;
            default -> n;
        };
    }

    // A number from the query string or the JSON body, within bounds.
    private static long number(Context ctx, ObjectNode body, String name, long dflt, long min, long max) {
        String text = ctx.queryParam(name);
        JsonNode v = body.get(name);
        long value;
        if (v != null && !v.isNull()) {
            if (!v.isIntegralNumber()) {
                throw ApiException.invalid(name, "expected an integer, got " + Requests.kind(v));
            }
            value = v.asLong();
        } else if (text != null && !text.isBlank()) {
            try {
                value = Long.parseLong(text.strip());
            } catch (NumberFormatException e) {
                throw ApiException.invalid(name, "expected an integer, got '" + Requests.clip(text) + "'");
            }
        } else {
            return dflt;
        }
        if (value < min || value > max) {
            throw ApiException.invalid(name, "must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }
}
