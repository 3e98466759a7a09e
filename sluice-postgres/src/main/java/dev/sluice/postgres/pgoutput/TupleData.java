package dev.sluice.postgres.pgoutput;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The column values of one row as pgoutput sent them, index-aligned with the relation's columns.
 * Kept as parallel arrays (one kind byte and one value slot per column) so that a row costs three
 * objects however wide the table is.
 *
 * <p>Kinds: {@link #NULL} ({@code 'n'}), {@link #UNCHANGED_TOAST} ({@code 'u'}: a TOASTed value that
 * did not change and was not sent), {@link #TEXT} ({@code 't'}: text output format, decoded as
 * UTF-8) and {@link #BINARY} ({@code 'b'}: only when the {@code binary} option is on).
 *
 * <p>The arrays are owned by this object; callers must not modify what the accessors return.
 */
public final class TupleData {
    public static final byte NULL = 'n';
    public static final byte UNCHANGED_TOAST = 'u';
    public static final byte TEXT = 't';
    public static final byte BINARY = 'b';

    private final byte[] kinds;
    private final @Nullable String[] texts;
    // Allocated only when a row has a binary column: text mode, the default, never pays for it.
    private final byte @Nullable [][] binaries;

    /**
     * @param kinds one of {@code n u t b} per column
     * @param texts the value of each {@code t} column, null elsewhere; same length as {@code kinds}
     * @param binaries the value of each {@code b} column, null elsewhere; null when there are none
     */
    public TupleData(byte[] kinds, @Nullable String[] texts, byte @Nullable [][] binaries) {
        if (texts.length != kinds.length || (binaries != null && binaries.length != kinds.length)) {
            throw new IllegalArgumentException("kinds, texts and binaries must have the same length");
        }
        this.kinds = kinds;
        this.texts = texts;
        this.binaries = binaries;
    }

    /** A text-only row: null elements become {@code 'n'} columns. Meant for tests and fixtures. */
    public static TupleData ofText(@Nullable String... values) {
        byte[] kinds = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            kinds[i] = values[i] == null ? NULL : TEXT;
        }
        return new TupleData(kinds, values.clone(), null);
    }

    public int size() {
        return kinds.length;
    }

    /** The column's kind: {@code 'n'}, {@code 'u'}, {@code 't'} or {@code 'b'}. */
    public char kind(int column) {
        return (char) kinds[column];
    }

    public boolean isNull(int column) {
        return kinds[column] == NULL;
    }

    public boolean isUnchangedToast(int column) {
        return kinds[column] == UNCHANGED_TOAST;
    }

    /** The text value; null unless the column's kind is {@code 't'}. */
    public @Nullable String text(int column) {
        return texts[column];
    }

    /** The binary value; null unless the column's kind is {@code 'b'}. */
    public byte @Nullable [] binary(int column) {
        return binaries == null ? null : binaries[column];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TupleData t
                && Arrays.equals(kinds, t.kinds)
                && Arrays.equals(texts, t.texts)
                && Arrays.deepEquals(binaries, t.binaries);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(kinds) + Arrays.hashCode(texts);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("TupleData[");
        for (int i = 0; i < kinds.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            switch (kinds[i]) {
                case TEXT -> appendAbbreviated(sb, texts[i]);
                case BINARY -> sb.append("b:").append(binaries[i].length).append(" bytes");
                case UNCHANGED_TOAST -> sb.append("<unchanged toast>");
                default -> sb.append("null");
            }
        }
        return sb.append(']').toString();
    }

    // A 1 MB TOASTed text should not end up whole in an assertion message or a log line.
    private static void appendAbbreviated(StringBuilder sb, String text) {
        sb.append('\'');
        if (text.length() <= 64) {
            sb.append(text);
        } else {
            sb.append(text, 0, 64).append("…(").append(text.length()).append(" chars)");
        }
        sb.append('\'');
    }
}
