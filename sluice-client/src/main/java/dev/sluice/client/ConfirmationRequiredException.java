package dev.sluice.client;

/**
 * A call that destroys or rewrites data was made without {@link Confirm#YES}; nothing was sent to the server. The
 * message says what the call would have done and how to confirm it.
 */
public final class ConfirmationRequiredException extends IllegalArgumentException {
    ConfirmationRequiredException(String message) {
        super(message);
    }

    static void require(Confirm confirm, String what) {
        if (confirm != Confirm.YES) {
            throw new ConfirmationRequiredException(
                    what + ": pass Confirm.YES to do it (nothing was sent to the server)");
        }
    }
}
