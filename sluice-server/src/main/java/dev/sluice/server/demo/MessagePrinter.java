package dev.sluice.server.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.PrintStream;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/** The demo's webhook receiver: prints one line per delivered message, the first one in full. */
final class MessagePrinter implements HttpHandler {
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    private final PrintStream out;
    private final AtomicLong count = new AtomicLong();

    MessagePrinter(PrintStream out) {
        this.out = out;
    }

    long count() {
        return count.get();
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            JsonNode body = JSON.readTree(ex.getRequestBody().readAllBytes());
            if (body.has("data")) {
                body.get("data").forEach(this::print);
            } else {
                print(body);
            }
            ex.sendResponseHeaders(200, -1);
        } catch (RuntimeException e) {
            ex.sendResponseHeaders(400, -1);
        }
    }

    private void print(JsonNode m) {
        long n = count.incrementAndGet();
        JsonNode meta = m.path("metadata");
        synchronized (out) {
            if (n == 1) {
                out.println("First message, in full (the format every sink receives):");
                out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m));
                out.println();
            }
            String changes = m.path("changes").isObject() ? "  changes " + m.get("changes") : "";
            out.printf(
                    "%s  %-6s %-17s %s%s%n",
                    LocalTime.now().format(TIME),
                    m.path("action").asString(),
                    meta.path("table_schema").asString() + "."
                            + meta.path("table_name").asString(),
                    m.path("record"),
                    changes);
        }
    }
}
