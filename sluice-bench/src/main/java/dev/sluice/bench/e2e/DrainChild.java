package dev.sluice.bench.e2e;

import ch.qos.logback.classic.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Entry point of the child JVM that runs one drain, so every system starts from the same cold JVM and
 * none inherits another's heap, threads or JIT state. Writes one {@link DrainRun#line()} to the result
 * file. Arguments: {@code system host port database publication slot changes timeoutSeconds
 * debeziumFormat resultFile}.
 */
final class DrainChild {
    private DrainChild() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 10) {
            System.err.println("usage: DrainChild system host port database publication slot changes"
                    + " timeoutSeconds debeziumFormat resultFile");
            System.exit(2);
        }
        quietLogging();
        DrainSystem system = DrainSystem.parse(args[0]);
        Backlog backlog = new Backlog(
                args[1],
                Integer.parseInt(args[2]),
                args[3],
                args[4],
                Map.of(system, args[5]),
                Long.parseLong(args[6]),
                0,
                0,
                "0/0",
                0);
        DrainRun run = Drainer.of(system, args[8]).drain(backlog, Duration.ofSeconds(Long.parseLong(args[7])));
        Files.writeString(Path.of(args[9]), run.line());
        // Debezium and the HTTP client leave non-daemon threads behind.
        System.exit(0);
    }

    /** Start-up chatter of Kafka Connect and Debezium at INFO is kept; per-change logging is not. */
    static void quietLogging() {
        if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext ctx) {
            ctx.getLogger("org.apache.kafka").setLevel(Level.WARN);
            ctx.getLogger("io.zonky").setLevel(Level.WARN);
            ctx.getLogger("org.postgresql").setLevel(Level.WARN);
        }
    }
}
