package dev.sluice.sink.meilisearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.Action;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.testkit.TestMessages;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class DocumentsTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static SinkMessage withJson(SinkMessage m, String json) {
        return m.with(json.getBytes(StandardCharsets.UTF_8), null);
    }

    @Test
    void row_isTheDocument_withItsOwnIdAttribute() {
        Documents.Op op = Documents.of(TestMessages.insert("o-1", "first", 0), "id", null);
        assertThat(op.delete()).isFalse();
        assertThat(op.key()).isEqualTo("o-1");
        assertThat(new String(op.line(), StandardCharsets.UTF_8))
                .isEqualTo("{\"id\":\"o-1\",\"name\":\"first\",\"seq\":null}");
    }

    @Test
    void row_withoutThePrimaryKeyAttribute_getsTheRowsKey() {
        Documents.Op op = Documents.of(TestMessages.insert("o-1", "first", 0), "order_ref", null);
        assertThat(op.key()).isEqualTo("o-1");
        assertThat(new String(op.line(), StandardCharsets.UTF_8)).contains("\"order_ref\":\"o-1\"");
    }

    @Test
    void transformResult_needsThePrimaryKey_nestedToo() {
        SinkMessage m = TestMessages.insert("o-1", "x", 0);
        assertThat(Documents.of(withJson(m, "{\"product\":{\"id\":7}}"), "product.id", null)
                        .key())
                .isEqualTo("7");
        assertThatThrownBy(() -> Documents.of(withJson(m, "{\"title\":\"x\"}"), "id", null))
                .hasMessageContaining("has no id");
    }

    @Test
    void invalidIds_areRejected() {
        SinkMessage m = TestMessages.insert("a b", "x", 0);
        assertThatThrownBy(() -> Documents.of(m, "id", null)).hasMessageContaining("a-z A-Z 0-9 - _");
        assertThatThrownBy(() -> Documents.of(withJson(m, "{\"id\":-1}"), "id", null))
                .hasMessageContaining("negative");
        SinkMessage truncate = new SinkMessage(
                m.position(), m.table(), Action.TRUNCATE, m.committedAt(), m.json(), null, m.idempotencyKey());
        assertThatThrownBy(() -> Documents.of(truncate, "id", null)).hasMessageContaining("truncate");
    }

    @Test
    void compositeKey_isEncodedIntoMeilisearchsAlphabet_injectively() {
        assertThat(Documents.rowId(JSON.createArrayNode().add("7").add("a-b"))).isEqualTo("7-a_2Db");
        assertThat(Documents.rowId(JSON.createArrayNode().add("a").add("b-c")))
                .isNotEqualTo(Documents.rowId(JSON.createArrayNode().add("a-b").add("c")));
        assertThatThrownBy(() -> Documents.rowId(JSON.createArrayNode())).hasMessageContaining("no primary key");
    }

    @Test
    void routedAction_overridesTheMessagesOwn() {
        SinkMessage m = TestMessages.insert("o-1", "x", 0);
        Documents.Op op = Documents.of(m, "id", true);
        assertThat(op.delete()).isTrue();
        assertThat(op.id().asString()).isEqualTo("o-1");
    }
}
