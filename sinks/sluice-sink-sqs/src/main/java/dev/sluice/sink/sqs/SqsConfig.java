package dev.sluice.sink.sqs;

import dev.sluice.core.sink.InvalidConfigException;
import dev.sluice.sink.aws.AwsAccess;
import dev.sluice.sink.aws.AwsChecks;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Configuration of an {@link SqsSink}, validated on construction: an invalid value throws {@link
 * InvalidConfigException} at its field. Field names are Sequin's
 * ({@code queue_url}, {@code region}, {@code access_key_id}, {@code secret_access_key}, {@code is_fifo}), plus
 * Sluice's {@code endpoint_url} and {@code request_timeout_ms}. Use {@link #of} to infer the region and the queue type
 * from the queue URL.
 *
 * <p>{@link #toString()} never shows the secret access key.
 *
 * @param queueUrl the queue's URL, {@code https://sqs.<region>.amazonaws.com/<account>/<name>}; its last path segment
 *     is the queue name
 * @param region AWS region that signs requests, such as {@code us-east-1}
 * @param accessKeyId static credentials, with {@code secretAccessKey}; both null to use the SDK's default credential
 *     chain (environment, profile, container or instance role)
 * @param secretAccessKey see {@code accessKeyId}
 * @param fifo whether the queue is a FIFO queue; must match the {@code .fifo} suffix of its name
 * @param endpointUrl where requests go instead of the region's SQS endpoint (an emulator such as ElasticMQ); null for
 *     AWS. Required when the queue URL's host is not an AWS host
 * @param requestTimeout how long one SQS call may take, retries of the HTTP client included; positive
 */
public record SqsConfig(
        URI queueUrl,
        String region,
        @Nullable String accessKeyId,
        @Nullable String secretAccessKey,
        boolean fifo,
        @Nullable URI endpointUrl,
        Duration requestTimeout)
        implements AwsAccess {
    /** Used when no {@code request_timeout_ms} is configured. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

    // sqs.<region>.amazonaws.com[.cn] and the legacy <region>.queue.amazonaws.com.
    private static final Pattern SQS_HOST = Pattern.compile("sqs\\.([a-z0-9-]+)\\.amazonaws\\.com(\\.cn)?");
    private static final Pattern LEGACY_HOST = Pattern.compile("([a-z0-9-]+)\\.queue\\.amazonaws\\.com(\\.cn)?");
    private static final Pattern QUEUE_NAME = Pattern.compile("[A-Za-z0-9_-]{1,75}(\\.fifo)?|[A-Za-z0-9_-]{1,80}");
    private static final String FIFO_SUFFIX = ".fifo";

    public SqsConfig {
        Objects.requireNonNull(queueUrl, "queueUrl");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        String name = queueName(queueUrl);
        AwsChecks.region(region);
        AwsChecks.keys(accessKeyId, secretAccessKey);
        if (fifo != name.endsWith(FIFO_SUFFIX)) {
            throw new InvalidConfigException(
                    "is_fifo",
                    fifo
                            ? "is true but queue '" + name
                                    + "' is not a FIFO queue (FIFO queue names end in .fifo); set"
                                    + " is_fifo to false or use the FIFO queue's URL"
                            : "is false but queue '" + name + "' is a FIFO queue (its name ends in .fifo); set is_fifo"
                                    + " to true or leave it unset");
        }
        if (endpointUrl != null) {
            AwsChecks.httpUrl("endpoint_url", endpointUrl);
        } else if (!isAwsHost(queueUrl.getHost())) {
            throw new InvalidConfigException(
                    "endpoint_url",
                    "queue_url host '" + queueUrl.getHost()
                            + "' is not an AWS SQS host; set endpoint_url to the emulator's address (such as"
                            + " http://localhost:9324)");
        }
        AwsChecks.requestTimeout(requestTimeout);
    }

    /**
     * Builds a configuration from Sequin's fields, inferring what is left out:
     *
     * <ul>
     *   <li>{@code region}: from the queue URL's host, {@code sqs.<region>.amazonaws.com} or {@code
     *       <region>.queue.amazonaws.com}; required when the host names no region (an emulator);
     *   <li>{@code is_fifo}: from the queue name, true when it ends in {@code .fifo}; when given it must agree.
     * </ul>
     *
     * @param queueUrl required
     * @param region null or blank to infer it
     * @param accessKeyId null or blank, with {@code secretAccessKey}, for the default credential chain
     * @param secretAccessKey see {@code accessKeyId}
     * @param isFifo null to infer it
     * @param endpointUrl null or blank for AWS
     * @param requestTimeout null for {@link #DEFAULT_REQUEST_TIMEOUT}
     * @throws InvalidConfigException naming the field and how to fix it
     */
    public static SqsConfig of(
            String queueUrl,
            @Nullable String region,
            @Nullable String accessKeyId,
            @Nullable String secretAccessKey,
            @Nullable Boolean isFifo,
            @Nullable String endpointUrl,
            @Nullable Duration requestTimeout) {
        if (queueUrl == null || queueUrl.isBlank()) {
            throw new InvalidConfigException(
                    "queue_url", "is required, like https://sqs.us-east-1.amazonaws.com/123456789012/orders");
        }
        URI url = AwsChecks.parseUrl("queue_url", queueUrl.strip());
        String name = queueName(url);
        String effectiveRegion = AwsChecks.blankToNull(region);
        if (effectiveRegion == null) {
            effectiveRegion = regionOf(url.getHost());
            if (effectiveRegion == null) {
                throw new InvalidConfigException(
                        "region",
                        "cannot be inferred from queue_url host '" + url.getHost()
                                + "' (not sqs.<region>.amazonaws.com); set region, such as us-east-1");
            }
        }
        boolean fifo = isFifo != null ? isFifo : name.endsWith(FIFO_SUFFIX);
        return new SqsConfig(
                url,
                effectiveRegion.strip(),
                AwsChecks.blankToNull(accessKeyId),
                AwsChecks.blankToNull(secretAccessKey),
                fifo,
                AwsChecks.optionalUrl("endpoint_url", endpointUrl),
                requestTimeout == null ? DEFAULT_REQUEST_TIMEOUT : requestTimeout);
    }

    /** As {@link #of(String, String, String, String, Boolean, String, Duration)} with the default timeout. */
    public static SqsConfig of(
            String queueUrl,
            @Nullable String region,
            @Nullable String accessKeyId,
            @Nullable String secretAccessKey,
            @Nullable Boolean isFifo,
            @Nullable String endpointUrl) {
        return of(queueUrl, region, accessKeyId, secretAccessKey, isFifo, endpointUrl, null);
    }

    /**
     * The URL of a queue a routing function chose instead of {@code queue_url}, checked as {@code queue_url} is: an
     * http(s) URL whose path ends in an account and a valid queue name, on an AWS SQS host unless {@code endpoint_url}
     * is set. It must also be of the sink's queue type, FIFO (a name ending in {@code .fifo}) exactly when {@link
     * #fifo()}: the sink sends FIFO fields to FIFO queues only.
     *
     * @param url the routed value, as given
     * @throws InvalidConfigException at {@code queue_url}, saying which rule the URL breaks
     */
    public URI routedQueueUrl(String url) {
        URI parsed = AwsChecks.parseUrl("queue_url", url);
        String name = queueName(parsed);
        if (endpointUrl == null && !isAwsHost(parsed.getHost())) {
            throw new InvalidConfigException(
                    "queue_url",
                    "has host '" + parsed.getHost() + "', not an AWS SQS host (the sink has no endpoint_url)");
        }
        if (fifo != name.endsWith(FIFO_SUFFIX)) {
            throw new InvalidConfigException(
                    "queue_url",
                    fifo
                            ? "is not a FIFO queue (its name does not end in .fifo), but the sink's queue is"
                                    + " (is_fifo: true); route to FIFO queues"
                            : "is a FIFO queue (its name ends in .fifo), but the sink's queue is not (is_fifo:"
                                    + " false); route to standard queues");
        }
        return parsed;
    }

    /** The queue's name, the last segment of its URL's path. */
    public String queueName() {
        return queueName(queueUrl);
    }

    /** The region named by an SQS host, or null when the host names none. */
    static @Nullable String regionOf(@Nullable String host) {
        if (host == null) {
            return null;
        }
        String h = host.toLowerCase(Locale.ROOT);
        Matcher m = SQS_HOST.matcher(h);
        if (m.matches()) {
            return m.group(1);
        }
        m = LEGACY_HOST.matcher(h);
        if (m.matches()) {
            return m.group(1);
        }
        return h.equals("queue.amazonaws.com") ? "us-east-1" : null;
    }

    private static boolean isAwsHost(@Nullable String host) {
        if (host == null) {
            return false;
        }
        String h = host.toLowerCase(Locale.ROOT);
        return h.endsWith(".amazonaws.com") || h.endsWith(".amazonaws.com.cn");
    }

    private static String queueName(URI url) {
        AwsChecks.httpUrl("queue_url", url);
        String path = url.getPath() == null ? "" : url.getPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        int slash = path.lastIndexOf('/');
        String name = slash < 0 ? path : path.substring(slash + 1);
        if (slash <= 0 || name.isEmpty()) {
            throw new InvalidConfigException(
                    "queue_url",
                    "'" + url
                            + "' has no account and queue name in its path; use the queue's URL, like"
                            + " https://sqs.us-east-1.amazonaws.com/123456789012/orders");
        }
        if (!QUEUE_NAME.matcher(name).matches()) {
            throw new InvalidConfigException(
                    "queue_url",
                    "'" + name + "' is not a valid queue name (1 to 80"
                            + " letters, digits, '-' or '_', FIFO queues ending in .fifo)");
        }
        return name;
    }

    @Override
    public String toString() {
        return "SqsConfig[queueUrl=" + queueUrl + ", region=" + region + ", accessKeyId=" + accessKeyId
                + ", secretAccessKey=" + (secretAccessKey == null ? "null" : "***") + ", fifo=" + fifo
                + ", endpointUrl=" + endpointUrl + ", requestTimeout=" + requestTimeout.toMillis() + " ms]";
    }
}
