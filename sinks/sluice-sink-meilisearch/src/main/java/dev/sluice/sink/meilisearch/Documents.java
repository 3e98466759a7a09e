package dev.sluice.sink.meilisearch;

import dev.sluice.core.sink.SinkMessage;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.node.StringNode;

/**
 * What a message does to a Meilisearch index: add (or replace) a document, or delete one, by its primary key.
 *
 * <ul>
 *   <li>A message as Sluice writes it ({@code record}, {@code action}, {@code metadata} with {@code record_pks}):
 *       the document is the row, {@code record}. Its id is the row's {@code primary_key} attribute when the row has
 *       it (an {@code id} column, as Sequin does); otherwise the row's primary key ({@link #rowId}), set as that
 *       attribute.
 *   <li>Anything else is a transform's result, the document itself, as Sequin sends it: it must be an object holding
 *       the {@code primary_key} attribute (a dotted key such as {@code product.id} is looked up nested).
 * </ul>
 *
 * <p>An id must be what Meilisearch takes: an integer of 0 or more, or a string of {@code a-z A-Z 0-9 - _} of at
 * most 511 bytes. A message with no valid id (a table without a primary key, a key value with other characters, a
 * result without the attribute, a truncate) is rejected for good, before sending: Meilisearch would fail the whole
 * task it is in. Thread-safe.
 */
final class Documents {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern ID = Pattern.compile("[a-zA-Z0-9_-]+");
    private static final int MAX_ID_BYTES = 511;

    private Documents() {}

    /**
     * One message's operation.
     *
     * @param delete whether it deletes the document
     * @param key the document id as text, which orders a document's operations
     * @param id the document id as sent (a number or a string)
     * @param line the document as one line of JSON, for an addition; empty for a delete
     */
    record Op(boolean delete, String key, JsonNode id, byte[] line) {}

    /**
     * The operation of {@code m}.
     *
     * @param primaryKey the index's primary key attribute
     * @param routedDelete true for a routed {@code delete}, false for a routed {@code index}; null to follow the
     *     message's own action
     * @throws IllegalArgumentException why the message can be no operation
     */
    static Op of(SinkMessage m, String primaryKey, @Nullable Boolean routedDelete) {
        JsonNode root;
        try {
            root = JSON.readTree(m.json());
        } catch (JacksonException e) {
            throw new IllegalArgumentException("is not valid JSON: " + e.getOriginalMessage());
        }
        if (!(root instanceof ObjectNode object)) {
            throw new IllegalArgumentException("is not a JSON object; a Meilisearch document is an object");
        }
        boolean delete = switch (m.action()) {
            case DELETE -> true;
            case INSERT, UPDATE, READ -> false;
            case TRUNCATE ->
                throw new IllegalArgumentException(
                        "is a truncate; the meilisearch sink takes insert, update, delete and read messages only");
        };
        if (routedDelete != null) {
            delete = routedDelete;
        }
        boolean nested = primaryKey.indexOf('.') >= 0;
        ObjectNode document;
        JsonNode id;
        if (isSluiceMessage(object)) {
            document = (ObjectNode) object.get("record");
            JsonNode own = attribute(document, primaryKey);
            if (own != null && !own.isNull()) {
                id = own;
            } else if (nested) {
                throw new IllegalArgumentException("has no " + primaryKey + " in its row; set it with a transform");
            } else {
                id = StringNode.valueOf(rowId((ArrayNode) object.get("metadata").get("record_pks")));
                document.set(primaryKey, id);
            }
        } else {
            document = object;
            id = attribute(object, primaryKey);
            if (id == null || id.isNull()) {
                throw new IllegalArgumentException(
                        "has no " + primaryKey + ": a transform's result must hold the index's primary key");
            }
        }
        String problem = idProblem(id);
        if (problem != null) {
            throw new IllegalArgumentException("has document id " + id + ", which " + problem);
        }
        String key = id.isString() ? id.asString() : id.toString();
        return delete ? new Op(true, key, id, new byte[0]) : new Op(false, key, id, JSON.writeValueAsBytes(document));
    }

    /**
     * The id of a row from its primary key: the single value as it is; a composite key's values joined by {@code -},
     * each value's characters other than letters and digits written as {@code _} and two hex digits per UTF-8 byte
     * ({@code (7, "a-b")} → {@code 7-a_2Db}), so that two keys never share an id.
     *
     * @throws IllegalArgumentException when the table has no primary key
     */
    static String rowId(ArrayNode pks) {
        if (pks.isEmpty()) {
            throw new IllegalArgumentException("has no primary key (record_pks is empty): a Meilisearch document"
                    + " needs an id; give the table a primary key, or set the id with a transform");
        }
        if (pks.size() == 1) {
            return text(pks.get(0));
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < pks.size(); i++) {
            if (i > 0) {
                out.append('-');
            }
            for (byte b : text(pks.get(i)).getBytes(StandardCharsets.UTF_8)) {
                char c = (char) (b & 0xff);
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
                    out.append(c);
                } else {
                    out.append('_')
                            .append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                            .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
                }
            }
        }
        return out.toString();
    }

    /** Why Meilisearch would refuse {@code id} as a document id, or null. */
    static @Nullable String idProblem(JsonNode id) {
        if (id.isIntegralNumber()) {
            return id.asLong() >= 0 && id.canConvertToLong() ? null : "is a negative or too large integer";
        }
        if (!id.isString()) {
            return "is neither an integer nor a string";
        }
        String s = id.asString();
        if (s.isEmpty() || !ID.matcher(s).matches()) {
            return "Meilisearch refuses: an id is an integer or a string of a-z A-Z 0-9 - _ only; set a valid one"
                    + " with a transform";
        }
        if (s.getBytes(StandardCharsets.UTF_8).length > MAX_ID_BYTES) {
            return "is over Meilisearch's 511 bytes";
        }
        return null;
    }

    /** The attribute at {@code path} ({@code a.b} nested), or null. */
    private static @Nullable JsonNode attribute(ObjectNode document, String path) {
        JsonNode at = document.get(path);
        if (at != null || path.indexOf('.') < 0) {
            return at;
        }
        at = document;
        for (String part : path.split("\\.")) {
            at = at == null ? null : at.get(part);
        }
        return at;
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
