package dev.sluice.sink.aws;

import java.net.URI;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * How an AWS sink reaches its service: the part of its configuration record that {@link AwsClients} builds the client
 * from. The record's compact constructor validates these fields with {@link AwsChecks}.
 */
public interface AwsAccess {
    /** The region that signs requests, such as {@code us-east-1}. */
    String region();

    /** Static credentials, with {@link #secretAccessKey()}; both null for the SDK's default credential chain. */
    @Nullable
    String accessKeyId();

    /** See {@link #accessKeyId()}. */
    @Nullable
    String secretAccessKey();

    /** Where requests go instead of the region's endpoint (an emulator); null for AWS. */
    @Nullable
    URI endpointUrl();

    /** How long one call may take; positive. */
    Duration requestTimeout();
}
