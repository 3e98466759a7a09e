package dev.sluice.server.api;

/** How secrets look in responses: a fixed mask that tells nothing, not even the length. */
final class Obfuscate {
    /** Sent back unchanged in an update, it means "keep the stored value" (see StoredConfig.isMask). */
    static final String MASK = "************";

    private Obfuscate() {}

    static String secret(String value, boolean show) {
        return show ? value : MASK;
    }
}
