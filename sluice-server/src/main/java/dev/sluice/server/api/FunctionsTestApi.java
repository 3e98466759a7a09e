package dev.sluice.server.api;

import dev.sluice.core.sink.ConfigProblem;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.engine.MessageFunctions.Outcome;
import dev.sluice.functions.CodeFunction;
import dev.sluice.functions.Compiled;
import dev.sluice.functions.EnrichmentFunction;
import dev.sluice.functions.FunctionError;
import dev.sluice.functions.FunctionSpec;
import dev.sluice.functions.FunctionType;
import dev.sluice.functions.Functions;
import dev.sluice.functions.InvalidFunctionException;
import dev.sluice.functions.PathFunction;
import dev.sluice.server.config.DatabaseConfig;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.destination.Destinations;
import dev.sluice.server.functions.Enrichment;
import dev.sluice.server.functions.FunctionChecks;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.Kind;
import dev.sluice.server.store.StoredConfig;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code POST /api/functions/test}: runs a function, saved (by name or id) or given inline, on messages given in the
 * request or on the last messages a running sink sent out, and returns each output, the routing, errors with line
 * and column, and the time of each call. Nothing is saved or delivered; an enrichment's SQL runs against the sink's
 * database.
 */
final class FunctionsTestApi {
    static final int DEFAULT_LIMIT = 10;
    static final int MAX_MESSAGES = 100;

    private final StoredConfig stored;
    private final Engine engine;

    FunctionsTestApi(StoredConfig stored, Engine engine) {
        this.stored = stored;
        this.engine = engine;
    }

    void routes(List<ManagementApi.Route> out) {
        out.add(new ManagementApi.Route("POST", "/api/functions/test", this::test));
    }

    private static final Set<String> KEYS = Set.of("function", "messages", "sink", "limit");
    private static final Set<String> FUNCTION_KEYS = Set.of("name", "description", "type", "code", "path", "sink_type");

    private void test(Context ctx) throws SQLException {
        ObjectNode body = Requests.object(ctx);
        unknownKeys(body, KEYS, "");
        if (body.get("function") instanceof ObjectNode f) {
            unknownKeys(f, FUNCTION_KEYS, "function.");
        }
        ConfigSnapshot s = stored.snapshot();
        FunctionSpec spec = function(body, s);
        SinkLookup.SinkRef sink =
                body.get("sink") instanceof JsonNode n && !n.isNull() ? SinkLookup.find(s, sinkName(n)) : null;
        List<byte[]> inputs = messages(body, sink);
        ObjectNode out = Requests.JSON.createObjectNode();
        out.set(
                "function",
                Requests.JSON
                        .createObjectNode()
                        .put("name", spec.name())
                        .put("type", spec.type().wire()));
        ArrayNode results = out.putArray("results");
        Compiled fn;
        try {
            fn = Functions.compile(spec);
        } catch (InvalidFunctionException e) {
            throw invalid(e.problems());
        }
        try {
            if (fn instanceof EnrichmentFunction ef) {
                enrich(ef, inputs, sink, s, results);
            } else {
                SinkProvider<?> provider = routingProvider(spec, sink);
                for (byte[] input : inputs) {
                    results.add(run(fn, input, provider, sink == null ? null : sink.config()));
                }
            }
        } finally {
            fn.close();
        }
        ctx.json(out);
    }

    private static void unknownKeys(ObjectNode o, Set<String> accepted, String prefix) {
        Map<String, List<String>> errors = new LinkedHashMap<>();
        for (String key : o.propertyNames()) {
            if (!accepted.contains(key)) {
                errors.put(
                        prefix + key,
                        List.of("unknown field; accepted: " + String.join(", ", new TreeSet<>(accepted))));
            }
        }
        if (!errors.isEmpty()) {
            throw ApiException.invalid(errors);
        }
    }

    private static String sinkName(JsonNode n) {
        if (!n.isString()) {
            throw ApiException.invalid("sink", "expected a sink's name or id, got " + Requests.kind(n));
        }
        return n.asString();
    }

    /** A saved function by name or id, or one given inline (checked, not saved). */
    private static FunctionSpec function(ObjectNode body, ConfigSnapshot s) {
        JsonNode f = body.get("function");
        if (f == null || f.isNull()) {
            throw ApiException.invalid("function", "required: a saved function's name or id, or a function object");
        }
        if (f.isString()) {
            int i = s.indexOf(Kind.FUNCTION, f.asString());
            if (i < 0) {
                throw ApiException.notFound("function", Requests.clip(f.asString()));
            }
            return s.config().functions().get(i);
        }
        if (!(f instanceof ObjectNode o)) {
            throw ApiException.invalid("function", "expected a name or an object, got " + Requests.kind(f));
        }
        String typeText = o.path("type").asString("");
        FunctionType type = FunctionType.parse(typeText)
                .orElseThrow(() -> ApiException.invalid(
                        "function.type",
                        "expected path, transform, filter, routing or enrichment, got '" + Requests.clip(typeText)
                                + "'"));
        FunctionSpec spec = new FunctionSpec(
                o.path("name").asString("inline"),
                null,
                type,
                o.get("code") instanceof JsonNode c && c.isString() ? c.asString() : null,
                o.get("path") instanceof JsonNode p && p.isString() ? p.asString() : null,
                FunctionSpec.sinkType(o.get("sink_type") instanceof JsonNode t && t.isString() ? t.asString() : null));
        List<ConfigProblem> problems = FunctionChecks.problems(spec);
        if (!problems.isEmpty()) {
            throw invalid(problems);
        }
        return spec;
    }

    private static ApiException invalid(List<ConfigProblem> problems) {
        Map<String, List<String>> errors = new LinkedHashMap<>();
        for (ConfigProblem p : problems) {
            errors.computeIfAbsent("function." + (p.field().isEmpty() ? "code" : p.field()), k -> new ArrayList<>())
                    .add(p.message());
        }
        return ApiException.invalid(errors);
    }

    private List<byte[]> messages(ObjectNode body, SinkLookup.@Nullable SinkRef sink) {
        JsonNode given = body.get("messages");
        if (given != null && !given.isNull()) {
            if (!(given instanceof ArrayNode a) || a.isEmpty() || a.size() > MAX_MESSAGES) {
                throw ApiException.invalid("messages", "expected a list of 1 to " + MAX_MESSAGES + " messages");
            }
            List<byte[]> out = new ArrayList<>();
            for (int i = 0; i < a.size(); i++) {
                if (!(a.get(i) instanceof ObjectNode m)) {
                    throw ApiException.invalid(
                            "messages[" + i + "]",
                            "expected a message object (record, changes, action, metadata), got "
                                    + Requests.kind(a.get(i)));
                }
                out.add(Requests.JSON.writeValueAsBytes(m));
            }
            return out;
        }
        if (sink == null) {
            throw ApiException.invalid("messages", "give 'messages', or 'sink' to use the messages it sent last");
        }
        int limit = body.path("limit").asInt(DEFAULT_LIMIT);
        if (limit < 1 || limit > MAX_MESSAGES) {
            throw ApiException.invalid("limit", "must be between 1 and " + MAX_MESSAGES + ", got " + limit);
        }
        List<byte[]> recent = engine.recentMessages(sink.databaseId(), sink.id(), limit);
        if (recent == null) {
            throw ApiException.conflict("sink '" + sink.name() + "' is not running; give 'messages' instead");
        }
        if (recent.isEmpty()) {
            throw ApiException.conflict(
                    "sink '" + sink.name() + "' has sent no message since it started; give 'messages' instead");
        }
        return recent;
    }

    /** The provider whose routing keys a routing function's result is checked against, or null. */
    private static @Nullable SinkProvider<?> routingProvider(FunctionSpec spec, SinkLookup.@Nullable SinkRef sink) {
        if (spec.type() != FunctionType.ROUTING) {
            return null;
        }
        if (sink != null) {
            return sink.config().destination().provider();
        }
        for (SinkProvider<?> p : Destinations.installed().all()) {
            if (Objects.equals(FunctionSpec.sinkType(p.type()), spec.sinkType())) {
                return p;
            }
        }
        return null;
    }

    private static ObjectNode run(
            Compiled fn, byte[] input, @Nullable SinkProvider<?> provider, @Nullable SinkConfig sink) {
        ObjectNode r = Requests.JSON.createObjectNode();
        r.set("input", Requests.JSON.readTree(input));
        long start = System.nanoTime();
        try {
            switch (fn) {
                case PathFunction p -> r.set("output", Requests.JSON.readTree(p.apply(input)));
                case CodeFunction c when c.spec().type() == FunctionType.FILTER -> r.put("output", c.test(input));
                case CodeFunction c -> {
                    JsonNode output = Requests.JSON.readTree(c.call(input));
                    r.set("output", output);
                    if (c.spec().type() == FunctionType.ROUTING) {
                        r.set("routing", routing(output, provider, sink));
                    }
                }
                default -> throw new IllegalStateException("not runnable per message: " + fn);
            }
            r.putNull("error");
        } catch (FunctionError e) {
            r.putNull("output");
            ObjectNode err = r.putObject("error");
            err.put("message", e.getMessage());
            err.put("kind", e.kind().name().toLowerCase(Locale.ROOT));
            err.put("line", e.line());
            err.put("column", e.column());
        }
        r.put("duration_us", (System.nanoTime() - start) / 1_000);
        return r;
    }

    /**
     * The effective routing: what the function set, over the sink's own settings for the keys it left out (each
     * routing key is the destination field of the same name, or {@code http_<key>} for a webhook's path).
     */
    private static ObjectNode routing(JsonNode output, @Nullable SinkProvider<?> provider, @Nullable SinkConfig sink) {
        ObjectNode eff = Requests.JSON.createObjectNode();
        if (provider == null || !(output instanceof ObjectNode routed)) {
            return eff;
        }
        for (String key : routed.propertyNames()) {
            if (!provider.routingKeys().contains(key)) {
                throw ApiException.invalid(
                        "function",
                        "the routing function returned unknown key '" + key + "'; " + provider.type()
                                + " sinks route on " + String.join(", ", provider.routingKeys()));
            }
        }
        for (String key : provider.routingKeys()) {
            if (routed.has(key)) {
                eff.set(key, routed.get(key));
            } else if (sink != null) {
                Map<String, Object> values = sink.destination().values().asMap();
                Object v = values.containsKey(key) ? values.get(key) : values.get("http_" + key);
                eff.set(key, Requests.JSON.valueToTree(v));
            }
        }
        return eff;
    }

    private void enrich(
            EnrichmentFunction fn,
            List<byte[]> inputs,
            SinkLookup.@Nullable SinkRef sink,
            ConfigSnapshot s,
            ArrayNode results)
            throws SQLException {
        if (sink == null) {
            throw ApiException.invalid("sink", "an enrichment function runs against a sink's database: give 'sink'");
        }
        var table = sink.config().source().includeTables();
        if (table == null || table.size() != 1) {
            throw ApiException.invalid("sink", "enrichment needs a sink of exactly one table");
        }
        int db = s.indexOf(Kind.DATABASE, sink.config().database());
        DatabaseConfig database =
                s.revealed(Kind.DATABASE, List.of(db)).databases().get(db);
        List<byte[]> jsons = new ArrayList<>(inputs);
        long start = System.nanoTime();
        try (Enrichment e = new Enrichment(fn.spec().name(), fn.sql(), table.getFirst(), database.sourceSettings())) {
            List<Outcome.Failed> failed = e.enrich(jsons);
            long each = (System.nanoTime() - start) / 1_000 / Math.max(1, inputs.size());
            for (int i = 0; i < inputs.size(); i++) {
                ObjectNode r = results.addObject();
                r.set("input", Requests.JSON.readTree(inputs.get(i)));
                if (failed != null) {
                    r.putNull("output");
                    r.putObject("error")
                            .put("message", failed.getFirst().reason())
                            .put("kind", "runtime");
                } else {
                    r.set(
                            "output",
                            Requests.JSON
                                    .readTree(jsons.get(i))
                                    .path("metadata")
                                    .path("enrichment"));
                    r.putNull("error");
                }
                r.put("duration_us", each);
            }
        }
    }
}
