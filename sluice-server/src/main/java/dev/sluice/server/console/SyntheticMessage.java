package dev.sluice.server.console;

import dev.sluice.server.config.DatabaseConfig;
import java.util.Locale;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * An insert into a table, in the message format, with a plausible value for each column by its type: what the
 * function editor tests with when no live message of the table was captured.
 */
final class SyntheticMessage {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private SyntheticMessage() {}

    /** {@code table} as {@code GET /api/postgres_databases/{id}/tables} renders it. */
    static ObjectNode of(DatabaseConfig d, ObjectNode table) {
        ObjectNode m = JSON.createObjectNode();
        ObjectNode record = m.putObject("record");
        for (JsonNode c : table.path("columns")) {
            record.set(
                    c.get("name").asString(),
                    sample(
                            c.get("type").asString(),
                            !c.path("primary_key_position").isNull()));
        }
        m.putNull("changes");
        m.put("action", "insert");
        ObjectNode meta = m.putObject("metadata");
        meta.put("table_schema", table.get("schema").asString());
        meta.put("table_name", table.get("name").asString());
        meta.put("commit_timestamp", "2026-01-01T00:00:00Z");
        meta.put("commit_lsn", 0);
        meta.put("commit_idx", 0);
        meta.put("idempotency_key", "synthetic");
        meta.put("database_name", d.name());
        meta.putObject("consumer")
                .put("id", "00000000-0000-0000-0000-000000000000")
                .put("name", "test")
                .putObject("annotations");
        ObjectNode db = meta.putObject("database");
        db.put("id", "00000000-0000-0000-0000-000000000000");
        db.put("name", d.name());
        db.putObject("annotations");
        db.put("database", d.database());
        db.put("hostname", d.hostname());
        return m;
    }

    private static JsonNode sample(String type, boolean key) {
        String t = type.toLowerCase(Locale.ROOT);
        if (t.endsWith("[]")) {
            return JSON.createArrayNode();
        }
        if (t.startsWith("smallint") || t.startsWith("integer") || t.startsWith("bigint")) {
            return JSON.getNodeFactory().numberNode(key ? 1 : 42);
        }
        if (t.startsWith("numeric") || t.startsWith("real") || t.startsWith("double")) {
            return JSON.getNodeFactory().numberNode(9.99);
        }
        if (t.equals("boolean")) {
            return JSON.getNodeFactory().booleanNode(true);
        }
        if (t.startsWith("json")) {
            return JSON.createObjectNode();
        }
        if (t.equals("uuid")) {
            return JSON.getNodeFactory().stringNode("00000000-0000-4000-8000-000000000001");
        }
        if (t.startsWith("timestamp")) {
            return JSON.getNodeFactory().stringNode("2026-01-01T00:00:00Z");
        }
        if (t.equals("date")) {
            return JSON.getNodeFactory().stringNode("2026-01-01");
        }
        return JSON.getNodeFactory().stringNode("example");
    }
}
