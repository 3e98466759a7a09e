package dev.sluice.server.runtime;

/** Sluice cannot start; the message says why and what to change. Printed without a stack trace. */
public final class StartupException extends Exception {
    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }

    public StartupException(String message) {
        super(message);
    }
}
