package dev.sluice.server.jobs;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The {@code validate} command: checks that a job over these two databases can run, and changes nothing. Each problem
 * comes with the SQL or setting that fixes it. Checks: both servers reachable and their versions; the source's
 * {@code wal_level}, replication privilege, free replication slots and WAL senders; the target database (or the right
 * to create it) and the right to create schemas in it; the databases and tables the filters name exist; the table
 * filters' predicates are valid SQL on their tables; tables without a primary key or a replica identity.
 */
final class Validate implements JobWork {
    private static final int MIN_VERSION_NUM = 100_000;

    /** One finding: {@code status} ok, warning or error. */
    record Check(
            String name,
            String status,
            String detail,
            @Nullable String fix) {
        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("status", status);
            m.put("detail", detail);
            if (fix != null) {
                m.put("fix", fix);
            }
            return m;
        }
    }

    private final JobSpec spec;
    private final JobContext job;
    private final List<Check> checks = new ArrayList<>();
    private final List<Map<String, Object>> tables = new ArrayList<>();

    Validate(JobSpec spec, JobContext job) {
        this.spec = spec;
        this.job = job;
    }

    /** Runs every check; the result has {@code ok}, {@code checks} and {@code tables}. */
    @Override
    public Map<String, Object> run() {
        Endpoint source = Endpoint.of("source", spec.sourceUrl());
        Endpoint target = Endpoint.of("target", spec.targetUrl());
        job.progress(Map.of("phase", "source"));
        List<String> databases = source(source);
        if (job.cancelled()) {
            return result();
        }
        job.progress(Map.of("phase", "target"));
        target(target, databases);
        return result();
    }

    private Map<String, Object> result() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ok", problems() == 0);
        r.put("errors", problems());
        r.put(
                "warnings",
                checks.stream().filter(c -> c.status().equals("warning")).count());
        r.put("checks", checks.stream().map(Check::json).toList());
        r.put("tables", tables);
        return r;
    }

    @Override
    public long problems() {
        return checks.stream().filter(c -> c.status().equals("error")).count();
    }

    @Override
    public String failure(long n) {
        return "validation found " + n + " problem(s); each check in result.checks says how to fix it";
    }

    private void ok(String name, String detail) {
        checks.add(new Check(name, "ok", detail, null));
        job.log("ok: " + name + ": " + detail);
    }

    private void problem(String status, String name, String detail, @Nullable String fix) {
        checks.add(new Check(name, status, detail, fix));
        job.log(status + ": " + name + ": " + detail + (fix == null ? "" : " (fix: " + fix + ")"));
    }

    /** The source's checks; returns the databases the job covers there. */
    private List<String> source(Endpoint source) {
        List<String> databases = new ArrayList<>();
        try (Connection c = source.connect()) {
            ok("source.connect", "connected to " + source.display());
            int version = version(c, "source");
            if (version > 0 && version < MIN_VERSION_NUM) {
                problem(
                        "error",
                        "source.version",
                        "Postgres " + version + " has no pgoutput",
                        "upgrade to 10 or later");
            }
            String walLevel = show(c, "wal_level");
            if (walLevel.equals("logical")) {
                ok("source.wal_level", "wal_level is logical");
            } else {
                problem(
                        "error",
                        "source.wal_level",
                        "wal_level is " + walLevel + "; logical replication needs logical",
                        "ALTER SYSTEM SET wal_level = logical; then restart Postgres (on a managed service, turn on"
                                + " its logical replication setting)");
            }
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT rolreplication OR rolsuper, current_user FROM pg_roles"
                            + " WHERE rolname = current_user")) {
                rs.next();
                if (rs.getBoolean(1)) {
                    ok("source.replication_privilege", rs.getString(2) + " may replicate");
                } else {
                    problem(
                            "error",
                            "source.replication_privilege",
                            rs.getString(2) + " may not replicate",
                            "ALTER ROLE " + rs.getString(2) + " REPLICATION");
                }
            }
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery(
                            "SELECT current_setting('max_replication_slots')::int"
                                    + " - (SELECT count(*) FROM pg_replication_slots), current_setting('max_wal_senders')::int")) {
                rs.next();
                if (rs.getInt(1) > 0) {
                    ok("source.replication_slots", rs.getInt(1) + " replication slot(s) free");
                } else {
                    problem(
                            "error",
                            "source.replication_slots",
                            "no replication slot is free",
                            "drop an unused slot (SELECT pg_drop_replication_slot(...)) or raise max_replication_slots"
                                    + " and restart");
                }
                if (rs.getInt(2) < 1) {
                    problem(
                            "error",
                            "source.wal_senders",
                            "max_wal_senders is 0",
                            "ALTER SYSTEM SET max_wal_senders = 10; then restart Postgres");
                }
            }
            databases.addAll(databases(c, source));
        } catch (SQLException e) {
            problem(
                    "error",
                    "source.connect",
                    "cannot connect to " + source.display() + ": " + e.getMessage(),
                    fixFor(e, source));
            return databases;
        }
        List<TableName> named = new ArrayList<>();
        for (String t : spec.filter().includeTables()) {
            named.add(parseOrReport(t, "filter.include_tables"));
        }
        for (String t : spec.filter().schemaOnlyTables()) {
            named.add(parseOrReport(t, "filter.schema_only_tables"));
        }
        List<TableName> found = new ArrayList<>();
        for (String db : databases) {
            job.progress(Map.of("phase", "source", "database", db));
            try (Connection c = source.connect(db)) {
                tables(c, db, named, found);
            } catch (SQLException e) {
                problem("error", "source.database", "cannot read database " + db + ": " + e.getMessage(), null);
            }
        }
        for (TableName n : named) {
            if (n != null && !found.contains(n)) {
                problem(
                        "error",
                        "filter.tables",
                        "the filters name table " + n + ", which the source does not have",
                        "correct the name, or remove it from the filter");
            }
        }
        return databases;
    }

    private @Nullable TableName parseOrReport(String text, String field) {
        try {
            return TableName.parse(text);
        } catch (IllegalArgumentException e) {
            problem("error", field, e.getMessage(), null);
            return null;
        }
    }

    /** The databases the job covers: the URL's, or include_databases, minus exclude_databases; each must exist. */
    private List<String> databases(Connection c, Endpoint source) throws SQLException {
        List<String> existing = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(
                        "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname")) {
            while (rs.next()) {
                existing.add(rs.getString(1));
            }
        }
        List<String> wanted = spec.filter().includeDatabases().isEmpty()
                ? List.of(source.url().database())
                : spec.filter().includeDatabases();
        List<String> out = new ArrayList<>();
        for (String db : wanted) {
            if (!existing.contains(db)) {
                problem(
                        "error",
                        "filter.include_databases",
                        "database " + db + " does not exist on the source",
                        "correct the name (the source has " + String.join(", ", existing) + ")");
            } else if (!spec.filter().excludeDatabases().contains(db)) {
                out.add(db);
            }
        }
        for (String db : spec.filter().excludeDatabases()) {
            if (!existing.contains(db)) {
                problem(
                        "warning",
                        "filter.exclude_databases",
                        "database " + db + " does not exist on the source",
                        null);
            }
        }
        if (out.isEmpty()) {
            problem("error", "filter.databases", "the filters leave no database to replicate", null);
        }
        return out;
    }

    private void tables(Connection c, String db, List<TableName> named, List<TableName> found) throws SQLException {
        for (SourceTable st : SourceTable.list(c, db)) {
            for (TableName n : named) {
                if (n != null && st.is(n)) {
                    found.add(n);
                }
            }
            if (!spec.filter().selects(st)) {
                continue;
            }
            char identity = st.replicaIdentity();
            boolean pk = st.hasPrimaryKey();
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("database", db);
            t.put("schema", st.schema());
            t.put("table", st.name());
            t.put("primary_key", pk);
            t.put(
                    "replica_identity",
                    switch (identity) {
                        case 'f' -> "full";
                        case 'n' -> "nothing";
                        case 'i' -> "index";
                        default -> "default";
                    });
            t.put("rows_estimate", st.rowsEstimate());
            tables.add(t);
            String qualified = st.qualified();
            if (identity == 'n' || (identity == 'd' && !pk)) {
                problem(
                        "error",
                        "source.replica_identity",
                        "table " + st.label() + " has no primary key and no replica identity:"
                                + " its updates and deletes cannot be replicated",
                        "ALTER TABLE " + qualified + " ADD PRIMARY KEY (...), or ALTER TABLE " + qualified
                                + " REPLICA IDENTITY FULL");
            } else if (!pk) {
                problem(
                        "warning",
                        "source.primary_key",
                        "table " + st.label() + " has no primary key: rows are matched by all"
                                + " their columns, and a replayed insert is applied twice",
                        "ALTER TABLE " + qualified + " ADD PRIMARY KEY (...)");
            }
        }
        for (var e : spec.filter().tableFilters().entrySet()) {
            TableName n;
            try {
                n = TableName.parse(e.getKey());
            } catch (IllegalArgumentException ex) {
                problem("error", "filter.table_filters", ex.getMessage(), null);
                continue;
            }
            if (n.database() != null && !n.database().equals(db)) {
                continue;
            }
            predicate(c, db, n, e.getValue());
        }
    }

    /** Whether {@code predicate} is valid SQL on table {@code n}: planned, never run, in a read-only transaction. */
    private void predicate(Connection c, String db, TableName n, String predicate) {
        try {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("SET TRANSACTION READ ONLY");
                s.execute("EXPLAIN SELECT 1 FROM " + SourceTable.quote(n.schema()) + "." + SourceTable.quote(n.table())
                        + " WHERE (" + predicate + ")");
                ok("filter.table_filters", "the filter of " + n + " is valid on " + db);
            } finally {
                c.rollback();
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            problem(
                    "error",
                    "filter.table_filters",
                    "the filter of " + n + " is not valid on " + db + ": " + e.getMessage(),
                    "write a SQL predicate on the table's columns, like id > 100");
        }
    }

    private void target(Endpoint target, List<String> databases) {
        try (Connection c = target.connect()) {
            ok("target.connect", "connected to " + target.display());
            version(c, "target");
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery(
                            "SELECT has_database_privilege(current_database(), 'CREATE')," + " current_user")) {
                rs.next();
                if (rs.getBoolean(1)) {
                    ok(
                            "target.privileges",
                            rs.getString(2) + " may create schemas in "
                                    + target.url().database());
                } else {
                    problem(
                            "error",
                            "target.privileges",
                            rs.getString(2) + " may not create schemas in "
                                    + target.url().database(),
                            "GRANT CREATE ON DATABASE "
                                    + SourceTable.quote(target.url().database()) + " TO " + rs.getString(2));
                }
            }
        } catch (SQLException e) {
            if ("3D000".equals(e.getSQLState())) {
                canCreate(target);
            } else {
                problem(
                        "error",
                        "target.connect",
                        "cannot connect to " + target.display() + ": " + e.getMessage(),
                        fixFor(e, target));
            }
        }
        if (databases.size() > 1) {
            ok(
                    "target.databases",
                    "each of " + databases.size() + " source databases goes to its namesake on the" + " target server");
        }
    }

    /** The target database does not exist: fine when init may create it. */
    private void canCreate(Endpoint target) {
        try (Connection c = target.connect("postgres");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT rolcreatedb OR rolsuper, current_user FROM pg_roles"
                        + " WHERE rolname = current_user")) {
            rs.next();
            if (rs.getBoolean(1)) {
                ok("target.database", "database " + target.url().database() + " does not exist yet; init creates it");
            } else {
                problem(
                        "error",
                        "target.database",
                        "database " + target.url().database() + " does not exist and " + rs.getString(2)
                                + " may not create it",
                        "CREATE DATABASE " + SourceTable.quote(target.url().database()) + ", or ALTER ROLE "
                                + rs.getString(2) + " CREATEDB");
            }
        } catch (SQLException e) {
            problem(
                    "error",
                    "target.database",
                    "database " + target.url().database() + " does not exist, and the"
                            + " server's postgres database cannot be reached to create it: " + e.getMessage(),
                    "CREATE DATABASE " + SourceTable.quote(target.url().database()));
        }
    }

    private int version(Connection c, String side) throws SQLException {
        int num = Integer.parseInt(show(c, "server_version_num"));
        ok(side + ".version", "Postgres " + show(c, "server_version"));
        return num;
    }

    private static String show(Connection c, String setting) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT current_setting(?)")) {
            s.setString(1, setting);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private static @Nullable String fixFor(SQLException e, Endpoint side) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.startsWith("08")) {
            return "check the host and port of the " + side.role() + " URL, that Postgres runs and accepts TCP"
                    + " connections from this machine (listen_addresses, pg_hba.conf, firewalls)";
        }
        if (state.equals("28P01") || state.equals("28000")) {
            return "check the user and password of the " + side.role() + " URL, and pg_hba.conf";
        }
        if (state.equals("3D000")) {
            return "create the database, or correct its name in the " + side.role() + " URL";
        }
        return null;
    }
}
