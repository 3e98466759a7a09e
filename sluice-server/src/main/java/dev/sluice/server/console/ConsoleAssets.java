package dev.sluice.server.console;

import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The console's static files, read from the class path once and kept in memory (under a megabyte in all).
 *
 * <p>Not Javalin's class-path static files: Jetty serves those by mounting the jar as a zip file system, and for the
 * shaded {@code sluice.jar} (tens of thousands of entries) each mount keeps its whole central directory in the heap,
 * tens of megabytes, which a server with a small heap needs for messages.
 */
final class ConsoleAssets {
    static final String PATH = "/console/assets";
    private static final String ROOT = "/dev/sluice/server/console/assets/";
    // Names of files under ROOT: no "..", no absolute paths, nothing but these characters.
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*");
    private static final Map<String, String> TYPES = Map.of(
            "css", "text/css; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "woff2", "font/woff2",
            "json", "application/json");

    private final Map<String, Optional<Asset>> cache = new ConcurrentHashMap<>();

    /** Answers {@code GET /console/assets/<name>}: the file with its type and a validator, or 404. */
    void serve(Context ctx) {
        String name = ctx.path().substring(PATH.length() + 1);
        Optional<Asset> asset =
                NAME.matcher(name).matches() ? cache.computeIfAbsent(name, ConsoleAssets::load) : Optional.empty();
        ctx.header("X-Content-Type-Options", "nosniff");
        if (asset.isEmpty()) {
            ctx.status(HttpStatus.NOT_FOUND).result("Not found");
            return;
        }
        Asset a = asset.get();
        ctx.header("Cache-Control", "no-cache").header("ETag", a.etag());
        if (a.etag().equals(ctx.header("If-None-Match"))) {
            ctx.status(HttpStatus.NOT_MODIFIED);
            return;
        }
        ctx.contentType(a.contentType()).result(a.bytes());
    }

    private static Optional<Asset> load(String name) {
        int dot = name.lastIndexOf('.');
        String type = dot < 0 ? null : TYPES.get(name.substring(dot + 1).toLowerCase(Locale.ROOT));
        if (type == null) {
            return Optional.empty();
        }
        try (InputStream in = ConsoleAssets.class.getResourceAsStream(ROOT + name)) {
            if (in == null) {
                return Optional.empty();
            }
            byte[] bytes = in.readAllBytes();
            return Optional.of(new Asset(bytes, type, etag(bytes)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String etag(byte[] bytes) {
        try {
            byte[] sha = java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
            return "\"" + HexFormat.of().formatHex(sha, 0, 12) + "\"";
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private record Asset(byte[] bytes, String contentType, String etag) {}
}
