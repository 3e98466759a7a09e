package dev.sluice.sink.typesense;

import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigField;
import dev.sluice.core.sink.ConfigSchema;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkProvider;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The {@code typesense} destination: each row a document of a Typesense collection, upserted through the import API
 * and deleted by id. Sequin's fields, defaults and routing keys. See docs/sinks/typesense.md.
 */
public final class TypesenseProvider implements SinkProvider<TypesenseConfig> {
    public static final String TYPE = "typesense";

    private static final ConfigSchema SCHEMA = ConfigSchema.of(
            ConfigField.string("endpoint_url", "The server's URL, like https://search.example.com:8108")
                    .asRequired(),
            ConfigField.string("collection_name", "The collection documents are imported into; it must exist")
                    .asRequired(),
            ConfigField.string("api_key", "An API key with documents:* on the collection (X-TYPESENSE-API-KEY)")
                    .asRequired()
                    .asSecret(),
            ConfigField.integer("batch_size", "The most documents in one import request")
                    .range(1, TypesenseConfig.MAX_BATCH_SIZE)
                    .defaultValue((long) TypesenseConfig.DEFAULT_BATCH_SIZE),
            ConfigField.integer("timeout_seconds", "How long one request to Typesense may take, in seconds")
                    .range(1, TypesenseConfig.MAX_TIMEOUT_SECONDS)
                    .defaultValue((long) TypesenseConfig.DEFAULT_TIMEOUT_SECONDS));

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public String description() {
        return "Indexes each row as a document of a Typesense collection (import with upsert; deletes by id)";
    }

    @Override
    public ConfigSchema schema() {
        return SCHEMA;
    }

    @Override
    public Configured<TypesenseConfig> configure(ConfigValues values) {
        return Configured.of(() -> TypesenseConfig.of(
                values.string("endpoint_url"),
                values.string("collection_name"),
                values.string("api_key"),
                intOrNull(values.integer("batch_size")),
                intOrNull(values.integer("timeout_seconds"))));
    }

    private static Integer intOrNull(Long v) {
        return v == null ? null : Math.toIntExact(v);
    }

    @Override
    public Sink create(TypesenseConfig config, SinkContext context) {
        return new TypesenseSink(config);
    }

    /** Retrieves the collection: OK, UNAUTHORIZED (401/403), NOT_FOUND (404), UNREACHABLE or FAILED. */
    @Override
    public CheckResult check(TypesenseConfig config, Duration timeout) {
        return TypesenseClient.check(config, timeout);
    }

    /** Sequin's routing keys for Typesense sinks. */
    @Override
    public List<String> routingKeys() {
        return List.of(TypesenseSink.ACTION, TypesenseSink.COLLECTION_NAME);
    }

    /** Sequin's default {@code batch_size} for Typesense. */
    @Override
    public int defaultBatchSize() {
        return TypesenseConfig.DEFAULT_BATCH_SIZE;
    }

    @Override
    public List<Map<String, Object>> examples() {
        return List.of(Map.of(
                "endpoint_url", "https://search.example.com:8108",
                "collection_name", "products",
                "api_key", "typesense-example-key-5f81c2"));
    }
}
