package dev.sluice.terraform.api;

/** A Sluice API call that failed: its HTTP status (0 when the server was not reached) and what the server said. */
public final class ApiException extends Exception {
    private final int status;

    public ApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }

    public boolean notFound() {
        return status == 404;
    }
}
