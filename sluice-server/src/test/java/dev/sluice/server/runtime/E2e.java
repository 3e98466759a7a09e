package dev.sluice.server.runtime;

import dev.sluice.testkit.TestPostgres;
import dev.sluice.testkit.WebhookReceiver;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import tools.jackson.databind.JsonNode;

/** Shared pieces of the server's end-to-end tests: a source database, a metadata database, a yaml file. */
final class E2e {
    private E2e() {}

    static final TestPostgres PG = TestPostgres.shared();

    /** A sluice.yaml with one database and one webhook sink; {@code sinkExtra} is spliced into the sink. */
    static String yaml(String db, String slot, WebhookReceiver receiver, String sinkExtra) {
        return yaml(hostConnection(PG.port(), db), slot, receiver, "", sinkExtra);
    }

    /** The connection keys of a database entry on localhost, as user postgres. */
    static String hostConnection(int port, String db) {
        return """
                hostname: localhost
                port: %d
                database: %s
                username: postgres
                """.formatted(port, db);
    }

    /**
     * A sluice.yaml with one database named {@code source} and one webhook sink named {@code hook}.
     *
     * @param connection the database entry's connection keys (hostname, port, ... or url), one per line
     * @param destinationExtra keys spliced into the sink's destination, e.g. {@code request_timeout_ms}
     * @param sinkExtra keys spliced into the sink, e.g. {@code batch_size} or {@code source}
     */
    static String yaml(
            String connection, String slot, WebhookReceiver receiver, String destinationExtra, String sinkExtra) {
        return yaml(connection, slot, receiver.url(), destinationExtra, sinkExtra);
    }

    /** As {@link #yaml(String, String, WebhookReceiver, String, String)}, for an endpoint at {@code url}. */
    static String yaml(String connection, String slot, URI url, String destinationExtra, String sinkExtra) {
        return """
                databases:
                  - name: source
                %s
                    slot:
                      name: %s
                      create_if_not_exists: true
                    publication:
                      name: %s
                      create_if_not_exists: true
                http_endpoints:
                  - name: receiver
                    url: %s
                    headers:
                      X-Test: yes
                sinks:
                  - name: hook
                    database: source
                    destination:
                      type: webhook
                      http_endpoint: receiver
                      http_endpoint_path: /events
                %s
                %s
                """.formatted(
                        connection.indent(4).stripTrailing(),
                        slot,
                        slot + "_pub",
                        url,
                        destinationExtra.indent(6).stripTrailing(),
                        sinkExtra.indent(4).stripTrailing());
    }

    static Path write(Path dir, String yaml) throws IOException {
        Path f = dir.resolve("sluice.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    static ServerOptions options(Path home, Path config, String metaDb) {
        return new ServerOptions(home, 0, config, null, PG.jdbcUrl(metaDb), null);
    }

    static void dropSlot(String db, String slot) {
        try {
            PG.execute(
                    db,
                    "SELECT pg_drop_replication_slot('" + slot + "') FROM pg_replication_slots WHERE slot_name = '"
                            + slot + "' AND NOT active");
        } catch (IllegalStateException e) {
            // best effort: the database is dropped with the JVM anyway
        }
    }

    /**
     * Messages sorted by their position in the source (commit LSN, index): delivery keeps each row's order, not the
     * order across rows, so tests about which changes arrived compare in commit order.
     */
    static List<JsonNode> inCommitOrder(List<JsonNode> messages) {
        return messages.stream()
                .sorted(java.util.Comparator.comparingLong((JsonNode m) ->
                                m.get("metadata").get("commit_lsn").asLong())
                        .thenComparingInt(
                                m -> m.get("metadata").get("commit_idx").asInt()))
                .toList();
    }

    static String idempotencyKey(JsonNode message) {
        JsonNode m = message.get("metadata");
        return Base64.getEncoder()
                .encodeToString((m.get("commit_lsn").asLong() + ":"
                                + m.get("commit_idx").asInt())
                        .getBytes(StandardCharsets.US_ASCII));
    }
}
