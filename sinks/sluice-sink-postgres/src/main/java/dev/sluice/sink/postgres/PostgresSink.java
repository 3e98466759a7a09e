package dev.sluice.sink.postgres;

import dev.sluice.core.TableId;
import dev.sluice.core.TruncateOption;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.core.sink.SourceCatalog;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies changes to tables of a target Postgres: each batch in one transaction on one of up to {@code
 * max_connections} connections (batches of different groups run in parallel; the engine never has two batches of a
 * group out, so each row's changes land in order). Insert, update and read are upserts by primary key, delete
 * deletes by key, so a batch delivered again after a crash leaves the same final state. A truncate empties its target
 * table in a transaction of its own, after the batch's earlier messages are committed and before its later ones; the
 * truncates of one source statement together (foreign keys between them require it), with {@code RESTART IDENTITY}
 * and {@code CASCADE} only when the source's statement had them. The engine delivers a truncate only after every
 * earlier change of its table and before every later one, so applying one again after a crash empties nothing that
 * the source still has.
 *
 * <p>Failures: a target that cannot be reached, a lock or serialization conflict, a foreign key not yet satisfied,
 * a missing table or column, missing privileges: retried (the messages wait, holding the slot, until the target or
 * its schema is fixed; the error says how). A value the target refuses (a constraint, a type's input) in a batch of
 * one message: that message fails for good, the rest flow.
 */
final class PostgresSink implements Sink {
    private static final Logger log = LoggerFactory.getLogger(PostgresSink.class);

    private final PostgresSinkConfig config;
    private final String name;
    private final SourceCatalog source;
    private final Semaphore permits;
    private final ConcurrentLinkedQueue<Connection> idle = new ConcurrentLinkedQueue<>();
    private final Map<TableId, TargetTable> tables = new ConcurrentHashMap<>();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private volatile boolean closed;

    PostgresSink(PostgresSinkConfig config, SinkContext context) {
        this.config = config;
        this.name = context.sinkName();
        this.source = context.source();
        this.permits = new Semaphore(config.maxConnections());
    }

    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        executor.execute(() -> {
            try {
                apply(batch.messages());
                done.complete(null);
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    private void apply(List<SinkMessage> messages) throws InterruptedException {
        List<ChangeRow> rows = new ArrayList<>(messages.size());
        for (SinkMessage m : messages) {
            try {
                rows.add(ChangeRow.of(m, config.targetSchema()));
            } catch (SinkException e) {
                // Only a batch of this one message fails it for good; a bigger batch is split by the engine first.
                throw messages.size() == 1 ? e : new SinkException(e.getMessage(), true, e);
            }
        }
        permits.acquire();
        Connection c = null;
        try {
            c = borrow();
            List<TargetTable> targets = targets(c, rows);
            // One transaction per run of row changes, and one per truncate statement between them.
            for (int from = 0, to; from < rows.size(); from = to) {
                ChangeRow first = rows.get(from);
                to = from + 1;
                while (to < rows.size() && sameTransactionStep(first, rows.get(to))) {
                    to++;
                }
                setLocal(c);
                if (first.isTruncate()) {
                    truncate(c, rows.subList(from, to), targets.subList(from, to));
                } else {
                    new BatchApply(c).apply(rows.subList(from, to), targets.subList(from, to));
                }
                c.commit();
            }
            idle.add(c);
            c = null;
        } catch (SQLException e) {
            rollback(c);
            throw failure(e, messages.size());
        } catch (RuntimeException e) {
            rollback(c);
            if (c != null) {
                idle.add(c);
                c = null;
            }
            throw e;
        } finally {
            if (c != null) {
                close(c);
            }
            permits.release();
        }
    }

    // Row changes go on together; truncates only with those of the same statement (same transaction and options).
    private static boolean sameTransactionStep(ChangeRow first, ChangeRow next) {
        if (!first.isTruncate()) {
            return !next.isTruncate();
        }
        return next.isTruncate()
                && next.commitLsn() == first.commitLsn()
                && next.truncateOptions().equals(first.truncateOptions());
    }

    private void setLocal(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(
                    "SET LOCAL statement_timeout = " + config.statementTimeout().toMillis());
            if (config.skipTargetTriggers()) {
                s.execute("SET LOCAL session_replication_role = replica");
            }
        }
    }

    /** {@code TRUNCATE} of the target tables of one statement's truncates, with the source statement's options. */
    private void truncate(Connection c, List<ChangeRow> rows, List<TargetTable> targets) throws SQLException {
        Set<String> tables = new LinkedHashSet<>();
        targets.forEach(t -> tables.add(BatchApply.name(t)));
        Set<String> options = rows.getFirst().truncateOptions();
        String sql = "TRUNCATE TABLE " + String.join(", ", tables)
                + (options.contains(TruncateOption.RESTART_IDENTITY.wireName()) ? " RESTART IDENTITY" : "")
                + (options.contains(TruncateOption.CASCADE.wireName()) ? " CASCADE" : "");
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
        log.debug("sink {}: {}", name, sql);
    }

    /** The target table of each row, from the cache or the catalog; adds missing columns when configured to. */
    private List<TargetTable> targets(Connection c, List<ChangeRow> rows) throws SQLException {
        List<TargetTable> out = new ArrayList<>(rows.size());
        for (ChangeRow r : rows) {
            TargetTable t = tables.get(r.target());
            if (t == null || !BatchApply.missingColumns(t, r).isEmpty()) {
                t = TargetTable.load(c, r.target());
                if (t == null) {
                    throw new SinkException(
                            "target table " + r.target().schema() + "."
                                    + r.target().name() + " does not exist in "
                                    + config.database() + ": create it (a replication job's init does) or point"
                                    + " target_schema at the schema that has it; the changes wait until then",
                            true);
                }
                Set<String> missing = BatchApply.missingColumns(t, r);
                if (!missing.isEmpty()) {
                    addColumns(c, r, t, missing);
                    t = TargetTable.load(c, r.target());
                }
                tables.put(r.target(), t);
            }
            out.add(t);
        }
        return out;
    }

    private void addColumns(Connection c, ChangeRow r, TargetTable t, Set<String> missing) throws SQLException {
        String table = BatchApply.name(t);
        if (!config.autoAddColumns()) {
            String col = missing.iterator().next();
            String type = typeOrNull(r, col);
            throw new SinkException(
                    "column \"" + col + "\" of " + r.source().schema() + "."
                            + r.source().name()
                            + " is missing from target table " + table + ": add it (ALTER TABLE " + table
                            + " ADD COLUMN " + BatchApply.quote(col) + " " + (type != null ? type : "<type>")
                            + ") or set auto_add_columns: true on the sink; the changes wait until then",
                    true);
        }
        for (String col : missing) {
            String type = typeOrNull(r, col);
            if (type == null) {
                throw new SinkException(
                        "column \"" + col + "\" is missing from target table " + table + " and its type cannot be"
                                + " read from the source table " + r.source().schema() + "."
                                + r.source().name()
                                + " (dropped since?): add it by hand",
                        true);
            }
            try (Statement s = c.createStatement()) {
                s.execute("ALTER TABLE " + table + " ADD COLUMN IF NOT EXISTS " + BatchApply.quote(col) + " " + type);
            }
            log.info("sink {}: added column {} {} to {}", name, col, type, table);
        }
    }

    private @Nullable String typeOrNull(ChangeRow r, String column) {
        try {
            return source.columnType(r.source(), column);
        } catch (IllegalStateException e) {
            return null;
        }
    }

    private Connection borrow() throws SQLException {
        if (closed) {
            throw new SinkException("sink is closed", true);
        }
        Connection c = idle.poll();
        if (c != null) {
            return c;
        }
        c = DriverManager.getConnection(config.jdbcUrl(), properties(config, Duration.ofSeconds(10)));
        c.setAutoCommit(false);
        return c;
    }

    static Properties properties(PostgresSinkConfig config, Duration connectTimeout) {
        Properties p = new Properties();
        p.setProperty("user", config.username());
        if (config.password() != null) {
            p.setProperty("password", config.password());
        }
        p.setProperty("connectTimeout", Long.toString(Math.max(1, connectTimeout.toSeconds())));
        p.setProperty("socketTimeout", Long.toString(config.statementTimeout().toSeconds() + 30));
        return p;
    }

    /** The engine's view of a failed batch: retried unless one message's own value is refused. */
    private SinkException failure(SQLException e, int messages) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        tables.clear(); // the target's schema may be what changed
        String detail = "target " + config.host() + ":" + config.port() + "/" + config.database() + ": "
                + e.getMessage() + (state.isEmpty() ? "" : " [SQLSTATE " + state + "]");
        if (state.equals("42501") && config.skipTargetTriggers()) {
            detail += "; applying with session_replication_role = replica needs a superuser, or on Postgres 15+"
                    + " GRANT SET ON PARAMETER session_replication_role TO " + config.username()
                    + "; or set skip_target_triggers: false";
        }
        boolean valueRefused = (state.startsWith("22") || state.startsWith("23")) && !state.equals("23503");
        return new SinkException(detail, !(valueRefused && messages == 1), e);
    }

    private static void rollback(@Nullable Connection c) {
        if (c != null) {
            try {
                c.rollback();
            } catch (SQLException ignored) {
                // The connection is closed after a failure anyway.
            }
        }
    }

    private static void close(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // Nothing to do.
        }
    }

    @Override
    public void close() {
        closed = true;
        executor.shutdown();
        for (Connection c = idle.poll(); c != null; c = idle.poll()) {
            close(c);
        }
    }
}
