package dev.sluice.sink.typesense;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.Action;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.testkit.TestMessages;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;

class DocumentsTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static SinkMessage withAction(SinkMessage m, Action action) {
        return new SinkMessage(
                m.position(), m.table(), action, m.committedAt(), m.json(), m.groupId(), m.idempotencyKey());
    }

    private static SinkMessage withJson(SinkMessage m, String json) {
        return m.with(json.getBytes(StandardCharsets.UTF_8), null);
    }

    @Test
    void insert_isAnUpsertOfTheRow_withThePrimaryKeyAsId() {
        Documents.Op op = Documents.of(TestMessages.insert("o-1", "first", 0), null);
        assertThat(op.delete()).isFalse();
        assertThat(op.id()).isEqualTo("o-1");
        assertThat(new String(op.line(), StandardCharsets.UTF_8))
                .isEqualTo("{\"id\":\"o-1\",\"name\":\"first\",\"seq\":null}");
    }

    @Test
    void delete_isADeleteOfTheId_andRoutingOverridesTheAction() {
        SinkMessage m = TestMessages.insert("o-1", "first", 0);
        assertThat(Documents.of(withAction(m, Action.DELETE), null).delete()).isTrue();
        assertThat(Documents.of(m, true).delete()).isTrue();
        assertThat(Documents.of(withAction(m, Action.DELETE), false).delete()).isFalse();
    }

    @Test
    void transformResult_isTheDocument_withANumericIdMadeAString() {
        SinkMessage m = withJson(TestMessages.insert("o-1", "x", 0), "{\"id\":42,\"title\":\"Widget\"}");
        Documents.Op op = Documents.of(m, null);
        assertThat(op.id()).isEqualTo("42");
        assertThat(new String(op.line(), StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"42\",\"title\":\"Widget\"}");
    }

    @Test
    void withoutAnId_orAPrimaryKey_orAnObject_isRejected() {
        SinkMessage m = TestMessages.insert("o-1", "x", 0);
        assertThatThrownBy(() -> Documents.of(withJson(m, "{\"title\":\"Widget\"}"), null))
                .hasMessageContaining("has no id");
        assertThatThrownBy(() -> Documents.of(withJson(m, "[1,2]"), null)).hasMessageContaining("not a JSON object");
        String noPk = "{\"record\":{\"a\":1},\"changes\":null,\"action\":\"insert\",\"metadata\":{\"record_pks\":[]}}";
        assertThatThrownBy(() -> Documents.of(withJson(m, noPk), null)).hasMessageContaining("no primary key");
        assertThatThrownBy(() -> Documents.of(withAction(m, Action.TRUNCATE), null))
                .hasMessageContaining("truncate");
    }

    @Test
    void compositeKey_isJoinedByColons_withColonsAndBackslashesEscaped() {
        ArrayNode pks = JSON.createArrayNode().add("a:b").add("c\\").add("7");
        assertThat(Documents.documentId(pks)).isEqualTo("a\\:b:c\\\\:7");
        assertThat(Documents.documentId(JSON.createArrayNode().add("a").add("b:c")))
                .isNotEqualTo(
                        Documents.documentId(JSON.createArrayNode().add("a:b").add("c")));
    }
}
