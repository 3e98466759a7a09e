package dev.sluice.sink.sns;

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
 * Configuration of an {@link SnsSink}, validated on construction: an invalid value throws {@link
 * InvalidConfigException} at its field. Field names are Sequin's ({@code topic_arn}, {@code region}, {@code
 * access_key_id}, {@code secret_access_key}, {@code is_fifo}), plus Sluice's {@code endpoint_url} and {@code
 * request_timeout_ms}. Use {@link #of} to infer the region and the topic type from the ARN.
 *
 * <p>{@link #toString()} never shows the secret access key.
 *
 * @param topicArn the topic's ARN, {@code arn:aws:sns:<region>:<account>:<name>}
 * @param region AWS region that signs requests; the ARN's region
 * @param accessKeyId static credentials, with {@code secretAccessKey}; both null to use the SDK's default credential
 *     chain (environment, profile, container or instance role)
 * @param secretAccessKey see {@code accessKeyId}
 * @param fifo whether the topic is a FIFO topic; must match the {@code .fifo} suffix of its name
 * @param endpointUrl where requests go instead of the region's SNS endpoint (an emulator); null for AWS
 * @param requestTimeout how long one SNS call may take; positive
 */
public record SnsConfig(
        String topicArn,
        String region,
        @Nullable String accessKeyId,
        @Nullable String secretAccessKey,
        boolean fifo,
        @Nullable URI endpointUrl,
        Duration requestTimeout)
        implements AwsAccess {
    /** Used when no {@code request_timeout_ms} is configured. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

    // Topic names: 1 to 256 letters, digits, '-' or '_'; a FIFO topic's name ends in .fifo within those 256.
    private static final Pattern ARN = Pattern.compile(
            "arn:(aws[a-z-]*):sns:([a-z0-9-]+):([0-9]{12}):([A-Za-z0-9_-]{1,251}\\.fifo|[A-Za-z0-9_-]{1,256})");
    private static final String FIFO_SUFFIX = ".fifo";

    public SnsConfig {
        Objects.requireNonNull(topicArn, "topicArn");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Matcher arn = parseArn(topicArn);
        AwsChecks.region(region);
        if (!region.equals(arn.group(2))) {
            throw new InvalidConfigException(
                    "region",
                    "'" + region + "' differs from the topic's region '" + arn.group(2)
                            + "' in topic_arn; leave region unset or make them equal");
        }
        String name = arn.group(4);
        if (fifo != name.endsWith(FIFO_SUFFIX)) {
            throw new InvalidConfigException(
                    "is_fifo",
                    fifo
                            ? "is true but topic '" + name + "' is not a FIFO topic (FIFO topic names end in .fifo);"
                                    + " set is_fifo to false or use the FIFO topic's ARN"
                            : "is false but topic '" + name + "' is a FIFO topic (its name ends in .fifo); set is_fifo"
                                    + " to true or leave it unset");
        }
        AwsChecks.keys(accessKeyId, secretAccessKey);
        if (endpointUrl != null) {
            AwsChecks.httpUrl("endpoint_url", endpointUrl);
        }
        AwsChecks.requestTimeout(requestTimeout);
    }

    /**
     * Builds a configuration from Sequin's fields, inferring what is left out:
     *
     * <ul>
     *   <li>{@code region}: the ARN's;
     *   <li>{@code is_fifo}: from the topic name, true when it ends in {@code .fifo}; when given it must agree.
     * </ul>
     *
     * @param topicArn required
     * @param region null or blank for the ARN's region
     * @param accessKeyId null or blank, with {@code secretAccessKey}, for the default credential chain
     * @param secretAccessKey see {@code accessKeyId}
     * @param isFifo null to infer it
     * @param endpointUrl null or blank for AWS
     * @param requestTimeout null for {@link #DEFAULT_REQUEST_TIMEOUT}
     * @throws InvalidConfigException naming the field and how to fix it
     */
    public static SnsConfig of(
            String topicArn,
            @Nullable String region,
            @Nullable String accessKeyId,
            @Nullable String secretAccessKey,
            @Nullable Boolean isFifo,
            @Nullable String endpointUrl,
            @Nullable Duration requestTimeout) {
        if (topicArn == null || topicArn.isBlank()) {
            throw new InvalidConfigException(
                    "topic_arn", "is required, like arn:aws:sns:us-east-1:123456789012:orders");
        }
        String arn = topicArn.strip();
        Matcher m = parseArn(arn);
        String effectiveRegion = AwsChecks.blankToNull(region);
        return new SnsConfig(
                arn,
                effectiveRegion == null ? m.group(2) : effectiveRegion.strip(),
                AwsChecks.blankToNull(accessKeyId),
                AwsChecks.blankToNull(secretAccessKey),
                isFifo != null ? isFifo : m.group(4).endsWith(FIFO_SUFFIX),
                AwsChecks.optionalUrl("endpoint_url", endpointUrl),
                requestTimeout == null ? DEFAULT_REQUEST_TIMEOUT : requestTimeout);
    }

    /** As {@link #of(String, String, String, String, Boolean, String, Duration)} with the default timeout. */
    public static SnsConfig of(
            String topicArn,
            @Nullable String region,
            @Nullable String accessKeyId,
            @Nullable String secretAccessKey,
            @Nullable Boolean isFifo,
            @Nullable String endpointUrl) {
        return of(topicArn, region, accessKeyId, secretAccessKey, isFifo, endpointUrl, null);
    }

    /**
     * The ARN of a topic a routing function chose instead of {@code topic_arn}, checked as {@code topic_arn} is: an
     * SNS topic ARN in the sink's {@link #region()}, which signs every request, and of the sink's topic type, FIFO (a
     * name ending in {@code .fifo}) exactly when {@link #fifo()}: the sink sends FIFO fields to FIFO topics only.
     *
     * @param arn the routed value, as given
     * @throws InvalidConfigException at {@code topic_arn}, saying which rule the ARN breaks
     */
    public String routedTopicArn(String arn) {
        Matcher m = parseArn(arn);
        if (!region.equals(m.group(2))) {
            throw new InvalidConfigException(
                    "topic_arn",
                    "is in region '" + m.group(2) + "', but the sink signs its requests for region '" + region
                            + "'; route to topics of that region");
        }
        if (fifo != m.group(4).endsWith(FIFO_SUFFIX)) {
            throw new InvalidConfigException(
                    "topic_arn",
                    fifo
                            ? "is not a FIFO topic (its name does not end in .fifo), but the sink's topic is"
                                    + " (is_fifo: true); route to FIFO topics"
                            : "is a FIFO topic (its name ends in .fifo), but the sink's topic is not (is_fifo:"
                                    + " false); route to standard topics");
        }
        return arn;
    }

    /** The topic's name, the end of its ARN. */
    public String topicName() {
        return parseArn(topicArn).group(4);
    }

    private static Matcher parseArn(String arn) {
        Matcher m = ARN.matcher(arn);
        if (!m.matches()) {
            throw new InvalidConfigException(
                    "topic_arn",
                    "'" + arn + "' is not an SNS topic ARN; use the form arn:aws:sns:<region>:<12-digit"
                            + " account>:<name> (names: 1 to 256 letters, digits, '-' or '_', FIFO topics ending in"
                            + " .fifo)");
        }
        return m;
    }

    @Override
    public String toString() {
        return "SnsConfig[topicArn=" + topicArn + ", region=" + region + ", accessKeyId=" + accessKeyId
                + ", secretAccessKey=" + (secretAccessKey == null ? "null" : "***") + ", fifo=" + fifo
                + ", endpointUrl=" + endpointUrl + ", requestTimeout=" + requestTimeout.toMillis() + " ms]";
    }
}
