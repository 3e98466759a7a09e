package dev.sluice.server.cli;

import dev.sluice.server.demo.Demo;
import dev.sluice.server.runtime.ServerOptions;
import dev.sluice.server.runtime.SluiceServer;
import dev.sluice.server.runtime.StartupException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice}: the command line. Settings come from flags or environment variables. */
@Command(
        name = "sluice",
        mixinStandardHelpOptions = true,
        versionProvider = SluiceCommand.Version.class,
        description = "Postgres change data capture: every committed change, delivered in order per row.",
        subcommands = {
            SluiceCommand.Start.class,
            SluiceCommand.DemoCmd.class,
            ConfigCommand.class,
            ReplicateCommand.class,
            SluiceCommand.VersionCmd.class,
            CommandLine.HelpCommand.class
        })
public final class SluiceCommand implements Runnable {
    static final int EXIT_STARTUP_FAILED = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    final Terminal terminal;

    public SluiceCommand() {
        this(Terminal.system());
    }

    /** With another standard input, terminal and environment, for tests. */
    SluiceCommand(Terminal terminal) {
        this.terminal = terminal;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        int code = new CommandLine(new SluiceCommand())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .execute(args);
        System.exit(code);
    }

    /** Options shared by start and demo. */
    static final class Common {
        @Option(
                names = "--port",
                defaultValue = "${env:SLUICE_PORT:-7376}",
                description = "HTTP port for health and the API (env SLUICE_PORT, default ${DEFAULT-VALUE}).")
        int port;

        @Option(
                names = "--home",
                defaultValue = "${env:SLUICE_HOME:-.sluice}",
                description = "Data directory (env SLUICE_HOME, default ${DEFAULT-VALUE}).")
        Path home;
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Run the Sluice server.")
    static final class Start implements Callable<Integer> {
        @CommandLine.Mixin
        Common common = new Common();

        @Option(
                names = "--config",
                defaultValue = "${env:SLUICE_CONFIG}",
                description = "sluice.yaml to apply at start (env SLUICE_CONFIG).")
        Path config;

        @Override
        public Integer call() {
            ServerOptions o = new ServerOptions(
                    common.home,
                    common.port,
                    config,
                    null,
                    System.getenv("SLUICE_DATABASE_URL"),
                    System.getenv("SLUICE_SECRET_KEY"),
                    System.getenv("SLUICE_API_TOKEN"));
            SluiceServer server;
            try {
                server = SluiceServer.start(o);
            } catch (StartupException e) {
                System.err.println("sluice: " + e.getMessage());
                return EXIT_STARTUP_FAILED;
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(
                            () -> {
                                server.close();
                                stopped.countDown();
                            },
                            "sluice-shutdown"));
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return 0;
        }
    }

    @Command(
            name = "demo",
            mixinStandardHelpOptions = true,
            description = "Start an embedded Postgres with demo tables and a workload, capture it and print"
                    + " each delivered message. Ctrl-C stops everything.")
    static final class DemoCmd implements Callable<Integer> {
        @CommandLine.Mixin
        Common common = new Common();

        @Option(names = "--rate", defaultValue = "3", description = "Changes per second (default ${DEFAULT-VALUE}).")
        double rate;

        @Override
        public Integer call() {
            try {
                return Demo.run(common.home, common.port, rate);
            } catch (StartupException e) {
                System.err.println("sluice demo: " + e.getMessage());
                return EXIT_STARTUP_FAILED;
            }
        }
    }

    @Command(name = "version", description = "Print the version.")
    static final class VersionCmd implements Runnable {
        @Override
        public void run() {
            System.out.println("sluice " + Version.current());
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        static String current() {
            String v = SluiceCommand.class.getPackage().getImplementationVersion();
            return v == null ? "dev" : v;
        }

        @Override
        public String[] getVersion() {
            return new String[] {"sluice " + current()};
        }
    }
}
