package dev.sluice.sink.meilisearch;

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
 * The {@code meilisearch} destination: each row a document of a Meilisearch index, added or replaced and deleted by
 * id through the documents API, each task waited for. Sequin's fields, defaults and routing keys. See
 * docs/sinks/meilisearch.md.
 */
public final class MeilisearchProvider implements SinkProvider<MeilisearchConfig> {
    public static final String TYPE = "meilisearch";

    private static final ConfigSchema SCHEMA = ConfigSchema.of(
            ConfigField.string("endpoint_url", "The server's URL, like https://search.example.com:7700")
                    .asRequired(),
            ConfigField.string("index_name", "The index documents are added to (its uid)")
                    .asRequired(),
            ConfigField.string("primary_key", "The index's primary key attribute")
                    .defaultValue(MeilisearchConfig.DEFAULT_PRIMARY_KEY),
            ConfigField.string("api_key", "An API key with documents.add, documents.delete and tasks.get (Bearer)")
                    .asRequired()
                    .asSecret(),
            ConfigField.integer("batch_size", "The most documents in one request (one task)")
                    .range(1, MeilisearchConfig.MAX_BATCH_SIZE)
                    .defaultValue((long) MeilisearchConfig.DEFAULT_BATCH_SIZE),
            ConfigField.integer("timeout_seconds", "How long one request to Meilisearch may take, in seconds")
                    .range(1, MeilisearchConfig.MAX_TIMEOUT_SECONDS)
                    .defaultValue((long) MeilisearchConfig.DEFAULT_TIMEOUT_SECONDS));

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public String description() {
        return "Adds each row as a document of a Meilisearch index (add or replace; deletes by id), each task waited for";
    }

    @Override
    public ConfigSchema schema() {
        return SCHEMA;
    }

    @Override
    public Configured<MeilisearchConfig> configure(ConfigValues values) {
        return Configured.of(() -> MeilisearchConfig.of(
                values.string("endpoint_url"),
                values.string("index_name"),
                values.string("primary_key"),
                values.string("api_key"),
                intOrNull(values.integer("batch_size")),
                intOrNull(values.integer("timeout_seconds"))));
    }

    private static Integer intOrNull(Long v) {
        return v == null ? null : Math.toIntExact(v);
    }

    @Override
    public Sink create(MeilisearchConfig config, SinkContext context) {
        return new MeilisearchSink(config);
    }

    /**
     * Retrieves the index: OK (with no primary key yet, or {@code primary_key}), UNAUTHORIZED (401/403), NOT_FOUND
     * (404), UNREACHABLE, or FAILED (another primary key, another status).
     */
    @Override
    public CheckResult check(MeilisearchConfig config, Duration timeout) {
        return MeilisearchClient.check(config, timeout);
    }

    /** Sequin's routing keys for Meilisearch sinks. */
    @Override
    public List<String> routingKeys() {
        return List.of(
                MeilisearchSink.ACTION,
                MeilisearchSink.INDEX_NAME,
                MeilisearchSink.FILTER,
                MeilisearchSink.FUNCTION,
                MeilisearchSink.CONTEXT);
    }

    /** Sequin's default {@code batch_size} for Meilisearch. */
    @Override
    public int defaultBatchSize() {
        return MeilisearchConfig.DEFAULT_BATCH_SIZE;
    }

    @Override
    public List<Map<String, Object>> examples() {
        return List.of(Map.of(
                "endpoint_url", "https://search.example.com:7700",
                "index_name", "products",
                "api_key", "meilisearch-example-key-a93e07"));
    }
}
