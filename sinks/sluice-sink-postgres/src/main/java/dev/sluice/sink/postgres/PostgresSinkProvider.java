package dev.sluice.sink.postgres;

import dev.sluice.core.Action;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigField;
import dev.sluice.core.sink.ConfigSchema;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkProvider;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The {@code postgres} destination: applies each sink's changes to tables of a target Postgres, a replica kept by
 * primary key. See docs/sinks/postgres.md.
 */
public final class PostgresSinkProvider implements SinkProvider<PostgresSinkConfig> {
    public static final String TYPE = "postgres";

    static final int DEFAULT_BATCH_SIZE = 1000;

    private static final ConfigSchema SCHEMA = ConfigSchema.of(
            ConfigField.string("host", "The target Postgres server's host name or address")
                    .asRequired(),
            ConfigField.integer("port", "Its port").range(1, 65_535).defaultValue((long)
                    PostgresSinkConfig.DEFAULT_PORT),
            ConfigField.string("database_name", "The target database changes are applied to")
                    .asRequired(),
            ConfigField.string("username", "The role changes are applied as").asRequired(),
            ConfigField.string("password", "Its password").asSecret(),
            ConfigField.bool("ssl", "Require TLS (sslmode=require); off is sslmode=disable")
                    .defaultValue(false),
            ConfigField.string(
                    "target_schema", "The schema every table is written to; by default the source table's own schema"),
            ConfigField.bool(
                            "auto_add_columns",
                            "Add a column the target table lacks, with the source column's type, instead of failing")
                    .defaultValue(false),
            ConfigField.bool(
                            "skip_target_triggers",
                            "Apply with session_replication_role = replica, as Postgres's own logical replication:"
                                    + " foreign keys and triggers on the target do not fire (needs a superuser, or"
                                    + " the SET privilege on that parameter on Postgres 15+)")
                    .defaultValue(true),
            ConfigField.integer("max_connections", "How many batches may be applied at once, one connection each")
                    .range(1, 64)
                    .defaultValue((long) PostgresSinkConfig.DEFAULT_MAX_CONNECTIONS),
            ConfigField.integer("statement_timeout_ms", "How long one batch's transaction may take")
                    .range(1, 3_600_000)
                    .defaultValue(PostgresSinkConfig.DEFAULT_STATEMENT_TIMEOUT.toMillis()));

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public String description() {
        return "Applies changes to tables of a target Postgres: upserts and deletes by primary key, a batch per"
                + " transaction";
    }

    @Override
    public ConfigSchema schema() {
        return SCHEMA;
    }

    @Override
    public Configured<PostgresSinkConfig> configure(ConfigValues values) {
        return Configured.of(() -> new PostgresSinkConfig(
                Objects.requireNonNull(values.string("host")),
                Math.toIntExact(Objects.requireNonNull(values.integer("port"))),
                Objects.requireNonNull(values.string("database_name")),
                Objects.requireNonNull(values.string("username")),
                values.string("password"),
                values.flag("ssl"),
                values.string("target_schema"),
                values.flag("auto_add_columns"),
                values.flag("skip_target_triggers"),
                Math.toIntExact(Objects.requireNonNull(values.integer("max_connections"))),
                Duration.ofMillis(Objects.requireNonNull(values.integer("statement_timeout_ms")))));
    }

    @Override
    public Sink create(PostgresSinkConfig config, SinkContext context) {
        return new PostgresSink(config, context);
    }

    /**
     * Connects, then checks what applying needs: the target schema exists and the role may use it, and (when
     * triggers are skipped) that it may set {@code session_replication_role}.
     */
    @Override
    public CheckResult check(PostgresSinkConfig config, Duration timeout) {
        try (Connection c = DriverManager.getConnection(config.jdbcUrl(), PostgresSink.properties(config, timeout))) {
            if (config.targetSchema() != null) {
                try (PreparedStatement s = c.prepareStatement("SELECT has_schema_privilege(n.oid, 'USAGE'),"
                        + " has_schema_privilege(n.oid, 'CREATE') FROM pg_namespace n WHERE n.nspname = ?")) {
                    s.setString(1, config.targetSchema());
                    try (ResultSet rs = s.executeQuery()) {
                        if (!rs.next()) {
                            return CheckResult.failed(
                                    CheckResult.Status.NOT_FOUND,
                                    "schema " + config.targetSchema() + " does not exist in " + config.database()
                                            + ": CREATE SCHEMA " + config.targetSchema());
                        }
                        if (!rs.getBoolean(1)) {
                            return CheckResult.failed(
                                    CheckResult.Status.UNAUTHORIZED,
                                    config.username() + " may not use schema " + config.targetSchema()
                                            + ": GRANT USAGE ON SCHEMA " + config.targetSchema() + " TO "
                                            + config.username());
                        }
                    }
                }
            }
            if (config.skipTargetTriggers()) {
                c.setAutoCommit(false);
                try (Statement s = c.createStatement()) {
                    s.execute("SET LOCAL session_replication_role = replica");
                } catch (SQLException e) {
                    return CheckResult.failed(
                            CheckResult.Status.UNAUTHORIZED,
                            config.username() + " may not set session_replication_role (" + e.getMessage()
                                    + "): connect as a superuser, or on Postgres 15+ GRANT SET ON PARAMETER"
                                    + " session_replication_role TO " + config.username()
                                    + ", or set skip_target_triggers: false");
                } finally {
                    c.rollback();
                }
            }
            return CheckResult.OK;
        } catch (SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            CheckResult.Status status = state.startsWith("08")
                    ? CheckResult.Status.UNREACHABLE
                    : state.equals("28P01") || state.equals("28000") || state.equals("42501")
                            ? CheckResult.Status.UNAUTHORIZED
                            : state.equals("3D000") ? CheckResult.Status.NOT_FOUND : CheckResult.Status.FAILED;
            return CheckResult.failed(status, e.getMessage());
        }
    }

    /** Routing may send a message to another table. */
    @Override
    public List<String> routingKeys() {
        return List.of(ChangeRow.ROUTE_SCHEMA, ChangeRow.ROUTE_TABLE);
    }

    /** A replica is exact only if it is emptied when the source is: truncates too, unless {@code actions} says not. */
    @Override
    public Set<Action> defaultActions() {
        return EnumSet.of(Action.INSERT, Action.UPDATE, Action.DELETE, Action.TRUNCATE);
    }

    @Override
    public int defaultBatchSize() {
        return DEFAULT_BATCH_SIZE;
    }

    @Override
    public List<Map<String, Object>> examples() {
        return List.of(Map.of(
                "host", "replica.example.com",
                "database_name", "app_replica",
                "username", "sluice",
                "password", "postgres-example-secret-5c1e"));
    }
}
