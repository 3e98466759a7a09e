package dev.sluice.sink.kinesis;

import dev.sluice.core.sink.InvalidConfigException;
import dev.sluice.sink.aws.AwsAccess;
import dev.sluice.sink.aws.AwsChecks;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Configuration of a {@link KinesisSink}, validated on construction: an invalid value throws {@link
 * InvalidConfigException} at its field. Field names are Sequin's
 * ({@code stream_arn}, {@code region}, {@code access_key_id}, {@code secret_access_key}), plus Sluice's {@code
 * endpoint_url} and {@code request_timeout_ms}. Use {@link #of} to infer the region from the ARN.
 *
 * <p>{@link #toString()} never shows the secret access key.
 *
 * @param streamArn the stream's ARN, {@code arn:aws:kinesis:<region>:<account>:stream/<name>}
 * @param region AWS region that signs requests; the ARN's region
 * @param accessKeyId static credentials, with {@code secretAccessKey}; both null to use the SDK's default credential
 *     chain (environment, profile, container or instance role)
 * @param secretAccessKey see {@code accessKeyId}
 * @param endpointUrl where requests go instead of the region's Kinesis endpoint (an emulator); null for AWS
 * @param requestTimeout how long one Kinesis call may take; positive
 */
public record KinesisConfig(
        String streamArn,
        String region,
        @Nullable String accessKeyId,
        @Nullable String secretAccessKey,
        @Nullable URI endpointUrl,
        Duration requestTimeout)
        implements AwsAccess {
    /** Used when no {@code request_timeout_ms} is configured. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private static final Pattern ARN =
            Pattern.compile("arn:(aws[a-z-]*):kinesis:([a-z0-9-]+):([0-9]{12}):stream/([A-Za-z0-9_.-]{1,128})");

    public KinesisConfig {
        Objects.requireNonNull(streamArn, "streamArn");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Matcher arn = parseArn(streamArn);
        AwsChecks.region(region);
        if (!region.equals(arn.group(2))) {
            throw new InvalidConfigException(
                    "region",
                    "'" + region + "' differs from the stream's region '" + arn.group(2)
                            + "' in stream_arn; leave region unset or make them equal");
        }
        AwsChecks.keys(accessKeyId, secretAccessKey);
        if (endpointUrl != null) {
            AwsChecks.httpUrl("endpoint_url", endpointUrl);
        }
        AwsChecks.requestTimeout(requestTimeout);
    }

    /**
     * Builds a configuration from Sequin's fields; {@code region}, when left out, is the ARN's.
     *
     * @param streamArn required
     * @param region null or blank for the ARN's region
     * @param accessKeyId null or blank, with {@code secretAccessKey}, for the default credential chain
     * @param secretAccessKey see {@code accessKeyId}
     * @param endpointUrl null or blank for AWS
     * @param requestTimeout null for {@link #DEFAULT_REQUEST_TIMEOUT}
     * @throws InvalidConfigException naming the field and how to fix it
     */
    public static KinesisConfig of(
            String streamArn,
            @Nullable String region,
            @Nullable String accessKeyId,
            @Nullable String secretAccessKey,
            @Nullable String endpointUrl,
            @Nullable Duration requestTimeout) {
        if (streamArn == null || streamArn.isBlank()) {
            throw new InvalidConfigException(
                    "stream_arn", "is required, like arn:aws:kinesis:us-east-1:123456789012:stream/orders");
        }
        String arn = streamArn.strip();
        String effectiveRegion = AwsChecks.blankToNull(region);
        return new KinesisConfig(
                arn,
                effectiveRegion == null ? parseArn(arn).group(2) : effectiveRegion.strip(),
                AwsChecks.blankToNull(accessKeyId),
                AwsChecks.blankToNull(secretAccessKey),
                AwsChecks.optionalUrl("endpoint_url", endpointUrl),
                requestTimeout == null ? DEFAULT_REQUEST_TIMEOUT : requestTimeout);
    }

    /** As {@link #of(String, String, String, String, String, Duration)} with the default timeout. */
    public static KinesisConfig of(
            String streamArn,
            @Nullable String region,
            @Nullable String accessKeyId,
            @Nullable String secretAccessKey,
            @Nullable String endpointUrl) {
        return of(streamArn, region, accessKeyId, secretAccessKey, endpointUrl, null);
    }

    /**
     * The ARN of a stream a routing function chose instead of {@code stream_arn}, checked as {@code stream_arn} is: a
     * Kinesis stream ARN in the sink's {@link #region()}, which signs every request.
     *
     * @param arn the routed value, as given
     * @throws InvalidConfigException at {@code stream_arn}, saying which rule the ARN breaks
     */
    public String routedStreamArn(String arn) {
        String arnRegion = parseArn(arn).group(2);
        if (!region.equals(arnRegion)) {
            throw new InvalidConfigException(
                    "stream_arn",
                    "is in region '" + arnRegion + "', but the sink signs its requests for region '" + region
                            + "'; route to streams of that region");
        }
        return arn;
    }

    /** The stream's name, the end of its ARN. */
    public String streamName() {
        return parseArn(streamArn).group(4);
    }

    private static Matcher parseArn(String arn) {
        Matcher m = ARN.matcher(arn);
        if (!m.matches()) {
            throw new InvalidConfigException(
                    "stream_arn",
                    "'" + arn + "' is not a Kinesis stream ARN; use the form"
                            + " arn:aws:kinesis:<region>:<12-digit account>:stream/<name>");
        }
        return m;
    }

    @Override
    public String toString() {
        return "KinesisConfig[streamArn=" + streamArn + ", region=" + region + ", accessKeyId=" + accessKeyId
                + ", secretAccessKey=" + (secretAccessKey == null ? "null" : "***") + ", endpointUrl=" + endpointUrl
                + ", requestTimeout=" + requestTimeout.toMillis() + " ms]";
    }
}
