package dev.sluice.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class PlanDiffTest {
    private static JsonNode json(String text) {
        return ConfigClient.JSON.readTree(text.replace('\'', '"'));
    }

    private static final JsonNode PLAN = json("""
            {'changes': [
              {'resource_type': 'http_endpoint', 'action': 'create', 'name': 'x',
               'new': {'id': null, 'name': 'x', 'url': 'https://a'}, 'old': null},
              {'resource_type': 'sink', 'action': 'update', 'name': 'orders', 'changed_fields': ['batch_size', 'destination'],
               'old': {'id': '1', 'name': 'orders', 'batch_size': 10, 'destination': {'type': 'kafka', 'topic': 'a'}},
               'new': {'id': '1', 'name': 'orders', 'batch_size': 20, 'destination': {'type': 'kafka', 'topic': 'b'}}},
              {'resource_type': 'database', 'action': 'update', 'name': 'main', 'changed_fields': ['password'],
               'old': {'id': '2', 'name': 'main', 'password': '****'}, 'new': {'id': '2', 'name': 'main', 'password': '****'}},
              {'resource_type': 'sink', 'action': 'delete', 'name': 'old', 'new': null, 'old': {'id': '3', 'name': 'old'}}
            ], 'actions': [], 'applied': false}""");

    @Test
    void diff_walksNestedObjectsAndArrays_andLeavesOutTheId() {
        JsonNode before =
                json("{'id': '1', 'a': 1, 'd': {'topic': 'x', 'keep': true}, 'tables': [{'n': 'p'}], 'l': [1]}");
        JsonNode after =
                json("{'id': '2', 'a': 1, 'd': {'topic': 'y', 'keep': true}, 'tables': [{'n': 'q'}], 'l': [1, 2],"
                        + " 'added': 'z'}");

        assertThat(PlanDiff.diff(before, after))
                .extracting(f -> f.path() + ": " + f.before() + " -> " + (f.after() == null ? "(none)" : f.after()))
                .containsExactly(
                        "d.topic: \"x\" -> \"y\"",
                        "tables[0].n: \"p\" -> \"q\"",
                        "l: [1] -> [1,2]",
                        "added: null -> \"z\"");
        assertThat(PlanDiff.diff(before, before)).isEmpty();
        assertThat(PlanDiff.diff(json("{'a': 1}"), json("{}")))
                .containsExactly(new PlanDiff.FieldChange("a", json("1"), null));
    }

    @Test
    void plan_plain_showsHeadersFieldsSecretsAndSummary() {
        String text = new PlanDiff(false, true).plan(PLAN);

        assertThat(text).isEqualTo("""
                + create http_endpoint "x"
                ~ update sink "orders"
                    batch_size: 10 → 20
                    destination.topic: "a" → "b"
                ~ update database "main"
                    password: (sensitive value changed)
                - delete sink "old"

                Plan: 1 to create, 2 to update, 1 to delete.
                """);
        assertThat(text).doesNotContain("\u001B[");
        assertThat(new PlanDiff(false, false).plan(PLAN)).contains("batch_size: 10 -> 20");
    }

    @Test
    void plan_coloured_paintsCreateGreenUpdateYellowDeleteRed() {
        String text = new PlanDiff(true, true).plan(PLAN);

        assertThat(text)
                .contains("\u001B[32m+ create http_endpoint\u001B[0m \"x\"")
                .contains("\u001B[33m~ update sink\u001B[0m \"orders\"")
                .contains("\u001B[31m- delete sink\u001B[0m \"old\"")
                .contains("batch_size: \u001B[31m10\u001B[0m → \u001B[32m20\u001B[0m");
    }

    @Test
    void plan_withoutChanges_saysSo() {
        JsonNode empty = json("{'changes': [], 'actions': [], 'applied': false}");

        assertThat(PlanDiff.hasWork(empty)).isFalse();
        assertThat(new PlanDiff(true, true).plan(empty))
                .isEqualTo("No changes. Your configuration matches the server.\n");
        assertThat(PlanDiff.hasWork(PLAN)).isTrue();
    }

    @Test
    void plan_multiLineStrings_showChangedLines() {
        JsonNode plan = json("""
                {'changes': [{'resource_type': 'function', 'action': 'update', 'name': 'f', 'changed_fields': ['code'],
                  'old': {'name': 'f', 'code': 'function t(r) {\\n  return r;\\n}'},
                  'new': {'name': 'f', 'code': 'function t(r) {\\n  return {id: r.id};\\n}'}}],
                 'actions': [{'action': 'upsert', 'resource_type': 'api_token', 'name': 'ci'}]}""");

        assertThat(new PlanDiff(false, true).plan(plan)).isEqualTo("""
                ~ update function "f"
                    code:
                      -   return r;
                      +   return {id: r.id};
                ~ set api_token "ci"

                Plan: 0 to create, 1 to update, 0 to delete. Also 1 API token to set.
                """);
    }

    @Test
    void applied_listsWhatChangedWithIds() {
        JsonNode applied = json("""
                {'changes': [{'resource_type': 'http_endpoint', 'action': 'create', 'name': 'x', 'new': {'name': 'x'}},
                             {'resource_type': 'sink', 'action': 'delete', 'name': 'old', 'old': {'id': '3', 'name': 'old'}}],
                 'resources': [{'id': 'abc', 'resource_type': 'http_endpoint', 'name': 'x'}], 'applied': true}""");

        assertThat(new PlanDiff(false, true).applied(applied)).isEqualTo("""
                + created http_endpoint "x" (id abc)
                - deleted sink "old" (id 3)
                Apply complete: 1 created, 0 updated, 1 deleted.
                """);
        assertThat(List.of(new PlanDiff(true, true).applied(applied))).allMatch(s -> s.contains("\u001B[32m+ created"));
    }
}
