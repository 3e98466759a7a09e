package dev.sluice.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.TableId;
import org.junit.jupiter.api.Test;

/** {@code tables[].include_columns} / {@code exclude_columns} in sluice.yaml (issue 19). */
class ColumnSelectionConfigTest {
    private static final String HEAD = """
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
            """;

    private static SinkConfig sink(String extra) {
        return ConfigLoader.parse(HEAD + extra.stripIndent().indent(4), "sluice.yaml", name -> null)
                .sinks()
                .getFirst();
    }

    @Test
    void includeAndExcludeLists_areReadPerTable() {
        SinkConfig s = sink("""
                tables:
                  - name: public.users
                    exclude_columns: [password_hash, mfa_secret]
                  - name: orders
                    include_columns: [id, total]
                    group_column_names: [id]
                """);
        TableConfig users = s.tables().get(0);
        assertThat(users.excludeColumns()).containsExactly("password_hash", "mfa_secret");
        assertThat(users.includeColumns()).isNull();
        TableConfig orders = s.tables().get(1);
        assertThat(orders.name()).isEqualTo(new TableId("public", "orders"));
        assertThat(orders.includeColumns()).containsExactly("id", "total");
        assertThat(orders.groupColumnNames()).containsExactly("id");
        // Without a source, Sequin's meaning: the sink streams the tables it lists.
        assertThat(s.source().includeTables()).containsExactly(new TableId("public", "users"), orders.name());
    }

    @Test
    void aGivenSource_evenEmpty_isNotNarrowedByTables() {
        SinkConfig s = sink("""
                source: {}
                tables:
                  - name: public.users
                    exclude_columns: [secret]
                """);
        assertThat(s.source()).isEqualTo(SourceFilter.ALL);
    }

    @Test
    void bothLists_emptyLists_andRepeatedColumns_areRejected() {
        assertThat(ConfigErrorsTest.sinkProblems("""
                        database: app
                        destination: {type: webhook, http_endpoint: hooks}
                        tables:
                          - name: public.users
                            include_columns: [id]
                            exclude_columns: [secret]
                          - name: public.orders
                            exclude_columns: []
                          - name: public.items
                            include_columns: [id, id]
                        """))
                .containsExactly(
                        "sluice.yaml:15:26: sinks[0].tables[0].exclude_columns: give include_columns or"
                                + " exclude_columns, not both",
                        "sluice.yaml:17:26: sinks[0].tables[1].exclude_columns: must not be empty; omit the key to"
                                + " deliver every column",
                        "sluice.yaml:19:26: sinks[0].tables[2].include_columns: lists column 'id' twice");
    }

    @Test
    void theExport_keepsTheSelection() {
        SinkConfig s = sink("""
                tables:
                  - name: public.users
                    exclude_columns: [secret]
                """);
        var doc = dev.sluice.server.store.ConfigDocs.sinkDoc(s);
        assertThat(doc.get("tables").toString())
                .isEqualTo("[{\"name\":\"public.users\",\"group_column_names\":[],\"exclude_columns\":[\"secret\"]}]");
    }
}
