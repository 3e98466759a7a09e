package dev.sluice.sink.elasticsearch;

import dev.sluice.core.sink.CheckResult;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Classifies what went wrong talking to Elasticsearch, once: by exception type for the transport, by HTTP status and
 * the error {@code type} of Elasticsearch's error body for answers; never by the rest of a message.
 */
final class ElasticsearchFailure {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int MAX_BODY_CHARS = 300;

    private ElasticsearchFailure() {}

    /** An operator's description of a transport failure; never a credential. */
    static String describe(IOException e) {
        if (e instanceof HttpConnectTimeoutException) {
            return "cannot reach the server (connect timed out)";
        }
        if (e instanceof HttpTimeoutException) {
            return "no answer within request_timeout_ms";
        }
        if (isTls(e)) {
            return "TLS handshake failed (" + root(e) + "); check that the server's certificate is trusted by the JVM"
                    + " for this host name";
        }
        if (isUnreachable(e)) {
            return "cannot reach the server (" + root(e) + ")";
        }
        return "request failed (" + root(e) + ")";
    }

    /** The {@code test_connection} status of a transport failure. */
    static CheckResult.Status checkStatus(IOException e) {
        return !isTls(e) && (isUnreachable(e) || e instanceof HttpTimeoutException)
                ? CheckResult.Status.UNREACHABLE
                : CheckResult.Status.FAILED;
    }

    /** A failed check for a non-2xx answer to {@code call}, or null for a 2xx one. */
    static @Nullable CheckResult check(int status, byte[] body, String what, String call) {
        if (status >= 200 && status < 300) {
            return null;
        }
        if (status == 401) {
            return CheckResult.failed(
                    CheckResult.Status.UNAUTHORIZED,
                    what + ": " + call + " answered 401: credentials refused; check auth_type and auth_value");
        }
        if (status == 403) {
            return CheckResult.failed(
                    CheckResult.Status.UNAUTHORIZED,
                    what + ": " + call + " answered 403: the credentials lack a privilege (monitor on the cluster,"
                            + " view_index_metadata and write on the index)");
        }
        return CheckResult.failed(CheckResult.Status.FAILED, what + ": " + call + " answered " + status(status, body));
    }

    /** {@code <status> <error type: reason>} of a whole-request answer, with what to do for auth failures. */
    static String status(int status, byte[] body) {
        String text = status + " " + errorOf(body);
        return switch (status) {
            case 401 -> text + "; credentials refused: check auth_type and auth_value";
            case 403 -> text + "; the credentials lack the write privilege on the index";
            case 413 -> text + "; over the server's http.max_content_length";
            default -> text;
        };
    }

    /** Elasticsearch's {@code error.type: error.reason}, or the start of a body that is not its error JSON. */
    static String errorOf(byte[] body) {
        if (body.length == 0) {
            return "(empty body)";
        }
        try {
            JsonNode root = JSON.readTree(body);
            JsonNode error = root.path("error");
            if (!error.isMissingNode()) {
                return BulkResponse.describe(error);
            }
        } catch (JacksonException e) {
            // not JSON: a proxy's page
        }
        String text = new String(body, 0, Math.min(body.length, MAX_BODY_CHARS * 4), StandardCharsets.UTF_8)
                .replaceAll("\\s+", " ")
                .strip();
        return text.length() > MAX_BODY_CHARS ? text.substring(0, MAX_BODY_CHARS) + "…" : text;
    }

    private static boolean isUnreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException
                    || t instanceof UnknownHostException
                    || t instanceof UnresolvedAddressException
                    || t instanceof java.net.NoRouteToHostException) {
                return true;
            }
        }
        return false;
    }

    private static boolean isTls(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SSLException) {
                return true;
            }
        }
        return false;
    }

    private static String root(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
