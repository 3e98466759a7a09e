package dev.sluice.server.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts secrets (database passwords, header values, sink credentials) before they reach the
 * metadata store: AES-256-GCM, a random 96-bit nonce per value, stored as {@code v1:<base64(nonce|ct)>}.
 *
 * <p>The key comes from {@code SLUICE_SECRET_KEY} (base64 of 32 bytes) or, when unset, from
 * {@code $SLUICE_HOME/secret.key}, created with mode 0600 on first start. Losing the key makes stored
 * secrets unreadable: back it up with the data directory, or set SLUICE_SECRET_KEY.
 */
public final class SecretBox {
    private static final String PREFIX = "v1:";
    private static final int NONCE_BYTES = 12;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;

    SecretBox(byte[] key) {
        if (key.length != 32) {
            throw new IllegalArgumentException(
                    "the secret key must be 32 bytes (base64 of 32 random bytes), got " + key.length + " bytes");
        }
        this.key = new SecretKeySpec(key, "AES");
    }

    /**
     * A key for {@code purpose} derived from this one (HMAC-SHA256 of the purpose), so that the one secret every node
     * shares serves other uses without exposing it.
     */
    public byte[] derive(String purpose) {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getEncoded(), "HmacSHA256"));
            return mac.doFinal(purpose.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    /** The key from {@code envKey} when set, else from (or into) {@code home/secret.key}. */
    public static SecretBox load(String envKey, Path home) throws IOException {
        if (envKey != null && !envKey.isBlank()) {
            try {
                return new SecretBox(Base64.getDecoder().decode(envKey.strip()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "SLUICE_SECRET_KEY must be base64 of 32 random bytes (try: openssl rand -base64 32): "
                                + e.getMessage());
            }
        }
        Path file = home.resolve("secret.key");
        if (!Files.exists(file)) {
            Files.createDirectories(home);
            byte[] fresh = new byte[32];
            RANDOM.nextBytes(fresh);
            Path tmp = home.resolve("secret.key.tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, Base64.getEncoder().encodeToString(fresh));
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        return new SecretBox(Base64.getDecoder().decode(Files.readString(file).strip()));
    }

    public String encrypt(String plain) {
        try {
            byte[] nonce = new byte[NONCE_BYTES];
            RANDOM.nextBytes(nonce);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            byte[] ct = c.doFinal(plain.getBytes(StandardCharsets.UTF_8));
            byte[] out = new byte[nonce.length + ct.length];
            System.arraycopy(nonce, 0, out, 0, nonce.length);
            System.arraycopy(ct, 0, out, nonce.length, ct.length);
            return PREFIX + Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        }
    }

    public String decrypt(String sealed) {
        if (!sealed.startsWith(PREFIX)) {
            throw new IllegalArgumentException("not a sealed secret");
        }
        byte[] in = Base64.getDecoder().decode(sealed.substring(PREFIX.length()));
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, in, 0, NONCE_BYTES));
            return new String(c.doFinal(in, NONCE_BYTES, in.length - NONCE_BYTES), StandardCharsets.UTF_8);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new IllegalStateException(
                    "a stored secret cannot be decrypted with the current key: was SLUICE_SECRET_KEY or"
                            + " secret.key changed? Restore the key the secrets were stored with.");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        }
    }
}
