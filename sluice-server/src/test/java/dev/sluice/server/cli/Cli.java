package dev.sluice.server.cli;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import picocli.CommandLine;

/** Runs {@code sluice} commands in this JVM for the CLI's tests, capturing what they print. */
final class Cli {
    private Cli() {}

    record Run(int exit, String out, String err) {}

    /** Not a terminal, an empty environment, {@code stdin} as standard input. */
    static Terminal plain(String stdin) {
        return new Terminal(
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                false,
                Map.<String, String>of()::get,
                true);
    }

    static Run run(Terminal terminal, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new SluiceCommand(terminal));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }
}
