package dev.sluice.sink.elasticsearch;

import dev.sluice.core.Action;
import dev.sluice.core.sink.SinkMessage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.json.JsonMapper;

/**
 * One message as a bulk entry: an {@code index} action with the payload as the document source (insert, update,
 * read), or a {@code delete} action (delete), both with {@code _id} = the message's primary key.
 *
 * <p>The {@code _id} is Sequin's: the values of {@code metadata.record_pks} joined with {@code -} (one key column:
 * its value as is). So a sink moved from Sequin addresses the documents Sequin wrote. The join is stable (the
 * columns' order is the primary key's) but not injective for composite keys whose values contain {@code -}
 * ({@code ("a-b", "c")} and {@code ("a", "b-c")} give the same {@code _id}), as in Sequin.
 *
 * @param index the message's index in its batch
 * @param id the document {@code _id}
 * @param group the message's group id, or null: a group's later messages are held back with a retried one
 * @param bytes the entry as NDJSON: the action line, and for {@code index} the source line, each ending in a newline
 */
record BulkEntry(int index, String id, @Nullable String group, byte[] bytes) {
    /** Elasticsearch's limit on an {@code _id}, in UTF-8 bytes; a longer one fails the whole bulk request. */
    static final int MAX_ID_BYTES = 512;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** Why a message cannot be a bulk entry: it is rejected for good, the others of the batch go on. */
    static final class Unfit extends Exception {
        Unfit(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The entry of message {@code index} of a batch.
     *
     * @throws Unfit when the message has no usable primary key, is a truncate, or its payload is not a JSON object
     */
    static BulkEntry of(int index, SinkMessage m) throws Unfit {
        if (m.action() == Action.TRUNCATE) {
            throw new Unfit("a truncate cannot be applied to an index (leave truncate out of the sink's actions)");
        }
        // The change's own key, whatever a transform kept of it.
        String id = documentId(m.sourceJson());
        byte[] idJson = quoted(id);
        ByteArrayOutputStream out = new ByteArrayOutputStream(m.json().length + idJson.length + 32);
        boolean delete = m.action() == Action.DELETE;
        out.writeBytes(ascii(delete ? "{\"delete\":{\"_id\":" : "{\"index\":{\"_id\":"));
        out.writeBytes(idJson);
        out.writeBytes(ascii("}}\n"));
        if (!delete) {
            byte[] source = m.json();
            if (!startsObject(source)) {
                throw new Unfit("the payload is not a JSON object (a transform returned another value), so it"
                        + " cannot be a document");
            }
            // NDJSON: one line per source. Raw line breaks can only be whitespace between tokens (JSON escapes
            // them inside strings), so blanking them keeps the document.
            for (byte b : source) {
                out.write(b == '\n' || b == '\r' ? ' ' : b);
            }
            out.write('\n');
        }
        return new BulkEntry(index, id, m.groupId(), out.toByteArray());
    }

    /**
     * The {@code _id} of a message: its {@code metadata.record_pks} joined with {@code -}.
     *
     * @throws Unfit when the message has no {@code metadata.record_pks}, the table has no
     *     primary key, or the {@code _id} would be over {@value #MAX_ID_BYTES} bytes
     */
    static String documentId(byte[] json) throws Unfit {
        List<String> pks = recordPks(json);
        if (pks == null) {
            throw new Unfit(
                    "the message has no metadata.record_pks, so the document _id (the primary key) is" + " unknown");
        }
        if (pks.isEmpty()) {
            throw new Unfit("the table has no primary key, so the message has no document _id");
        }
        String id = String.join("-", pks);
        int bytes = id.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_ID_BYTES) {
            throw new Unfit("the document _id (the primary key joined with '-') is " + bytes + " bytes; Elasticsearch"
                    + " takes at most " + MAX_ID_BYTES);
        }
        return id;
    }

    /** {@code metadata.record_pks} as strings, or null when absent; read without building the whole tree. */
    static @Nullable List<String> recordPks(byte[] json) throws Unfit {
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (!name.equals("metadata") || value != JsonToken.START_OBJECT) {
                    p.skipChildren();
                    continue;
                }
                while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                    String field = p.currentName();
                    JsonToken v = p.nextToken();
                    if (field.equals("record_pks") && v == JsonToken.START_ARRAY) {
                        List<String> pks = new ArrayList<>(2);
                        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                            if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                                throw new Unfit("metadata.record_pks holds "
                                        + (t == JsonToken.START_OBJECT ? "an object" : "a list")
                                        + ", not key values");
                            }
                            pks.add(t == JsonToken.VALUE_NULL ? "" : p.getString());
                        }
                        return pks;
                    }
                    p.skipChildren();
                }
                return null;
            }
            return null;
        } catch (JacksonException e) {
            throw new Unfit("the payload is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static boolean startsObject(byte[] json) {
        for (byte b : json) {
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                return b == '{';
            }
        }
        return false;
    }

    private static byte[] quoted(String s) {
        return JSON.writeValueAsBytes(s);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
