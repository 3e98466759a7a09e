package dev.sluice.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.sink.ConfigProblem;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class FunctionSpecTest {
    private static final String TRANSFORM = "function transform(action, record, changes, metadata) { return record }";

    private static List<ConfigProblem> problems(
            String name, FunctionType type, @Nullable String code, @Nullable String path, @Nullable String sinkType) {
        return new FunctionSpec(name, null, type, code, path, sinkType).problems();
    }

    private static List<String> fields(List<ConfigProblem> problems) {
        return problems.stream().map(ConfigProblem::field).toList();
    }

    @Test
    void type_parse_isCaseInsensitive_andMapsLegacyFunctionToTransform() {
        assertThat(FunctionType.parse("Filter")).contains(FunctionType.FILTER);
        assertThat(FunctionType.parse(" routing ")).contains(FunctionType.ROUTING);
        assertThat(FunctionType.parse("function")).contains(FunctionType.TRANSFORM);
        assertThat(FunctionType.parse("map")).isEqualTo(Optional.empty());
        assertThat(FunctionType.parse(null)).isEmpty();
        assertThat(FunctionType.ENRICHMENT.wire()).isEqualTo("enrichment");
    }

    @Test
    void type_jsName_isTheFunctionTheCodeDefines() {
        assertThat(FunctionType.TRANSFORM.jsName()).isEqualTo("transform");
        assertThat(FunctionType.FILTER.jsName()).isEqualTo("filter");
        assertThat(FunctionType.ROUTING.jsName()).isEqualTo("route");
        assertThatThrownBy(FunctionType.PATH::jsName).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(FunctionType.ENRICHMENT::jsName).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void sinkType_isTrimmedLowerCased_andWebhookIsStoredAsHttpPush() {
        assertThat(FunctionSpec.sinkType(" Webhook ")).isEqualTo("http_push");
        assertThat(FunctionSpec.sinkType("KAFKA")).isEqualTo("kafka");
        assertThat(FunctionSpec.sinkType("  ")).isNull();
        assertThat(FunctionSpec.sinkType(null)).isNull();
        assertThat(new FunctionSpec("r", null, FunctionType.ROUTING, "x", null, "webhook").sinkType())
                .isEqualTo("http_push");
    }

    @Test
    void problems_validSpecs_haveNone() {
        assertThat(problems("my_fn.v-2", FunctionType.TRANSFORM, TRANSFORM, null, null))
                .isEmpty();
        assertThat(problems("p", FunctionType.PATH, null, "record.address.city", null))
                .isEmpty();
        assertThat(problems("e", FunctionType.ENRICHMENT, "select id from t where id = any($1)", null, null))
                .isEmpty();
        assertThat(problems("r", FunctionType.ROUTING, "function route() { return {} }", null, "kafka"))
                .isEmpty();
    }

    @Test
    void problems_name_isRequiredWellFormedAndNotReserved() {
        assertThat(problems(" ", FunctionType.TRANSFORM, TRANSFORM, null, null))
                .containsExactly(new ConfigProblem("name", "is required"));
        assertThat(problems("has space", FunctionType.TRANSFORM, TRANSFORM, null, null))
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("name"))
                .satisfies(p -> assertThat(p.message()).contains("letters, digits"));
        assertThat(problems("x".repeat(129), FunctionType.TRANSFORM, TRANSFORM, null, null))
                .extracting(ConfigProblem::field)
                .containsExactly("name");
        for (String reserved : List.of("none", "NULL", "Nil")) {
            assertThat(problems(reserved, FunctionType.TRANSFORM, TRANSFORM, null, null))
                    .singleElement()
                    .satisfies(p -> assertThat(p.message()).contains("reserved"));
        }
    }

    @Test
    void problems_path_isRequiredWellFormedShortAndWithoutCode() {
        assertThat(problems("p", FunctionType.PATH, null, null, null))
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("path"))
                .satisfies(p -> assertThat(p.message()).contains("record.status"));
        assertThat(problems("p", FunctionType.PATH, null, "row.id", null))
                .singleElement()
                .satisfies(p -> assertThat(p.message()).contains("start with record, changes, action or metadata"));
        assertThat(problems("p", FunctionType.PATH, null, "record.a b", null))
                .extracting(ConfigProblem::field)
                .containsExactly("path");
        assertThat(problems("p", FunctionType.PATH, null, "record." + "a".repeat(2000), null))
                .singleElement()
                .satisfies(p -> assertThat(p.message()).contains("at most 2000"));
        assertThat(problems("p", FunctionType.PATH, TRANSFORM, "record", null))
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("code"));
    }

    @Test
    void problems_code_isRequiredAtMost10KbAndWithoutPath() {
        assertThat(problems("t", FunctionType.TRANSFORM, null, null, null))
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("code"))
                .satisfies(
                        p -> assertThat(p.message()).contains("function transform(action, record, changes, metadata)"));
        String big = TRANSFORM + "//" + "é".repeat(5_100); // under 10,240 characters, over 10,240 bytes
        assertThat(problems("t", FunctionType.TRANSFORM, big, null, null))
                .singleElement()
                .satisfies(p -> assertThat(p.message()).contains("at most 10240"));
        assertThat(problems("t", FunctionType.FILTER, TRANSFORM, "record.id", null))
                .extracting(ConfigProblem::field)
                .containsExactly("path");
    }

    @Test
    void problems_routing_needsASinkType() {
        assertThat(problems("r", FunctionType.ROUTING, "function route() { return {} }", null, null))
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("sink_type"));
        assertThat(problems("r", FunctionType.ROUTING, "function route() { return {} }", null, "my sink!"))
                .extracting(ConfigProblem::field)
                .containsExactly("sink_type");
    }

    @Test
    void problems_enrichment_mustUseDollarOne() {
        assertThat(problems("e", FunctionType.ENRICHMENT, "select * from customers", null, null))
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("code"))
                .satisfies(p -> assertThat(p.message()).contains("$1"));
    }

    @Test
    void problems_elixirCode_isRefusedWithTheJavaScriptSignature() {
        String elixir = """
                def transform(action, record, changes, metadata) do
                  %{id: record["id"]}
                end""";
        assertThat(problems("t", FunctionType.TRANSFORM, elixir, null, null))
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("code"))
                .satisfies(p -> assertThat(p.message())
                        .contains("JavaScript")
                        .contains("function transform(action, record, changes, metadata) { ... }"));
        assertThat(problems("r", FunctionType.ROUTING, "def route(a, r, c, m), do: %{topic: \"x\"}", null, "kafka"))
                .singleElement()
                .satisfies(p -> assertThat(p.message()).contains("function route(action, record, changes, metadata)"));
        assertThat(problems("f", FunctionType.FILTER, "def helper(x) do\n x\nend", null, null))
                .singleElement()
                .satisfies(p -> assertThat(p.message()).contains("function filter(action, record, changes, metadata)"));
    }

    @Test
    void problems_severalAtOnce_eachAtItsField() {
        assertThat(fields(problems("none", FunctionType.ROUTING, null, "record.x", null)))
                .containsExactly("name", "code", "path", "sink_type");
    }

    @Test
    void compile_specWithProblems_throwsThemAll() {
        assertThatThrownBy(() -> Functions.compile(new FunctionSpec("nil", null, FunctionType.PATH, null, null, null)))
                .isInstanceOfSatisfying(
                        InvalidFunctionException.class,
                        e -> assertThat(fields(e.problems())).containsExactly("name", "path"))
                .hasMessageStartingWith("function nil: name: 'nil' is reserved");
    }

    @Test
    void compile_enrichment_holdsTheSql() throws Exception {
        String sql = "select id, name from customers where id = any($1::int[])";
        try (Compiled f = Functions.compile(new FunctionSpec("e", null, FunctionType.ENRICHMENT, sql, null, null))) {
            assertThat(f)
                    .isInstanceOfSatisfying(
                            EnrichmentFunction.class, e -> assertThat(e.sql()).isEqualTo(sql));
        }
    }
}
