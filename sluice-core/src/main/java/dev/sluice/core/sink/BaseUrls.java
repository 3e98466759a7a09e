package dev.sluice.core.sink;

import java.net.URI;
import java.net.URISyntaxException;
import org.jspecify.annotations.Nullable;

/** The check of a configuration field that holds the base URL of an HTTP API (a search engine's endpoint). */
public final class BaseUrls {
    private BaseUrls() {}

    /**
     * Sequin's rules for a base URL: http or https with a host, no query, no fragment and no credentials (those go in
     * {@code credentialsField}). A trailing slash is dropped.
     *
     * @param field the key as users write it, where each problem is reported
     * @param example a URL shown when the value is missing
     * @throws InvalidConfigException at {@code field}
     */
    public static URI check(String field, @Nullable String value, String example, String credentialsField) {
        if (value == null || value.isBlank()) {
            throw new InvalidConfigException(field, "is required, like " + example);
        }
        String v = value.strip();
        URI uri;
        try {
            uri = new URI(v);
        } catch (URISyntaxException e) {
            throw new InvalidConfigException(field, "is not a valid URL: " + e.getReason());
        }
        if (uri.getScheme() == null) {
            throw new InvalidConfigException(field, "must include a scheme, ie. https://");
        }
        if (!uri.getScheme().equalsIgnoreCase("http") && !uri.getScheme().equalsIgnoreCase("https")) {
            throw new InvalidConfigException(field, "must include a valid scheme, ie. http or https");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new InvalidConfigException(field, "must include a host");
        }
        if (uri.getRawQuery() != null) {
            throw new InvalidConfigException(field, "must not include query params, found: " + uri.getRawQuery());
        }
        if (uri.getRawFragment() != null) {
            throw new InvalidConfigException(field, "must not include a fragment, found: " + uri.getRawFragment());
        }
        if (uri.getRawUserInfo() != null) {
            throw new InvalidConfigException(field, "must not include credentials; put the key in " + credentialsField);
        }
        while (v.endsWith("/")) {
            v = v.substring(0, v.length() - 1);
        }
        return URI.create(v);
    }
}
