package dev.sluice.core.sink;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * The sink types available: every {@link SinkProvider} on the class path, by type and alias. Immutable.
 */
public final class SinkProviders {
    private final Map<String, SinkProvider<?>> byType;
    private final Map<String, SinkProvider<?>> byName;

    private SinkProviders(List<SinkProvider<?>> providers) {
        Map<String, SinkProvider<?>> types = new LinkedHashMap<>();
        Map<String, SinkProvider<?>> names = new LinkedHashMap<>();
        providers.stream()
                .sorted(java.util.Comparator.comparing(SinkProvider::type))
                .forEach(p -> {
                    register(names, p.type(), p);
                    types.put(p.type(), p);
                    p.aliases().forEach(a -> register(names, a, p));
                });
        this.byType = java.util.Collections.unmodifiableMap(types);
        this.byName = java.util.Collections.unmodifiableMap(names);
    }

    /** The providers registered with {@link ServiceLoader} in the class path of this class's loader. */
    public static SinkProviders installed() {
        List<SinkProvider<?>> found = new ArrayList<>();
        for (SinkProvider<?> p : ServiceLoader.load(SinkProvider.class, SinkProviders.class.getClassLoader())) {
            found.add(p);
        }
        return new SinkProviders(found);
    }

    /** Exactly these providers (for tests). */
    public static SinkProviders of(SinkProvider<?>... providers) {
        return new SinkProviders(List.of(providers));
    }

    /** The provider of a type or alias, matched ignoring case. */
    public Optional<SinkProvider<?>> find(String typeOrAlias) {
        return Optional.ofNullable(byName.get(typeOrAlias.strip().toLowerCase(Locale.ROOT)));
    }

    /** Every provider, by type in alphabetical order. */
    public Collection<SinkProvider<?>> all() {
        return byType.values();
    }

    /** The types, in alphabetical order. */
    public List<String> types() {
        return List.copyOf(byType.keySet());
    }

    private static void register(Map<String, SinkProvider<?>> names, String name, SinkProvider<?> p) {
        String key = name.toLowerCase(Locale.ROOT);
        SinkProvider<?> clash = names.putIfAbsent(key, p);
        if (clash != null) {
            throw new IllegalStateException("sink type '" + name + "' is provided twice: by "
                    + clash.getClass().getName() + " and " + p.getClass().getName());
        }
    }
}
