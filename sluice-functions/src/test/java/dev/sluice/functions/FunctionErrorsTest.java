package dev.sluice.functions;

import static dev.sluice.functions.Messages.insert;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.sink.ConfigProblem;
import dev.sluice.functions.FunctionError.Kind;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Compile problems and runtime errors point at the user's code. */
class FunctionErrorsTest {
    private static InvalidFunctionException compileFails(FunctionType type, String code) {
        String sinkType = type == FunctionType.ROUTING ? "kafka" : null;
        FunctionSpec spec = new FunctionSpec("broken", null, type, code, null, sinkType);
        try (Compiled f = Functions.compile(spec)) {
            throw new AssertionError("compiled: " + f);
        } catch (InvalidFunctionException e) {
            return e;
        }
    }

    @Test
    void compile_syntaxError_givesLineAndColumnOfTheUsersCode() {
        InvalidFunctionException e = compileFails(FunctionType.TRANSFORM, """
                function transform(action, record) {
                  const x = ;
                  return x;
                }""");
        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo("code");
            assertThat(p.message()).startsWith("line 2, column 13: SyntaxError: ");
        });
        assertThat(e).hasMessageStartingWith("function broken: code: line 2, column 13: SyntaxError");
    }

    @Test
    void compile_missingFunction_saysWhatToDefine() {
        assertThat(compileFails(FunctionType.TRANSFORM, "function transfrom(action, record) { return record }")
                        .problems())
                .containsExactly(
                        new ConfigProblem("code", "define function transform(action, record, changes, metadata)"));
        assertThat(compileFails(FunctionType.FILTER, "const filter = true;").problems())
                .singleElement()
                .satisfies(p -> assertThat(p.message())
                        .isEqualTo("define function filter(action, record, changes, metadata) (filter is boolean)"));
        assertThat(compileFails(FunctionType.ROUTING, "function transform() { return {} }")
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.message()).startsWith("define function route("));
    }

    @Test
    void compile_throwingTopLevel_isACompileProblemAtItsLine() {
        assertThat(compileFails(FunctionType.TRANSFORM, "\nconst table = lookup();\nfunction transform() {}")
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.message()).startsWith("line 2, column 15: ReferenceError: lookup"));
    }

    @Test
    void compile_elixir_isRefusedBeforeParsing() {
        assertThat(compileFails(FunctionType.FILTER, "def filter(action, record, changes, metadata) do\n true\nend")
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.message())
                        .contains("Sluice functions are JavaScript")
                        .contains("function filter(action, record, changes, metadata) { ... }"));
    }

    @Test
    void call_runtimeError_givesTheJsErrorAndTheUsersLine() {
        try (CodeFunction f = Js.transform("""
                function transform(action, record) {
                  const total = record.total;
                  return record.customer.address;
                }""")) {
            assertThatThrownBy(() -> f.call(insert("{\"total\":1}")))
                    .isInstanceOfSatisfying(FunctionError.class, e -> {
                        assertThat(e.kind()).isEqualTo(Kind.RUNTIME);
                        assertThat(e.line()).isEqualTo(3);
                        assertThat(e.column()).isNotNull();
                    })
                    .hasMessageStartingWith("function fn: line 3, column ")
                    .hasMessageContaining("TypeError")
                    .hasMessageContaining("address");
        }
    }

    @Test
    void call_errorInABuiltin_isPlacedAtTheUsersCallingLine() {
        try (CodeFunction f = Js.transform("""
                function transform(action, record) {
                  return JSON.parse(record.raw);
                }""")) {
            assertThatThrownBy(() -> f.call(insert("{\"raw\":\"{oops\"}")))
                    .isInstanceOfSatisfying(
                            FunctionError.class, e -> assertThat(e.line()).isEqualTo(2))
                    .hasMessageContaining("SyntaxError");
        }
    }

    @Test
    void call_thrownValue_isARuntimeError_andTheContextStaysUsable() throws Exception {
        try (CodeFunction f = Js.transform(
                "function transform(action, record) { if (record.fail) throw new Error('no ' + record.fail); return 1 }")) {
            assertThatThrownBy(() -> f.call(insert("{\"fail\":\"way\"}")))
                    .isInstanceOfSatisfying(
                            FunctionError.class, e -> assertThat(e.kind()).isEqualTo(Kind.RUNTIME))
                    .hasMessage("function fn: line 1, column 61: Error: no way");
            assertThat(Messages.text(f.call(insert("{}")))).isEqualTo("1");
        }
    }

    @Test
    void call_resultStringifyFailure_isARuntimeError() {
        try (CodeFunction f = Js.transform("function transform() { return {n: 10n} }")) {
            assertThatThrownBy(() -> f.call(insert("{}")))
                    .isInstanceOfSatisfying(
                            FunctionError.class, e -> assertThat(e.kind()).isEqualTo(Kind.RUNTIME))
                    .hasMessageContaining("BigInt");
        }
    }

    @Test
    void validate_ignoresRuntimeErrorsOnTheSyntheticMessage_butNotCompileErrors() {
        assertThat(Functions.validate(new FunctionSpec(
                        "t",
                        null,
                        FunctionType.TRANSFORM,
                        "function transform(a, record) { return record.customer.name }",
                        null,
                        null)))
                .isEmpty();
        assertThat(Functions.validate(new FunctionSpec(
                        "f", null, FunctionType.FILTER, "function filter(a, record) { return 1 }", null, null)))
                .isEmpty();
        assertThat(Functions.validate(
                        new FunctionSpec("t", null, FunctionType.TRANSFORM, "function transform( {", null, null)))
                .extracting(ConfigProblem::field)
                .containsExactly("code");
        assertThat(Functions.validate(new FunctionSpec("none", null, FunctionType.PATH, null, "record.id", null)))
                .extracting(ConfigProblem::field)
                .containsExactly("name");
        assertThat(Functions.validate(new FunctionSpec("p", null, FunctionType.PATH, null, "record.id", null)))
                .isEmpty();
    }

    @Test
    void syntheticMessage_isAnInsertIntoPublicExample_withFullMetadata() throws Exception {
        try (CodeFunction f = Js.transform(
                "function transform(action, record, changes, metadata) { return [action, record, changes, metadata] }")) {
            String out = Messages.text(f.call(Functions.syntheticMessage()));
            assertThat(out)
                    .startsWith("[\"insert\",{\"id\":1,\"name\":\"example\"},null,{\"table_schema\":\"public\","
                            + "\"table_name\":\"example\",\"commit_timestamp\":\"2025-01-01T00:00:00.000000Z\"")
                    .contains(List.of(
                            "\"idempotency_key\"", "\"record_pks\":[\"1\"]", "\"consumer\":{", "\"database\":{"));
        }
    }
}
