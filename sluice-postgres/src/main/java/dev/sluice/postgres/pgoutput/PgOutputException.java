package dev.sluice.postgres.pgoutput;

/**
 * A pgoutput frame that does not follow the protocol: truncated, with trailing bytes, an unknown
 * message type or an impossible length. The message names the message type and the byte offset
 * (from the start of the frame) where decoding stopped.
 */
public final class PgOutputException extends IllegalArgumentException {
    PgOutputException(String message) {
        super(message);
    }
}
