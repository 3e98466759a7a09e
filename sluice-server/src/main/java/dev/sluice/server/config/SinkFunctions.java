package dev.sluice.server.config;

import dev.sluice.core.TableId;
import dev.sluice.functions.FunctionSpec;
import dev.sluice.functions.FunctionType;
import dev.sluice.server.destination.Destination;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Reads a sink's {@code filter}, {@code transform}, {@code enrichment} and {@code routing} and checks each reference. */
final class SinkFunctions {
    private static final Map<String, Set<FunctionType>> SLOT_TYPES = Map.of(
            "filter", Set.of(FunctionType.FILTER),
            "transform", Set.of(FunctionType.TRANSFORM, FunctionType.PATH),
            "enrichment", Set.of(FunctionType.ENRICHMENT),
            "routing", Set.of(FunctionType.ROUTING));

    private SinkFunctions() {}

    /** The references, or null when one of them has a problem (recorded at its key). */
    static @Nullable FunctionRefs read(
            Fields f, FunctionNames functions, @Nullable Destination destination, @Nullable SourceFilter source) {
        boolean ok = true;
        Map<String, String> refs = new HashMap<>();
        for (String key : FunctionRefs.KEYS) {
            String name = f.has(key) ? FunctionRefs.reference(f.string(key)) : null;
            if (name == null) {
                continue;
            }
            FunctionSpec fn = functions.valid().get(name);
            if (fn == null) {
                if (!functions.all().contains(name)) {
                    f.problem(
                            key, "no function named '" + name + "'" + SinkSection.known("functions", functions.all()));
                }
                ok = false;
                continue;
            }
            String problem = problem(key, fn, destination, source);
            if (problem != null) {
                f.problem(key, problem);
                ok = false;
                continue;
            }
            refs.put(key, name);
        }
        return ok ? FunctionRefs.of(refs) : null;
    }

    private static @Nullable String problem(
            String key, FunctionSpec fn, @Nullable Destination destination, @Nullable SourceFilter source) {
        Set<FunctionType> allowed = SLOT_TYPES.get(key);
        if (!allowed.contains(fn.type())) {
            return "function '" + fn.name() + "' is a " + fn.type().wire() + " function; '" + key + "' takes "
                    + String.join(
                            " or ",
                            allowed.stream().map(FunctionType::wire).sorted().toList())
                    + " functions";
        }
        if (fn.type() == FunctionType.ROUTING && destination != null) {
            String type = destination.provider().type();
            List<String> keys = destination.provider().routingKeys();
            if (keys.isEmpty()) {
                return type + " sinks take no routing function";
            }
            String sinkType = FunctionSpec.sinkType(type);
            if (!sinkType.equals(fn.sinkType())) {
                return "routing function '" + fn.name() + "' is for " + fn.sinkType() + " sinks, this sink is "
                        + sinkType;
            }
        }
        if (fn.type() == FunctionType.ENRICHMENT && (source == null || singleTable(source) == null)) {
            return "an enrichment function needs a sink of exactly one table; set source.include_tables to that one"
                    + " table";
        }
        return null;
    }

    /** The one table a source selects, or null when it may select more. */
    static @Nullable TableId singleTable(SourceFilter source) {
        List<TableId> tables = source.includeTables();
        return tables != null && tables.size() == 1 ? tables.getFirst() : null;
    }
}
