package dev.sluice.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.sluice.server.destination.Destinations;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigErrorsTest {

    private static final String DB = """
            databases:
              - name: app
                hostname: localhost
                database: app
            """;
    private static final String ENDPOINT = """
            http_endpoints:
              - name: hooks
                url: http://localhost:8080/
            """;

    /** Every problem of an invalid file, as printed. */
    static List<String> problems(String yaml) {
        return problems(yaml, Map.of());
    }

    static List<String> problems(String yaml, Map<String, String> env) {
        ConfigException e =
                catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(yaml, "sluice.yaml", env::get));
        assertThat(e).as("expected the config to be rejected").isNotNull();
        List<String> lines =
                e.problems().stream().map(ConfigException.Problem::toString).toList();
        assertThat(e.getMessage()).contains(lines);
        return lines;
    }

    /** A sink entry under the standard database and endpoint; the sink's first line is line 9. */
    static List<String> sinkProblems(String sinkBody) {
        return problems(
                DB + ENDPOINT + "sinks:\n  - name: s\n" + sinkBody.stripIndent().indent(4));
    }

    @Test
    void heartbeatInterval_belowOneSecondOrNegative_isRejectedNamingTheKey() {
        String db = "databases:\n  - name: app\n    hostname: localhost\n    database: app\n";
        assertThat(problems(db + "    heartbeat_interval_ms: 500\n"))
                .containsExactly("sluice.yaml:5:28: databases[0].heartbeat_interval_ms: must be 0 (heartbeats off)"
                        + " or at least 1000 (milliseconds), got 500");
        assertThat(problems(db + "    heartbeat_interval_ms: -1\n"))
                .containsExactly("sluice.yaml:5:28: databases[0].heartbeat_interval_ms: must be at least 0, got -1");
        assertThat(problems(db + "    heartbeat_interval_ms: soon\n"))
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("databases[0].heartbeat_interval_ms: expected an integer");
    }

    @Test
    void heartbeatInterval_zeroTurnsHeartbeatsOff_andOneSecondIsAccepted() {
        String db = "databases:\n  - name: app\n    hostname: localhost\n    database: app\n";
        assertThat(ConfigLoader.parse(db + "    heartbeat_interval_ms: 0\n", "sluice.yaml", name -> null)
                        .databases()
                        .getFirst()
                        .heartbeatInterval())
                .isEqualTo(java.time.Duration.ZERO);
        assertThat(ConfigLoader.parse(db + "    heartbeat_interval_ms: 1000\n", "sluice.yaml", name -> null)
                        .databases()
                        .getFirst()
                        .heartbeatInterval())
                .isEqualTo(java.time.Duration.ofSeconds(1));
    }

    @Test
    void batchSizeOutOfRange_pointsAtValue() {
        assertThat(sinkProblems("""
                        database: app
                        batch_size: 0
                        destination: {type: webhook, http_endpoint: hooks}
                        """))
                .containsExactly("sluice.yaml:11:17: sinks[0].batch_size: must be between 1 and 1000, got 0");
    }

    @Test
    void maxSpillMbOutOfRange_pointsAtValue() {
        assertThat(sinkProblems("""
                        database: app
                        max_spill_mb: -1
                        destination: {type: webhook, http_endpoint: hooks}
                        """))
                .containsExactly("sluice.yaml:11:19: sinks[0].max_spill_mb: must be between 0 and 1048576, got -1");
    }

    @Test
    void retryBackoff_isCheckedAndTheCapMayNotBeBelowTheStart() {
        assertThat(sinkProblems("""
                        database: app
                        retry_backoff_ms: 5000
                        max_retry_backoff_ms: 1000
                        destination: {type: webhook, http_endpoint: hooks}
                        """))
                .containsExactly("sluice.yaml:12:27: sinks[0].max_retry_backoff_ms: must be at least retry_backoff_ms"
                        + " (5000), got 1000");
        assertThat(sinkProblems("""
                        database: app
                        retry_backoff_ms: 0
                        destination: {type: webhook, http_endpoint: hooks}
                        """))
                .singleElement()
                .asString()
                .contains("sinks[0].retry_backoff_ms: must be between 1 and 86400000, got 0");
    }

    @Test
    void wrongScalarType_namesExpectedType() {
        assertThat(problems("""
                        databases:
                          - name: app
                            hostname: localhost
                            port: abc
                            database: app
                            ssl: yes please
                        """))
                .containsExactly(
                        "sluice.yaml:4:11: databases[0].port: expected an integer, got 'abc'",
                        "sluice.yaml:6:10: databases[0].ssl: expected true or false, got 'yes please'");
    }

    @Test
    void unknownKey_listsAcceptedKeysAndSuggests() {
        List<String> problems = problems("""
                databases:
                  - name: app
                    hostnme: localhost
                    database: app
                """);
        assertThat(problems).hasSize(2);
        assertThat(problems.get(0))
                .isEqualTo("sluice.yaml:2:5: databases[0].hostname: required key is missing:"
                        + " give either 'url' (postgres://user:password@host:5432/db) or hostname, database, username and"
                        + " password");
        assertThat(problems.get(1))
                .startsWith("sluice.yaml:3:5: databases[0].hostnme: unknown key; did you mean 'hostname'?"
                        + " Accepted keys: name, url, hostname, port,");
    }

    @Test
    void topLevelKeys_unsupportedOrUnknown() {
        // account and users are accepted (a self-hosted sequin.yaml has them); change_retentions is not supported.
        assertThat(problems("""
                        account:
                          name: acme
                        users: []
                        api_tokens: []
                        change_retentions: []
                        sink: []
                        """))
                .containsExactly(
                        "sluice.yaml:5:1: change_retentions: not supported yet: Sluice cannot write changes to a"
                                + " table; remove this section",
                        "sluice.yaml:6:1: sink: unknown key; did you mean 'sinks'? Accepted keys: databases,"
                                + " http_endpoints, functions, sinks, api_tokens, account, users");
    }

    @Test
    void apiTokens_needANameAndAUsableToken() {
        assertThat(problems("""
                        api_tokens:
                          - name: ci
                            token: "has space"
                          - name: ci
                            token: fine-token
                          - token: no-name
                          - name: "-bad"
                            token: t
                          - name: x
                            tokne: t
                        """))
                .containsExactly(
                        "sluice.yaml:3:12: api_tokens[0].token: must not contain spaces or control characters",
                        "sluice.yaml:4:11: api_tokens[1].name: duplicate API token name 'ci' (first defined at line"
                                + " 2); names must be unique",
                        "sluice.yaml:6:5: api_tokens[2].name: required key is missing",
                        "sluice.yaml:7:11: api_tokens[3].name: must be 1 to 128 letters, digits, '_', '-' or '.',"
                                + " starting with a letter or digit",
                        "sluice.yaml:9:5: api_tokens[4].token: required key is missing",
                        "sluice.yaml:10:5: api_tokens[4].tokne: unknown key; did you mean 'token'? Accepted keys:"
                                + " name, token");
    }

    @Test
    void duplicateNames_pointAtSecondDefinition() {
        assertThat(problems(DB + """
                          - name: app
                            hostname: other
                            database: app
                        """))
                .containsExactly("sluice.yaml:5:11: databases[1].name: duplicate database name 'app' (first defined"
                        + " at line 2); names must be unique");
    }

    @Test
    void danglingReferences_pointAtReferencingLine() {
        assertThat(sinkProblems("""
                        database: nope
                        destination:
                          type: webhook
                          http_endpoint: missing
                        """))
                .containsExactly(
                        "sluice.yaml:10:15: sinks[0].database: no database named 'nope'; defined databases: app",
                        "sluice.yaml:13:22: sinks[0].destination.http_endpoint: no HTTP endpoint named 'missing';"
                                + " defined http_endpoints: hooks");
    }

    @Test
    void urlAndHostnameTogether_isAnError() {
        assertThat(problems("""
                        databases:
                          - name: app
                            url: postgres://u:secret@h/db
                            hostname: h
                        """))
                .containsExactly("sluice.yaml:4:15: databases[0].hostname: give either 'url' or"
                        + " hostname/port/database/username/password, not both");
    }

    @Test
    void invalidUrl_doesNotEchoPassword() {
        List<String> problems = problems("""
                databases:
                  - name: app
                    url: mysql://u:secret@h/db
                  - name: b
                    url: postgres://u:secret@h:99999/db
                  - name: c
                    url: postgres://u:secret@h/db?sslmode=prefer
                """);
        assertThat(problems)
                .containsExactly(
                        "sluice.yaml:3:10: databases[0].url: invalid Postgres URL: must start with postgres://,"
                                + " postgresql:// or jdbc:postgresql://",
                        "sluice.yaml:5:10: databases[1].url: invalid Postgres URL: the port must be a number between"
                                + " 1 and 65535",
                        "sluice.yaml:7:10: databases[2].url: invalid Postgres URL: sslmode 'prefer' is not"
                                + " supported; use sslmode=require (TLS) or sslmode=disable");
        assertThat(String.join("\n", problems)).doesNotContain("secret");
    }

    @Test
    void slotAndPublication_validated() {
        assertThat(problems("""
                        databases:
                          - name: app
                            hostname: localhost
                            database: app
                            slot:
                              name: My-Slot
                            slot_name: other
                            publication:
                              name: p
                              init_sql: create publication p for all tables
                        """))
                .containsExactly(
                        "sluice.yaml:6:13: databases[0].slot.name: invalid replication slot name 'My-Slot': Postgres"
                                + " allows only 1 to 63 lower-case letters, digits and underscores",
                        "sluice.yaml:7:16: databases[0].slot_name: the slot is already given in the 'slot' block;"
                                + " remove 'slot_name'",
                        "sluice.yaml:10:7: databases[0].publication.init_sql: not supported yet; create the"
                                + " publication yourself, or let Sluice create it");
    }

    @Test
    void primaryBlock_validated() {
        assertThat(problems("""
                        databases:
                          - name: a
                            hostname: replica
                            database: app
                            primary:
                              port: 99999
                              slot: x
                          - name: b
                            hostname: replica
                            database: app
                            primary: primary.internal
                          - name: c
                            hostname: replica
                            database: app
                            primary:
                              hostname: p
                              url: postgres://p/app
                        """))
                .containsExactly(
                        "sluice.yaml:6:7: databases[0].primary.hostname: required key is missing: give the primary's"
                                + " hostname (or a 'url'); port, database, username, password and ssl default to"
                                + " the replica's",
                        "sluice.yaml:7:7: databases[0].primary.slot: unknown key. Accepted keys: url, hostname,"
                                + " port, database, username, password, ssl, ipv6",
                        "sluice.yaml:11:14: databases[1].primary: expected a mapping, got 'primary.internal'",
                        "sluice.yaml:16:17: databases[2].primary.hostname: give either 'url' or"
                                + " hostname/port/database/username/password, not both");
    }

    @Test
    void legacySlotName_validated() {
        assertThat(problems("""
                        databases:
                          - name: app
                            hostname: localhost
                            database: app
                            slot_name: "x-y"
                        """))
                .containsExactly("sluice.yaml:5:16: databases[0].slot_name: invalid replication slot name 'x-y':"
                        + " Postgres allows only 1 to 63 lower-case letters, digits and underscores");
    }

    @Test
    void httpEndpoints_unsupportedFormsAndBadUrls() {
        assertThat(problems("""
                        http_endpoints:
                          - name: site
                            webhook.site: true
                          - name: tunnel
                            local: "true"
                            path: /hook
                          - name: ftp
                            url: ftp://example.com/x
                          - name: dup
                            url: http://example.com
                            headers: {X-A: "1", x-a: "2"}
                        """))
                .containsExactly(
                        "sluice.yaml:3:5: http_endpoints[0].webhook.site: webhook.site endpoints are not supported;"
                                + " give the endpoint's 'url' instead",
                        "sluice.yaml:5:5: http_endpoints[1].local: local tunnel endpoints are not supported; give"
                                + " 'url: http://localhost:<port>/<path>' instead",
                        "sluice.yaml:6:5: http_endpoints[1].path: 'path' belongs to Sequin's local tunnel endpoints,"
                                + " which are not supported; put the path in 'url'",
                        "sluice.yaml:8:10: http_endpoints[2].url: must be an http:// or https:// URL, got"
                                + " 'ftp://example.com/x'",
                        "sluice.yaml:11:25: http_endpoints[3].headers.x-a: header 'x-a' is already given at line 11");
    }

    @Test
    void sinkModuleChecks_areReportedAtTheirField() {
        assertThat(sinkProblems("""
                        database: app
                        destination:
                          type: kafka
                          hosts: b1
                          topic: orders
                        """))
                .singleElement()
                .asString()
                .startsWith("sluice.yaml:")
                .contains("sinks[0].destination.hosts: ")
                .contains("b1");
        assertThat(sinkProblems("""
                        database: app
                        destination:
                          type: sqs
                          queue_url: https://example.com/123456789012/q
                        """)).singleElement().asString().contains("sinks[0].destination.region: ");
        assertThat(sinkProblems("""
                        database: app
                        destination:
                          type: kinesis
                          stream_arn: not-an-arn
                          topic: x
                        """))
                .anySatisfy(p -> assertThat(p).contains("sinks[0].destination.topic: "))
                .anySatisfy(p -> assertThat(p).contains("sinks[0].destination.stream_arn: "));
    }

    @Test
    void unsupportedDestinationType_listsSupportedTypes() {
        assertThat(sinkProblems("""
                        database: app
                        destination:
                          type: carrier_pigeon
                          host: localhost
                        """))
                .containsExactly(
                        "sluice.yaml:12:13: sinks[0].destination.type: destination type 'carrier_pigeon' is not supported"
                                + " yet; supported types: "
                                + String.join(", ", Destinations.installed().types()));
        assertThat(Destinations.installed().types()).contains("kafka", "sequin_stream", "webhook");
    }

    @Test
    void destinationValues_areCheckedAgainstTheirTypesSchema() {
        assertThat(sinkProblems("""
                        database: app
                        destination:
                          type: kafka
                          hosts: b1:9092
                          compression: brotli
                          tls: maybe
                          request_timeout_ms: 0
                        """))
                .containsExactly(
                        "sluice.yaml:12:7: sinks[0].destination.topic: required key is missing",
                        "sluice.yaml:14:20: sinks[0].destination.compression: expected one of none, gzip, snappy,"
                                + " lz4, zstd, got 'brotli'",
                        "sluice.yaml:15:12: sinks[0].destination.tls: expected true or false, got 'maybe'",
                        "sluice.yaml:16:27: sinks[0].destination.request_timeout_ms: must be at least 1, got 0");
        assertThat(sinkProblems("""
                        database: app
                        destination: {type: sequin_stream, visibility_timeout_ms: 99999999999}
                        """))
                .containsExactly("sluice.yaml:11:63: sinks[0].destination.visibility_timeout_ms: must be between 1"
                        + " and 43200000, got 99999999999");
        assertThat(sinkProblems("""
                        database: app
                        destination: webhook
                        """))
                .containsExactly("sluice.yaml:11:18: sinks[0].destination: expected a mapping, got 'webhook'");
    }

    @Test
    void missingDestination_isReportedAtSink() {
        assertThat(sinkProblems("database: app\n"))
                .containsExactly("sluice.yaml:9:5: sinks[0].destination: required key is missing (e.g. {type:"
                        + " webhook, http_endpoint: <name>})");
    }

    @Test
    void sinkValues_validated() {
        assertThat(sinkProblems("""
                        database: app
                        actions: [insert, read, upsert]
                        status: stopped
                        max_retry_count: -1
                        timestamp_format: epoch
                        load_shedding_policy: drop
                        message_grouping: false
                        tables:
                          - name: public.orders
                            group_column_names: [account_id]
                        source:
                          include_schemas: [public]
                          exclude_schemas: [private]
                        transform: my-transform
                        routing: none
                        destination: {type: webhook, http_endpoint: hooks, http_endpoint_path: orders}
                        """))
                .containsExactly(
                        "sluice.yaml:11:23: sinks[0].actions[1]: expected one of insert, update, delete, truncate,"
                                + " got 'read'; backfill reads are always delivered",
                        "sluice.yaml:11:29: sinks[0].actions[2]: expected one of insert, update, delete, truncate,"
                                + " got 'upsert'",
                        "sluice.yaml:12:13: sinks[0].status: expected one of active, paused, disabled, got 'stopped'",
                        "sluice.yaml:13:22: sinks[0].max_retry_count: must be at least 0, got -1",
                        "sluice.yaml:14:23: sinks[0].timestamp_format: expected one of iso8601, unix_microsecond,"
                                + " got 'epoch'",
                        "sluice.yaml:15:27: sinks[0].load_shedding_policy: expected one of pause_on_full,"
                                + " discard_on_full, got 'drop'",
                        "sluice.yaml:19:29: sinks[0].tables[0].group_column_names: cannot be used with"
                                + " message_grouping: false",
                        "sluice.yaml:22:24: sinks[0].source.exclude_schemas: give include_schemas or exclude_schemas,"
                                + " not both",
                        "sluice.yaml:23:16: sinks[0].transform: no function named 'my-transform'; no functions are"
                                + " defined",
                        "sluice.yaml:25:76: sinks[0].destination.http_endpoint_path: must start with '/', got"
                                + " 'orders'");
    }

    @Test
    void includeAndExcludeTables_together() {
        assertThat(sinkProblems("""
                        database: app
                        source:
                          include_tables: [public.a]
                          exclude_tables: [public.b]
                        destination: {type: webhook, http_endpoint: hooks}
                        """))
                .containsExactly("sluice.yaml:13:23: sinks[0].source.exclude_tables: give include_tables or"
                        + " exclude_tables, not both");
    }

    @Test
    void unknownKeyInNestedObject_isReported() {
        assertThat(sinkProblems("""
                        database: app
                        destination: {type: webhook, http_endpont: hooks}
                        """))
                .containsExactly(
                        "sluice.yaml:11:18: sinks[0].destination.http_endpoint: required key is missing",
                        "sluice.yaml:11:34: sinks[0].destination.http_endpont: unknown key; did you mean"
                                + " 'http_endpoint'? Accepted keys: type, http_endpoint, http_endpoint_path, batch,"
                                + " request_timeout_ms");
    }

    @Test
    void wrongShapes_areNamed() {
        assertThat(problems("""
                        databases:
                          name: app
                        sinks:
                          - just a string
                        """))
                .containsExactly(
                        "sluice.yaml:2:3: databases: expected a list (entries start with '- '), got a mapping",
                        "sluice.yaml:4:5: sinks[0]: expected a mapping, got 'just a string'");
    }

    @Test
    void yamlSyntaxError_givesPosition() {
        List<String> problems = problems("databases:\n  - name: [unclosed\n");
        assertThat(problems).hasSize(1);
        assertThat(problems.getFirst()).startsWith("sluice.yaml:3:1: YAML syntax error:");
    }

    @Test
    void notOneMapping_isRejected() {
        assertThat(problems("- a\n- b\n"))
                .containsExactly(
                        "sluice.yaml:1:1: expected a mapping with databases, http_endpoints, functions and sinks, got a"
                                + " list");
        assertThat(problems("databases: []\n---\nsinks: []\n"))
                .hasSize(1)
                .first()
                .asString()
                .contains("sluice.yaml:2:1: YAML syntax error");
    }

    @Test
    void recursiveAlias_doesNotOverflow() {
        assertThat(problems("databases: &a\n  - *a\n")).isNotEmpty();
    }

    @Test
    void duplicateYamlKey_isReported() {
        assertThat(problems("""
                        databases:
                          - name: app
                            name: again
                            hostname: localhost
                            database: app
                        """))
                .containsExactly(
                        "sluice.yaml:3:5: databases[0].name: duplicate key (first given at line 2); remove" + " one");
    }

    @Test
    void manyProblems_reportedTogetherInFileOrder() {
        ConfigException e =
                catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse("""
                databases:
                  - name: app
                    hostname: localhost
                    database: app
                    pool_size: 0
                http_endpoints:
                  - name: hooks
                    url: "${HOOK_URL}"
                sinks:
                  - name: s
                    database: app
                    batch_size: 5000
                    destination: {type: webhook, http_endpoint: hooks}
                change_retentions: []
                """, "sluice.yaml", name -> null));
        assertThat(e.getMessage()).isEqualTo("""
                        invalid configuration (4 problems):
                          sluice.yaml:5:16: databases[0].pool_size: must be at least 1, got 0
                          sluice.yaml:8:10: http_endpoints[0].url: environment variable HOOK_URL is not set (set it, \
                        or give a default with ${HOOK_URL:-default})
                          sluice.yaml:12:17: sinks[0].batch_size: must be between 1 and 1000, got 5000
                          sluice.yaml:14:1: change_retentions: not supported yet: Sluice cannot write changes to a \
                        table; remove this section""");
    }
}
