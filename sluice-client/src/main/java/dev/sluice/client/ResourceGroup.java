package dev.sluice.client;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * What every resource group has: its list, one page at a time or as a lazy stream. The groups add the calls their
 * API has ({@code get}, {@code create}, {@code update}, {@code delete} and actions).
 *
 * <p>Concurrency: groups are immutable and thread-safe. Every call without {@code Async} blocks until the answer
 * (and its retries) is in; an {@code Async} call runs on the client's executor.
 *
 * @param <T> the resource
 */
public abstract sealed class ResourceGroup<T>
        permits Databases, Sinks, HttpEndpoints, Functions, Backfills, Jobs, Webhooks, ApiKeys, Messages {
    /** The page size of {@link #list()} and {@link #stream()}. */
    public static final int DEFAULT_PAGE_SIZE = 100;
    /** The largest page the server gives. */
    public static final int MAX_PAGE_SIZE = 1000;

    final ApiHttp http;
    final String path;
    final Function<JsonNode, T> parse;

    ResourceGroup(ApiHttp http, String path, Function<JsonNode, T> parse) {
        this.http = http;
        this.path = path;
        this.parse = parse;
    }

    /**
     * The first page, of {@value #DEFAULT_PAGE_SIZE} items at most, oldest first.
     *
     * @throws SluiceException when the server refuses or cannot be reached
     */
    public Page<T> list() {
        return list(DEFAULT_PAGE_SIZE, null);
    }

    /**
     * The page of at most {@code limit} items after cursor {@code after}.
     *
     * @param limit 1 to {@value #MAX_PAGE_SIZE}
     * @param after a previous page's {@link Page#nextCursor()}, or null for the first page
     * @throws IllegalArgumentException when {@code limit} is out of range
     * @throws SluiceException when the server refuses or cannot be reached
     */
    public Page<T> list(int limit, @Nullable String after) {
        return page(Map.of(), limit, after);
    }

    /** {@link #list(int, String)} on the client's executor. */
    public CompletableFuture<Page<T>> listAsync(int limit, @Nullable String after) {
        checkLimit(limit);
        return http.async(() -> list(limit, after));
    }

    /**
     * Every item, oldest first, as a lazy stream: pages of {@value #DEFAULT_PAGE_SIZE} are fetched one at a time as
     * the stream is consumed, so {@code stream().limit(5)} sends one request. A failing fetch throws
     * {@link SluiceException} from the terminal operation. Items created while streaming may or may not appear.
     */
    public Stream<T> stream() {
        return stream(DEFAULT_PAGE_SIZE);
    }

    /** {@link #stream()} with pages of {@code pageSize} (1 to {@value #MAX_PAGE_SIZE}). */
    public Stream<T> stream(int pageSize) {
        return stream(Map.of(), pageSize);
    }

    Stream<T> stream(Map<String, ?> filter, int pageSize) {
        checkLimit(pageSize);
        return StreamSupport.stream(new PageSpliterator<>(after -> page(filter, pageSize, after)), false);
    }

    Page<T> page(Map<String, ?> filter, int limit, @Nullable String after) {
        checkLimit(limit);
        Map<String, Object> params = new java.util.LinkedHashMap<>(filter);
        params.put("limit", limit);
        params.put("after", after == null || after.isEmpty() ? null : after);
        JsonNode body = http.get(ApiHttp.query(path, params));
        return new Page<>(Json.list(body, "data", parse), Json.str(body, "next_cursor"));
    }

    private static void checkLimit(int limit) {
        if (limit < 1 || limit > MAX_PAGE_SIZE) {
            throw new IllegalArgumentException("page size must be between 1 and " + MAX_PAGE_SIZE + ", got " + limit);
        }
    }

    String one(String idOrName) {
        return path + "/" + ApiHttp.seg(idOrName);
    }

    T getOne(String idOrName) {
        return parse.apply(http.get(one(idOrName)));
    }

    T createOne(JsonNode body) {
        return parse.apply(http.post(path, body));
    }

    T updateOne(String idOrName, JsonNode body) {
        return parse.apply(http.put(one(idOrName), body));
    }

    void deleteOne(String idOrName) {
        http.delete(one(idOrName));
    }
}
