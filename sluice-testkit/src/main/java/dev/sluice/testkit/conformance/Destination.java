package dev.sluice.testkit.conformance;

import dev.sluice.core.sink.ConfigValues;

/**
 * One place on the peer that messages go to (a topic, queue, stream or URL path), made by {@link
 * SinkHarness#newDestination} for one test.
 *
 * @param name the harness's name for it, unique on the peer
 * @param config the values of a sink writing there, as the server would pass them to {@code configure}
 */
public record Destination(String name, ConfigValues config) {}
