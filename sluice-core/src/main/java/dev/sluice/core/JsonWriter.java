package dev.sluice.core;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * A UTF-8 JSON writer into a growable byte array: what {@link ValueCodec}s write values with and
 * {@link MessageEncoder} writes messages with. It does only what messages need (no pretty printing, no checks that
 * the document is well formed: the callers are this codebase's own encoders), so that a value costs little more
 * than its bytes. Strings are escaped as Jackson escapes them by default (short escapes for {@code \b \t \n \f \r},
 * <code>&#92;u00XX</code> for other control characters, nothing else), so output is byte for byte what a Jackson generator
 * writes.
 *
 * <p>Commas: every value, name and start of a container is preceded by a comma when something came before it at the
 * same level; a name's value never is.
 *
 * <p>Not thread-safe.
 */
public final class JsonWriter {
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
    // Per ASCII character: 0 written as is, -1 as a &#92;u escape, else the character after a backslash.
    private static final byte[] ESCAPES = new byte[128];

    static {
        for (int c = 0; c < 0x20; c++) {
            ESCAPES[c] = -1;
        }
        ESCAPES['"'] = '"';
        ESCAPES['\\'] = '\\';
        ESCAPES['\b'] = 'b';
        ESCAPES['\t'] = 't';
        ESCAPES['\n'] = 'n';
        ESCAPES['\f'] = 'f';
        ESCAPES['\r'] = 'r';
    }

    private byte[] buf;
    private int len;
    private boolean comma;

    public JsonWriter() {
        this(1024);
    }

    public JsonWriter(int capacity) {
        this.buf = new byte[capacity];
    }

    // ---- the buffer ----

    /** Empties the buffer, keeping its capacity. */
    public void reset() {
        len = 0;
        comma = false;
    }

    public int size() {
        return len;
    }

    /** The buffer; its first {@link #size()} bytes are the output. */
    public byte[] array() {
        return buf;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, len);
    }

    @Override
    public String toString() {
        return new String(buf, 0, len, StandardCharsets.UTF_8);
    }

    private void ensure(int more) {
        if (len + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
        }
    }

    // ---- raw output, for encoders that write fixed parts themselves ----

    /** Appends pre-encoded JSON bytes as they are. */
    public void raw(byte[] bytes) {
        ensure(bytes.length);
        System.arraycopy(bytes, 0, buf, len, bytes.length);
        len += bytes.length;
    }

    /** Appends one ASCII character as it is. */
    public void raw(char c) {
        ensure(1);
        buf[len++] = (byte) c;
    }

    /** Appends ASCII text as it is (digits, timestamps: nothing to escape). */
    public void rawAscii(String s) {
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            buf[len++] = (byte) s.charAt(i);
        }
    }

    /** Whether the next value or name gets a comma before it (after raw output that ended a value: true). */
    public void afterValue(boolean value) {
        comma = value;
    }

    // ---- structure ----

    private void separate() {
        if (comma) {
            ensure(1);
            buf[len++] = ',';
        }
        comma = true;
    }

    public void writeStartArray() {
        separate();
        raw('[');
        comma = false;
    }

    public void writeEndArray() {
        raw(']');
        comma = true;
    }

    public void writeStartObject() {
        separate();
        raw('{');
        comma = false;
    }

    public void writeEndObject() {
        raw('}');
        comma = true;
    }

    /** A name pre-encoded with {@link #name(String)}. */
    public void writeName(byte[] name) {
        separate();
        raw(name);
        comma = false;
    }

    /** {@code name} quoted, escaped and followed by a colon, as UTF-8: for {@link #writeName(byte[])}. */
    public static byte[] name(String name) {
        JsonWriter w = new JsonWriter(name.length() + 8);
        w.writeName(name);
        return w.toByteArray();
    }

    public void writeName(String name) {
        separate();
        quoted(name);
        raw(':');
        comma = false;
    }

    // ---- values ----

    public void writeNull() {
        separate();
        ensure(4);
        buf[len++] = 'n';
        buf[len++] = 'u';
        buf[len++] = 'l';
        buf[len++] = 'l';
    }

    public void writeBoolean(boolean b) {
        separate();
        rawAscii(b ? "true" : "false");
    }

    /** A number given as its JSON text, which the caller has checked. */
    public void writeNumber(String text) {
        separate();
        rawAscii(text);
    }

    public void writeNumber(long v) {
        separate();
        ensure(20);
        len = digits(v, buf, len);
    }

    public void writeNumber(BigInteger v) {
        separate();
        rawAscii(v.toString());
    }

    public void writeString(String s) {
        separate();
        quoted(s);
    }

    public void writeString(char[] chars, int offset, int length) {
        separate();
        ensure(length + 2);
        buf[len++] = '"';
        for (int i = offset, end = offset + length; i < end; i++) {
            char c = chars[i];
            if (c < 0x80 && ESCAPES[c] == 0) {
                ensure(1);
                buf[len++] = (byte) c;
            } else {
                escaped(c, i + 1 < end ? chars[i + 1] : 0);
                if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(chars[i + 1])) {
                    i++;
                }
            }
        }
        ensure(1);
        buf[len++] = '"';
    }

    /** Bytes as a base64 string (standard alphabet, padded, no line breaks). */
    public void writeBinary(byte[] bytes) {
        separate();
        byte[] b64 = Base64.getEncoder().encode(bytes);
        ensure(b64.length + 2);
        buf[len++] = '"';
        System.arraycopy(b64, 0, buf, len, b64.length);
        len += b64.length;
        buf[len++] = '"';
    }

    /** A value given as JSON text (a json or jsonb value), written as it is. */
    public void writeRawValue(String json) {
        separate();
        utf8(json);
    }

    // ---- text ----

    private void quoted(String s) {
        int n = s.length();
        ensure(n + 2);
        buf[len++] = '"';
        byte[] b = buf;
        int o = len;
        int i = 0;
        // Plain ASCII, the common case, without growth checks: room for n bytes was made above.
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80 || ESCAPES[c] != 0) {
                break;
            }
            b[o++] = (byte) c;
        }
        len = o;
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80 && ESCAPES[c] == 0) {
                ensure(1);
                buf[len++] = (byte) c;
            } else {
                escaped(c, i + 1 < n ? s.charAt(i + 1) : 0);
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                }
            }
        }
        ensure(1);
        buf[len++] = '"';
    }

    // One character that needs an escape or more than one byte; next is the one after it (for surrogate pairs).
    private void escaped(char c, char next) {
        ensure(6);
        if (c < 0x80) {
            byte e = ESCAPES[c];
            buf[len++] = '\\';
            if (e > 0) {
                buf[len++] = e;
            } else {
                buf[len++] = 'u';
                buf[len++] = '0';
                buf[len++] = '0';
                buf[len++] = HEX[c >> 4];
                buf[len++] = HEX[c & 0xF];
            }
        } else if (c < 0x800) {
            buf[len++] = (byte) (0xC0 | (c >> 6));
            buf[len++] = (byte) (0x80 | (c & 0x3F));
        } else if (Character.isHighSurrogate(c) && Character.isLowSurrogate(next)) {
            int cp = Character.toCodePoint(c, next);
            buf[len++] = (byte) (0xF0 | (cp >> 18));
            buf[len++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
            buf[len++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
            buf[len++] = (byte) (0x80 | (cp & 0x3F));
        } else if (Character.isSurrogate(c)) {
            // A lone surrogate has no UTF-8 form: U+FFFD, as a decoder would have given.
            buf[len++] = (byte) 0xEF;
            buf[len++] = (byte) 0xBF;
            buf[len++] = (byte) 0xBD;
        } else {
            buf[len++] = (byte) (0xE0 | (c >> 12));
            buf[len++] = (byte) (0x80 | ((c >> 6) & 0x3F));
            buf[len++] = (byte) (0x80 | (c & 0x3F));
        }
    }

    private void utf8(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        raw(bytes);
    }

    /** Writes {@code v} in decimal at {@code o}; returns the index after it. */
    static int digits(long v, byte[] out, int o) {
        if (v < 0) {
            if (v == Long.MIN_VALUE) {
                byte[] text = Long.toString(v).getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(text, 0, out, o, text.length);
                return o + text.length;
            }
            out[o++] = '-';
            v = -v;
        }
        int end = o;
        long rest = v;
        do {
            end++;
            rest /= 10;
        } while (rest != 0);
        for (int i = end - 1; i >= o; i--) {
            out[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        return end;
    }
}
