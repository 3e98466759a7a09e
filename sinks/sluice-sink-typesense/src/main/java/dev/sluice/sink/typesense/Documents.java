package dev.sluice.sink.typesense;

import dev.sluice.core.sink.SinkMessage;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What a message does to a Typesense collection: upsert a document, or delete one, by id.
 *
 * <ul>
 *   <li>A message as Sluice writes it ({@code record}, {@code action}, {@code metadata} with {@code record_pks}):
 *       the document is the row, {@code record}, with {@code id} set to the row's primary key as a string ({@link
 *       #documentId}); a {@code delete} deletes that id.
 *   <li>Anything else is a transform's result, the document itself, as Sequin sends it: it must be an object with
 *       an {@code id}, a string or a number (which is made a string, as Sequin does).
 * </ul>
 *
 * <p>A message that can be neither (a table without a primary key, a result without an id, a truncate) is rejected
 * for good: sending it again cannot help. Thread-safe.
 */
final class Documents {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private Documents() {}

    /**
     * One message's operation.
     *
     * @param delete whether it deletes the document
     * @param id the document id
     * @param line the document as one line of JSON, for an upsert; empty for a delete
     */
    record Op(boolean delete, String id, byte[] line) {}

    /**
     * The operation of {@code m}.
     *
     * @param routedDelete the action a routing function chose for the batch, true for {@code delete}, false for
     *     {@code index}; null to follow the message's own action
     * @throws IllegalArgumentException why the message can be no operation
     */
    static Op of(SinkMessage m, @Nullable Boolean routedDelete) {
        JsonNode root;
        try {
            root = JSON.readTree(m.json());
        } catch (JacksonException e) {
            throw new IllegalArgumentException("is not valid JSON: " + e.getOriginalMessage());
        }
        if (!(root instanceof ObjectNode object)) {
            throw new IllegalArgumentException("is not a JSON object; a Typesense document is an object");
        }
        boolean delete = switch (m.action()) {
            case DELETE -> true;
            case INSERT, UPDATE, READ -> false;
            case TRUNCATE ->
                throw new IllegalArgumentException(
                        "is a truncate; the typesense sink takes insert, update, delete and read messages only");
        };
        if (routedDelete != null) {
            delete = routedDelete;
        }
        ObjectNode document;
        String id;
        if (isSluiceMessage(object)) {
            document = (ObjectNode) object.get("record");
            ArrayNode pks = (ArrayNode) object.get("metadata").get("record_pks");
            if (pks.isEmpty()) {
                throw new IllegalArgumentException("has no primary key (record_pks is empty): a Typesense document"
                        + " needs an id; give the table a primary key, or set id with a transform");
            }
            id = documentId(pks);
        } else {
            document = object;
            JsonNode given = object.get("id");
            if (given == null || given.isNull() || !(given.isString() || given.isNumber())) {
                throw new IllegalArgumentException(
                        "has no id: a transform's result must be an object with an id, a string or a number");
            }
            id = given.asString();
        }
        if (id.isEmpty()) {
            throw new IllegalArgumentException("has an empty id");
        }
        if (delete) {
            return new Op(true, id, new byte[0]);
        }
        document.put("id", id);
        return new Op(false, id, JSON.writeValueAsBytes(document));
    }

    /**
     * The document id of a row: its primary key's single value as it is; a composite key's values joined by {@code
     * :}, each with {@code \} and {@code :} escaped by {@code \} so that two keys never share an id.
     */
    static String documentId(ArrayNode pks) {
        if (pks.size() == 1) {
            return text(pks.get(0));
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < pks.size(); i++) {
            if (i > 0) {
                out.append(':');
            }
            String v = text(pks.get(i));
            for (int k = 0; k < v.length(); k++) {
                char c = v.charAt(k);
                if (c == '\\' || c == ':') {
                    out.append('\\');
                }
                out.append(c);
            }
        }
        return out.toString();
    }

    private static String text(JsonNode v) {
        return v.isString() ? v.asString() : v.toString();
    }

    private static boolean isSluiceMessage(ObjectNode o) {
        return o.get("record") instanceof ObjectNode
                && o.get("action") instanceof JsonNode a
                && a.isString()
                && o.get("metadata") instanceof ObjectNode meta
                && meta.get("record_pks") instanceof ArrayNode;
    }
}
