package dev.sluice.sink.aws;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The stand-in for an id or key a service would refuse (too long, other characters): stable and unique enough. */
public final class Sha256 {
    private Sha256() {}

    /** The hex SHA-256 of {@code value}'s UTF-8 bytes: 64 characters, {@code [0-9a-f]}. */
    public static String hex(String value) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
        }
    }
}
