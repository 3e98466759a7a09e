package dev.sluice.server.runtime;

import java.nio.ByteBuffer;
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

    private static byte[] body(int status, @Nullable String message) {
        String summary = message == null || message.isBlank() ? HttpStatus.getMessage(status) : message;
        return JSON.writeValueAsBytes(Map.of("summary", summary));
    }

    @Override
    protected void generateResponse(
            Request request,
            Response response,
            int code,
            @Nullable String message,
            @Nullable Throwable cause,
            Callback callback) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(body(code, message)), callback);
    }

    @Override
    public ByteBuffer badMessageError(int status, @Nullable String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        return ByteBuffer.wrap(body(status, reason));
    }
}
