package dev.sluice.server.config;

/** Where a sink delivers; one record per sink type. */
public sealed interface DestinationConfig
        permits WebhookDestination, SequinStreamDestination, KafkaDestination, SqsDestination, KinesisDestination {
    /** The {@code type} written in the file, such as {@code webhook}. */
    String type();

    /** The keys of a destination that hold secrets: sealed at rest, masked in responses and exports. */
    java.util.Set<String> SECRET_KEYS = java.util.Set.of("password", "secret_access_key", "aws_secret_access_key");
}
