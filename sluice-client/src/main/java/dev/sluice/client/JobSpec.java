package dev.sluice.client;

import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The body of {@link Jobs#create}: the JobSpec of a replication command (see docs/replication.md). An {@code init}
 * with {@code drop_existing} needs {@link Confirm#YES}: it drops the target's tables.
 *
 * <p><b>Warning:</b> the URLs hold credentials; the server seals them and never returns them, and
 * {@link #toString()} masks them.
 *
 * @param body the JSON object sent
 */
public record JobSpec(JsonNode body) {
    public JobSpec {
        body = body.deepCopy();
    }

    /** A spec of {@code command}: {@code validate}, {@code init}, {@code sync}, {@code status} or {@code verify}. */
    public static Builder builder(String command, String sourceUrl, String targetUrl) {
        return new Builder(command, sourceUrl, targetUrl);
    }

    /** Whether it is an {@code init} that drops the target's existing tables. */
    public boolean dropsExisting() {
        return "init".equals(Json.str(body, "command"))
                && body.path("options").path("drop_existing").asBoolean(false);
    }

    @Override
    public String toString() {
        return "JobSpec[command=" + Json.str(body, "command") + ", urls=***]";
    }

    /** Builds a {@link JobSpec}. */
    public static final class Builder extends RequestBuilder<Builder> {
        private static final List<String> COMMANDS = List.of("validate", "init", "sync", "status", "verify");

        Builder(String command, String sourceUrl, String targetUrl) {
            if (!COMMANDS.contains(command)) {
                throw new IllegalArgumentException("command must be one of " + COMMANDS + ", got '" + command + "'");
            }
            set("schema_version", "1.0");
            set("command", command);
            set("source_url", nonBlank("source_url", sourceUrl));
            set("target_url", nonBlank("target_url", targetUrl));
        }

        public Builder includeTables(String... tables) {
            object("filter").set("include_tables", Json.tree(List.of(tables)));
            return this;
        }

        public Builder excludeTables(String... tables) {
            object("filter").set("exclude_tables", Json.tree(List.of(tables)));
            return this;
        }

        /** Per table ({@code schema.table}), an SQL predicate on its rows. */
        public Builder tableFilters(Map<String, String> filters) {
            object("filter").set("table_filters", Json.tree(filters));
            return this;
        }

        /** init: drop the target's tables of the same names first. Creating such a job needs {@link Confirm#YES}. */
        public Builder dropExisting(boolean dropExisting) {
            object("options").put("drop_existing", dropExisting);
            return this;
        }

        /** Tables copied at once, 1 to 64. */
        public Builder parallelism(int parallelism) {
            if (parallelism < 1 || parallelism > 64) {
                throw new IllegalArgumentException("parallelism must be between 1 and 64, got " + parallelism);
            }
            object("options").put("parallelism", parallelism);
            return this;
        }

        public JobSpec build() {
            return new JobSpec(body);
        }
    }
}
