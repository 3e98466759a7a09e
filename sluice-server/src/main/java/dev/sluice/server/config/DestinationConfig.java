package dev.sluice.server.config;

/** Where a sink delivers; one record per sink type. */
public sealed interface DestinationConfig permits WebhookDestination, SequinStreamDestination {
    /** The {@code type} written in the file, such as {@code webhook}. */
    String type();
}
