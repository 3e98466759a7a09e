package dev.sluice.server.config;

import dev.sluice.core.sink.ConfigProblem;
import dev.sluice.functions.FunctionSpec;
import dev.sluice.functions.FunctionType;
import dev.sluice.server.functions.FunctionChecks;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Reads one entry of {@code functions} (or Sequin's legacy {@code transforms}): flat, or nested under {@code
 * function:} or {@code transform:} as Sequin's exports write it. Code is compiled and run once on a synthetic message
 * here, so that a file with a broken function does not load.
 */
final class FunctionSection {
    static final List<String> KEYS = List.of("name", "description", "type", "code", "path", "sink_type");
    private static final Map<String, String> REJECTED = Map.of(
            "file",
            "'file' is read by Sequin's CLI, not by the server; put the function's source in 'code'",
            "modified_field",
            "not supported; Sequin's column transforms are replaced by 'path' functions");
    private static final List<String> WRAPPERS = List.of("function", "transform");

    private FunctionSection() {}

    /** The key under which an entry is nested ({@code function} or {@code transform}), or null when it is flat. */
    static @Nullable String wrapper(YamlNode node) {
        if (node instanceof YamlNode.Mapping m && m.entries().size() == 1) {
            for (String w : WRAPPERS) {
                if (m.entries().get(w) instanceof YamlNode.Entry e && e.value() instanceof YamlNode.Mapping) {
                    return w;
                }
            }
        }
        return null;
    }

    /** Reads a flat entry (see {@link #wrapper}); returns null if it has problems (all recorded). */
    static @Nullable FunctionSpec read(YamlNode node, String path, Problems problems) {
        int before = problems.count();
        Fields f = Fields.of(node, path, problems, KEYS, REJECTED, Set.of());
        if (f == null) {
            return null;
        }
        String name = f.requiredString("name");
        String description = f.string("description");
        String typeText = f.requiredString("type");
        FunctionType type = null;
        if (typeText != null) {
            type = FunctionType.parse(typeText).orElse(null);
            if (type == null) {
                f.problem(
                        "type",
                        "unknown function type '" + typeText + "'; use one of "
                                + Arrays.stream(FunctionType.values())
                                        .map(FunctionType::wire)
                                        .collect(Collectors.joining(", ")));
            }
        }
        String code = f.string("code");
        String fnPath = f.string("path");
        String sinkType = FunctionSpec.sinkType(f.string("sink_type"));
        if (name == null || type == null) {
            return null;
        }
        // Checked even when another key has a problem, so that one run reports the code's problems too.
        FunctionSpec spec = new FunctionSpec(name, description, type, code, fnPath, sinkType);
        for (ConfigProblem p : FunctionChecks.problems(spec)) {
            f.problem(p.field().isEmpty() ? "code" : p.field(), p.message());
        }
        return problems.count() > before ? null : spec;
    }
}
