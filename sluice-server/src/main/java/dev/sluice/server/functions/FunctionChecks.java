package dev.sluice.server.functions;

import dev.sluice.core.sink.ConfigProblem;
import dev.sluice.functions.FunctionSpec;
import dev.sluice.functions.Functions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A function's problems, as {@link Functions#validate} finds them (compiled and run once on a synthetic message),
 * remembered per definition: a configuration is validated several times per save and at every start, and compiling
 * JavaScript costs milliseconds.
 */
public final class FunctionChecks {
    private static final int MAX_REMEMBERED = 512;
    private static final Map<FunctionSpec, List<ConfigProblem>> CHECKED = new ConcurrentHashMap<>();

    private FunctionChecks() {}

    /** What is wrong with {@code spec}; empty when it may be saved. */
    public static List<ConfigProblem> problems(FunctionSpec spec) {
        List<ConfigProblem> known = CHECKED.get(spec);
        if (known != null) {
            return known;
        }
        List<ConfigProblem> found = List.copyOf(Functions.validate(spec));
        if (CHECKED.size() >= MAX_REMEMBERED) {
            CHECKED.clear(); // definitions edited many times: forget the old ones
        }
        CHECKED.put(spec, found);
        return found;
    }
}
