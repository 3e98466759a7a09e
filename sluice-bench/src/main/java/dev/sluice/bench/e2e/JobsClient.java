package dev.sluice.bench.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Creates replication jobs over Sluice's {@code /api/jobs} and polls them to their end, as a client would. */
final class JobsClient implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Set<String> ENDED = Set.of("completed", "failed", "cancelled");
    /**
     * How often a running job is polled. A job's time is taken from its own {@code completed_at}, not from the poll that
     * sees it, so polling seldom costs no precision, and spares the server (each poll is a request and a query of its
     * metadata store, on the same cores as the job).
     */
    static final Duration POLL = Duration.ofMillis(100);

    private final HttpClient http = HttpClient.newHttpClient();
    private final String base;
    private final String token;

    JobsClient(int port, String token) {
        this.base = "http://127.0.0.1:" + port + "/api/jobs";
        this.token = token;
    }

    /**
     * A job run to its end: the job as last polled, and the time from just before the POST to the job's {@code
     * completed_at} (the server's clock, on this machine).
     */
    record Run(JsonNode job, double seconds) {
        String status() {
            return job.get("status").asString();
        }
    }

    /** A JobSpec of {@code command} from {@code source} to {@code target} with {@code options.parallelism}. */
    static String spec(String command, String source, String target, int parallelism) {
        return """
                {"schema_version": "1.0", "command": "%s", "source_url": "%s", "target_url": "%s",
                 "options": {"parallelism": %d}}""".formatted(command, source, target, parallelism);
    }

    /** Posts {@code spec} and polls the job every {@link #POLL} until it has ended or {@code timeout} passed. */
    Run run(String spec, Duration timeout) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Instant posted = Instant.now();
        HttpResponse<String> created = http.send(
                request(base)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(spec))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (created.statusCode() != 201) {
            throw new IOException("POST /api/jobs answered " + created.statusCode() + ": " + created.body());
        }
        String id = JSON.readTree(created.body()).get("job_id").asString();
        long deadline = t0 + timeout.toNanos();
        while (true) {
            JsonNode job = get(id);
            if (ENDED.contains(job.get("status").asString())) {
                JsonNode completed = job.get("completed_at");
                double seconds = completed == null || completed.isNull()
                        ? (System.nanoTime() - t0) / 1e9
                        : Duration.between(posted, Instant.parse(completed.asString()))
                                        .toNanos()
                                / 1e9;
                return new Run(job, seconds);
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("job " + id + " did not end within " + timeout + ": " + job);
            }
            Thread.sleep(POLL);
        }
    }

    /** Posts {@code spec}; returns the job's id without waiting for it. */
    String create(String spec) throws IOException, InterruptedException {
        HttpResponse<String> created = http.send(
                request(base)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(spec))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (created.statusCode() != 201) {
            throw new IOException("POST /api/jobs answered " + created.statusCode() + ": " + created.body());
        }
        return JSON.readTree(created.body()).get("job_id").asString();
    }

    /** Asks the job to stop. */
    void cancel(String id) throws IOException, InterruptedException {
        http.send(
                request(base + "/" + id + "/cancel")
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    JsonNode get(String id) throws IOException, InterruptedException {
        HttpResponse<String> r =
                http.send(request(base + "/" + id).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET /api/jobs/" + id + " answered " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }

    private HttpRequest.Builder request(String url) {
        return HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(30));
    }

    @Override
    public void close() {
        http.close();
    }
}
