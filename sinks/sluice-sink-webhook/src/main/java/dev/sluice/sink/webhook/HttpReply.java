package dev.sluice.sink.webhook;

import org.jspecify.annotations.Nullable;

/**
 * What the webhook sink keeps of an HTTP response.
 *
 * @param status the final status code (interim 1xx responses are skipped)
 * @param location the {@code Location} header, for redirects; null when absent
 * @param bodyPrefix the first bytes of the body of a non-2xx response (empty for 2xx), bounded
 */
record HttpReply(int status, @Nullable String location, byte[] bodyPrefix) {
    boolean isSuccess() {
        return status >= 200 && status < 300;
    }
}
