package dev.sluice.server.api;

import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Paging of every list: {@code ?limit=} (1 to {@value #MAX_LIMIT}) and {@code ?after=<next_cursor>}, and a body
 * {@code {"data": [...]}} with {@code next_cursor} (null on the last page) when either was given.
 */
final class Pages {
    static final int MAX_LIMIT = 1000;

    private Pages() {}

    /** The {@code limit} parameter, or null when absent; a 422 when it is not 1 to {@value #MAX_LIMIT}. */
    static @Nullable Integer limit(Context ctx) {
        String text = ctx.queryParam("limit");
        if (text == null) {
            return null;
        }
        int limit;
        try {
            limit = Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw ApiException.invalid("limit", "expected an integer, got '" + Requests.clip(text) + "'");
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw ApiException.invalid("limit", "must be between 1 and " + MAX_LIMIT + ", got " + limit);
        }
        return limit;
    }

    /** The {@code after} parameter through {@code decode}, or null when absent or empty. */
    static <C> @Nullable C after(Context ctx, Function<String, C> decode) {
        String text = ctx.queryParam("after");
        return text == null || text.isEmpty() ? null : decode.apply(text);
    }

    /** Answers with one page: {@code next} is where the next starts, null on the last one. */
    static void respond(Context ctx, List<?> data, @Nullable String next) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("data", data);
        String after = ctx.queryParam("after");
        if (ctx.queryParam("limit") != null || after != null && !after.isEmpty()) {
            body.put("next_cursor", next);
        }
        ctx.json(body);
    }

    /** Where a page of resources ends: they are ordered by creation time, then id. */
    record Cursor(Instant insertedAt, UUID id) {
        String encode() {
            return Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString((insertedAt + "|" + id).getBytes(StandardCharsets.UTF_8));
        }

        static Cursor decode(String text) {
            try {
                String raw = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
                int bar = raw.indexOf('|');
                return new Cursor(Instant.parse(raw.substring(0, bar)), UUID.fromString(raw.substring(bar + 1)));
            } catch (RuntimeException e) {
                throw ApiException.invalid("after", "not a cursor from a previous page's next_cursor");
            }
        }

        boolean before(Cursor other) {
            int c = insertedAt.compareTo(other.insertedAt);
            return c < 0 || c == 0 && id.toString().compareTo(other.id.toString()) < 0;
        }
    }

    /** Pages {@code rows}, held in memory and ordered by {@code cursorOf}; only the page's rows are rendered. */
    static <T> void inMemory(Context ctx, List<T> rows, Function<T, Cursor> cursorOf, Function<T, Object> render) {
        Integer limit = limit(ctx);
        Cursor start = after(ctx, Cursor::decode);
        List<Object> data = new ArrayList<>();
        Cursor last = null;
        boolean more = false;
        for (T row : rows) {
            Cursor c = cursorOf.apply(row);
            if (start != null && !start.before(c)) {
                continue;
            }
            if (limit != null && data.size() == limit) {
                more = true;
                break;
            }
            data.add(render.apply(row));
            last = c;
        }
        respond(ctx, data, more && last != null ? last.encode() : null);
    }
}
