package dev.sluice.server.runtime;

import dev.sluice.server.config.SluiceConfig;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * How to start the server.
 *
 * @param home data directory ({@code SLUICE_HOME}): embedded metadata Postgres, secret key
 * @param port HTTP port for health and the API (0 picks a free port)
 * @param configFile sluice.yaml to apply at start, or null
 * @param inlineConfig configuration to apply at start without a file (the demo), or null
 * @param databaseUrl external metadata Postgres ({@code SLUICE_DATABASE_URL}), or null for embedded
 * @param secretKey base64 AES key ({@code SLUICE_SECRET_KEY}), or null to use {@code home/secret.key}
 * @param apiToken an API token to accept ({@code SLUICE_API_TOKEN}), or null: then a first start creates one and
 *     prints it once
 */
public record ServerOptions(
        Path home,
        int port,
        @Nullable Path configFile,
        @Nullable SluiceConfig inlineConfig,
        @Nullable String databaseUrl,
        @Nullable String secretKey,
        @Nullable String apiToken) {
    public static final int DEFAULT_PORT = 7376;

    public ServerOptions(
            Path home,
            int port,
            @Nullable Path configFile,
            @Nullable SluiceConfig inlineConfig,
            @Nullable String databaseUrl,
            @Nullable String secretKey) {
        this(home, port, configFile, inlineConfig, databaseUrl, secretKey, null);
    }

    /** Never shows the secret key or the metadata database URL (it may hold a password). */
    @Override
    public String toString() {
        return "ServerOptions[home=" + home + ", port=" + port + ", configFile=" + configFile + ", inlineConfig="
                + (inlineConfig != null) + ", databaseUrl=" + (databaseUrl == null ? "embedded" : "***")
                + ", secretKey=" + (secretKey == null ? "file" : "***") + ", apiToken="
                + (apiToken == null ? "none" : "***") + "]";
    }
}
