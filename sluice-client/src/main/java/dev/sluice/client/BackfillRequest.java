package dev.sluice.client;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The body of {@link Backfills#create}. Without a {@code startPosition} it backfills the whole table, which needs
 * {@link Confirm#YES}: every row is delivered again to a sink that may already have them.
 *
 * @param body the JSON object sent
 */
public record BackfillRequest(JsonNode body) {
    public BackfillRequest {
        body = body.deepCopy();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Whether it reads the whole table (no {@code start_position}). */
    public boolean isWholeTable() {
        JsonNode p = body.get("start_position");
        return p == null || p.isNull();
    }

    @Nullable
    String table() {
        return Json.str(body, "table");
    }

    /** Builds a {@link BackfillRequest}. */
    public static final class Builder extends RequestBuilder<Builder> {
        Builder() {}

        /** {@code schema.table}; needed when the sink delivers several tables. */
        public Builder table(String table) {
            return set("table", nonBlank("table", table));
        }

        /** Reads in this column's order (required for a table without a primary key). */
        public Builder sortColumn(String column) {
            return set("sort_column", nonBlank("sort_column", column));
        }

        /** Only the rows whose sort column is at least this value (needs {@link #sortColumn}). */
        public Builder startPosition(String value) {
            return set("start_position", nonBlank("start_position", value));
        }

        public BackfillRequest build() {
            if (body.has("start_position") && !body.has("sort_column")) {
                throw new IllegalArgumentException(
                        "start_position needs sort_column: rows are selected by the sort column's value");
            }
            return new BackfillRequest(body);
        }
    }
}
