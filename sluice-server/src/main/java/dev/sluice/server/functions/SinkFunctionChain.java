package dev.sluice.server.functions;

import dev.sluice.core.TableId;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.engine.MessageFunctions;
import dev.sluice.functions.CodeChain;
import dev.sluice.functions.FunctionError;
import dev.sluice.functions.FunctionSpec;
import dev.sluice.functions.FunctionType;
import dev.sluice.functions.InvalidFunctionException;
import dev.sluice.functions.PathFunction;
import dev.sluice.server.config.DatabaseConfig;
import dev.sluice.server.config.FunctionRefs;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.config.SluiceConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * One sink's functions in Sequin's order: enrichment (once per batch), then filter, then routing and transform. The
 * JavaScript ones run as one {@link CodeChain} (one parse of each message for all of them); a path transform runs
 * natively after it. A routing result is checked against the sink type's routing keys here, so that sinks see only
 * keys they take.
 *
 * <p>Thread-safe: the compiled functions are.
 */
public final class SinkFunctionChain implements MessageFunctions, AutoCloseable {
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {};

    private final String sinkType;
    private final @Nullable Enrichment enrichment;
    private final @Nullable CodeChain code;
    private final @Nullable PathFunction path;
    private final List<String> routingKeys;
    private final Set<String> requiredRoutingKeys;

    /**
     * @param sinkType the sink's type, for messages
     * @param code the sink's filter, routing and transform functions that are JavaScript
     * @param path the sink's transform when it is a path
     */
    public SinkFunctionChain(
            String sinkType,
            @Nullable Enrichment enrichment,
            @Nullable CodeChain code,
            @Nullable PathFunction path,
            List<String> routingKeys,
            Set<String> requiredRoutingKeys) {
        if (path != null && code != null && code.specs().stream().anyMatch(f -> f.type() == FunctionType.TRANSFORM)) {
            throw new IllegalArgumentException("a sink has one transform, got a path and code");
        }
        this.sinkType = sinkType;
        this.enrichment = enrichment;
        this.code = code;
        this.path = path;
        this.routingKeys = List.copyOf(routingKeys);
        this.requiredRoutingKeys = Set.copyOf(requiredRoutingKeys);
    }

    @Override
    public List<Outcome> apply(List<SinkMessage> messages) {
        List<Outcome> out = new ArrayList<>(messages.size());
        List<byte[]> jsons = new ArrayList<>(messages.size());
        messages.forEach(m -> jsons.add(m.json()));
        if (enrichment != null) {
            List<Outcome.Failed> failed = enrichment.enrich(jsons);
            if (failed != null) {
                return List.copyOf(failed);
            }
        }
        for (byte[] json : jsons) {
            out.add(one(json));
        }
        return out;
    }

    private Outcome one(byte[] json) {
        try {
            byte[] payload = json;
            Map<String, Object> routed = null;
            if (code != null) {
                CodeChain.Result r = code.apply(json);
                if (!r.passed()) {
                    return new Outcome.Skip();
                }
                if (r.routing() != null) {
                    routed = JSON.readValue(r.routing(), MAP);
                    String problem = routingProblem(routed);
                    if (problem != null) {
                        return new Outcome.Failed("routing function " + routingName() + " " + problem);
                    }
                }
                if (r.payload() != null) {
                    payload = r.payload();
                }
            }
            if (path != null) {
                payload = path.apply(json);
            }
            return new Outcome.Send(payload, routed);
        } catch (FunctionError e) {
            return new Outcome.Failed(e.getMessage());
        } catch (RuntimeException e) {
            return new Outcome.Failed("functions of this sink failed: " + e);
        }
    }

    private String routingName() {
        return Objects.requireNonNull(code).specs().stream()
                .filter(f -> f.type() == FunctionType.ROUTING)
                .map(FunctionSpec::name)
                .findFirst()
                .orElseThrow();
    }

    /** What is wrong with a routing result, or null. */
    private @Nullable String routingProblem(Map<String, Object> routed) {
        for (String key : routed.keySet()) {
            if (!routingKeys.contains(key)) {
                return "returned unknown key '" + key + "'; " + sinkType + " sinks route on "
                        + String.join(", ", routingKeys);
            }
        }
        for (String key : requiredRoutingKeys) {
            if (routed.containsKey(key) && routed.get(key) == null) {
                return "set '" + key + "' to null; " + sinkType + " sinks need it";
            }
        }
        return null;
    }

    /** Closes the enrichment's connection; compiled functions are {@link CompiledFunctions}'. */
    @Override
    public void close() {
        if (enrichment != null) {
            enrichment.close();
        }
    }

    /**
     * The chain of {@code sink}'s functions, or {@link MessageFunctions#NONE}; a function that does not compile (the
     * configuration was checked, so only when the runtime cannot start) fails every message with the reason.
     */
    public static MessageFunctions of(
            SinkConfig sink, SluiceConfig cfg, DatabaseConfig database, CompiledFunctions compiled) {
        FunctionRefs refs = sink.functions();
        if (refs.equals(FunctionRefs.NONE)) {
            return MessageFunctions.NONE;
        }
        try {
            FunctionSpec filter = specOrNull(refs.filter(), cfg);
            FunctionSpec routing = specOrNull(refs.routing(), cfg);
            FunctionSpec transform = specOrNull(refs.transform(), cfg);
            PathFunction path = null;
            if (transform != null && transform.type() == FunctionType.PATH) {
                path = (PathFunction) compiled.get(transform);
                transform = null;
            }
            CodeChain code = filter == null && routing == null && transform == null
                    ? null
                    : compiled.chain(filter, routing, transform);
            Enrichment enrichment = null;
            if (refs.enrichment() != null) {
                FunctionSpec spec = Objects.requireNonNull(cfg.function(refs.enrichment()));
                TableId table =
                        Objects.requireNonNull(sink.source().includeTables()).getFirst();
                enrichment = new Enrichment(
                        spec.name(), Objects.requireNonNull(spec.code()), table, database.sourceSettings());
            }
            SinkProvider<?> provider = sink.destination().provider();
            return new SinkFunctionChain(
                    provider.type(),
                    enrichment,
                    code,
                    path,
                    provider.routingKeys(),
                    Set.copyOf(provider.requiredRoutingKeys()));
        } catch (InvalidFunctionException | RuntimeException e) {
            String reason = "functions of sink " + sink.name() + " cannot run: " + e.getMessage();
            return messages -> Collections.nCopies(messages.size(), new Outcome.Failed(reason));
        }
    }

    private static @Nullable FunctionSpec specOrNull(@Nullable String name, SluiceConfig cfg) {
        if (name == null) {
            return null;
        }
        FunctionSpec spec = cfg.function(name);
        if (spec == null) {
            throw new IllegalStateException("no function named " + name);
        }
        return spec;
    }
}
