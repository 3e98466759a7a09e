package dev.sluice.functions;

import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/** Messages in the encoder's shape, for tests. */
final class Messages {
    private Messages() {}

    static byte[] insert(String recordJson) {
        return message("insert", recordJson, null);
    }

    static byte[] update(String recordJson, String changesJson) {
        return message("update", recordJson, changesJson);
    }

    static byte[] message(String action, String recordJson, @Nullable String changesJson) {
        String json = "{\"record\":" + recordJson + ",\"changes\":" + changesJson + ",\"action\":\"" + action + "\","
                + "\"metadata\":{\"table_schema\":\"public\",\"table_name\":\"orders\","
                + "\"commit_timestamp\":\"2025-01-01T00:00:00.000000Z\",\"commit_lsn\":16777216,\"commit_idx\":0,"
                + "\"idempotency_key\":\"MTY3NzcyMTY6MA==\",\"record_pks\":[\"1\"],\"transaction_annotations\":null,"
                + "\"enrichment\":null,\"consumer\":{\"id\":\"c1\",\"name\":\"orders-sink\",\"annotations\":{}},"
                + "\"database\":{\"id\":\"d1\",\"name\":\"shop\",\"annotations\":{},\"database\":\"shop\","
                + "\"hostname\":\"localhost\"},\"database_name\":\"shop\"}}";
        return json.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] json) {
        return new String(json, StandardCharsets.UTF_8);
    }
}
