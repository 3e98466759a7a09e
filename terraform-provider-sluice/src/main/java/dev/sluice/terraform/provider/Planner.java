package dev.sluice.terraform.provider;

import dev.sluice.terraform.schema.Attribute;
import dev.sluice.terraform.schema.Schema;
import dev.sluice.terraform.wire.Unknown;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Plans a change the way Terraform's framework plan modifiers would: configuration values as given; a computed
 * attribute the configuration leaves unset keeps its prior value (an update) or its default, else is unknown until
 * the server answers (a create); attributes that force replacement and change are listed.
 */
final class Planner {
    private Planner() {}

    /** What Terraform should show and later apply. */
    record Plan(Map<String, @Nullable Object> planned, List<String> requiresReplace) {}

    static Plan plan(
            Schema schema,
            @Nullable Map<String, @Nullable Object> prior,
            Map<String, @Nullable Object> proposed,
            Map<String, @Nullable Object> config) {
        Map<String, @Nullable Object> planned = new LinkedHashMap<>(proposed);
        List<String> replace = new ArrayList<>();
        boolean replacing = false;
        if (prior != null) {
            for (Attribute a : schema.attributes()) {
                if (a.forcesReplacement()
                        && config.get(a.name()) != null
                        && !Objects.equals(prior.get(a.name()), proposed.get(a.name()))) {
                    replace.add(a.name());
                    replacing = true;
                }
            }
        }
        for (Attribute a : schema.attributes()) {
            if (!a.computed() || config.get(a.name()) != null) {
                continue;
            }
            if (prior != null && !replacing) {
                planned.put(a.name(), prior.get(a.name()));
            } else if (a.defaultValue() != null) {
                planned.put(a.name(), a.defaultValue());
            } else {
                planned.put(a.name(), Unknown.VALUE);
            }
        }
        return new Plan(planned, replace);
    }
}
