package dev.sluice.server.cli;

/**
 * A failure of a CLI command, with a message for the user that says what to fix; printed without a stack trace and
 * exits with code 1.
 */
final class CliException extends RuntimeException {
    CliException(String message) {
        super(message, null, false, false);
    }
}
