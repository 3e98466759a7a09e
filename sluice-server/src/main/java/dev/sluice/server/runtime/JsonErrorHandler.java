package dev.sluice.server.runtime;

import dev.sluice.server.api.ApiGuards;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

/**
 * Jetty's answer to requests it rejects before they reach a route (a malformed request line, a bad escape in the
 * path, oversized headers): the API's JSON error shape instead of an HTML page, so clients parse every error alike.
 */
final class JsonErrorHandler extends ErrorHandler {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static byte[] body(int status, @Nullable String message, @Nullable String requestId) {
        String summary = message == null || message.isBlank() ? HttpStatus.getMessage(status) : message;
        Map<String, String> body = new LinkedHashMap<>();
        body.put("summary", summary);
        if (requestId != null) {
            body.put("request_id", requestId);
        }
        return JSON.writeValueAsBytes(body);
    }

    /** A request id for an answer under /api, as the routes give one; null elsewhere. */
    private static @Nullable String requestId(Request request) {
        String path;
        try {
            path = request.getHttpURI().getPath();
        } catch (RuntimeException e) {
            path = null; // a URI too broken to decode is still answered
        }
        if (path == null || !path.startsWith("/api/")) {
            return null;
        }
        return ApiGuards.requestIdFor(request.getHeaders().get(ApiGuards.REQUEST_ID_HEADER));
    }

    @Override
    protected void generateResponse(
            Request request,
            Response response,
            int code,
            @Nullable String message,
            @Nullable Throwable cause,
            Callback callback) {
        String requestId = requestId(request);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        if (requestId != null) {
            response.getHeaders().put(ApiGuards.REQUEST_ID_HEADER, requestId);
        }
        response.write(true, ByteBuffer.wrap(body(code, message, requestId)), callback);
    }

    @Override
    public ByteBuffer badMessageError(int status, @Nullable String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        return ByteBuffer.wrap(body(status, reason, null)); // the request was not parsed: no path, no id
    }
}
