package dev.sluice.sink.elasticsearch;

import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a bulk response says of each item, by the
 * <a href="https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-bulk">Bulk API</a>'s rules (the same
 * in OpenSearch): an item succeeded with a 2xx status, or a delete found no document (404, {@code "result":
 * "not_found"}, which is what a delete wants); it may succeed later with 429 (throttled, a full write queue), 5xx, a
 * missing index (404 {@code index_not_found_exception}: the index may yet be created), a refused permission (401,
 * 403) or a version conflict (409); any other 4xx (a mapping conflict, a document that does not parse) fails the
 * document for good.
 */
final class BulkResponse {
    /** How one item went. */
    enum Outcome {
        OK,
        RETRY,
        REJECTED
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Outcome[] outcomes;
    private final String[] reasons;

    private BulkResponse(Outcome[] outcomes, String[] reasons) {
        this.outcomes = outcomes;
        this.reasons = reasons;
    }

    /**
     * Reads a 200 response to a request of {@code items} entries.
     *
     * @throws IllegalArgumentException when it is not a bulk response of that many items
     */
    static BulkResponse parse(byte[] body, int items) {
        Outcome[] outcomes = new Outcome[items];
        String[] reasons = new String[items];
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("the bulk response is not JSON: " + e.getOriginalMessage());
        }
        if (!root.path("errors").asBoolean(true)) {
            java.util.Arrays.fill(outcomes, Outcome.OK);
            return new BulkResponse(outcomes, reasons);
        }
        JsonNode list = root.path("items");
        if (!list.isArray() || list.size() != items) {
            throw new IllegalArgumentException(
                    "the bulk response has " + (list.isArray() ? list.size() : "no") + " items for " + items + " sent");
        }
        for (int i = 0; i < items; i++) {
            JsonNode item = list.get(i);
            JsonNode result =
                    item.isObject() && item.size() == 1 ? item.iterator().next() : item;
            int status = result.path("status").asInt(0);
            JsonNode error = result.path("error");
            outcomes[i] = outcome(status, error, result.path("result").asString(""));
            if (outcomes[i] != Outcome.OK) {
                reasons[i] = status + " " + describe(error);
            }
        }
        return new BulkResponse(outcomes, reasons);
    }

    static Outcome outcome(int status, JsonNode error, String result) {
        if (status >= 200 && status < 300) {
            return Outcome.OK;
        }
        String type = error.path("type").asString("");
        if (status == 404) {
            if (error.isMissingNode() || error.isNull() || result.equals("not_found")) {
                return Outcome.OK; // a delete of a document that is not there
            }
            return type.equals("index_not_found_exception") ? Outcome.RETRY : Outcome.REJECTED;
        }
        if (status == 401 || status == 403 || status == 408 || status == 409 || status == 429 || status >= 500) {
            return Outcome.RETRY;
        }
        return status >= 400 ? Outcome.REJECTED : Outcome.RETRY;
    }

    /** {@code type: reason} of an item's error, the cause's too when there is one. */
    static String describe(JsonNode error) {
        if (error.isMissingNode() || error.isNull()) {
            return "(no error given)";
        }
        if (error.isString()) {
            return error.asString();
        }
        StringBuilder s = new StringBuilder(error.path("type").asString("error"));
        String reason = error.path("reason").asString("");
        if (!reason.isEmpty()) {
            s.append(": ").append(reason);
        }
        JsonNode cause = error.path("caused_by");
        if (cause.isObject()) {
            s.append(" (").append(cause.path("type").asString("")).append(": ");
            s.append(cause.path("reason").asString("")).append(')');
        }
        return s.toString();
    }

    Outcome outcome(int item) {
        return outcomes[item];
    }

    @Nullable
    String reason(int item) {
        return reasons[item];
    }
}
