package dev.sluice.sink.nats;

import dev.sluice.core.sink.SinkMessage;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Sequin's default subject of a message, {@code sequin.<database_name>.<schema>.<table>.<action>}.
 *
 * <p>The schema, table and action come with the message; the database name (the Sluice database's {@code name}) is
 * the one {@code metadata.database_name} of the message's {@linkplain SinkMessage#sourceJson() source JSON} carries
 * (as encoded, before a transform replaced the payload). Sluice's encoder writes it last ({@code
 * …,"database_name":"shop"}}}), so it is read from the end of the JSON without parsing the rest. Should a message
 * not carry it, the name seen last by this sink is used, and when there is none yet the message has no default
 * subject (a routing function must set {@code subject}).
 *
 * <p>Thread-safe.
 */
final class DefaultSubject {
    private static final byte[] TAIL_NAME = ",\"database_name\":\"".getBytes(StandardCharsets.US_ASCII);

    private volatile @Nullable String lastDatabase;

    /** The message's default subject, or null when no database name is known yet. */
    @Nullable
    String of(SinkMessage m) {
        String database = databaseName(m.sourceJson());
        if (database != null) {
            lastDatabase = database;
        } else {
            database = lastDatabase;
        }
        if (database == null) {
            return null;
        }
        return "sequin." + database + "." + m.table().schema() + "." + m.table().name() + "."
                + m.action().wireName();
    }

    /**
     * The value of {@code metadata.database_name} when {@code json} ends with it as Sluice's encoder writes it, else
     * null.
     */
    static @Nullable String databaseName(byte[] json) {
        // ... ,"database_name":"<string>"}}  — find the string's closing quote from the end.
        int end = json.length - 1;
        while (end >= 0 && isSpace(json[end])) {
            end--;
        }
        if (end < 2 || json[end] != '}' || json[end - 1] != '}' || json[end - 2] != '"') {
            return null;
        }
        int close = end - 2;
        int start = lastIndexOf(json, TAIL_NAME, close);
        if (start < 0) {
            return null;
        }
        int from = start + TAIL_NAME.length;
        return jsonString(json, from, close);
    }

    /** The JSON string content {@code json[from, close)} decoded, or null when it holds an unescaped quote. */
    private static @Nullable String jsonString(byte[] json, int from, int close) {
        boolean escaped = false;
        for (int i = from; i < close; i++) {
            if (json[i] == '\\') {
                escaped = true;
                break;
            }
            if (json[i] == '"') {
                return null;
            }
        }
        if (!escaped) {
            return new String(json, from, close - from, StandardCharsets.UTF_8);
        }
        String raw = new String(json, from, close - from, StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '"') {
                return null;
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (++i >= raw.length()) {
                return null;
            }
            char e = raw.charAt(i);
            switch (e) {
                case '"', '\\', '/' -> out.append(e);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    if (i + 4 >= raw.length()) {
                        return null;
                    }
                    try {
                        out.append((char) Integer.parseInt(raw.substring(i + 1, i + 5), 16));
                    } catch (NumberFormatException bad) {
                        return null;
                    }
                    i += 4;
                }
                default -> {
                    return null;
                }
            }
        }
        return out.toString();
    }

    private static int lastIndexOf(byte[] haystack, byte[] needle, int before) {
        for (int i = before - needle.length; i >= 0; i--) {
            int k = 0;
            while (k < needle.length && haystack[i + k] == needle[k]) {
                k++;
            }
            if (k == needle.length) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }
}
