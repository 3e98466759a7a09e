package dev.sluice.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.Action;
import dev.sluice.core.TableId;
import dev.sluice.core.TimestampFormat;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    static SluiceConfig parse(String yaml) {
        return ConfigLoader.parse(yaml, "sluice.yaml", name -> null);
    }

    @Test
    void fullExample_readsEveryKey() {
        SluiceConfig config = parse("""
                databases:
                  - name: app
                    hostname: db.example.com
                    port: 6543
                    database: app_production
                    username: sluice
                    password: s3cret
                    ssl: false
                    ipv6: true
                    pool_size: 4
                    heartbeat_interval_ms: 5000
                    slot:
                      name: app_slot
                      create_if_not_exists: true
                    publication:
                      name: app_pub
                      create_if_not_exists: true
                    await_database:
                      timeout_ms: 30000
                http_endpoints:
                  - name: hooks
                    url: https://hooks.example.com/in
                    headers:
                      Content-Type: application/json
                    encrypted_headers:
                      - key: Authorization
                        value: Bearer abc
                sinks:
                  - name: orders-to-hooks
                    database: app
                    source:
                      include_tables: [public.orders, "Billing.Invoices"]
                    tables:
                      - name: public.orders
                        group_column_names: [account_id]
                    actions: [insert, update]
                    batch_size: 50
                    status: paused
                    max_retry_count: 5
                    message_grouping: true
                    timestamp_format: unix_microsecond
                    load_shedding_policy: pause_on_full
                    annotations:
                      team: billing
                      priority: 2
                      tags: [a, "1"]
                    transform: none
                    filter: null
                    destination:
                      type: webhook
                      http_endpoint: hooks
                      http_endpoint_path: /orders
                      batch: false
                      request_timeout_ms: 5000
                """);

        DatabaseConfig db = config.databases().getFirst();
        assertThat(db)
                .isEqualTo(new DatabaseConfig(
                        "app",
                        "db.example.com",
                        6543,
                        "app_production",
                        "sluice",
                        "s3cret",
                        false,
                        true,
                        new SlotConfig("app_slot", true),
                        new PublicationConfig("app_pub", true),
                        4,
                        null,
                        Duration.ofMillis(5000),
                        "{}"));
        assertThat(db.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example.com:6543/app_production?sslmode=disable");
        assertThat(db.displayUrl()).isEqualTo("postgres://sluice@db.example.com:6543/app_production?sslmode=disable");
        assertThat(db.toString()).doesNotContain("s3cret");

        HttpEndpointConfig ep = config.httpEndpoints().getFirst();
        assertThat(ep.name()).isEqualTo("hooks");
        assertThat(ep.url()).isEqualTo(URI.create("https://hooks.example.com/in"));
        assertThat(ep.headers()).containsExactly(Map.entry("Content-Type", "application/json"));
        assertThat(ep.encryptedHeaders()).containsExactly(Map.entry("Authorization", "Bearer abc"));
        assertThat(ep.toString()).doesNotContain("Bearer abc");

        SinkConfig sink = config.sinks().getFirst();
        assertThat(sink.name()).isEqualTo("orders-to-hooks");
        assertThat(sink.database()).isEqualTo("app");
        assertThat(sink.source().includeTables())
                .containsExactly(new TableId("public", "orders"), new TableId("Billing", "Invoices"));
        assertThat(sink.tables())
                .containsExactly(new TableConfig(new TableId("public", "orders"), List.of("account_id")));
        assertThat(sink.actions()).containsExactly(Action.INSERT, Action.UPDATE);
        assertThat(sink.batchSize()).isEqualTo(50);
        assertThat(sink.maxSpillMb()).as("the spill budget's default").isEqualTo(1024);
        assertThat(sink.status()).isEqualTo(SinkStatus.PAUSED);
        assertThat(sink.maxRetryCount()).isEqualTo(5);
        assertThat(sink.messageGrouping()).isTrue();
        assertThat(sink.timestampFormat()).isEqualTo(TimestampFormat.UNIX_MICROSECOND);
        assertThat(sink.annotationsJson()).isEqualTo("{\"team\":\"billing\",\"priority\":2,\"tags\":[\"a\",\"1\"]}");
        assertThat(sink.destination().type()).isEqualTo("webhook");
        assertThat(sink.destination().given())
                .containsExactly(
                        Map.entry("http_endpoint", "hooks"),
                        Map.entry("http_endpoint_path", "/orders"),
                        Map.entry("batch", false),
                        Map.entry("request_timeout_ms", 5000L));
        // The endpoint is resolved: its URL and headers, encrypted ones included, are the sink's.
        assertThat(sink.destination().values().endpoint("http_endpoint"))
                .isEqualTo(new dev.sluice.core.sink.HttpEndpoint(
                        "hooks",
                        URI.create("https://hooks.example.com/in"),
                        Map.of("Content-Type", "application/json", "Authorization", "Bearer abc")));
        assertThat(sink.destination().toString()).doesNotContain("Bearer abc");
    }

    @Test
    void destinationsOfEveryType_load_withTheirTypesDefaultBatchSize_andKeepWhatWasGiven() {
        SluiceConfig config = parse("""
                databases:
                  - {name: app, hostname: localhost, database: app}
                sinks:
                  - name: k
                    database: app
                    destination: {type: kafka, hosts: "b1:9092", topic: t, username: u, password: p,
                                  sasl_mechanism: SCRAM-SHA-256, aws_region: ""}
                  - name: q
                    database: app
                    destination: {type: sqs, queue_url: "https://sqs.eu-west-1.amazonaws.com/123456789012/q.fifo",
                                  use_task_role: true}
                  - name: s
                    database: app
                    destination: {type: kinesis, stream_arn: "arn:aws:kinesis:us-east-1:123456789012:stream/s"}
                  - name: p
                    database: app
                    destination: {type: sequin_stream}
                  - name: w
                    database: app
                    destination: {type: webhook, http_endpoint: "https://x.example/h"}
                  - name: k50
                    database: app
                    batch_size: 50
                    destination: {type: kafka, hosts: "b1:9092", topic: t}
                """);
        assertThat(config.sinks())
                .extracting(s -> s.destination().type() + "/" + s.batchSize())
                .containsExactly("kafka/200", "sqs/10", "kinesis/100", "sequin_stream/1", "webhook/1", "kafka/50");
        SinkConfig kafka = config.sinks().get(0);
        // Allowed values are stored as listed; a blank optional value counts as not given.
        assertThat(kafka.destination().given())
                .containsEntry("sasl_mechanism", "scram_sha_256")
                .doesNotContainKey("aws_region");
        assertThat(kafka.destination().toString()).doesNotContain("=p,").contains("password=****");
        SinkConfig sqs = config.sinks().get(1);
        // use_task_role is kept; region and is_fifo are inferred, shown, and not taken as given.
        assertThat(sqs.destination().given()).containsOnlyKeys("queue_url", "use_task_role");
        assertThat(sqs.destination().shown())
                .containsEntry("region", "eu-west-1")
                .containsEntry("is_fifo", true)
                .containsEntry("use_task_role", true)
                .containsEntry("request_timeout_ms", 30_000L);
        assertThat(config.sinks().get(2).destination().shown()).containsEntry("region", "us-east-1");
        assertThat(config.sinks().get(3).destination().shown()).containsEntry("visibility_timeout_ms", 30_000L);
        assertThat(config.sinks().get(4).destination().references("http_endpoint"))
                .isEmpty();
    }

    @Test
    void minimalSink_getsDefaults() {
        SluiceConfig config = parse("""
                databases:
                  - name: app
                    hostname: localhost
                    database: app
                http_endpoints:
                  - name: hooks
                    url: http://localhost:8080/
                sinks:
                  - name: s
                    database: app
                    destination: {type: webhook, http_endpoint: hooks}
                """);
        DatabaseConfig db = config.databases().getFirst();
        assertThat(db.port()).isEqualTo(5432);
        assertThat(db.username()).isEqualTo("postgres");
        assertThat(db.password()).isNull();
        assertThat(db.ssl()).as("no TLS by default on localhost").isFalse();
        assertThat(db.ipv6()).isFalse();
        assertThat(db.slot()).isEqualTo(new SlotConfig("sluice_slot", false));
        assertThat(db.publication()).isEqualTo(new PublicationConfig("sluice_pub", false));
        assertThat(db.poolSize()).isEqualTo(10);
        assertThat(db.heartbeatInterval()).isEqualTo(Duration.ofSeconds(30));

        SinkConfig sink = config.sinks().getFirst();
        assertThat(sink.source()).isEqualTo(SourceFilter.ALL);
        assertThat(sink.tables()).isEmpty();
        assertThat(sink.actions()).containsExactly(Action.INSERT, Action.UPDATE, Action.DELETE);
        assertThat(sink.batchSize()).isEqualTo(1);
        assertThat(sink.status()).isEqualTo(SinkStatus.ACTIVE);
        assertThat(sink.maxRetryCount()).isNull();
        assertThat(sink.messageGrouping()).isTrue();
        assertThat(sink.timestampFormat()).isEqualTo(TimestampFormat.ISO8601);
        assertThat(sink.annotationsJson()).isEqualTo("{}");
        assertThat(sink.reselectUnchangedToast()).isFalse();
        assertThat(sink.destination().given()).containsExactly(Map.entry("http_endpoint", "hooks"));
        assertThat(sink.destination().shown())
                .containsExactly(
                        Map.entry("http_endpoint", "hooks"),
                        Map.entry("http_endpoint_path", ""),
                        Map.entry("batch", true),
                        Map.entry("request_timeout_ms", 30_000L));
    }

    @Test
    void actions_defaultToTheDestinationTypes_soAPostgresReplicaTakesTruncates_andTruncateCanBeListed() {
        SluiceConfig config = parse("""
                databases:
                  - {name: app, hostname: localhost, database: app}
                sinks:
                  - name: replica
                    database: app
                    destination: {type: postgres, host: replica, database_name: app, username: u}
                  - name: replica-without-truncates
                    database: app
                    actions: [insert, update, delete]
                    destination: {type: postgres, host: replica, database_name: app, username: u}
                  - name: hook
                    database: app
                    actions: [insert, truncate]
                    reselect_unchanged_toast: true
                    destination: {type: webhook, http_endpoint: "https://x.example/h"}
                """);
        assertThat(config.sinks())
                .extracting(SinkConfig::actions)
                .containsExactly(
                        Set.of(Action.INSERT, Action.UPDATE, Action.DELETE, Action.TRUNCATE),
                        Set.of(Action.INSERT, Action.UPDATE, Action.DELETE),
                        Set.of(Action.INSERT, Action.TRUNCATE));
        assertThat(config.sinks())
                .extracting(SinkConfig::reselectUnchangedToast)
                .containsExactly(false, false, true);
    }

    @Test
    void sequinDocsShape_loads() {
        // The shape of the sequin.yaml reference: legacy flat slot/publication keys, quoted scalars, list-form
        // headers, a sink with the 'schema' shorthand, ignored Sequin-only keys and an anchor template merged with <<.
        SluiceConfig config = parse("""
                databases:
                  - name: "production-db"
                    username: "postgres"
                    password: "postgres"
                    hostname: "prod.db.example.com"
                    port: 5432
                    database: "app_production"
                    pool_size: 10
                    slot_name: "sequin_slot"
                    publication_name: "sequin_pub"
                    use_local_tunnel: false
                    queue_interval: 50
                    queue_target: 100
                    await_database:
                      timeout_ms: 30000
                      interval_ms: 3000

                http_endpoints:
                  - name: "webhook-endpoint"
                    url: "https://api.example.com/webhook"
                    headers:
                      - key: "Content-Type"
                        value: "application/json"
                    encrypted_headers:
                      - key: "Authorization"
                        value: "Bearer token123"

                base_sink_config: &base_sink_config
                  database: "production-db"
                  schema: "public"
                  transform: "none"

                sinks:
                  - <<: *base_sink_config
                    name: "user-changes"
                    status: "active"
                    actions:
                      - insert
                      - update
                      - delete
                    destination:
                      type: "webhook"
                      http_endpoint: "webhook-endpoint"
                      http_endpoint_path: "/custom"
                      batch: false
                  - name: "other"
                    database: "production-db"
                    source:
                      exclude_schemas: ["private"]
                      exclude_tables: ["public.background_jobs"]
                    destination:
                      type: "webhook"
                      http_endpoint: "webhook-endpoint"
                """);
        DatabaseConfig db = config.databases().getFirst();
        assertThat(db.slot()).isEqualTo(new SlotConfig("sequin_slot", false));
        assertThat(db.publication()).isEqualTo(new PublicationConfig("sequin_pub", false));
        assertThat(db.ssl()).as("TLS by default for remote hosts").isTrue();
        assertThat(db.jdbcUrl()).isEqualTo("jdbc:postgresql://prod.db.example.com:5432/app_production?sslmode=require");
        assertThat(config.httpEndpoints().getFirst().headers()).containsEntry("Content-Type", "application/json");

        SinkConfig first = config.sinks().get(0);
        assertThat(first.database()).isEqualTo("production-db");
        assertThat(first.source()).isEqualTo(new SourceFilter(List.of("public"), null, null, null));
        assertThat(first.destination().given())
                .containsExactly(
                        Map.entry("http_endpoint", "webhook-endpoint"),
                        Map.entry("http_endpoint_path", "/custom"),
                        Map.entry("batch", false));
        assertThat(config.sinks().get(1).source())
                .isEqualTo(new SourceFilter(
                        null, List.of("private"), null, List.of(new TableId("public", "background_jobs"))));
    }

    @Test
    void selfHostedSequinYaml_loads_withApiTokens_listInitialBackfill_andLegacyKeys() {
        // What a self-hosted sequin.yaml holds beyond resources: account and users (not applicable, ignored),
        // api_tokens (kept), Sequin's list form of initial_backfill and keys Sequin itself ignores.
        SluiceConfig config = parse("""
                account:
                  name: "my-account"
                users:
                  - email: "admin@example.com"
                    password: "adminpass123"
                api_tokens:
                  - name: "mytoken"
                    token: "secret"
                databases:
                  - name: db
                    hostname: localhost
                    database: app
                    slot_name: s
                    publication_name: p
                    annotations: {team: core, tier: 1}
                    primary: {hostname: primary.internal, ipv6: true}
                sinks:
                  - name: two-tables
                    database: db
                    consumer_start: {position: beginning}
                    message_kind: event
                    active_backfill: null
                    source:
                      include_tables: [public.orders, public.items]
                    initial_backfill:
                      - table: public.orders
                        type: full
                      - table: items
                        type: partial
                        sort_column: updated_at
                        start_position: "2025-01-01"
                    destination: {type: sequin_stream}
                  - name: one
                    database: db
                    table: public.orders
                    initial_backfill: true
                    destination: {type: sequin_stream}
                """);
        assertThat(config.apiTokens()).containsExactly(new ApiTokenConfig("mytoken", "secret"));
        assertThat(config.databases().getFirst().annotationsJson()).isEqualTo("{\"team\":\"core\",\"tier\":1}");
        assertThat(config.databases().getFirst().primary().ipv6()).isTrue();
        assertThat(config.apiTokens().getFirst().toString()).doesNotContain("secret");
        assertThat(config.sinks().get(0).initialBackfills())
                .containsExactly(
                        new InitialBackfill(new TableId("public", "orders"), null, null),
                        new InitialBackfill(new TableId("public", "items"), "updated_at", "2025-01-01"));
        assertThat(config.sinks().get(1).initialBackfills()).containsExactly(new InitialBackfill(null, null, null));
        // tables without a source: exactly those tables are streamed, as in Sequin.
        assertThat(parse("""
                        databases: [{name: db, hostname: localhost, database: app}]
                        sinks:
                          - name: t
                            database: db
                            tables: [{name: public.orders}, {name: items, group_column_names: [sku]}]
                            destination: {type: sequin_stream}
                        """).sinks().getFirst().source())
                .isEqualTo(new SourceFilter(
                        null, null, List.of(new TableId("public", "orders"), new TableId("public", "items")), null));
    }

    @Test
    void slotStatus_disabledMeansNotRead() {
        SluiceConfig config = parse("""
                databases:
                  - {name: a, hostname: localhost, database: app, slot: {name: a_slot, status: disabled}}
                  - {name: b, hostname: localhost, database: app, slot: {name: b_slot, status: active}}
                  - {name: c, hostname: localhost, database: app}
                """);
        assertThat(config.databases()).extracting(d -> d.slot().enabled()).containsExactly(false, true, true);
        assertThatThrownBy(() -> parse("""
                        databases: [{name: a, hostname: localhost, database: app, slot: {status: paused}}]
                        """))
                .hasMessageContaining("databases[0].slot.status: expected one of active, disabled, got 'paused'");
    }

    @Test
    void initialBackfillList_checksEachEntry() {
        assertThatThrownBy(() -> parse("""
                        databases: [{name: db, hostname: localhost, database: app}]
                        sinks:
                          - name: s
                            database: db
                            initial_backfill:
                              - type: full
                              - {table: a, type: partial}
                              - {table: b, type: full, sort_column: c, start_position: "1"}
                              - {table: a}
                              - {table: d, type: incremental}
                            destination: {type: sequin_stream}
                        """))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("sinks[0].initial_backfill[0].table: required in the list form")
                .hasMessageContaining("sinks[0].initial_backfill[1].type: partial needs sort_column and start_position")
                .hasMessageContaining("sinks[0].initial_backfill[2].start_position: not with type full")
                .hasMessageContaining("sinks[0].initial_backfill[3].table: backfills public.a a second time")
                .hasMessageContaining("sinks[0].initial_backfill[4].type: expected full or partial, got 'incremental'");
    }

    @Test
    void url_replacesConnectionKeys() {
        SluiceConfig config = parse("""
                databases:
                  - name: a
                    url: postgresql://us%40er:p%3Ass%2Fw@db.internal:6000/shop?sslmode=require
                  - name: b
                    url: jdbc:postgresql://[::1]:5433/shop?user=me&password=pw
                  - name: c
                    url: postgres://me@127.0.0.1/shop
                    ssl: true
                """);
        DatabaseConfig a = config.databases().get(0);
        assertThat(List.of(a.hostname(), a.port(), a.database(), a.username(), a.password(), a.ssl()))
                .containsExactly("db.internal", 6000, "shop", "us@er", "p:ss/w", true);
        assertThat(a.displayUrl()).isEqualTo("postgres://us%40er@db.internal:6000/shop?sslmode=require");
        DatabaseConfig b = config.databases().get(1);
        assertThat(List.of(b.hostname(), b.port(), b.username(), b.password(), b.ssl()))
                .containsExactly("::1", 5433, "me", "pw", false);
        assertThat(b.jdbcUrl()).isEqualTo("jdbc:postgresql://[::1]:5433/shop?sslmode=disable");
        DatabaseConfig c = config.databases().get(2);
        assertThat(List.of(c.port(), c.username(), c.ssl())).containsExactly(5432, "me", true);
        assertThat(c.password()).isNull();
    }

    @Test
    void primary_ofAReplica_takesTheReplicasValuesForWhatItLeavesOut() {
        SluiceConfig config = parse("""
                databases:
                  - name: replica
                    hostname: replica.internal
                    port: 6432
                    database: shop
                    username: cdc
                    password: replica-pw
                    primary:
                      hostname: primary.internal
                  - name: explicit
                    url: postgres://cdc:pw@replica2.internal/shop
                    primary:
                      url: postgres://admin:admin-pw@primary2.internal:5433/shop?sslmode=disable
                  - name: plain
                    hostname: db.internal
                    database: shop
                """);
        assertThat(config.databases().get(0).primary())
                .isEqualTo(new PrimaryConfig("primary.internal", 6432, "shop", "cdc", "replica-pw", true));
        assertThat(config.databases().get(1).primary())
                .isEqualTo(new PrimaryConfig("primary2.internal", 5433, "shop", "admin", "admin-pw", false));
        assertThat(config.databases().get(2).primary()).isNull();
        assertThat(config.databases().get(0).toString()).doesNotContain("replica-pw");
        assertThat(config.databases().get(1).toString())
                .doesNotContain("admin-pw")
                .contains("primary2.internal");
        assertThat(config.databases().get(0).sourceSettings().primary().describe())
                .isEqualTo("cdc@primary.internal:6432/shop");
    }

    @Test
    void retryBackoff_defaultsToOneSecondUpToTenMinutes_andCanBeSet() {
        SluiceConfig config = parse("""
                databases:
                  - {name: app, hostname: db, database: app}
                sinks:
                  - {name: a, database: app, destination: {type: webhook, http_endpoint: "https://x.example/h"}}
                  - {name: b, database: app, retry_backoff_ms: 200, max_retry_backoff_ms: 5000,
                     destination: {type: webhook, http_endpoint: "https://x.example/h"}}
                  - {name: c, database: app, retry_backoff_ms: 900000,
                     destination: {type: webhook, http_endpoint: "https://x.example/h"}}
                """);
        assertThat(config.sinks())
                .extracting(s -> s.retryBackoffMs() + "/" + s.maxRetryBackoffMs())
                .containsExactly("1000/600000", "200/5000", "900000/900000");
    }

    @Test
    void emptyFileOrMissingSections_giveEmptyLists() {
        assertThat(parse("")).isEqualTo(SluiceConfig.empty());
        assertThat(parse("# only a comment\n")).isEqualTo(SluiceConfig.empty());
        assertThat(parse("databases:\nsinks: []\n")).isEqualTo(SluiceConfig.empty());
    }

    @Test
    void load_readsFileAndNamesItInErrors(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sluice.yaml");
        Files.writeString(file, "databases:\n  - name: a\n    hostname: h\n    database: d\n");
        assertThat(ConfigLoader.load(file).databases()).hasSize(1);

        Files.writeString(file, "sinks: 3\n");
        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file + ":1:8: sinks: expected a list");
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("missing.yaml")))
                .hasMessageContaining("missing.yaml: file not found");
    }

    @Test
    void docsExample_loads() throws Exception {
        String doc = Files.readString(Path.of("../docs/configuration.md"));
        Map<String, String> env = Map.of("APP_DB_PASSWORD", "pw", "ORDERS_TOKEN", "t", "SLUICE_CI_TOKEN", "ci-token");
        // Every example loads; the full one (the first with sinks) is checked further.
        SluiceConfig config = null;
        for (int start = doc.indexOf("```yaml\n"); start >= 0; start = doc.indexOf("```yaml\n", start)) {
            start += "```yaml\n".length();
            String yaml = doc.substring(start, doc.indexOf("```", start));
            SluiceConfig parsed = ConfigLoader.parse(yaml, "configuration.md", env::get);
            if (config == null && !parsed.sinks().isEmpty()) {
                config = parsed;
            }
        }
        assertThat(config).as("an example with sinks").isNotNull();
        assertThat(config.databases().getFirst().ssl()).isTrue();
        assertThat(config.httpEndpoints().getFirst().encryptedHeaders()).containsEntry("Authorization", "Bearer t");
        assertThat(config.sinks().getFirst().batchSize()).isEqualTo(100);
    }

    @Test
    void sourceFilter_matchesIncludesThenExcludes() {
        TableId orders = new TableId("public", "orders");
        TableId jobs = new TableId("public", "jobs");
        TableId audit = new TableId("audit", "log");
        assertThat(SourceFilter.ALL.matches(audit)).isTrue();

        SourceFilter schemaMinusTable = new SourceFilter(List.of("public"), null, null, List.of(jobs));
        assertThat(Set.of(orders, jobs, audit).stream().filter(schemaMinusTable::matches))
                .containsExactly(orders);

        SourceFilter schemaOrTable = new SourceFilter(List.of("audit"), null, List.of(orders), null);
        assertThat(schemaOrTable.matches(orders)).isTrue();
        assertThat(schemaOrTable.matches(audit)).isTrue();
        assertThat(schemaOrTable.matches(jobs)).isFalse();

        SourceFilter excludeSchema = new SourceFilter(null, List.of("audit"), null, null);
        assertThat(excludeSchema.matches(orders)).isTrue();
        assertThat(excludeSchema.matches(audit)).isFalse();
    }
}
