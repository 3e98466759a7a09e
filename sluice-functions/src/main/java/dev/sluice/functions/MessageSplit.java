package dev.sluice.functions;

import java.nio.charset.StandardCharsets;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;

/**
 * A message split for a JavaScript call: the message with its {@code metadata} replaced by {@code null}, and the
 * metadata's own text, which the function parses only if it reads it. The metadata is most of what a call would
 * otherwise parse (consumer, database, annotations) while most functions read only the record; parsing it in
 * interpreted JavaScript costs microseconds.
 */
record MessageSplit(String message, String metadata) {
    private static final String NULL = "null";
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(Integer.MAX_VALUE)
                    .maxNumberLength(Integer.MAX_VALUE)
                    .maxNestingDepth(10_000)
                    .build())
            .build();

    /** The message kept whole, its metadata parsed with it. */
    static MessageSplit whole(byte[] json) {
        return new MessageSplit(new String(json, StandardCharsets.UTF_8), NULL);
    }

    /** Splits a message (UTF-8 JSON); one that is not an object with a {@code metadata} object is kept whole. */
    static MessageSplit of(byte[] json) {
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                    boolean metadata = "metadata".equals(p.currentName());
                    JsonToken value = p.nextToken();
                    if (metadata && value == JsonToken.START_OBJECT) {
                        int start = (int) p.currentTokenLocation().getByteOffset();
                        p.skipChildren();
                        int end = (int) p.currentTokenLocation().getByteOffset() + 1;
                        String before = new String(json, 0, start, StandardCharsets.UTF_8);
                        String after = new String(json, end, json.length - end, StandardCharsets.UTF_8);
                        return new MessageSplit(
                                before + NULL + after, new String(json, start, end - start, StandardCharsets.UTF_8));
                    }
                    p.skipChildren();
                }
            }
        } catch (RuntimeException e) {
            // Not well-formed: the call's own parse reports it.
        }
        return whole(json);
    }
}
