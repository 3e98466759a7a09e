package dev.sluice.server.config;

import static dev.sluice.server.config.ConfigErrorsTest.problems;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.functions.FunctionSpec;
import dev.sluice.functions.FunctionType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code functions} section and the sinks' references to functions, as sluice.yaml gives them. */
class FunctionsConfigTest {
    private static final String HEAD = """
            databases:
              - name: app
                hostname: localhost
                database: app
            """;

    private static String sink(String extra) {
        return """
                sinks:
                  - name: s
                    database: app
                    table: public.orders
                    destination: {type: kafka, hosts: "localhost:9092", topic: orders}
                """ + extra.stripIndent().indent(4);
    }

    @Test
    void sequinForms_flatNestedLegacySectionAndLegacyNames_areRead() {
        SluiceConfig cfg = ConfigLoader.parse(HEAD + """
                functions:
                  - name: keep-paid
                    type: filter
                    code: "function filter(action, record) { return record.status === 'paid'; }"
                  - function:
                      name: by-table
                      type: routing
                      sink_type: kafka
                      code: "function route(a, r, c, m) { return {topic: 'x.' + m.table_name}; }"
                transforms:
                  - transform:
                      name: legacy
                      type: function
                      code: "function transform(action, record) { return record; }"
                  - name: hook-route
                    type: routing
                    sink_type: webhook
                    code: "function route() { return {method: 'PUT'}; }"
                  - name: just-record
                    type: path
                    path: record
                """ + sink("""
                filter: keep-paid
                routing: by-table
                transform: legacy
                enrichment: none
                """), "sluice.yaml", name -> null);

        assertThat(cfg.functions())
                .extracting(FunctionSpec::name, FunctionSpec::type)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("keep-paid", FunctionType.FILTER),
                        org.assertj.core.groups.Tuple.tuple("by-table", FunctionType.ROUTING),
                        org.assertj.core.groups.Tuple.tuple("legacy", FunctionType.TRANSFORM),
                        org.assertj.core.groups.Tuple.tuple("hook-route", FunctionType.ROUTING),
                        org.assertj.core.groups.Tuple.tuple("just-record", FunctionType.PATH));
        assertThat(cfg.function("hook-route").sinkType()).isEqualTo("http_push");
        assertThat(cfg.sinks().getFirst().functions())
                .isEqualTo(new FunctionRefs("keep-paid", "legacy", "by-table", null));
    }

    @Test
    void codeProblems_nameTheLineAndColumn_andElixirIsRefusedWithTheJavaScriptSignature() {
        List<String> problems = problems(HEAD + """
                functions:
                  - name: broken
                    type: transform
                    code: |-
                      function transform(action, record) {
                        return { id: record.id,, };
                      }
                  - name: elixir
                    type: filter
                    code: |-
                      def filter(action, record, changes, metadata) do
                        record["status"] == "paid"
                      end
                  - name: none
                    type: path
                    path: record
                  - name: no-fn
                    type: transform
                    code: "const x = 1;"
                """);
        assertThat(problems).hasSize(4);
        assertThat(problems.get(0))
                .startsWith("sluice.yaml:")
                .contains("functions[0].code")
                .contains("line 2");
        assertThat(problems.get(1))
                .contains("functions[1].code")
                .contains("JavaScript")
                .contains("function filter(action, record, changes, metadata)");
        assertThat(problems.get(2)).contains("functions[2].name").contains("reserved");
        assertThat(problems.get(3)).contains("functions[3].code").contains("function transform(");
    }

    @Test
    void references_mustExist_fitTheirKey_andMatchTheSink() {
        List<String> problems = problems(HEAD + """
                functions:
                  - name: f
                    type: filter
                    code: "function filter() { return true; }"
                  - name: hook-route
                    type: routing
                    sink_type: webhook
                    code: "function route() { return {method: 'PUT'}; }"
                  - name: enrich
                    type: enrichment
                    code: "SELECT id FROM orders WHERE id = ANY($1)"
                """ + """
                sinks:
                  - name: s
                    database: app
                    source: {include_schemas: [public]}
                    destination: {type: kafka, hosts: "localhost:9092", topic: orders}
                    filter: missing
                    transform: f
                    routing: hook-route
                    enrichment: enrich
                """);
        assertThat(problems)
                .containsExactly(
                        "sluice.yaml:21:13: sinks[0].filter: no function named 'missing'; defined functions: enrich, f,"
                                + " hook-route",
                        "sluice.yaml:22:16: sinks[0].transform: function 'f' is a filter function; 'transform' takes"
                                + " path or transform functions",
                        "sluice.yaml:23:14: sinks[0].routing: routing function 'hook-route' is for http_push sinks,"
                                + " this sink is kafka",
                        "sluice.yaml:24:17: sinks[0].enrichment: an enrichment function needs a sink of exactly one"
                                + " table; set source.include_tables to that one table");
    }

    @Test
    void aBrokenFunction_isReportedOnce_notAgainAtTheSinksNamingIt() {
        List<String> problems = problems(HEAD + """
                functions:
                  - name: f
                    type: filter
                    code: "function filter( { return true; }"
                    file: f.js
                """ + sink("filter: f"));
        assertThat(problems).hasSize(2).allSatisfy(p -> assertThat(p).contains("functions[0]"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("'file' is read by Sequin's CLI"));
    }

    @Test
    void duplicateFunctionNames_acrossBothSections_areRejected() {
        List<String> problems = problems(HEAD + """
                functions:
                  - {name: f, type: path, path: record}
                transforms:
                  - {name: f, type: path, path: record.id}
                """);
        assertThat(problems).singleElement().asString().contains("duplicate function name 'f'");
    }
}
