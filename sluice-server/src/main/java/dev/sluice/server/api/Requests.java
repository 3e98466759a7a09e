package dev.sluice.server.api;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** Reading request bodies and parameters, with the 400/413/422 answers the API promises. */
final class Requests {
    static final int MAX_BODY_BYTES = 1024 * 1024;
    private static final String BODY = "sluice.request-body";
    static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private Requests() {}

    /** The body as text: at most 1 MiB (else 413), valid UTF-8 (else 400). Empty when there is none. */
    static String text(Context ctx) {
        byte[] bytes = bytes(ctx);
        if (bytes.length > MAX_BODY_BYTES) {
            throw new ApiException(413, "the request body is larger than 1 MiB");
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw ApiException.badRequest("the request body is not valid UTF-8");
        }
    }

    /**
     * The raw body, read once (an Idempotency-Key check reads it before the route does): at most {@link
     * #MAX_BODY_BYTES} + 1 bytes, so that {@link #text} can tell a body that is too large.
     */
    static byte[] bytes(Context ctx) {
        byte[] bytes = ctx.attribute(BODY);
        if (bytes == null) {
            try (InputStream in = ctx.req().getInputStream()) {
                bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            } catch (IOException e) {
                throw ApiException.badRequest("cannot read the request body: " + e.getMessage());
            }
            ctx.attribute(BODY, bytes);
        }
        return bytes;
    }

    /** The body as a JSON object. Requires {@code Content-Type: application/json}. */
    static ObjectNode object(Context ctx) {
        requireJson(ctx);
        String text = text(ctx);
        if (text.isBlank()) {
            throw ApiException.badRequest("the request body is empty; send a JSON object");
        }
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JacksonException e) {
            throw ApiException.badRequest("the request body is not valid JSON: " + e.getOriginalMessage());
        }
        if (!(node instanceof ObjectNode o)) {
            throw ApiException.badRequest("the request body must be a JSON object, got " + kind(node));
        }
        String nul = nul(o, "");
        if (nul != null) {
            // Postgres (jsonb and text) cannot store U+0000; refuse it here rather than fail when saving.
            throw ApiException.invalid(nul.isEmpty() ? "body" : nul, "must not contain the NUL character (\\u0000)");
        }
        return o;
    }

    /** The path of the first key or string containing U+0000, or null. */
    private static @Nullable String nul(JsonNode node, String path) {
        if (node.isString()) {
            return node.asString().indexOf('\u0000') >= 0 ? path : null;
        }
        if (node instanceof ObjectNode o) {
            for (var e : o.properties()) {
                String p = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
                if (e.getKey().indexOf('\u0000') >= 0) {
                    return clip(p);
                }
                String found = nul(e.getValue(), p);
                if (found != null) {
                    return clip(found);
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String found = nul(node.get(i), path + "[" + i + "]");
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /** Like {@link #object}, but an absent body is an empty object (for actions that take optional input). */
    static ObjectNode optionalObject(Context ctx) {
        if (ctx.req().getContentLengthLong() == 0 || ctx.contentType() == null) {
            String rest = text(ctx);
            if (rest.isBlank()) {
                return JSON.createObjectNode();
            }
        }
        return object(ctx);
    }

    static void requireJson(Context ctx) {
        String type = ctx.contentType();
        if (type == null || !mediaType(type).equals("application/json")) {
            throw ApiException.badRequest("send the body as JSON with 'Content-Type: application/json' (got "
                    + (type == null ? "no content type" : "'" + type + "'") + ")");
        }
    }

    static String mediaType(String contentType) {
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
    }

    /** A boolean query parameter: absent is false; anything but true/false is a 422. */
    static boolean flag(Context ctx, String name) {
        String v = ctx.queryParam(name);
        if (v == null || v.isEmpty()) {
            return false;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw ApiException.invalid(name, "expected true or false, got '" + clip(v) + "'");
        };
    }

    static String kind(JsonNode n) {
        return switch (n.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> n.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }

    /** Echoed user input is cut short, so a huge or hostile value cannot flood a response. */
    static String clip(String s) {
        String one = s.length() > 80 ? s.substring(0, 80) + "…" : s;
        return one.replaceAll("\\p{Cntrl}", "?");
    }
}
