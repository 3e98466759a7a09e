package dev.sluice.sink.webhook;

import java.net.URI;
import java.time.Duration;

/**
 * Renders URLs and durations for operator-facing messages. URLs often carry credentials (user info,
 * {@code ?token=...}), so user info is dropped and query values are masked; parameter names stay to
 * help tell endpoints apart.
 */
final class Redaction {
    private Redaction() {}

    /** {@code https://user:pw@h.io/p?token=abc&x=1} becomes {@code https://h.io/p?token=***&x=***}. */
    static String url(URI uri) {
        StringBuilder s = new StringBuilder();
        if (uri.getScheme() != null) {
            s.append(uri.getScheme()).append(':');
        }
        if (uri.getHost() != null) {
            s.append("//").append(uri.getHost().contains(":") ? "[" + uri.getHost() + "]" : uri.getHost());
            if (uri.getPort() >= 0) {
                s.append(':').append(uri.getPort());
            }
        } else if (uri.getRawAuthority() != null) {
            s.append("//").append(withoutUserInfo(uri.getRawAuthority()));
        }
        if (uri.getRawPath() != null) {
            s.append(uri.getRawPath());
        }
        if (uri.getRawQuery() != null) {
            s.append('?').append(maskQuery(uri.getRawQuery()));
        }
        return s.toString();
    }

    /** Best effort for text that did not parse as a URL. */
    static String text(String url) {
        String s = url;
        int q = s.indexOf('?');
        if (q >= 0) {
            s = s.substring(0, q + 1) + maskQuery(s.substring(q + 1));
        }
        int scheme = s.indexOf("://");
        int at = s.indexOf('@', scheme < 0 ? 0 : scheme + 3);
        int slash = s.indexOf('/', scheme < 0 ? 0 : scheme + 3);
        if (at >= 0 && (slash < 0 || at < slash)) {
            s = (scheme < 0 ? "" : s.substring(0, scheme + 3)) + s.substring(at + 1);
        }
        return s;
    }

    /** {@code 30 s}, {@code 1500 ms}. */
    static String duration(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? (ms / 1000) + " s" : ms + " ms";
    }

    private static String withoutUserInfo(String authority) {
        int at = authority.lastIndexOf('@');
        return at < 0 ? authority : authority.substring(at + 1);
    }

    private static String maskQuery(String query) {
        StringBuilder s = new StringBuilder();
        for (String pair : query.split("&", -1)) {
            if (!s.isEmpty()) {
                s.append('&');
            }
            int eq = pair.indexOf('=');
            if (eq >= 0) {
                s.append(pair, 0, eq).append("=***");
            } else if (!pair.isEmpty()) {
                s.append("***"); // a bare value may itself be the token
            }
        }
        return s.toString();
    }
}
