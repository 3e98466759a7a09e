package dev.sluice.server.destination;

import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigField;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Where a sink delivers, of any type: the provider of its type, the typed configuration the provider made, and the
 * values it was made from. The server handles every type through this one value; only the provider knows what
 * {@code config} holds.
 *
 * <p>Equal destinations deliver alike: a changed value, or a changed HTTP endpoint behind a reference (resolved into
 * {@code values}), makes them differ, which is how the running sink learns of the change.
 *
 * @param provider the sink type
 * @param config what {@link SinkProvider#configure} made from {@code values}; may hold secrets (its {@code toString}
 *     hides them)
 * @param values the values checked against the provider's schema: those given, defaults, and resolved references
 * @param derived values the provider inferred for fields left out (an SQS region from the queue URL), shown in
 *     responses but never stored
 */
public record Destination(SinkProvider<?> provider, Object config, ConfigValues values, Map<String, Object> derived) {
    public Destination {
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(values, "values");
        derived = Collections.unmodifiableMap(new LinkedHashMap<>(derived));
        if (values.schema() != provider.schema() && !values.schema().equals(provider.schema())) {
            throw new IllegalArgumentException("values of another schema than " + provider.type() + "'s");
        }
    }

    /** The {@code type} users write. */
    public String type() {
        return provider.type();
    }

    /** A new sink; it connects when the engine starts it. */
    public Sink create(SinkContext context) {
        return create(provider, context);
    }

    @SuppressWarnings("unchecked") // config was made by this provider's configure
    private <C> Sink create(SinkProvider<C> p, SinkContext context) {
        return p.create((C) config, context);
    }

    /** {@code test_connection}: whether the peer answers as it should; blocks for at most about {@code timeout}. */
    public CheckResult check(Duration timeout) throws InterruptedException {
        return check(provider, timeout);
    }

    @SuppressWarnings("unchecked") // as create
    private <C> CheckResult check(SinkProvider<C> p, Duration timeout) throws InterruptedException {
        return p.check((C) config, timeout);
    }

    /** The values the user gave, in schema order: what is stored and exported. */
    public Map<String, Object> given() {
        Map<String, Object> out = new LinkedHashMap<>();
        values.asMap().forEach((name, value) -> {
            if (values.given(name)) {
                out.put(name, value);
            }
        });
        return out;
    }

    /** What responses show, in schema order: each value given, else inferred, else its default; absent ones left out. */
    public Map<String, Object> shown() {
        Map<String, Object> out = new LinkedHashMap<>();
        for (ConfigField f : provider.schema().fields()) {
            Object value = values.given(f.name()) ? values.asMap().get(f.name()) : derived.get(f.name());
            if (value == null) {
                value = values.asMap().get(f.name());
            }
            if (value != null) {
                out.put(f.name(), value);
            }
        }
        return out;
    }

    /** The names of the resources of {@code kind} (such as {@code http_endpoint}) this destination refers to. */
    public List<String> references(String kind) {
        List<String> out = new ArrayList<>();
        for (ConfigField f : provider.schema().fields()) {
            if (kind.equals(f.references())
                    && values.endpoint(f.name()) instanceof dev.sluice.core.sink.HttpEndpoint e) {
                out.add(e.name());
            }
        }
        return out;
    }

    @Override
    public String toString() {
        // values hides secrets; config's toString should, but need not be trusted here.
        return "Destination[type=" + type() + ", values=" + values + "]";
    }
}
