package dev.sluice.sink.aws;

import dev.sluice.core.sink.InvalidConfigException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The checks of the {@link AwsAccess} fields, with the same messages for every AWS sink, for its configuration
 * record's compact constructor and factory. Each throws {@link InvalidConfigException} at its field, named as Sequin
 * names it.
 */
public final class AwsChecks {
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z0-9]+)+-[0-9]+");

    private AwsChecks() {}

    /** Rejects {@code region} unless it reads like an AWS region name. */
    public static void region(String region) {
        if (!REGION.matcher(region).matches()) {
            throw new InvalidConfigException(
                    "region", "'" + region + "' is not an AWS region name; use one like us-east-1 or eu-west-2");
        }
    }

    /** Rejects one key without the other, and blank keys. */
    public static void keys(@Nullable String accessKeyId, @Nullable String secretAccessKey) {
        if ((accessKeyId == null) != (secretAccessKey == null)) {
            throw new InvalidConfigException(
                    accessKeyId == null ? "access_key_id" : "secret_access_key",
                    "set access_key_id and secret_access_key together, or neither to use the default credential"
                            + " chain");
        }
        if (accessKeyId != null && accessKeyId.isBlank()) {
            throw new InvalidConfigException("access_key_id", "is blank; set it or leave both keys unset");
        }
        if (secretAccessKey != null && secretAccessKey.isBlank()) {
            throw new InvalidConfigException("secret_access_key", "is blank; set it or leave both keys unset");
        }
    }

    /** Rejects {@code url} unless it is an http(s) URL with a host and no user info. */
    public static void httpUrl(String field, URI url) {
        // First, so that later messages may show the URL.
        if (url.getRawUserInfo() != null) {
            throw new InvalidConfigException(
                    field, "must not contain user info; use access_key_id and secret_access_key");
        }
        String scheme = url.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
            throw new InvalidConfigException(field, "must start with https:// or http://, got '" + url + "'");
        }
        if (url.getHost() == null || url.getHost().isEmpty()) {
            throw new InvalidConfigException(field, "'" + url + "' has no host");
        }
    }

    /** Rejects a zero or negative {@code request_timeout_ms}. */
    public static void requestTimeout(Duration requestTimeout) {
        if (requestTimeout.isZero() || requestTimeout.isNegative()) {
            throw new InvalidConfigException(
                    "request_timeout_ms", "must be positive, got " + requestTimeout.toMillis() + " ms");
        }
    }

    /** {@code text}, stripped, as a URI; null when null or blank. Not checked further (see {@link #httpUrl}). */
    public static @Nullable URI optionalUrl(String field, @Nullable String text) {
        return text == null || text.isBlank() ? null : parseUrl(field, text.strip());
    }

    /** {@code text} as a URI; not checked further (see {@link #httpUrl}). */
    public static URI parseUrl(String field, String text) {
        try {
            return new URI(text);
        } catch (URISyntaxException e) {
            throw new InvalidConfigException(field, "is not a valid URL (" + e.getReason() + "): '" + text + "'");
        }
    }

    /** Null for null or blank, as the configuration factories read an optional field. */
    public static @Nullable String blankToNull(@Nullable String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
