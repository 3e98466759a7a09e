package dev.sluice.engine;

import dev.sluice.core.TableSchema;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The idempotency keys of one backfill's reads: base64 of {@code <backfill id>:<key values>} (or, for a keyless
 * table, {@code <backfill id>:<sort value>}), made for every row read, so built in reused buffers when the text is
 * plain ASCII. Not thread-safe: the backfill's thread owns it.
 */
final class ReadKeys {
    private static final int MAX = 512;
    private static final byte[] BASE64 =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".getBytes(StandardCharsets.US_ASCII);

    private final String backfillId;
    private final @Nullable String sortColumn;
    private final byte[] text = new byte[MAX];
    private final byte[] encoded = new byte[(MAX + 2) / 3 * 4];

    ReadKeys(String backfillId, @Nullable String sortColumn) {
        this.backfillId = backfillId;
        this.sortColumn = sortColumn;
    }

    String of(TableSchema schema, @Nullable String[] row) {
        int[] key = schema.primaryKey();
        int n = ascii(backfillId, 0);
        if (key.length == 0) {
            n = ascii(String.valueOf(row[schema.indexOf(Objects.requireNonNull(sortColumn))]), ascii(":", n));
        }
        for (int k : key) {
            n = ascii(String.valueOf(row[k]), ascii(":", n));
        }
        return n >= 0 ? base64(n) : general(schema, row);
    }

    // Not plain ASCII, or long.
    private String general(TableSchema schema, @Nullable String[] row) {
        StringBuilder sb = new StringBuilder(backfillId);
        int[] key = schema.primaryKey();
        if (key.length == 0) {
            sb.append(':').append(row[schema.indexOf(Objects.requireNonNull(sortColumn))]);
        }
        for (int k : key) {
            sb.append(':').append(row[k]);
        }
        return Base64.getEncoder().encodeToString(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    // Appends s at n when it is ASCII and fits; -1 otherwise (and for n = -1).
    private int ascii(String s, int n) {
        if (n < 0 || n + s.length() > text.length) {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                return -1;
            }
            text[n++] = (byte) c;
        }
        return n;
    }

    // Standard base64 with padding, as java.util.Base64's encoder writes it.
    private String base64(int n) {
        byte[] in = text;
        byte[] out = encoded;
        int o = 0;
        int i = 0;
        for (; i + 3 <= n; i += 3) {
            int v = (in[i] & 0xFF) << 16 | (in[i + 1] & 0xFF) << 8 | (in[i + 2] & 0xFF);
            out[o++] = BASE64[v >>> 18];
            out[o++] = BASE64[v >>> 12 & 0x3F];
            out[o++] = BASE64[v >>> 6 & 0x3F];
            out[o++] = BASE64[v & 0x3F];
        }
        if (i < n) {
            int v = (in[i] & 0xFF) << 16 | (i + 1 < n ? (in[i + 1] & 0xFF) << 8 : 0);
            out[o++] = BASE64[v >>> 18];
            out[o++] = BASE64[v >>> 12 & 0x3F];
            out[o++] = i + 1 < n ? BASE64[v >>> 6 & 0x3F] : (byte) '=';
            out[o++] = '=';
        }
        return new String(out, 0, o, StandardCharsets.ISO_8859_1);
    }
}
