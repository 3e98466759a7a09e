package dev.sluice.testkit.conformance;

import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.SinkProvider;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a sink module gives the {@link SinkConformance conformance suite}: its provider and its real peer (a broker,
 * an emulator, an HTTP receiver), which the harness starts, stops and restarts, and reads back.
 *
 * <p>Lifecycle: the suite calls {@link #start()} once before its first test and {@link #close()} after its last.
 * Between, the peer is running except inside a test that stopped it; such a test restarts it before it ends.
 *
 * <p>Values: every configuration the harness hands out is complete, as the server would pass it to {@link
 * SinkProvider#configure} (defaults filled in, references resolved), with timeouts short enough for a test (a request
 * timeout of a few seconds), so that a stopped peer shows as failed deliveries rather than long waits.
 *
 * @param <C> the provider's configuration type
 */
public interface SinkHarness<C> extends AutoCloseable {
    /** The provider under test. */
    SinkProvider<C> provider();

    /** Starts the peer. */
    void start() throws Exception;

    /**
     * Stops the peer: connections are refused until {@link #restartPeer()}. What arrived so far stays readable
     * through {@link #arrived}, even for a peer that forgets it on a restart (the harness reads it first).
     */
    void stopPeer() throws Exception;

    /** Starts the stopped peer again at the same address, with every destination made so far. */
    void restartPeer() throws Exception;

    /**
     * Makes a new, empty destination on the running peer that keeps each group's order (several partitions or
     * shards, a FIFO queue, a path), and the values of a sink writing to it.
     *
     * @param name a name unique within the suite run, usable as a topic, queue or stream name
     */
    Destination newDestination(String name) throws Exception;

    /** Values of a sink whose peer does not listen (a closed local port); its check must say UNREACHABLE. */
    ConfigValues unreachable();

    /**
     * Values of a sink writing to {@code destination} with credentials the peer refuses; empty when the peer takes
     * no credentials. Its check must say UNAUTHORIZED.
     */
    default Optional<ConfigValues> badCredentials(Destination destination) {
        return Optional.empty();
    }

    /**
     * The JSON size, in bytes, of a message the peer refuses however often it is sent (over its size limit), while
     * it takes smaller ones of the same request; empty when the sink has no such limit to hit.
     */
    default OptionalInt oversizedBytes() {
        return OptionalInt.empty();
    }

    /**
     * The message JSON bodies that arrived at {@code destination}, each list in the order the peer keeps for the
     * groups in it: one list per partition, shard or FIFO message group, or the requests' arrival order. Waits
     * (briefly) until at least {@code atLeast} messages are readable, for peers that show writes a moment late.
     */
    List<List<String>> arrived(Destination destination, int atLeast) throws Exception;
}
