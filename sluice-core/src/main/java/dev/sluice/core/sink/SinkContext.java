package dev.sluice.core.sink;

/** What a sink knows about itself at {@link Sink#start(SinkContext)}. */
public record SinkContext(String sinkId, String sinkName) {}
