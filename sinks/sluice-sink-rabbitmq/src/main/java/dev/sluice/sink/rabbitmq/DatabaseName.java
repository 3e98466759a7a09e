package dev.sluice.sink.rabbitmq;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The source database's name in a message JSON, for Sequin's default routing key: the value of {@code
 * metadata.database_name}, which the engine's encoder writes as the message's last key ({@code
 * ...,"database_name":"shop"}}}), so it is found by a backwards search over a few dozen bytes, without parsing the
 * message. Read from {@link dev.sluice.core.sink.SinkMessage#sourceJson()}, the message as encoded, so that a
 * transform that leaves {@code metadata} out changes nothing.
 */
final class DatabaseName {
    private static final byte[] KEY = "\"database_name\":\"".getBytes(StandardCharsets.US_ASCII);

    private DatabaseName() {}

    /** The database name in {@code json}, or null when it has no {@code "database_name":"..."}. */
    static @Nullable String of(byte[] json) {
        for (int at = json.length - KEY.length; at >= 0; at--) {
            if (json[at] == '"' && matches(json, at)) {
                return string(json, at + KEY.length);
            }
        }
        return null;
    }

    private static boolean matches(byte[] json, int at) {
        for (int k = 1; k < KEY.length; k++) {
            if (json[at + k] != KEY[k]) {
                return false;
            }
        }
        return true;
    }

    /** The JSON string whose opening quote ends before {@code start}; null when it is not terminated. */
    private static @Nullable String string(byte[] json, int start) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(32);
        for (int i = start; i < json.length; i++) {
            byte b = json[i];
            if (b == '"') {
                return out.toString(StandardCharsets.UTF_8);
            }
            if (b != '\\') {
                out.write(b);
                continue;
            }
            if (++i >= json.length) {
                return null;
            }
            switch (json[i]) {
                case 'n' -> out.write('\n');
                case 't' -> out.write('\t');
                case 'r' -> out.write('\r');
                case 'b' -> out.write('\b');
                case 'f' -> out.write('\f');
                case 'u' -> {
                    if (i + 4 >= json.length) {
                        return null;
                    }
                    char c;
                    try {
                        c = (char) Integer.parseInt(new String(json, i + 1, 4, StandardCharsets.US_ASCII), 16);
                    } catch (NumberFormatException e) {
                        return null;
                    }
                    out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
                    i += 4;
                }
                default -> out.write(json[i]); // \" \\ \/
            }
        }
        return null;
    }
}
