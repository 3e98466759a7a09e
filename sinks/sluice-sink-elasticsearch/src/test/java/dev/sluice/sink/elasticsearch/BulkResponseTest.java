package dev.sluice.sink.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.sink.elasticsearch.BulkResponse.Outcome;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Bulk responses as Elasticsearch's Bulk API reference shows them (OpenSearch's are the same). */
class BulkResponseTest {
    private static BulkResponse parse(String json, int items) {
        return BulkResponse.parse(json.getBytes(StandardCharsets.UTF_8), items);
    }

    @Test
    void noErrors_isEveryItemOk_withoutReadingItems() {
        BulkResponse r = parse("{\"took\":3,\"errors\":false}", 2);
        assertThat(r.outcome(0)).isEqualTo(Outcome.OK);
        assertThat(r.outcome(1)).isEqualTo(Outcome.OK);
    }

    @Test
    void items_areClassifiedOneByOne() {
        BulkResponse r = parse("""
                {"took":30,"errors":true,"items":[
                 {"index":{"_index":"i","_id":"1","status":201,"result":"created"}},
                 {"delete":{"_index":"i","_id":"2","status":404,"result":"not_found"}},
                 {"index":{"_index":"i","_id":"3","status":429,"error":{"type":"es_rejected_execution_exception",
                   "reason":"rejected execution of coordinating operation"}}},
                 {"index":{"_index":"i","_id":"4","status":400,"error":{"type":"document_parsing_exception",
                   "reason":"failed to parse field [n] of type [long]",
                   "caused_by":{"type":"illegal_argument_exception","reason":"For input string: \\"x\\""}}}},
                 {"index":{"_index":"i","_id":"5","status":404,"error":{"type":"index_not_found_exception",
                   "reason":"no such index [i]"}}},
                 {"index":{"_index":"i","_id":"6","status":503,"error":{"type":"unavailable_shards_exception",
                   "reason":"primary shard is not active"}}},
                 {"index":{"_index":"i","_id":"7","status":403,"error":{"type":"cluster_block_exception",
                   "reason":"index [i] blocked by: [FORBIDDEN/8/index write (api)];"}}},
                 {"update":{"_index":"i","_id":"8","status":409,"error":{"type":"version_conflict_engine_exception",
                   "reason":"version conflict"}}}
                ]}""", 8);
        assertThat(r.outcome(0)).isEqualTo(Outcome.OK);
        assertThat(r.outcome(1)).as("a delete of nothing").isEqualTo(Outcome.OK);
        assertThat(r.outcome(2)).isEqualTo(Outcome.RETRY);
        assertThat(r.reason(2))
                .isEqualTo("429 es_rejected_execution_exception: rejected execution of coordinating operation");
        assertThat(r.outcome(3)).isEqualTo(Outcome.REJECTED);
        assertThat(r.reason(3))
                .isEqualTo("400 document_parsing_exception: failed to parse field [n] of type [long]"
                        + " (illegal_argument_exception: For input string: \"x\")");
        assertThat(r.outcome(4)).as("the index may yet be created").isEqualTo(Outcome.RETRY);
        assertThat(r.outcome(5)).isEqualTo(Outcome.RETRY);
        assertThat(r.outcome(6)).as("a read-only index").isEqualTo(Outcome.RETRY);
        assertThat(r.outcome(7)).isEqualTo(Outcome.RETRY);
    }

    @Test
    void aResponseOfAnotherShape_isRefused() {
        assertThatThrownBy(() -> parse("{\"errors\":true,\"items\":[]}", 2))
                .hasMessage("the bulk response has 0 items for 2 sent");
        assertThatThrownBy(() -> parse("<html>gateway</html>", 1)).hasMessageContaining("not JSON");
    }

    @Test
    void wholeRequestErrors_showTypeAndReason() {
        byte[] body =
                "{\"error\":{\"type\":\"security_exception\",\"reason\":\"missing authentication credentials\"},\"status\":401}"
                        .getBytes(StandardCharsets.UTF_8);
        assertThat(ElasticsearchFailure.status(401, body))
                .isEqualTo("401 security_exception: missing authentication credentials; credentials refused: check"
                        + " auth_type and auth_value");
        assertThat(ElasticsearchFailure.errorOf(
                        "<html>\n<body>413 Request Entity Too Large</body></html>".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("<html> <body>413 Request Entity Too Large</body></html>");
    }
}
