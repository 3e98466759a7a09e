package dev.sluice.engine;

/**
 * Where the engine reports what it moved; the server backs it with a metrics registry. The engine
 * itself depends on no metrics library. Every method does nothing unless implemented.
 *
 * <p>Calls come from the database's reader thread ({@link #ingested}) and each sink's delivery thread
 * (the others), so implementations must be thread-safe and cheap.
 */
public interface PipelineMetrics {
    /** {@code n} changes were queued for {@code sink}. */
    default void ingested(String sink, int n) {}

    /**
     * A batch of {@code n} messages was acknowledged by {@code sink}.
     *
     * @param latencyNanos from the commit of the batch's oldest change to the sink's acknowledgement
     */
    default void delivered(String sink, int n, long latencyNanos) {}

    /** A delivery attempt of {@code n} messages failed (it is retried or discarded). */
    default void failed(String sink, int n) {}

    /** {@code n} messages were given up on after their last failed attempt. */
    default void discarded(String sink, int n) {}

    /** The sink's filter function rejected {@code n} messages: done without being sent. */
    default void filtered(String sink, int n) {}

    /** {@code n} new messages were dropped because the sink's buffer was full ({@code discard_on_full}). */
    default void shed(String sink, int n) {}

    /**
     * The sink's messages in the message store now take {@code bytes} (their JSON), against its spill budget of
     * {@code maxBytes}. Called when that changes, possibly holding the sink's queue lock: keep it cheap.
     */
    default void stored(String sink, long bytes, long maxBytes) {}

    /**
     * {@code bytes} of message JSON (as encoded, before functions) were acknowledged by {@code sink}, in one batch.
     */
    default void deliveredBytes(String sink, long bytes) {}

    /**
     * Who watches {@code sink}'s deliveries now, asked once per batch; null (the default) while nobody does. Must be
     * cheap: it is on the delivery path.
     */
    default @org.jspecify.annotations.Nullable DeliveryTrace trace(String sink) {
        return null;
    }

    /** Reports nothing. */
    PipelineMetrics NONE = new PipelineMetrics() {};
}
