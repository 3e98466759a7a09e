package dev.sluice.sink.redis;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the Redis sinks read of a message's JSON. The fields of a stream entry, made from a message's JSON as Sequin
 * makes them: each top-level key of the message
 * object is a field; a string value is stored as the string itself, any other value as its JSON text (copied
 * byte for byte, never re-encoded). For Sequin's message shape that gives the fields {@code record}, {@code changes},
 * {@code action} and {@code metadata}.
 *
 * <p>A scanner of the top level only: nested values are skipped over, not decoded. The JSON is the engine's own
 * encoding, so it is valid; anything unexpected (a top level that is not an object, broken syntax) throws {@link
 * IllegalArgumentException}, and the sink rejects that message.
 *
 * <p>For {@code redis_string}: a message's {@code metadata.record_pks} ({@link #recordPks}), and the value stored for
 * a message ({@link #stringValue}).
 */
final class EntryFields {
    private static final byte[] METADATA = "metadata".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RECORD_PKS = "record_pks".getBytes(StandardCharsets.US_ASCII);

    private final byte[] json;
    private int at;

    private EntryFields(byte[] json) {
        this.json = json;
    }

    /**
     * The fields of {@code json}, name then value, alternating, in the message's key order.
     *
     * @throws IllegalArgumentException when {@code json} is not a JSON object
     */
    static List<byte[]> of(byte[] json) {
        return new EntryFields(json).object();
    }

    /**
     * The {@code metadata.record_pks} of a message's JSON, in key order; null when the JSON has none (a transform
     * replaced the message) or is not an object.
     */
    static @Nullable List<String> recordPks(byte[] json) {
        try {
            byte[] metadata = field(of(json), METADATA);
            if (metadata == null || metadata.length == 0 || metadata[0] != '{') {
                return null;
            }
            byte[] pks = field(of(metadata), RECORD_PKS);
            return pks == null || pks.length == 0 || pks[0] != '[' ? null : new EntryFields(pks).strings();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * The value Sequin stores for a message: a JSON string as the string itself (a transform that returns text),
     * any other JSON as it is.
     */
    static byte[] stringValue(byte[] json) {
        EntryFields p = new EntryFields(json);
        try {
            p.skipSpace();
            if (p.at < json.length && json[p.at] == '"') {
                p.at++;
                byte[] text = p.string();
                p.skipSpace();
                if (p.at == json.length) {
                    return text;
                }
            }
        } catch (IllegalArgumentException e) {
            // not a string: stored as it is
        }
        return json;
    }

    private static byte @Nullable [] field(List<byte[]> fields, byte[] name) {
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            if (Arrays.equals(fields.get(i), name)) {
                return fields.get(i + 1);
            }
        }
        return null;
    }

    /** An array of strings, the whole of {@link #json}. */
    private List<String> strings() {
        List<String> out = new ArrayList<>();
        skipSpace();
        expect('[', "expected '['");
        skipSpace();
        if (peek() == ']') {
            at++;
        } else {
            while (true) {
                skipSpace();
                expect('"', "expected a string");
                out.add(new String(string(), StandardCharsets.UTF_8));
                skipSpace();
                byte next = next("expected ',' or ']'");
                if (next == ']') {
                    break;
                }
                if (next != ',') {
                    throw malformed("expected ',' or ']'");
                }
            }
        }
        skipSpace();
        if (at != json.length) {
            throw malformed("text after the array");
        }
        return out;
    }

    private List<byte[]> object() {
        List<byte[]> out = new ArrayList<>();
        skipSpace();
        expect('{', "the message is not a JSON object; Redis stream entries are made from an object's fields");
        skipSpace();
        if (peek() == '}') {
            at++;
        } else {
            while (true) {
                skipSpace();
                expect('"', "expected a key");
                out.add(string());
                skipSpace();
                expect(':', "expected ':'");
                skipSpace();
                if (peek() == '"') {
                    at++;
                    out.add(string());
                } else {
                    int start = at;
                    skipValue();
                    int end = at;
                    while (end > start && isSpace(json[end - 1])) {
                        end--;
                    }
                    out.add(Arrays.copyOfRange(json, start, end));
                }
                skipSpace();
                byte next = next("expected ',' or '}'");
                if (next == '}') {
                    break;
                }
                if (next != ',') {
                    throw malformed("expected ',' or '}'");
                }
            }
        }
        skipSpace();
        if (at != json.length) {
            throw malformed("text after the message object");
        }
        return out;
    }

    /** The decoded string whose opening quote was just read, as UTF-8; leaves {@link #at} after the closing quote. */
    private byte[] string() {
        int start = at;
        while (true) {
            byte b = next("unterminated string");
            if (b == '"') {
                return Arrays.copyOfRange(json, start, at - 1);
            }
            if (b == '\\') {
                at = start;
                return escapedString();
            }
        }
    }

    private byte[] escapedString() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringBuilder pending = new StringBuilder(); // \\u escapes, decoded together so surrogate pairs join
        while (true) {
            byte b = next("unterminated string");
            if (b == '\\' && peek() == 'u') {
                at++;
                pending.append((char) hex4());
                continue;
            }
            if (!pending.isEmpty()) {
                out.writeBytes(pending.toString().getBytes(StandardCharsets.UTF_8));
                pending.setLength(0);
            }
            if (b == '"') {
                return out.toByteArray();
            }
            if (b != '\\') {
                out.write(b);
                continue;
            }
            byte e = next("unterminated escape");
            out.write(
                    switch (e) {
                        case '"', '\\', '/' -> e;
                        case 'b' -> '\b';
                        case 'f' -> '\f';
                        case 'n' -> '\n';
                        case 'r' -> '\r';
                        case 't' -> '\t';
                        default -> throw malformed("bad escape '\\" + (char) e + "'");
                    });
        }
    }

    private int hex4() {
        if (at + 4 > json.length) {
            throw malformed("short \\u escape");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(json[at++], 16);
            if (d < 0) {
                throw malformed("bad \\u escape");
            }
            v = v * 16 + d;
        }
        return v;
    }

    /** Moves past one value that is not a string at the top of the object (nested strings are skipped whole). */
    private void skipValue() {
        int depth = 0;
        while (at < json.length) {
            byte b = json[at];
            if (b == '"') {
                at++;
                skipString();
                continue;
            }
            if (b == '{' || b == '[') {
                depth++;
            } else if (b == '}' || b == ']') {
                if (depth == 0) {
                    return; // the end of the message object
                }
                depth--;
            } else if (b == ',' && depth == 0) {
                return;
            }
            at++;
        }
        if (depth != 0) {
            throw malformed("unterminated value");
        }
    }

    private void skipString() {
        while (true) {
            byte b = next("unterminated string");
            if (b == '"') {
                return;
            }
            if (b == '\\') {
                next("unterminated escape");
            }
        }
    }

    private void skipSpace() {
        while (at < json.length && isSpace(json[at])) {
            at++;
        }
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }

    private byte peek() {
        if (at >= json.length) {
            throw malformed("unexpected end");
        }
        return json[at];
    }

    private byte next(String what) {
        if (at >= json.length) {
            throw malformed(what);
        }
        return json[at++];
    }

    private void expect(char c, String what) {
        if (at >= json.length || json[at] != c) {
            throw malformed(what);
        }
        at++;
    }

    private IllegalArgumentException malformed(String what) {
        return new IllegalArgumentException(what + " (at byte " + at + ")");
    }
}
