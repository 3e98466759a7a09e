package dev.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.WebhookReceiver;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Round trips of every resource group of the SDK against a live server (embedded Postgres, real HTTP). */
class ResourcesIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static SluiceClient client;

    @BeforeAll
    static void start() {
        sluice.start();
        client = Live.client(sluice);
    }

    @AfterAll
    static void close() {
        client.close();
    }

    @Test
    void databases_createGetUpdateTestRefresh_deleteNeedsConfirmAndTakesItsSinks() {
        Database db = Live.database(sluice, client, "CREATE TABLE users (id int PRIMARY KEY, name text)");
        assertThat(db.id()).isNotEmpty();
        assertThat(db.port()).isEqualTo(ServerFixture.PG.port());
        assertThat(db.slotName()).isEqualTo(sluice.slot(db.database()).name());
        assertThat(client.databases().get(db.name()))
                .isEqualTo(client.databases().get(db.id()));
        assertThat(client.databases().stream().map(Database::name)).contains(db.name());

        Database updated = client.databases()
                .update(db.name(), DatabaseRequest.builder().poolSize(3).build());
        assertThat(updated.poolSize()).isEqualTo(3);
        assertThat(updated.raw().path("pool_size").asInt()).isEqualTo(3);

        assertThat(client.databases().testConnection(db.name())).isEqualTo(new ConnectionTest(true, null));
        assertThat(client.databases().refreshTables(db.name())).containsExactly("public.users");

        Sink sink =
                Live.sink(client, db, Live.endpoint(client, sluice.receiver().url()), "public.users");
        assertThatThrownBy(() -> client.databases().delete(db.name(), null))
                .isInstanceOf(ConfirmationRequiredException.class)
                .hasMessageContaining("Confirm.YES");
        assertThat(client.databases().get(db.name()).name()).isEqualTo(db.name());

        client.databases().delete(db.name(), Confirm.YES);
        assertThatThrownBy(() -> client.databases().get(db.name())).isInstanceOf(SluiceException.NotFound.class);
        assertThatThrownBy(() -> client.sinks().get(sink.name())).isInstanceOf(SluiceException.NotFound.class);
    }

    @Test
    void httpEndpoints_crud_secretsMasked() {
        HttpEndpoint e = client.httpEndpoints()
                .create(HttpEndpointRequest.builder()
                        .name(Live.name("orders-api"))
                        .url("https://orders.example.com")
                        .header("X-Source", "sluice")
                        .encryptedHeader("Authorization", "Bearer abc123")
                        .build());
        assertThat(e.headers()).containsEntry("X-Source", "sluice");
        assertThat(e.encryptedHeaders()).containsEntry("Authorization", "************");
        assertThat(e.raw().toString()).doesNotContain("abc123");

        HttpEndpoint changed = client.httpEndpoints()
                .update(
                        e.name(),
                        HttpEndpointRequest.builder()
                                .url("https://orders-v2.example.com")
                                .build());
        assertThat(changed.url()).isEqualTo("https://orders-v2.example.com");
        assertThat(changed.id()).isEqualTo(e.id());
        assertThat(client.httpEndpoints().get(e.id()).url()).isEqualTo("https://orders-v2.example.com");

        client.httpEndpoints().delete(e.name());
        assertThatThrownBy(() -> client.httpEndpoints().get(e.name()))
                .isInstanceOfSatisfying(
                        SluiceException.NotFound.class,
                        nf -> assertThat(nf.summary()).contains(e.name()));
    }

    @Test
    void functions_crud() {
        SinkFunction f = client.functions()
                .create(FunctionRequest.builder()
                        .name(Live.name("paid"))
                        .type("filter")
                        .description("paid orders only")
                        .code("function filter(action, record) { return record.status === \"paid\"; }")
                        .build());
        assertThat(f.type()).isEqualTo("filter");
        assertThat(f.usedBy()).isEmpty();
        assertThat(f.insertedAt()).isNotNull();

        SinkFunction changed = client.functions()
                .update(f.name(), FunctionRequest.builder().description("v2").build());
        assertThat(changed.description()).isEqualTo("v2");
        assertThat(client.functions().get(f.id()).description()).isEqualTo("v2");
        assertThat(client.functions().stream().map(SinkFunction::name)).contains(f.name());

        assertThatThrownBy(() -> client.functions()
                        .create(FunctionRequest.builder()
                                .name(Live.name("broken"))
                                .type("filter")
                                .code("function filter(action, record) { return ; ; }}")
                                .build()))
                .isInstanceOfSatisfying(
                        SluiceException.Validation.class,
                        v -> assertThat(v.fieldErrors()).containsKey("code"));

        client.functions().delete(f.name());
        assertThatThrownBy(() -> client.functions().get(f.name())).isInstanceOf(SluiceException.NotFound.class);
    }

    @Test
    void sinks_crud_pauseResume_testConnection() {
        Database db = Live.database(sluice, client, "CREATE TABLE orders (id int PRIMARY KEY)");
        HttpEndpoint hook = Live.endpoint(client, sluice.receiver().url());
        Sink sink = Live.sink(client, db, hook, "public.orders");
        assertThat(sink.isActive()).isTrue();
        assertThat(sink.database()).isEqualTo(db.name());
        assertThat(sink.destinationType()).isEqualTo("webhook");
        assertThat(sink.destination().path("http_endpoint").asString()).isEqualTo(hook.name());

        Sink paused = client.sinks().pause(sink.name());
        assertThat(paused.isPaused()).isTrue();
        assertThat(client.sinks().get(sink.id()).isPaused()).isTrue();
        assertThat(client.sinks().resume(sink.name()).isActive()).isTrue();

        Sink bigger = client.sinks()
                .update(sink.name(), SinkRequest.builder().batchSize(50).build());
        assertThat(bigger.batchSize()).isEqualTo(50);
        assertThat(client.sinks().testConnection(sink.name()).success()).isTrue();

        client.sinks().delete(sink.name());
        assertThatThrownBy(() -> client.sinks().get(sink.name())).isInstanceOf(SluiceException.NotFound.class);
    }

    @Test
    void apiKeys_createListDelete_tokenShownOnceAndWorks() {
        ApiKey key = client.apiKeys().create(Live.name("ci"));
        assertThat(key.token()).startsWith("sluice_");
        assertThat(key.toString()).doesNotContain(key.token());
        assertThat(client.apiKeys().stream()).anySatisfy(k -> {
            assertThat(k.name()).isEqualTo(key.name());
            assertThat(k.token()).isNull();
        });
        try (SluiceClient other = SluiceClient.builder()
                .baseUrl(Live.url(sluice))
                .apiToken(key.token())
                .build()) {
            assertThat(other.sinks().list().items()).isNotNull();
            client.apiKeys().delete(key.name());
            assertThatThrownBy(() -> other.sinks().list()).isInstanceOf(SluiceException.Unauthorized.class);
        }
    }

    @Test
    void backfills_wholeTableNeedsConfirm_runsToDone() {
        Database db = Live.database(
                sluice,
                client,
                "CREATE TABLE items (id int PRIMARY KEY, label text);"
                        + " INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 20) g");
        WebhookReceiver receiver = sluice.newReceiver();
        Sink sink = Live.sink(client, db, Live.endpoint(client, receiver.url()), "public.items");
        Backfills backfills = client.backfills(sink.name());
        BackfillRequest whole = BackfillRequest.builder().table("public.items").build();

        assertThatThrownBy(() -> backfills.create(whole)).isInstanceOf(ConfirmationRequiredException.class);
        Backfill created = backfills.create(whole, Confirm.YES);
        assertThat(created.table()).isEqualTo("public.items");
        assertThat(created.sinkName()).isEqualTo(sink.name());

        Backfill done = await("backfill done")
                .atMost(ServerFixture.WAIT)
                .until(() -> backfills.get(created.id()), Backfill::isDone);
        assertThat(done.state()).isEqualTo("completed");
        assertThat(done.rowsIngestedCount()).isEqualTo(20);
        receiver.awaitAccepted(20, ServerFixture.WAIT);
        assertThat(backfills.list().items()).extracting(Backfill::id).contains(created.id());

        assertThatThrownBy(() -> backfills.cancel(created.id()))
                .isInstanceOfSatisfying(
                        SluiceException.Validation.class,
                        v -> assertThat(v.fieldErrors()).containsKey("state"));

        // A partial backfill needs no confirmation.
        Backfill partial = backfills.create(BackfillRequest.builder()
                .table("public.items")
                .sortColumn("id")
                .startPosition("15")
                .build());
        await().atMost(ServerFixture.WAIT).until(() -> backfills.get(partial.id()), Backfill::isDone);
        backfills.delete(partial.id());
        assertThatThrownBy(() -> backfills.get(partial.id())).isInstanceOf(SluiceException.NotFound.class);
    }

    @Test
    void jobs_createPollCancel_initDropExistingNeedsConfirm() {
        String source = sluice.database("jobsrc", "CREATE TABLE t (id int PRIMARY KEY)");
        String target = sluice.database("jobdst");
        JobSpec validate = JobSpec.builder(
                        "validate", ServerFixture.PG.postgresUrl(source), ServerFixture.PG.postgresUrl(target))
                .build();
        assertThat(validate.toString()).doesNotContain("postgres://");
        Job job = client.jobs().create(validate);
        assertThat(job.status()).isEqualTo("provisioning");
        Job ended = await("job ends")
                .atMost(ServerFixture.WAIT)
                .until(() -> client.jobs().get(job.id()), Job::isTerminal);
        assertThat(ended.command()).isEqualTo("validate");
        assertThat(client.jobs().stream().map(Job::id)).contains(job.id());
        assertThat(client.jobs().stream(ended.status()).map(Job::id)).contains(job.id());

        assertThatThrownBy(() -> client.jobs().cancel(job.id())).isInstanceOf(SluiceException.Conflict.class);

        JobSpec init = JobSpec.builder(
                        "init", ServerFixture.PG.postgresUrl(source), ServerFixture.PG.postgresUrl(target))
                .dropExisting(true)
                .build();
        assertThatThrownBy(() -> client.jobs().create(init))
                .isInstanceOf(ConfirmationRequiredException.class)
                .hasMessageContaining("drop_existing");
    }

    @Test
    void messages_listRedeliverDiscard_discardAllNeedsConfirm() {
        Database db = Live.database(sluice, client, "CREATE TABLE payments (id int PRIMARY KEY)");
        WebhookReceiver failing = sluice.newReceiver().respondWith(500);
        Sink sink = client.sinks()
                .create(SinkRequest.builder()
                        .name(Live.name("failing"))
                        .database(db.name())
                        .tables("public.payments")
                        .webhook(Live.endpoint(client, failing.url()).name(), "")
                        // Long back-offs: only the test's redeliver retries meanwhile.
                        .set("retry_backoff_ms", 60_000)
                        .set("max_retry_backoff_ms", 60_000)
                        .build());
        ServerFixture.PG.execute(db.database(), "INSERT INTO payments VALUES (1), (2), (3)");
        Messages messages = client.messages(sink.name());
        List<FailedMessage> failed = await("3 failed messages")
                .atMost(ServerFixture.WAIT)
                .until(() -> messages.stream(Messages.State.FAILED).toList(), l -> l.size() == 3);
        assertThat(failed).allSatisfy(m -> {
            assertThat(m.table()).isEqualTo("public.payments");
            assertThat(m.action()).isEqualTo("insert");
            assertThat(m.deliverCount()).isPositive();
            assertThat(m.data().path("record").path("id").isInt()).isTrue();
        });

        assertThat(messages.redeliver(failed.get(0).id())).isEqualTo(1);
        assertThat(messages.redeliverAll()).isGreaterThanOrEqualTo(0);
        await().atMost(ServerFixture.WAIT)
                .untilAsserted(
                        () -> assertThat(messages.discard(failed.get(1).id())).isEqualTo(1));

        assertThatThrownBy(() -> messages.discardAll(null)).isInstanceOf(ConfirmationRequiredException.class);
        await().atMost(ServerFixture.WAIT).untilAsserted(() -> {
            messages.discardAll(Confirm.YES);
            assertThat(messages.stream(Messages.State.DISCARDED).toList()).hasSize(3);
        });
        assertThat(messages.list().items()).isEmpty();
    }

    @Test
    void asyncVariants_roundTrip_andFailWithTheSameExceptions() {
        HttpEndpoint created = client.httpEndpoints()
                .createAsync(HttpEndpointRequest.builder()
                        .name(Live.name("async"))
                        .url("https://async.example.com")
                        .build())
                .join();
        assertThat(client.httpEndpoints().getAsync(created.name()).join().id()).isEqualTo(created.id());
        assertThat(client.httpEndpoints()
                        .updateAsync(
                                created.name(),
                                HttpEndpointRequest.builder()
                                        .url("https://async2.example.com")
                                        .build())
                        .join()
                        .url())
                .isEqualTo("https://async2.example.com");
        assertThat(client.httpEndpoints().listAsync(1000, null).join().items())
                .extracting(HttpEndpoint::id)
                .contains(created.id());
        client.httpEndpoints().deleteAsync(created.name()).join();

        assertThatThrownBy(() -> client.httpEndpoints().getAsync(created.name()).join())
                .isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(SluiceException.NotFound.class);
        assertThat(client.sinks().getAsync("nope").exceptionally(e -> null).join())
                .isNull();
        assertThat(client.functions().listAsync(10, null).join().items()).isNotNull();
        assertThat(client.databases().listAsync(10, null).join().hasMore()).isFalse();
        assertThat(client.jobs().listAsync(10, null).join()).isNotNull();
        assertThat(client.apiKeys().listAsync(10, null).join().items())
                .extracting(ApiKey::name)
                .contains("env");
    }
}
