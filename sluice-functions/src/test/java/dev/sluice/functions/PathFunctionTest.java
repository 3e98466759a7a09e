package dev.sluice.functions;

import static dev.sluice.functions.Messages.text;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PathFunctionTest {
    private static final byte[] MESSAGE = Messages.update("""
            {"id":1,"status":"paid","total":12.50,"big":"9223372036854775807","note":"a \\"quoted\\" \\u00e9 é",
             "tags":["a","b"],"empty":{},"nothing":null,"flag":true,
             "address":{"city":"Paris","geo":{"lat":48.85,"lng":2.35},"lines":[{"x":1}]},
             "after":{"skipped":[1,{"deep":[2]}]}}""", """
            {"status":"new"}""");

    private static String at(String path) throws InvalidFunctionException {
        try (Compiled f = Functions.compile(new FunctionSpec("p", null, FunctionType.PATH, null, path, null))) {
            return text(((PathFunction) f).apply(MESSAGE));
        }
    }

    @Test
    void apply_scalarsOfTheRecord_asTheMessageCarriesThem() throws Exception {
        assertThat(at("record.status")).isEqualTo("\"paid\"");
        assertThat(at("record.id")).isEqualTo("1");
        assertThat(at("record.total")).isEqualTo("12.50");
        assertThat(at("record.big")).isEqualTo("\"9223372036854775807\"");
        assertThat(at("record.note")).isEqualTo("\"a \\\"quoted\\\" \\u00e9 é\"");
        assertThat(at("record.nothing")).isEqualTo("null");
        assertThat(at("record.flag")).isEqualTo("true");
    }

    @Test
    void apply_descendsIntoJsonbObjects() throws Exception {
        assertThat(at("record.address.city")).isEqualTo("\"Paris\"");
        assertThat(at("record.address.geo")).isEqualTo("{\"lat\":48.85,\"lng\":2.35}");
        assertThat(at("record.address.geo.lng")).isEqualTo("2.35");
        assertThat(at("record.empty")).isEqualTo("{}");
    }

    @Test
    void apply_wholeParts_areCopiedVerbatim() throws Exception {
        String message = text(MESSAGE);
        String record = message.substring(message.indexOf(':') + 1, message.indexOf(",\"changes\""));
        assertThat(at("record")).isEqualTo(record);
        assertThat(at("changes")).isEqualTo("{\"status\":\"new\"}");
        assertThat(at("changes.status")).isEqualTo("\"new\"");
    }

    @Test
    void apply_metadataAndAction() throws Exception {
        assertThat(at("metadata.table_name")).isEqualTo("\"orders\"");
        assertThat(at("metadata.consumer.name")).isEqualTo("\"orders-sink\"");
        assertThat(at("metadata.commit_lsn")).isEqualTo("16777216");
        assertThat(at("metadata.record_pks")).isEqualTo("[\"1\"]");
        assertThat(at("action")).isEqualTo("\"update\"");
    }

    @Test
    void apply_missingKeysAndNonObjectsOnTheWay_giveNull() throws Exception {
        assertThat(at("record.missing")).isEqualTo("null");
        assertThat(at("record.missing.deeper")).isEqualTo("null");
        assertThat(at("record.tags.0")).isEqualTo("null");
        assertThat(at("record.address.lines.x")).isEqualTo("null");
        assertThat(at("record.status.length")).isEqualTo("null");
        assertThat(at("record.nothing.x")).isEqualTo("null");
        assertThat(at("action.x")).isEqualTo("null");
        assertThat(at("metadata.enrichment.id")).isEqualTo("null");
    }

    @Test
    void apply_pathEndingAtAnArray_givesTheArray() throws Exception {
        assertThat(at("record.tags")).isEqualTo("[\"a\",\"b\"]");
        assertThat(at("record.after.skipped")).isEqualTo("[1,{\"deep\":[2]}]");
    }

    @Test
    void apply_changesOfAnInsert_areNull() throws Exception {
        try (Compiled f = Functions.compile(new FunctionSpec("p", null, FunctionType.PATH, null, "changes.x", null))) {
            assertThat(text(((PathFunction) f).apply(Messages.insert("{\"x\":1}"))))
                    .isEqualTo("null");
        }
    }
}
