package dev.sluice.server.api;

import dev.sluice.server.store.Masks;

/** How secrets look in responses (see {@link Masks}). */
final class Obfuscate {
    /** Sent back unchanged in an update, it means "keep the stored value". */
    static final String MASK = Masks.MASK;

    private Obfuscate() {}
}
