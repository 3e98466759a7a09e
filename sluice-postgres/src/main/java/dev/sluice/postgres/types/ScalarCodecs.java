package dev.sluice.postgres.types;

import dev.sluice.core.JsonWriter;
import dev.sluice.core.TimestampFormat;
import dev.sluice.core.ValueCodec;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Codecs of the non-temporal scalar types. Each checks its text by hand (no regex) before writing,
 * and writes text it does not recognise as a JSON string, so a surprise never corrupts the JSON.
 */
final class ScalarCodecs {
    private ScalarCodecs() {}

    /** bool: {@code t}/{@code f} → true/false. */
    static final ValueCodec BOOL = (out, text, format) -> {
        if (text.length() == 1 && text.charAt(0) == 't' || text.equals("true")) {
            out.writeBoolean(true);
        } else if (text.length() == 1 && text.charAt(0) == 'f' || text.equals("false")) {
            out.writeBoolean(false);
        } else {
            out.writeString(text);
        }
    };

    /** int2, int4, int8, oid: the text written as a JSON number, digit for digit. */
    static final ValueCodec INTEGER = (out, text, format) -> {
        if (isJsonNumber(text, false)) {
            out.writeNumber(text);
        } else {
            out.writeString(text);
        }
    };

    /** float4, float8: the exact text as a JSON number; NaN and ±Infinity as strings. */
    static final ValueCodec FLOAT = (out, text, format) -> {
        if (isJsonNumber(text, true)) {
            out.writeNumber(text);
        } else {
            out.writeString(text);
        }
    };

    /** json, jsonb: embedded as JSON. Postgres has validated the text on input. */
    static final ValueCodec JSON = (out, text, format) -> out.writeRawValue(text);

    /** bytea in hex ({@code \x0a0b}) or escape output → base64. */
    static final ValueCodec BYTEA = ScalarCodecs::writeBytea;

    /** money: {@code -$1,234.56} → {@code "-1234.56"}. */
    static final ValueCodec MONEY = ScalarCodecs::writeMoney;

    /**
     * Whether {@code s} is a JSON number (RFC 8259 grammar), which is also how Postgres prints
     * integers and finite floats: {@code -12}, {@code 0.1}, {@code 1e+30}, {@code 1.5e-07}.
     */
    static boolean isJsonNumber(String s, boolean allowFraction) {
        int n = s.length();
        int i = 0;
        if (i < n && s.charAt(i) == '-') {
            i++;
        }
        if (i >= n) {
            return false;
        }
        char c = s.charAt(i);
        if (c == '0') {
            i++;
        } else if (c >= '1' && c <= '9') {
            i = skipDigits(s, i + 1);
        } else {
            return false;
        }
        if (!allowFraction) {
            return i == n;
        }
        if (i < n && s.charAt(i) == '.') {
            int start = ++i;
            i = skipDigits(s, i);
            if (i == start) {
                return false;
            }
        }
        if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
            int start = i;
            i = skipDigits(s, i);
            if (i == start) {
                return false;
            }
        }
        return i == n;
    }

    private static int skipDigits(String s, int i) {
        while (i < s.length() && isDigit(s.charAt(i))) {
            i++;
        }
        return i;
    }

    static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static void writeBytea(JsonWriter out, String text, TimestampFormat format) {
        byte[] bytes = decodeBytea(text);
        if (bytes == null) {
            out.writeString(text);
        } else {
            out.writeBinary(bytes);
        }
    }

    /** The bytes of a bytea's hex or escape output, or null when the text is neither. */
    static byte @Nullable [] decodeBytea(String text) {
        int n = text.length();
        if (n >= 2 && text.charAt(0) == '\\' && text.charAt(1) == 'x') {
            if ((n & 1) != 0) {
                return null;
            }
            byte[] bytes = new byte[(n - 2) / 2];
            for (int i = 2, j = 0; i < n; i += 2, j++) {
                int hi = Character.digit(text.charAt(i), 16);
                int lo = Character.digit(text.charAt(i + 1), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                bytes[j] = (byte) (hi << 4 | lo);
            }
            return bytes;
        }
        // escape format: printable ASCII as is, \\ for a backslash, \ooo (octal) for other bytes
        byte[] bytes = new byte[n];
        int j = 0;
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c > 0xFF) {
                return null;
            }
            if (c != '\\') {
                bytes[j++] = (byte) c;
            } else if (i + 1 < n && text.charAt(i + 1) == '\\') {
                bytes[j++] = '\\';
                i++;
            } else if (i + 3 < n
                    && isOctal(text.charAt(i + 1))
                    && isOctal(text.charAt(i + 2))
                    && isOctal(text.charAt(i + 3))) {
                bytes[j++] = (byte) ((text.charAt(i + 1) - '0') << 6
                        | (text.charAt(i + 2) - '0') << 3
                        | (text.charAt(i + 3) - '0'));
                i += 3;
            } else {
                return null;
            }
        }
        return j == n ? bytes : Arrays.copyOf(bytes, j);
    }

    private static boolean isOctal(char c) {
        return c >= '0' && c <= '7';
    }

    private static void writeMoney(JsonWriter out, String text, TimestampFormat format) {
        String amount = normalizeMoney(text);
        out.writeString(amount != null ? amount : text);
    }

    /**
     * The amount of a money output as plain decimal digits, or null when there are no digits.
     *
     * <p>The output format depends on {@code lc_monetary}: currency symbol before or after, thousands
     * separators, a minus sign or parentheses, '.' or ',' as the decimal mark. Rule for the mark: when
     * both '.' and ',' occur, the last one is the mark; a single kind that occurs more than once is a
     * thousands separator; a single occurrence is the mark unless it is ',' followed by exactly three
     * digits (a thousands separator in locales without minor units, such as {@code ￥1,234}).
     */
    static @Nullable String normalizeMoney(String text) {
        StringBuilder digits = new StringBuilder(text.length());
        boolean negative = false;
        int dots = 0;
        int commas = 0;
        char lastMark = 0;
        int lastMarkAt = -1; // number of digits before the last '.' or ','
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (isDigit(c)) {
                digits.append(c);
            } else if (c == '.' || c == ',') {
                if (c == '.') {
                    dots++;
                } else {
                    commas++;
                }
                lastMark = c;
                lastMarkAt = digits.length();
            } else if (c == '-' || c == '(') {
                negative = true;
            }
        }
        if (digits.isEmpty()) {
            return null;
        }
        int fractionDigits = lastMarkAt < 0 ? 0 : digits.length() - lastMarkAt;
        boolean hasDecimalMark;
        if (lastMarkAt < 0) {
            hasDecimalMark = false;
        } else if (dots > 0 && commas > 0) {
            hasDecimalMark = true;
        } else if (dots + commas > 1) {
            hasDecimalMark = false;
        } else {
            hasDecimalMark = !(lastMark == ',' && fractionDigits == 3);
        }
        int integerEnd = hasDecimalMark ? lastMarkAt : digits.length();
        int firstSignificant = 0;
        while (firstSignificant < integerEnd - 1 && digits.charAt(firstSignificant) == '0') {
            firstSignificant++;
        }
        StringBuilder result = new StringBuilder(digits.length() + 2);
        if (negative) {
            result.append('-');
        }
        if (integerEnd == 0) {
            result.append('0');
        } else {
            result.append(digits, firstSignificant, integerEnd);
        }
        if (hasDecimalMark && fractionDigits > 0) {
            result.append('.').append(digits, integerEnd, digits.length());
        }
        return result.toString();
    }
}
