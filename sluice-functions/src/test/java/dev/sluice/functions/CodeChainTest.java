package dev.sluice.functions;

import static dev.sluice.functions.Messages.insert;
import static dev.sluice.functions.Messages.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.functions.FunctionError.Kind;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** A sink's filter, routing and transform run together on one parse of the message. */
class CodeChainTest {
    private static final String FILTER = """
            function filter(action, record) {
              return record.keep === true;
            }""";
    private static final String ROUTE = """
            function route(action, record, changes, metadata) {
              return {topic: metadata.table_name + '.' + record.id};
            }""";
    private static final String TRANSFORM = """
            function transform(action, record, changes, metadata) {
              return {id: record.id, note: 'line one\\nline two', table: metadata.table_name};
            }""";

    @Test
    void allThree_inSequinsOrder_withEachResultApart() throws Exception {
        try (CodeChain c = chain(FILTER, ROUTE, TRANSFORM)) {
            CodeChain.Result r = c.apply(insert("{\"id\":7,\"keep\":true}"));
            assertThat(r.passed()).isTrue();
            assertThat(text(r.routing())).isEqualTo("{\"topic\":\"orders.7\"}");
            // A newline inside a result's string does not split the results.
            assertThat(text(r.payload())).isEqualTo("{\"id\":7,\"note\":\"line one\\nline two\",\"table\":\"orders\"}");
        }
    }

    @Test
    void rejected_byTheFilter_runsNothingAfterIt() throws Exception {
        try (CodeChain c = chain(FILTER, null, "function transform() { throw new Error('ran'); }")) {
            CodeChain.Result r = c.apply(insert("{\"id\":7,\"keep\":false}"));
            assertThat(r.passed()).isFalse();
            assertThat(r.payload()).isNull();
            assertThatThrownBy(() -> c.apply(insert("{\"id\":8,\"keep\":true}")))
                    .isInstanceOf(FunctionError.class)
                    .hasMessage("function the-transform: line 1, column 30: Error: ran");
        }
    }

    @Test
    void onlyAFilter_orOnlyATransform() throws Exception {
        try (CodeChain f = chain(FILTER, null, null);
                CodeChain t = chain(null, null, TRANSFORM)) {
            assertThat(f.apply(insert("{\"id\":1,\"keep\":true}")))
                    .satisfies(r -> assertThat(r.passed()).isTrue())
                    .satisfies(r -> assertThat(r.payload()).isNull());
            assertThat(f.apply(insert("{\"id\":1}")).passed()).isFalse();
            CodeChain.Result r = t.apply(insert("{\"id\":1}"));
            assertThat(r.routing()).isNull();
            assertThat(text(r.payload())).startsWith("{\"id\":1,");
        }
    }

    @Test
    void eachFunctionsDeclarations_areItsOwn() throws Exception {
        // Both define helper and a const of the same name: loaded into one context, neither sees the other's.
        try (CodeChain c = chain(
                "const LIMIT = 10; function helper(r) { return r.id < LIMIT; }\n"
                        + "function filter(a, record) { return helper(record); }",
                null,
                "const LIMIT = 'x'; function helper(r) { return LIMIT + r.id; }\n"
                        + "function transform(a, record) { return helper(record); }")) {
            assertThat(text(c.apply(insert("{\"id\":3}")).payload())).isEqualTo("\"x3\"");
            assertThat(c.apply(insert("{\"id\":30}")).passed()).isFalse();
        }
    }

    @Test
    void laterFunctions_seeWhatEarlierOnesChanged() throws Exception {
        try (CodeChain c = chain(
                "function filter(a, record) { record.seen_by_filter = true; return true; }",
                null,
                "function transform(a, record) { return record; }")) {
            assertThat(text(c.apply(insert("{\"id\":1}")).payload())).isEqualTo("{\"id\":1,\"seen_by_filter\":true}");
        }
    }

    @Test
    void errors_nameTheFunctionTheyComeFrom() throws Exception {
        try (CodeChain c = chain(
                "function filter(a, record) {\n  return record.id === 1 ? 'yes' : true;\n}",
                "function route(a, record) {\n  if (record.id === 2) { throw new TypeError('no topic'); }\n"
                        + "  return record.id === 3 ? [] : {topic: 't'};\n}",
                "function transform(a, record) {\n  return record.id === 4 ? record.missing.field : record;\n}")) {
            assertThatThrownBy(() -> c.apply(insert("{\"id\":1}")))
                    .isInstanceOfSatisfying(
                            FunctionError.class, e -> assertThat(e.kind()).isEqualTo(Kind.RESULT))
                    .hasMessage("function the-filter: filter must return true or false, got \"yes\"");
            assertThatThrownBy(() -> c.apply(insert("{\"id\":2}")))
                    .isInstanceOfSatisfying(
                            FunctionError.class, e -> assertThat(e.line()).isEqualTo(2))
                    .hasMessageStartingWith("function the-route: line 2, column ")
                    .hasMessageEndingWith("TypeError: no topic");
            assertThatThrownBy(() -> c.apply(insert("{\"id\":3}")))
                    .hasMessage("function the-route: route must return an object, got an array");
            assertThatThrownBy(() -> c.apply(insert("{\"id\":4}")))
                    .isInstanceOfSatisfying(
                            FunctionError.class, e -> assertThat(e.kind()).isEqualTo(Kind.RUNTIME))
                    .hasMessageStartingWith("function the-transform: line 2, column ");
            // The chain still works after each failure.
            assertThat(c.apply(insert("{\"id\":5}")).passed()).isTrue();
        }
    }

    @Test
    void anEndlessLoop_inOneFunction_isALimitNamedAfterIt_andTheNextCallRuns() throws Exception {
        try (CodeChain c = CodeChain.load(
                spec("the-filter", FunctionType.FILTER, "function filter() { return true; }"),
                null,
                spec(
                        "the-transform",
                        FunctionType.TRANSFORM,
                        "function transform(a, r) { while (r.id === 1) {} return r.id; }"),
                new Pool.Limits(Duration.ofMillis(300), 1 << 20))) {
            assertThatThrownBy(() -> c.apply(insert("{\"id\":1}")))
                    .isInstanceOfSatisfying(
                            FunctionError.class, e -> assertThat(e.kind()).isEqualTo(Kind.LIMIT))
                    .hasMessageStartingWith("function the-transform ");
            assertThat(text(c.apply(insert("{\"id\":2}")).payload())).isEqualTo("2");
        }
    }

    @Test
    void metadata_readOnlyByLaterCalls_isStillThere() throws Exception {
        // The metadata is parsed lazily until a call reads it, eagerly after: the answers are the same either way.
        try (CodeChain c = chain(
                null,
                null,
                "function transform(a, record, c, metadata) {\n"
                        + "  return record.id % 2 === 0 ? [record.id, metadata.table_name, Object.keys(metadata).length]"
                        + " : record.id;\n}")) {
            assertThat(text(c.apply(insert("{\"id\":1}")).payload())).isEqualTo("1");
            assertThat(text(c.apply(insert("{\"id\":2}")).payload())).isEqualTo("[2,\"orders\",12]");
            assertThat(text(c.apply(insert("{\"id\":3}")).payload())).isEqualTo("3");
            assertThat(text(c.apply(insert("{\"id\":4}")).payload())).isEqualTo("[4,\"orders\",12]");
        }
    }

    @Test
    void load_refusesAFunctionInTheWrongSlot_andNamesTheOneThatDoesNotCompile() {
        assertThatThrownBy(() -> CodeChain.load(spec("t", FunctionType.TRANSFORM, TRANSFORM), null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("function t is a transform, not a filter");
        assertThatThrownBy(() -> chain(FILTER, "function route(a, r) { return {topic: 't'} ", TRANSFORM))
                .isInstanceOfSatisfying(
                        InvalidFunctionException.class,
                        e -> assertThat(e.problems().getFirst().message()).contains("SyntaxError"))
                .hasMessageContaining("the-route");
        assertThatThrownBy(() -> chain(FILTER, null, "function transfrom() {}"))
                .isInstanceOfSatisfying(
                        InvalidFunctionException.class,
                        e -> assertThat(e.problems().getFirst().message())
                                .isEqualTo("define function transform(action, record, changes, metadata)"))
                .hasMessageContaining("the-transform");
    }

    private static CodeChain chain(@Nullable String filter, @Nullable String route, @Nullable String transform)
            throws InvalidFunctionException {
        return CodeChain.load(
                filter == null ? null : spec("the-filter", FunctionType.FILTER, filter),
                route == null ? null : spec("the-route", FunctionType.ROUTING, route),
                transform == null ? null : spec("the-transform", FunctionType.TRANSFORM, transform));
    }

    private static FunctionSpec spec(String name, FunctionType type, String code) {
        return new FunctionSpec(name, null, type, code, null, type == FunctionType.ROUTING ? "kafka" : null);
    }
}
