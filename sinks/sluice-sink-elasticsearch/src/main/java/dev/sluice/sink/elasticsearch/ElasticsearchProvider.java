package dev.sluice.sink.elasticsearch;

import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigField;
import dev.sluice.core.sink.ConfigSchema;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.InvalidConfigException;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkProvider;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code elasticsearch} destination: indexes and deletes documents by primary key through the Bulk API, in
 * Elasticsearch or OpenSearch. Sequin's fields and default batch size (100). See docs/sinks/elasticsearch.md.
 */
public final class ElasticsearchProvider implements SinkProvider<ElasticsearchConfig> {
    public static final String TYPE = "elasticsearch";

    private static final ConfigSchema SCHEMA = ConfigSchema.of(
            ConfigField.string("endpoint_url", "The cluster's base URL, like https://es.example.com:9200")
                    .asRequired(),
            ConfigField.string("index_name", "The index documents are written to; it should exist (check says so)")
                    .asRequired(),
            ConfigField.string("auth_type", "How auth_value is sent in the Authorization header")
                    .allowed("api_key", "basic", "bearer")
                    .defaultValue(ElasticsearchConfig.DEFAULT_AUTH_TYPE),
            ConfigField.string(
                            "auth_value",
                            "The API key (encoded), username:password or Base64 of it, or bearer token; absent:"
                                    + " no Authorization header")
                    .asSecret(),
            ConfigField.integer("batch_size", "Most documents in one bulk request; a larger batch is split")
                    .range(1, ElasticsearchConfig.MAX_BATCH_SIZE)
                    .defaultValue((long) ElasticsearchConfig.DEFAULT_BATCH_SIZE),
            ConfigField.integer(
                            "max_request_bytes",
                            "Most bytes of one bulk request: the server's http.max_content_length. A document"
                                    + " whose entry is larger is rejected")
                    .range(1024, Integer.MAX_VALUE)
                    .defaultValue((long) ElasticsearchConfig.DEFAULT_MAX_REQUEST_BYTES),
            ConfigField.integer("request_timeout_ms", "How long one bulk request may take")
                    .range(1, 3_600_000)
                    .defaultValue(ElasticsearchConfig.DEFAULT_REQUEST_TIMEOUT.toMillis()));

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public String description() {
        return "Indexes each change as a document (by primary key) in an Elasticsearch or OpenSearch index, deletes"
                + " deleted rows, through the Bulk API";
    }

    @Override
    public ConfigSchema schema() {
        return SCHEMA;
    }

    @Override
    public Configured<ElasticsearchConfig> configure(ConfigValues values) {
        return Configured.of(() -> new ElasticsearchConfig(
                uri(Objects.requireNonNull(values.string("endpoint_url"))),
                Objects.requireNonNull(values.string("index_name")),
                Objects.requireNonNull(values.string("auth_type")),
                values.string("auth_value"),
                Math.toIntExact(Objects.requireNonNull(values.integer("batch_size"))),
                Math.toIntExact(Objects.requireNonNull(values.integer("max_request_bytes"))),
                Duration.ofMillis(Objects.requireNonNull(values.integer("request_timeout_ms")))));
    }

    private static URI uri(String text) {
        try {
            return new URI(text.strip());
        } catch (URISyntaxException e) {
            throw new InvalidConfigException(
                    "endpoint_url", "is not a valid URL (" + e.getReason() + "), like https://es.example.com:9200");
        }
    }

    @Override
    public Sink create(ElasticsearchConfig config, SinkContext context) {
        return new ElasticsearchSink(config);
    }

    @Override
    public CheckResult check(ElasticsearchConfig config, Duration timeout) {
        return ElasticsearchSink.probe(config, timeout);
    }

    /** Sequin's routing key for Elasticsearch sinks; when not routed, the configured index. */
    @Override
    public List<String> routingKeys() {
        return List.of(ElasticsearchSink.INDEX_NAME);
    }

    /** A document needs an index. */
    @Override
    public List<String> requiredRoutingKeys() {
        return List.of(ElasticsearchSink.INDEX_NAME);
    }

    /** Sequin's {@code batch_size} for Elasticsearch sinks. */
    @Override
    public int defaultBatchSize() {
        return ElasticsearchConfig.DEFAULT_BATCH_SIZE;
    }

    @Override
    public List<Map<String, Object>> examples() {
        return List.of(
                Map.of(
                        "endpoint_url", "https://es.example.com:9200",
                        "index_name", "orders",
                        "auth_type", "api_key",
                        "auth_value", "es-example-api-key-5c1f"),
                Map.of(
                        "endpoint_url", "https://opensearch.example.com",
                        "index_name", "products",
                        "auth_type", "basic",
                        "auth_value", "sluice:es-example-password-93ad"));
    }
}
