package dev.sluice.server.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Hash64Test {
    /** Expected values from the reference implementation's command-line tool ({@code xxhsum -H64}). */
    @Test
    void matchesTheReferenceXxh64ForEveryTailLength() {
        assertThat(hash("")).isEqualTo(0xef46db3751d8e999L);
        assertThat(hash("a")).isEqualTo(0xd24ec4f1a98c6e5bL);
        assertThat(hash("abc")).isEqualTo(0x44bc2cf5ad770999L);
        assertThat(hash("sluice verify")).isEqualTo(0xb0015ffcdae04fb9L);
        assertThat(hash("0123456789abcdef0123456789abcdef01234")).isEqualTo(0x3f889232c2743804L);
        assertThat(hash("0123456789abcdef0123456789abcdef0123456789")).isEqualTo(0xa76190c3acf08a1cL);
    }

    @Test
    void hashesOnlyTheGivenSlice() {
        byte[] b = "xxabcyy".getBytes(StandardCharsets.US_ASCII);
        assertThat(Hash64.hash(b, 2, 3)).isEqualTo(hash("abc"));
    }

    private static long hash(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        return Hash64.hash(b, 0, b.length);
    }
}
