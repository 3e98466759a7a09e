package dev.sluice.server.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import tools.jackson.databind.JsonNode;

/**
 * {@code sluice config plan|apply|export}: a sluice.yaml against a running server, through its config API, with
 * Terraform's habits (a diff first, a prompt before applying, {@code --detailed-exitcode}).
 *
 * <p>Exit codes: 0 on success, 1 on any error or a refused prompt, and with {@code plan --detailed-exitcode} 2 when
 * there are changes. Usage errors exit 1 too, so that 2 only ever means "changes".
 */
@Command(
        name = "config",
        mixinStandardHelpOptions = true,
        description = "Plan, apply and export sluice.yaml against a running Sluice server.",
        exitCodeOnInvalidInput = ConfigCommand.ERROR,
        subcommands = {ConfigCommand.Plan.class, ConfigCommand.Apply.class, ConfigCommand.Export.class})
final class ConfigCommand implements Runnable {
    static final int OK = 0;
    static final int ERROR = 1;
    static final int CHANGES = 2;

    @ParentCommand
    SluiceCommand root;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Where the server is and how to authenticate; every config command takes these. */
    static final class Connection {
        @Option(
                names = "--endpoint",
                paramLabel = "URL",
                defaultValue = "${env:SLUICE_ENDPOINT:-http://localhost:7376}",
                description = "The Sluice server (env SLUICE_ENDPOINT, default http://localhost:7376).")
        String endpoint;

        // No ${DEFAULT-VALUE} in the description: the help must not print the key.
        @Option(
                names = "--api-key",
                paramLabel = "KEY",
                defaultValue = "${env:SLUICE_API_KEY}",
                description = "API token, sent as 'Authorization: Bearer' (env SLUICE_API_KEY).")
        @Nullable
        String apiKey;

        @Option(names = "--no-color", description = "No colours, even on a terminal (NO_COLOR works too).")
        boolean noColor;
    }

    /** Runs a command body: a {@link CliException} is printed as one message and exits with {@link #ERROR}. */
    abstract static class Base implements Callable<Integer> {
        @ParentCommand
        ConfigCommand parent;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        Connection connection = new Connection();

        @Override
        public final Integer call() {
            try {
                return execute();
            } catch (CliException e) {
                PrintWriter err = spec.commandLine().getErr();
                err.println("sluice: " + e.getMessage());
                err.flush();
                return ERROR;
            }
        }

        abstract int execute();

        Terminal terminal() {
            return parent.root.terminal;
        }

        ConfigClient client() {
            return new ConfigClient(
                    connection.endpoint, connection.apiKey, terminal().unicode());
        }

        PlanDiff diff() {
            return new PlanDiff(
                    terminal().colour(connection.noColor), terminal().unicode());
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        /** The file's text; {@code -} is standard input. */
        String read(String file) {
            if (file.equals("-")) {
                try {
                    return new String(terminal().in().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new CliException("cannot read standard input: " + e.getMessage());
                }
            }
            Path path = Path.of(file);
            try {
                return Files.readString(path);
            } catch (NoSuchFileException e) {
                throw new CliException("cannot read " + file + ": no such file "
                        + (terminal().unicode() ? "—" : "-")
                        + " give the path of your sluice.yaml, or - for standard input");
            } catch (AccessDeniedException e) {
                throw new CliException("cannot read " + file + ": permission denied");
            } catch (CharacterCodingException e) {
                throw new CliException("cannot read " + file + ": it is not UTF-8 text");
            } catch (IOException e) {
                throw new CliException("cannot read " + file + ": "
                        + (Files.isDirectory(path) ? "it is a directory" : String.valueOf(e.getMessage())));
            }
        }
    }

    /** What plan and apply read: the file, and whether to delete what it does not name. */
    static final class Input {
        @Parameters(
                arity = "0..1",
                defaultValue = "sluice.yaml",
                paramLabel = "FILE",
                description = "The configuration (default ${DEFAULT-VALUE}; - reads standard input).")
        String file;

        @Option(
                names = "--prune",
                description = "Also delete the databases, endpoints, functions and sinks the file does not name.")
        boolean prune;
    }

    @Command(
            name = "plan",
            mixinStandardHelpOptions = true,
            exitCodeOnInvalidInput = ERROR,
            description = "Show what applying the file would change on the server; changes nothing.")
    static final class Plan extends Base {
        @Mixin
        Input input = new Input();

        @Option(
                names = "--detailed-exitcode",
                description = "Exit 0 when there are no changes, 2 when there are, 1 on error.")
        boolean detailedExitCode;

        @Override
        int execute() {
            JsonNode plan = client().plan(read(input.file), input.prune);
            out().print(diff().plan(plan));
            out().flush();
            return detailedExitCode && PlanDiff.hasWork(plan) ? CHANGES : OK;
        }
    }

    @Command(
            name = "apply",
            mixinStandardHelpOptions = true,
            exitCodeOnInvalidInput = ERROR,
            description = "Show the plan, ask for confirmation, then apply the file to the server.")
    static final class Apply extends Base {
        @Mixin
        Input input = new Input();

        @Option(names = "--auto-approve", description = "Apply without asking.")
        boolean autoApprove;

        @Override
        int execute() {
            if (input.file.equals("-") && !autoApprove) {
                throw new CliException("the file is read from standard input, so the prompt cannot be answered"
                        + " there: add --auto-approve");
            }
            String yaml = read(input.file);
            ConfigClient client = client();
            PlanDiff diff = diff();
            JsonNode plan = client.plan(yaml, input.prune);
            PrintWriter out = out();
            out.print(diff.plan(plan));
            if (!PlanDiff.hasWork(plan)) {
                out.flush();
                return OK;
            }
            if (!autoApprove) {
                out.print("\nApply these changes? Only 'yes' is accepted: ");
                out.flush();
                String answer = readLine();
                if (answer == null || !answer.strip().equals("yes")) {
                    out.println("Apply cancelled.");
                    out.flush();
                    return ERROR;
                }
            }
            JsonNode applied = client.apply(yaml, input.prune);
            out.println();
            out.print(diff.applied(applied));
            if (!summary(applied).equals(summary(plan))) {
                // The file was planned and applied in two requests; something else changed the server in between.
                out.println("Note: the server's configuration changed after the plan; the changes listed above are"
                        + " the ones applied.");
            }
            out.flush();
            return OK;
        }

        private @Nullable String readLine() {
            try {
                // Not closed: it is the process's standard input.
                return new BufferedReader(new InputStreamReader(terminal().in(), StandardCharsets.UTF_8)).readLine();
            } catch (IOException e) {
                throw new CliException("cannot read the answer: " + e.getMessage());
            }
        }

        private static List<String> summary(JsonNode answer) {
            List<String> out = new ArrayList<>();
            for (JsonNode c : answer.path("changes")) {
                out.add(c.path("action").asString("") + " "
                        + c.path("resource_type").asString("") + " "
                        + c.path("name").asString(""));
            }
            return out;
        }
    }

    @Command(
            name = "export",
            mixinStandardHelpOptions = true,
            exitCodeOnInvalidInput = ERROR,
            description = "Write the server's configuration as sluice.yaml, secrets masked unless --show-sensitive.")
    static final class Export extends Base {
        @Option(
                names = {"-o", "--output"},
                paramLabel = "FILE",
                description = "Write to this file instead of standard output.")
        @Nullable
        Path output;

        @Option(names = "--show-sensitive", description = "Write secrets in clear instead of masked.")
        boolean showSensitive;

        @Override
        int execute() {
            String yaml = client().export(showSensitive);
            if (output == null) {
                out().print(yaml);
                out().flush();
                return OK;
            }
            write(output, yaml);
            out().println("Wrote the configuration to " + output + (showSensitive ? " (with secrets)." : "."));
            out().flush();
            return OK;
        }

        private void write(Path path, String yaml) {
            try {
                if (showSensitive
                        && !Files.exists(path)
                        && path.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                    // A file of secrets is for its owner only.
                    Files.createFile(
                            path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                }
                Files.writeString(
                        path,
                        yaml,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.WRITE);
            } catch (NoSuchFileException e) {
                throw new CliException("cannot write " + path + ": its directory does not exist");
            } catch (AccessDeniedException e) {
                throw new CliException("cannot write " + path + ": permission denied");
            } catch (IOException e) {
                throw new CliException("cannot write " + path + ": " + e.getMessage());
            }
        }
    }
}
