package dev.sluice.client;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * {@code /api/sinks/{id_or_name}/messages}: a sink's failed messages, kept in Sluice's metadata store so that they
 * do not hold the replication slot. Get one from {@link SluiceClient#messages(String)}.
 *
 * <p>Concurrency: thread-safe; calls block (the {@code Async} ones run on the client's executor).
 */
public final class Messages extends ResourceGroup<FailedMessage> {
    private final String sink;

    /** Which stored messages to list. */
    public enum State {
        /** Failed at least once. */
        FAILED,
        /** Waiting behind a failed message of their row. */
        PENDING,
        /** Given up on (kept for inspection; never delivered again). */
        DISCARDED;

        String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    Messages(ApiHttp http, String sink) {
        super(http, "/api/sinks/" + ApiHttp.seg(sink) + "/messages", FailedMessage::from);
        this.sink = sink;
    }

    /** One page of the messages in {@code state} (null: failed and pending), in commit order. */
    public Page<FailedMessage> list(@Nullable State state, int limit, @Nullable String after) {
        return page(filter(state), limit, after);
    }

    /** The messages in {@code state} (null: failed and pending), lazily paged. */
    public Stream<FailedMessage> stream(@Nullable State state) {
        return stream(filter(state), DEFAULT_PAGE_SIZE);
    }

    private static Map<String, ?> filter(@Nullable State state) {
        return state == null ? Map.of() : Map.of("state", state.wire());
    }

    /**
     * Retries every failing row now instead of after its back-off.
     *
     * @return how many rows (groups) were retried
     * @throws SluiceException.Conflict when the sink does not run
     */
    public int redeliverAll() {
        return (int) Json.longOr(http.post(path + "/redeliver", null), "redelivered_groups", 0);
    }

    /**
     * Retries the row of this failed message now.
     *
     * @throws SluiceException.NotFound for an unknown message
     * @throws SluiceException.Validation for a message waiting behind another failed message of its row
     */
    public int redeliver(String messageId) {
        return (int) Json.longOr(http.post(one(messageId) + "/redeliver", null), "redelivered_groups", 0);
    }

    /**
     * Gives up on this failed message; its row goes on with its next message.
     *
     * @return how many messages were discarded
     */
    public int discard(String messageId) {
        return (int) Json.longOr(http.post(one(messageId) + "/discard", null), "discarded", 0);
    }

    /**
     * Gives up on every failed message of the sink: they are never delivered. Needs {@link Confirm#YES}.
     *
     * @return how many messages were discarded
     * @throws ConfirmationRequiredException without {@code Confirm.YES}; nothing is sent
     */
    public int discardAll(Confirm confirm) {
        ConfirmationRequiredException.require(confirm, DISCARD_ALL.formatted(sink));
        return (int) Json.longOr(http.post(path + "/discard", null), "discarded", 0);
    }

    private static final String DISCARD_ALL = "discarding every failed message of sink '%s' loses them for good";

    public CompletableFuture<Integer> redeliverAllAsync() {
        return http.async(this::redeliverAll);
    }

    public CompletableFuture<Integer> discardAllAsync(Confirm confirm) {
        ConfirmationRequiredException.require(confirm, DISCARD_ALL.formatted(sink));
        return http.async(() -> discardAll(confirm));
    }
}
