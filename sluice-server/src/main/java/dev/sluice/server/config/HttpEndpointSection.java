package dev.sluice.server.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Reads one entry of {@code http_endpoints}. */
final class HttpEndpointSection {
    static final List<String> KEYS = List.of("name", "url", "headers", "encrypted_headers");
    private static final Map<String, String> REJECTED = Map.of(
            "webhook.site", "webhook.site endpoints are not supported; give the endpoint's 'url' instead",
            "local", "local tunnel endpoints are not supported; give 'url: http://localhost:<port>/<path>' instead",
            "path",
                    "'path' belongs to Sequin's local tunnel endpoints, which are not supported; put the path in 'url'");
    /** Headers the webhook sink's HTTP client sets itself (as WebhookConfig refuses them). */
    private static final Set<String> RESTRICTED = Set.of("connection", "content-length", "expect", "host", "upgrade");

    private static final List<String> HEADER_ITEM_KEYS = List.of("key", "value");
    /** RFC 9110 token characters. */
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    private HttpEndpointSection() {}

    static @Nullable HttpEndpointConfig read(YamlNode node, String path, Problems problems) {
        int before = problems.count();
        Fields f = Fields.of(node, path, problems, KEYS, REJECTED, Set.of());
        if (f == null) {
            return null;
        }
        String name = f.requiredString("name");
        URI url = null;
        if (!f.present("webhook.site") && !f.present("local")) {
            String text = f.requiredString("url");
            if (text != null) {
                url = url(f, "url", text.strip());
            }
        }
        Map<String, YamlNode.Mark> seen = new HashMap<>();
        Map<String, String> headers = headers(f, "headers", seen);
        Map<String, String> encrypted = headers(f, "encrypted_headers", seen);
        if (problems.count() > before || name == null || url == null) {
            return null;
        }
        return new HttpEndpointConfig(name, url, headers, encrypted);
    }

    static @Nullable URI url(Fields f, String key, String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            f.problem(key, "invalid URL: " + e.getReason() + " at index " + e.getIndex());
            return null;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            f.problem(key, "must be an http:// or https:// URL, got '" + text + "'");
            return null;
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            f.problem(key, "the URL has no host: '" + text + "'");
            return null;
        }
        return uri;
    }

    /** Accepts {@code {Name: value}} or Sequin's {@code [{key: Name, value: v}]}. */
    private static Map<String, String> headers(Fields f, String key, Map<String, YamlNode.Mark> seen) {
        Map<String, String> out = new LinkedHashMap<>();
        YamlNode node = f.node(key);
        if (node == null) {
            return out;
        }
        String path = f.path(key);
        Problems problems = f.problems();
        switch (node) {
            case YamlNode.Mapping map -> {
                for (YamlNode.Entry e : map.entries().values()) {
                    put(out, seen, e.key(), e.keyMark(), e.value(), Fields.join(path, e.key()), problems);
                }
            }
            case YamlNode.Sequence seq -> {
                for (int i = 0; i < seq.items().size(); i++) {
                    String itemPath = path + "[" + i + "]";
                    Fields item =
                            Fields.of(seq.items().get(i), itemPath, problems, HEADER_ITEM_KEYS, Map.of(), Set.of());
                    if (item == null) {
                        continue;
                    }
                    String name = item.requiredString("key");
                    YamlNode value = item.node("value");
                    if (value == null) {
                        problems.add(item.mark(), item.path("value"), "required key is missing");
                    } else if (name != null) {
                        put(out, seen, name, item.mark("key"), value, item.path("value"), problems);
                    }
                }
            }
            case YamlNode.Scalar s ->
                problems.add(
                        s.mark(),
                        path,
                        "expected a mapping {Name: value} or a list [{key: Name, value: v}], got " + s.describe());
        }
        return out;
    }

    private static void put(
            Map<String, String> out,
            Map<String, YamlNode.Mark> seen,
            String name,
            YamlNode.Mark nameMark,
            YamlNode value,
            String path,
            Problems problems) {
        if (!HEADER_NAME.matcher(name).matches()) {
            problems.add(nameMark, path, "invalid header name '" + name + "'");
            return;
        }
        if (RESTRICTED.contains(name.toLowerCase(Locale.ROOT))) {
            problems.add(nameMark, path, "header '" + name + "' is set by the HTTP client and cannot be configured");
            return;
        }
        YamlNode.Mark first = seen.putIfAbsent(name.toLowerCase(Locale.ROOT), nameMark);
        if (first != null) {
            problems.add(nameMark, path, "header '" + name + "' is already given at line " + first.line());
            return;
        }
        if (YamlNode.isBroken(value)) {
            return;
        }
        if (!(value instanceof YamlNode.Scalar s) || s.value() == null) {
            problems.add(value.mark(), path, "expected a string header value, got " + value.describe());
            return;
        }
        if (s.value().indexOf('\r') >= 0 || s.value().indexOf('\n') >= 0) {
            problems.add(value.mark(), path, "header values cannot contain line breaks");
            return;
        }
        // The webhook sink's own check (WebhookConfig), made here so that the store never holds a header the sink
        // then refuses. The value stays out of the message: it may be a credential.
        if (s.value().chars().anyMatch(c -> c < 0x20 && c != '\t' || c == 0x7f || c > 0xff)) {
            problems.add(
                    value.mark(), path, "header values may contain only tab, visible ASCII and Latin-1 characters");
            return;
        }
        out.put(name, s.value());
    }
}
