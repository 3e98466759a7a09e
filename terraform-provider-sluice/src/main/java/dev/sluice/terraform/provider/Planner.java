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
 * the server answers (a create); attributes that force replacement and change are listed. Nested attributes are
 * planned the same way, element by element.
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
        List<String> replace = new ArrayList<>();
        if (prior != null) {
            for (Attribute a : schema.attributes()) {
                if (a.forcesReplacement()
                        && config.get(a.name()) != null
                        && !Objects.equals(prior.get(a.name()), proposed.get(a.name()))) {
                    replace.add(a.name());
                }
            }
        }
        return new Plan(object(schema.attributes(), replace.isEmpty() ? prior : null, proposed, config), replace);
    }

    private static Map<String, @Nullable Object> object(
            List<Attribute> attributes,
            @Nullable Map<String, @Nullable Object> prior,
            Map<String, @Nullable Object> proposed,
            @Nullable Map<String, @Nullable Object> config) {
        Map<String, @Nullable Object> planned = new LinkedHashMap<>(proposed);
        for (Attribute a : attributes) {
            Object configured = config == null ? null : config.get(a.name());
            Object before = prior == null ? null : prior.get(a.name());
            if (a.computed() && configured == null) {
                planned.put(
                        a.name(), prior != null ? before : a.defaultValue() != null ? a.defaultValue() : Unknown.VALUE);
            } else if (a.nested() != null) {
                planned.put(a.name(), nested(a.nested(), before, proposed.get(a.name()), configured));
            }
        }
        return planned;
    }

    @SuppressWarnings("unchecked")
    private static @Nullable Object nested(
            Attribute.Nested n, @Nullable Object prior, @Nullable Object proposed, @Nullable Object config) {
        if (n.nesting() == Attribute.Nesting.SINGLE) {
            return proposed instanceof Map<?, ?> p
                    ? object(
                            n.attributes(),
                            prior instanceof Map<?, ?> m ? (Map<String, @Nullable Object>) m : null,
                            (Map<String, @Nullable Object>) p,
                            config instanceof Map<?, ?> c ? (Map<String, @Nullable Object>) c : null)
                    : proposed;
        }
        if (!(proposed instanceof List<?> list)) {
            return proposed;
        }
        List<?> priors = prior instanceof List<?> l ? l : List.of();
        List<?> configs = config instanceof List<?> l ? l : List.of();
        List<@Nullable Object> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            Object p = list.get(i);
            out.add(
                    p instanceof Map<?, ?> m
                            ? object(
                                    n.attributes(),
                                    i < priors.size() && priors.get(i) instanceof Map<?, ?> pm
                                            ? (Map<String, @Nullable Object>) pm
                                            : null,
                                    (Map<String, @Nullable Object>) m,
                                    i < configs.size() && configs.get(i) instanceof Map<?, ?> cm
                                            ? (Map<String, @Nullable Object>) cm
                                            : null)
                            : p);
        }
        return out;
    }
}
