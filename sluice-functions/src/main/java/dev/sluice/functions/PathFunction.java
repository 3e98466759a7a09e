package dev.sluice.functions;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * A path function: the value at a dotted path of the message ({@code record.status}, {@code metadata.table_name},
 * {@code action}), descending into nested objects, jsonb values included. A missing key, or a path continuing
 * through anything but an object (an array, a string), gives JSON {@code null}; a path ending at an array gives the
 * array, as in Sequin ({@code path_function.ex}).
 *
 * <p>Runs on every message of a sink, so it stream-parses the message and skips siblings instead of building a tree:
 * the result is a copy of the value's bytes, exactly as the message carries them (number text and string escapes
 * included).
 *
 * <p>Concurrency: thread-safe and non-blocking.
 */
public final class PathFunction implements Compiled {
    private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);
    // Messages can carry large jsonb and text values: the message encoder, not the parser, bounds them.
    private static final JsonMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxStringLength(Integer.MAX_VALUE)
                            .maxNumberLength(Integer.MAX_VALUE)
                            .maxNestingDepth(10_000)
                            .build())
                    .build())
            .build();

    private final FunctionSpec spec;
    private final String[] keys;

    PathFunction(FunctionSpec spec, String path) {
        this.spec = spec;
        this.keys = path.split("\\.");
    }

    @Override
    public FunctionSpec spec() {
        return spec;
    }

    /**
     * The value at the path in {@code messageJson}, as UTF-8 JSON; {@code null} JSON when there is none.
     *
     * @param messageJson a message as UTF-8 JSON (an object)
     * @throws IllegalArgumentException when {@code messageJson} is not a JSON object
     * @throws tools.jackson.core.JacksonException when it is not well-formed JSON on the way to the value
     */
    public byte[] apply(byte[] messageJson) {
        try (JsonParser p = JSON.createParser(messageJson)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("a message is a JSON object");
            }
            for (int i = 0; i < keys.length; i++) {
                if (i > 0 && p.currentToken() != JsonToken.START_OBJECT) {
                    return NULL;
                }
                if (!seek(p, keys[i])) {
                    return NULL;
                }
            }
            return copyValue(p, messageJson);
        }
    }

    /** From the start of an object, moves to the value of {@code key}; false when the object has no such key. */
    private static boolean seek(JsonParser p, String key) {
        while (p.nextToken() == JsonToken.PROPERTY_NAME) {
            // Names come canonicalised from the parser's symbol table: equals is mostly an identity check.
            boolean match = key.equals(p.currentName());
            p.nextToken();
            if (match) {
                return true;
            }
            p.skipChildren();
        }
        return false;
    }

    private static byte[] copyValue(JsonParser p, byte[] message) {
        int start = (int) p.currentTokenLocation().getByteOffset();
        int end;
        if (p.currentToken().isStructStart()) {
            p.skipChildren();
            end = (int) p.currentTokenLocation().getByteOffset() + 1; // past the closing bracket
        } else {
            p.finishToken();
            end = (int) p.currentLocation().getByteOffset();
        }
        return Arrays.copyOfRange(message, start, end);
    }

    @Override
    public void close() {}
}
