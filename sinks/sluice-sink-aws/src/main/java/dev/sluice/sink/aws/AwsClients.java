package dev.sluice.sink.aws;

import dev.sluice.core.sink.CheckResult;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsAsyncClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;

/**
 * The SDK clients of the AWS sinks, built one way: the configured region, static keys or the default credential chain,
 * the endpoint override, no SDK retries (the engine's retry policy applies) and a timeout on every call. Also the
 * skeleton of a sink's check: credentials first, then one call, its failure classified by {@link AwsFailure}.
 */
public final class AwsClients {
    // Connecting may take the call's timeout, but never longer than this.
    private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private AwsClients() {}

    /**
     * Builds an asynchronous client on Netty.
     *
     * @param builder the service's client builder, such as {@code SqsAsyncClient.builder()}
     * @param timeout how long one call may take (the api call timeout); the connect timeout is the same, at most 10 s
     * @param interceptors see each call (tests observe or change calls with them); usually empty
     * @param http the HTTP client's builder, with the service's own settings (its protocol, say); the connect
     *     timeout is set here
     */
    public static <B extends AwsClientBuilder<B, C> & AwsAsyncClientBuilder<B, C>, C> C asyncClient(
            B builder,
            AwsAccess access,
            Duration timeout,
            List<ExecutionInterceptor> interceptors,
            NettyNioAsyncHttpClient.Builder http) {
        Duration connect = timeout.compareTo(MAX_CONNECT_TIMEOUT) < 0 ? timeout : MAX_CONNECT_TIMEOUT;
        builder.region(Region.of(access.region()))
                .credentialsProvider(credentials(access))
                .httpClientBuilder(http.connectionTimeout(connect))
                // The engine owns retries; the SDK's own would only delay the failure.
                .overrideConfiguration(o -> o.apiCallTimeout(timeout)
                        .retryStrategy(AwsRetryStrategy.doNotRetry())
                        .executionInterceptors(interceptors));
        if (access.endpointUrl() != null) {
            builder.endpointOverride(access.endpointUrl());
        }
        return builder.build();
    }

    /** The configured static keys, or the SDK's default credential chain (environment, profile, task or instance role). */
    public static AwsCredentialsProvider credentials(AwsAccess access) {
        if (access.accessKeyId() != null && access.secretAccessKey() != null) {
            return StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(access.accessKeyId(), access.secretAccessKey()));
        }
        return DefaultCredentialsProvider.builder().build();
    }

    /** Where requests go, for messages: the endpoint override, or {@code https://<service>.<region>.amazonaws.com}. */
    public static String endpoint(AwsAccess access, String service) {
        return access.endpointUrl() != null
                ? access.endpointUrl().toString()
                : "https://" + service + "." + access.region() + ".amazonaws.com";
    }

    /**
     * A sink's check ({@code SinkProvider.check}): fails when no credentials resolve, else makes {@code call} and
     * classifies its failure. Never throws for the peer's answer.
     *
     * @param what names the peer, such as {@code "SQS queue https://..."}
     * @param call builds a client, makes the call and closes the client; returns what it found in an answer (a stream
     *     being deleted, say), or throws the SDK's exception
     * @param missing for a failed call's SDK exception (unwrapped): what to say when it means the queue or stream does
     *     not exist, such as {@code "queue does not exist"}; else null
     * @param permissions the IAM actions the sink needs, for an access-denied answer
     */
    public static CheckResult check(
            String what,
            AwsAccess access,
            String endpoint,
            Duration timeout,
            Supplier<CheckResult> call,
            Function<Throwable, @Nullable String> missing,
            String permissions) {
        CheckResult noCredentials = AwsFailure.noCredentials(what, credentials(access));
        if (noCredentials != null) {
            return noCredentials;
        }
        try {
            return call.get();
        } catch (RuntimeException e) {
            Throwable t = AwsFailure.unwrap(e);
            return AwsFailure.checkFailure(what, endpoint, timeout, t, missing.apply(t), permissions);
        }
    }
}
