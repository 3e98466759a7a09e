package dev.sluice.sink.kafka;

import dev.sluice.core.sink.InvalidConfigException;
import java.util.Locale;

/** How the producer compresses record batches (Kafka's {@code compression.type}). */
public enum Compression {
    NONE,
    GZIP,
    SNAPPY,
    LZ4,
    ZSTD;

    /** The value of Kafka's {@code compression.type} setting. */
    String kafkaName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code none}, {@code gzip}, {@code snappy}, {@code lz4} or {@code zstd} in any case.
     *
     * @throws InvalidConfigException naming the accepted values
     */
    public static Compression parse(String text) {
        String s = text.strip().toUpperCase(Locale.ROOT);
        for (Compression c : values()) {
            if (c.name().equals(s)) {
                return c;
            }
        }
        throw new InvalidConfigException(
                "compression", "unknown value '" + text + "'; use one of none, gzip, snappy, lz4, zstd");
    }
}
