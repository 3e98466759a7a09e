package dev.sluice.core.sink;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The fields of a sink's configuration, in the order docs and responses show them. The destination's {@code type}
 * is not one of them: the server handles it.
 */
public record ConfigSchema(List<ConfigField> fields) {
    public ConfigSchema {
        fields = List.copyOf(fields);
        Set<String> seen = new HashSet<>();
        for (ConfigField f : fields) {
            if (f.name().equals("type")) {
                throw new IllegalArgumentException("'type' is the server's field, not a sink's");
            }
            if (!seen.add(f.name())) {
                throw new IllegalArgumentException("field '" + f.name() + "' is declared twice");
            }
        }
    }

    public static ConfigSchema of(ConfigField... fields) {
        return new ConfigSchema(List.of(fields));
    }

    public Optional<ConfigField> field(String name) {
        for (ConfigField f : fields) {
            if (f.name().equals(name)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    /** The field names, in order. */
    public List<String> names() {
        List<String> out = new ArrayList<>(fields.size());
        fields.forEach(f -> out.add(f.name()));
        return out;
    }

    /** The names of the secret fields. */
    public Set<String> secretNames() {
        Set<String> out = new HashSet<>();
        fields.stream().filter(ConfigField::secret).forEach(f -> out.add(f.name()));
        return Set.copyOf(out);
    }
}
