package dev.sluice.server.config;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A parsed Postgres connection URL: {@code postgres://}, {@code postgresql://} or {@code jdbc:postgresql://}, then
 * {@code [user[:password]@]host[:port]/database[?sslmode=...]}. User and password are percent-decoded. The query
 * may also carry {@code user}, {@code password} and {@code ssl}, as JDBC URLs do.
 *
 * <p>Error messages never include the URL, which may hold a password.
 */
public record PostgresUrl(
        String host,
        @Nullable Integer port,
        String database,
        @Nullable String user,
        @Nullable String password,
        @Nullable Boolean ssl) {
    private static final List<String> PREFIXES = List.of("postgres://", "postgresql://", "jdbc:postgresql://");

    public static PostgresUrl parse(String url) {
        String prefix = PREFIXES.stream()
                .filter(p -> url.regionMatches(true, 0, p, 0, p.length()))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(
                        "must start with postgres://, postgresql:// or jdbc:postgresql://"));
        String rest = url.substring(prefix.length());
        int q = rest.indexOf('?');
        String query = q < 0 ? "" : rest.substring(q + 1);
        rest = q < 0 ? rest : rest.substring(0, q);

        // The last '@' ends the user info, so an unencoded '@' or '/' in a password still parses.
        int at = rest.lastIndexOf('@');
        String userInfo = at < 0 ? null : rest.substring(0, at);
        String hostPart = rest.substring(at + 1);
        int slash = hostPart.indexOf('/');
        if (slash < 0 || slash == hostPart.length() - 1) {
            throw new IllegalArgumentException("the database name is missing (write .../<database> after the host)");
        }
        String database = decode(hostPart.substring(slash + 1), "database name");
        String hostPort = hostPart.substring(0, slash);

        String host;
        String portText = null;
        if (hostPort.startsWith("[")) {
            int close = hostPort.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("unbalanced '[' in the host");
            }
            host = hostPort.substring(1, close);
            String after = hostPort.substring(close + 1);
            if (after.startsWith(":")) {
                portText = after.substring(1);
            } else if (!after.isEmpty()) {
                throw new IllegalArgumentException("unexpected text after the IPv6 host");
            }
        } else {
            int colon = hostPort.indexOf(':');
            host = colon < 0 ? hostPort : hostPort.substring(0, colon);
            portText = colon < 0 ? null : hostPort.substring(colon + 1);
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("the host is missing");
        }
        if (host.contains(",")) {
            throw new IllegalArgumentException("several hosts are not supported; give one host");
        }
        Integer port = null;
        if (portText != null) {
            try {
                port = Integer.parseInt(portText);
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("the port must be a number between 1 and 65535");
            }
        }

        String user = null;
        String password = null;
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon), "user name");
            password = colon < 0 ? null : decode(userInfo.substring(colon + 1), "password");
        }
        Boolean ssl = null;
        for (String param : query.split("&")) {
            if (param.isEmpty()) {
                continue;
            }
            int eq = param.indexOf('=');
            String key = eq < 0 ? param : param.substring(0, eq);
            String value = eq < 0 ? "" : decode(param.substring(eq + 1), "'" + key + "' parameter");
            switch (key) {
                case "sslmode" -> ssl = sslMode(value);
                case "ssl" -> ssl = Boolean.parseBoolean(value);
                case "user" -> user = value;
                case "password" -> password = value;
                default ->
                    throw new IllegalArgumentException(
                            "unsupported URL parameter '" + key + "' (supported: sslmode, ssl, user, password)");
            }
        }
        return new PostgresUrl(host, port, database, user == null || user.isEmpty() ? null : user, password, ssl);
    }

    private static boolean sslMode(String mode) {
        return switch (mode) {
            case "disable" -> false;
            case "require" -> true;
            default ->
                throw new IllegalArgumentException(
                        "sslmode '" + mode + "' is not supported; use sslmode=require (TLS) or sslmode=disable");
        };
    }

    /** Strict percent-decoding as UTF-8; unlike URLDecoder, '+' stays a plus. */
    private static String decode(String text, String what) {
        if (text.indexOf('%') < 0) {
            return text;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        int i = 0;
        while (i < text.length()) {
            if (text.charAt(i) == '%') {
                if (i + 2 >= text.length()
                        || Character.digit(text.charAt(i + 1), 16) < 0
                        || Character.digit(text.charAt(i + 2), 16) < 0) {
                    throw new IllegalArgumentException(
                            "invalid percent-encoding in the " + what + " (write a literal '%' as %25)");
                }
                out.write(Character.digit(text.charAt(i + 1), 16) * 16 + Character.digit(text.charAt(i + 2), 16));
                i += 3;
            } else {
                int next = text.indexOf('%', i);
                int end = next < 0 ? text.length() : next;
                byte[] bytes = text.substring(i, end).getBytes(StandardCharsets.UTF_8);
                out.write(bytes, 0, bytes.length);
                i = end;
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
