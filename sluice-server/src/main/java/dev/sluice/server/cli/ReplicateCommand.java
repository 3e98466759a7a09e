package dev.sluice.server.cli;

import dev.sluice.server.runtime.ServerOptions;
import dev.sluice.server.runtime.SluiceServer;
import dev.sluice.server.runtime.StartupException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code sluice replicate validate|init|sync|status|verify}: a replication job from the command line, followed until it
 * ends with a progress view, then summed up in a table. The job runs on the server at {@code --endpoint} when one is
 * given, else on a Sluice started in this process for the job (its metadata in {@code --home}, or {@code
 * SLUICE_DATABASE_URL}). Ctrl-C cancels the job: a sync then removes its slot and publication from the source.
 */
@Command(
        name = "replicate",
        mixinStandardHelpOptions = true,
        description = "Postgres to Postgres: validate, init (copy schema and data), sync (keep in step), status,"
                + " verify. Runs the job here, or on --endpoint, and follows it.")
final class ReplicateCommand implements Callable<Integer> {
    static final int OK = 0;
    static final int FAILED = 1;
    private static final Set<String> TERMINAL = Set.of("completed", "failed", "cancelled");
    private static final Duration POLL = Duration.ofMillis(500);

    @ParentCommand
    SluiceCommand root;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "COMMAND", description = "validate, init, sync, status or verify.")
    String command;

    @Option(names = "--source", required = true, paramLabel = "URL", description = "postgres://user:pw@host:port/db")
    String source;

    @Option(names = "--target", required = true, paramLabel = "URL", description = "postgres://user:pw@host:port/db")
    String target;

    @Option(names = "--include-database", split = ",", paramLabel = "DB", description = "Databases to replicate.")
    List<String> includeDatabases = new ArrayList<>();

    @Option(names = "--exclude-database", split = ",", paramLabel = "DB", description = "Databases to leave out.")
    List<String> excludeDatabases = new ArrayList<>();

    @Option(names = "--include-table", split = ",", paramLabel = "TABLE", description = "[db.][schema.]table")
    List<String> includeTables = new ArrayList<>();

    @Option(names = "--exclude-table", split = ",", paramLabel = "TABLE", description = "[db.][schema.]table")
    List<String> excludeTables = new ArrayList<>();

    @Option(
            names = "--schema-only-table",
            split = ",",
            paramLabel = "TABLE",
            description = "Tables created without their rows.")
    List<String> schemaOnlyTables = new ArrayList<>();

    @Option(
            names = "--table-filter",
            paramLabel = "TABLE=PREDICATE",
            description = "Copy only the rows of TABLE where PREDICATE holds (repeatable).")
    List<String> tableFilters = new ArrayList<>();

    @Option(names = "--drop-existing", description = "init: drop what the target has of the objects it creates.")
    boolean dropExisting;

    @Option(names = "--parallelism", paramLabel = "N", description = "Tables copied or verified at once.")
    @Nullable
    Integer parallelism;

    @Option(
            names = "--endpoint",
            paramLabel = "URL",
            defaultValue = "${env:SLUICE_ENDPOINT}",
            description = "Run the job on this Sluice server (env SLUICE_ENDPOINT); without, it runs here.")
    @Nullable
    String endpoint;

    @Option(
            names = "--api-key",
            paramLabel = "KEY",
            defaultValue = "${env:SLUICE_API_KEY}",
            description = "API token for --endpoint (env SLUICE_API_KEY).")
    @Nullable
    String apiKey;

    @Option(
            names = "--home",
            defaultValue = "${env:SLUICE_HOME:-.sluice}",
            description = "Without --endpoint: data directory of the Sluice run here (env SLUICE_HOME).")
    Path home;

    @Option(names = "--no-color", description = "No colours, even on a terminal (NO_COLOR works too).")
    boolean noColor;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        SluiceServer local = null;
        Runnable logs = () -> {};
        try {
            String body = specJson();
            ConfigClient client;
            if (endpoint == null || endpoint.isBlank()) {
                String token = "sluice_" + HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
                logs = JobView.quietLogs();
                local = startLocal(token);
                client = new ConfigClient("http://localhost:" + local.port(), token, root.terminal.unicode());
            } else {
                client = new ConfigClient(endpoint, apiKey, root.terminal.unicode());
            }
            return follow(client, body, out);
        } catch (CliException e) {
            err.println("sluice: " + e.getMessage());
            err.flush();
            return FAILED;
        } finally {
            if (local != null) {
                local.close();
            }
            logs.run();
        }
    }

    private String specJson() {
        ObjectNode s = ConfigClient.JSON.createObjectNode();
        s.put("schema_version", "1.0");
        s.put("command", command);
        s.put("source_url", source);
        s.put("target_url", target);
        ObjectNode f = s.putObject("filter");
        includeDatabases.forEach(f.withArray("include_databases")::add);
        excludeDatabases.forEach(f.withArray("exclude_databases")::add);
        includeTables.forEach(f.withArray("include_tables")::add);
        excludeTables.forEach(f.withArray("exclude_tables")::add);
        schemaOnlyTables.forEach(f.withArray("schema_only_tables")::add);
        for (String tf : tableFilters) {
            int eq = tf.indexOf('=');
            if (eq <= 0) {
                throw new CliException(
                        "--table-filter takes TABLE=PREDICATE, such as orders=\"region = 'eu'\"; got '" + tf + "'");
            }
            f.withObject("table_filters")
                    .put(tf.substring(0, eq).strip(), tf.substring(eq + 1).strip());
        }
        ObjectNode o = s.putObject("options");
        o.put("drop_existing", dropExisting);
        if (parallelism != null) {
            o.put("parallelism", parallelism);
        }
        return s.toString();
    }

    private SluiceServer startLocal(String token) {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        } catch (IOException e) {
            throw new CliException("cannot find a free port for the local Sluice: " + e.getMessage());
        }
        try {
            return SluiceServer.start(new ServerOptions(
                    home,
                    port,
                    null,
                    null,
                    System.getenv("SLUICE_DATABASE_URL"),
                    System.getenv("SLUICE_SECRET_KEY"),
                    token));
        } catch (StartupException e) {
            throw new CliException("cannot start Sluice here: " + e.getMessage());
        }
    }

    /** Creates the job and follows it to its end; Ctrl-C cancels it. Returns the exit code. */
    private int follow(ConfigClient client, String body, PrintWriter out) {
        JsonNode created = client.json("POST", "/api/jobs", body);
        String id = created.get("job_id").asString();
        JobView view = new JobView(out, root.terminal.colour(noColor), root.terminal.unicode());
        out.println(command + " job " + id + (command.equals("sync") ? " (Ctrl-C stops the sync)" : ""));
        out.flush();
        AtomicBoolean interrupted = new AtomicBoolean();
        Thread cancel = new Thread(
                () -> {
                    interrupted.set(true);
                    try {
                        client.json("POST", "/api/jobs/" + id + "/cancel", null);
                        await(client, id, view, Duration.ofSeconds(60));
                    } catch (CliException e) {
                        // exiting anyway
                    }
                },
                "sluice-replicate-cancel");
        Runtime.getRuntime().addShutdownHook(cancel);
        JsonNode job;
        try {
            job = await(client, id, view, null);
        } finally {
            if (!interrupted.get()) {
                Runtime.getRuntime().removeShutdownHook(cancel);
            }
        }
        view.summary(job);
        return job.get("status").asString().equals("completed")
                        || (command.equals("sync")
                                && job.get("status").asString().equals("cancelled"))
                ? OK
                : FAILED;
    }

    private static JsonNode await(ConfigClient client, String id, JobView view, @Nullable Duration atMost) {
        long deadline = atMost == null ? Long.MAX_VALUE : System.nanoTime() + atMost.toNanos();
        while (true) {
            JsonNode job = client.json("GET", "/api/jobs/" + id, null);
            view.update(job);
            if (TERMINAL.contains(job.get("status").asString()) || System.nanoTime() > deadline) {
                return job;
            }
            try {
                Thread.sleep(POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return job;
            }
        }
    }
}
