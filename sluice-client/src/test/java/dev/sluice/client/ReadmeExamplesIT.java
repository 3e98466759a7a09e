package dev.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.client.webhook.WebhookEvent;
import dev.sluice.client.webhook.WebhookSignature;
import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.server.fixture.Slot;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The code of sluice-client/README.md, run against a live server. Each {@code @start region=...} to {@code @end}
 * is a code block of the README, word for word ({@link ReadmeTest} checks it), so the README cannot drift from code
 * that compiles and runs.
 */
class ReadmeExamplesIT {
    @RegisterExtension
    final ServerFixture sluice = new ServerFixture();

    @Test
    void readmeExamples() {
        sluice.start();
        String baseUrl = "http://127.0.0.1:" + sluice.server().port();
        String apiToken = ServerFixture.TOKEN;
        String pgDatabase = sluice.database("readme", "CREATE TABLE orders (id int PRIMARY KEY, status text)");
        Slot slot = sluice.slot(pgDatabase);
        String slotName = slot.name();
        String publication = slot.publication();
        int pgPort = ServerFixture.PG.port();
        String receiverUrl = sluice.receiver().url().toString();

        // @start region="connect"
        SluiceClient client = SluiceClient.builder()
                .baseUrl(baseUrl) // default http://localhost:7376
                .apiToken(apiToken)
                .requestTimeout(Duration.ofSeconds(10))
                .retryPolicy(RetryPolicy.defaults().withMaxAttempts(5))
                .build();
        // @end

        // @start region="create-database"
        Database db = client.databases()
                .create(DatabaseRequest.builder()
                        .name("app")
                        .hostname("localhost")
                        .port(pgPort)
                        .database(pgDatabase)
                        .username("postgres")
                        .ssl(false)
                        .slot(slotName, publication, true)
                        .build());
        System.out.println(db.name() + " reads slot " + db.slotName());
        // @end

        // @start region="create-sink"
        client.httpEndpoints()
                .create(HttpEndpointRequest.builder()
                        .name("orders-api")
                        .url(receiverUrl)
                        .encryptedHeader("Authorization", "Bearer s3cret")
                        .build());
        Sink sink = client.sinks()
                .create(SinkRequest.builder()
                        .name("orders")
                        .database("app")
                        .tables("public.orders")
                        .webhook("orders-api", "/cdc")
                        .batchSize(100)
                        .build());
        // @end
        assertThat(sink.isActive()).isTrue();

        // @start region="stream"
        List<String> paused =
                client.sinks().stream().filter(Sink::isPaused).map(Sink::name).toList();
        Page<Sink> firstPage = client.sinks().list(50, null);
        if (firstPage.hasMore()) {
            Page<Sink> secondPage = client.sinks().list(50, firstPage.nextCursor());
        }
        // @end
        assertThat(paused).isEmpty();

        // @start region="pause"
        client.sinks().pause("orders");
        client.sinks().resume("orders");
        // @end

        ServerFixture.PG.execute(pgDatabase, "INSERT INTO orders VALUES (1, 'paid')");
        sluice.receiver().awaitAccepted(1, ServerFixture.WAIT);

        // @start region="backfill"
        Backfills backfills = client.backfills("orders");
        Backfill resync = backfills.create(
                BackfillRequest.builder().table("public.orders").build(), Confirm.YES); // every row again
        // @end
        await().atMost(ServerFixture.WAIT)
                .until(() -> backfills.get(resync.id()).isDone());
        // @start region="backfill-partial"
        Backfill partial = backfills.create(BackfillRequest.builder()
                .table("public.orders")
                .sortColumn("id")
                .startPosition("1000")
                .build()); // a partial backfill needs no confirmation
        boolean done = backfills.get(partial.id()).isDone();
        // @end
        await().atMost(ServerFixture.WAIT)
                .until(() -> backfills.get(partial.id()).isDone());

        // @start region="errors"
        try {
            client.sinks().get("no-such-sink");
        } catch (SluiceException e) {
            String advice = switch (e) {
                case SluiceException.NotFound nf -> "check the name";
                case SluiceException.Validation v -> "fix " + v.fieldErrors().keySet();
                case SluiceException.RateLimited r -> "retry in " + r.retryAfter();
                case SluiceException.Conflict c -> "not now: " + c.summary();
                case SluiceException.Unauthorized u -> "check SLUICE_API_KEY";
                case SluiceException.Forbidden f -> "this token may not do that";
                case SluiceException.ServerError s -> "Sluice failed (" + s.status() + ")";
                case SluiceException.Transport t -> "cannot reach Sluice: " + t.summary();
            };
            System.out.println(advice + " (request " + e.requestId().orElse("?") + ")");
        }
        // @end

        // @start region="messages"
        Messages failed = client.messages("orders");
        failed.stream(Messages.State.FAILED)
                .forEach(m -> System.out.println(m.id() + " " + m.table() + ": " + m.lastError()));
        failed.redeliverAll();
        // @end

        // @start region="async"
        client.sinks()
                .getAsync("orders")
                .thenAccept(s -> System.out.println(s.name() + " is " + s.status()))
                .join();
        // @end

        String secret = "whsec_readme";
        byte[] rawBody =
                "{\"id\":\"evt_1\",\"type\":\"sink.failing\",\"created_at\":\"2026-01-01T00:00:00Z\",\"data\":{}}"
                        .getBytes(StandardCharsets.UTF_8);
        String signatureHeader = WebhookSignature.compute(rawBody, secret, Instant.now());
        // @start region="verify"
        if (!WebhookSignature.verify(rawBody, signatureHeader, secret)) {
            throw new SecurityException("not from Sluice");
        }
        WebhookEvent event = WebhookEvent.parse(rawBody);
        System.out.println(event.type() + " " + event.data());
        // @end
        assertThat(event.type()).isEqualTo(WebhookEvent.SINK_FAILING);

        // @start region="delete"
        client.sinks().delete("orders");
        client.databases().delete("app", Confirm.YES); // also deletes the sinks that read it
        client.close();
        // @end
        try (SluiceClient check = Live.client(sluice)) {
            assertThat(check.databases().list().items()).isEmpty();
        }
    }
}
