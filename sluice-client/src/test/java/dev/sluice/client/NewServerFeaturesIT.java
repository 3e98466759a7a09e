package dev.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.client.webhook.WebhookEvent;
import dev.sluice.client.webhook.WebhookSignature;
import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.WebhookReceiver;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The SDK's calls of the server features issue 19 adds alongside it: notification webhooks, schema metadata and
 * column selection, sync status, request ids.
 */
class NewServerFeaturesIT {
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
    void webhooks_crud_testDelivery_signedWithTheSecret_rotateSecret() {
        WebhookReceiver receiver = sluice.newReceiver();
        Webhook created = client.webhooks()
                .create(WebhookRequest.builder()
                        .name(Live.name("alerts"))
                        .url(receiver.url().toString())
                        .events(WebhookEvent.SINK_FAILING, WebhookEvent.BACKFILL_COMPLETED)
                        .build());
        assertThat(created.secret()).isNotBlank();
        assertThat(created.events()).containsExactlyInAnyOrder("sink.failing", "backfill.completed");
        assertThat(created.enabled()).isTrue();

        Webhook read = client.webhooks().get(created.name());
        assertThat(read.secret()).as("the secret is shown only on create").isNull();
        assertThat(client.webhooks().stream().map(Webhook::id)).contains(created.id());

        WebhookTest test = client.webhooks().test(created.name());
        assertThat(test.delivered()).as(test.toString()).isTrue();
        assertThat(test.status()).isEqualTo(200);
        WebhookReceiver.Request delivery =
                receiver.awaitRequests(1, ServerFixture.WAIT).getFirst();
        byte[] body = delivery.body().getBytes(StandardCharsets.UTF_8);
        String signature = delivery.header(WebhookSignature.HEADER).orElseThrow();
        assertThat(WebhookSignature.verify(body, signature, created.secret())).isTrue();
        WebhookEvent event = WebhookEvent.parse(body);
        assertThat(delivery.header("Sluice-Event-Id")).hasValue(event.id());
        assertThat(delivery.header("Sluice-Event-Type")).hasValue(event.type());
        assertThat(client.webhooks().get(created.id()).lastDelivery()).isNotNull();

        Webhook rotated = client.webhooks().rotateSecret(created.name());
        assertThat(rotated.secret()).isNotBlank().isNotEqualTo(created.secret());

        Webhook disabled = client.webhooks()
                .update(created.name(), WebhookRequest.builder().enabled(false).build());
        assertThat(disabled.enabled()).isFalse();
        client.webhooks().delete(created.name());
        assertThatThrownBy(() -> client.webhooks().get(created.name())).isInstanceOf(SluiceException.NotFound.class);
    }

    @Test
    void tables_ofADatabaseAndASink_columnSelection() {
        Database db = Live.database(
                sluice, client, "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, password_hash text)");
        List<Table> tables = client.databases().tables(db.name());
        Table users = tables.stream()
                .filter(t -> t.qualifiedName().equals("public.users"))
                .findFirst()
                .orElseThrow();
        assertThat(users.columns()).extracting(Table.Column::name).containsExactly("id", "email", "password_hash");
        assertThat(users.columns().getFirst().primaryKeyPosition()).isEqualTo(1);
        assertThat(users.columns().get(1).nullable()).isFalse();
        assertThat(users.published()).isTrue();

        Sink sink =
                Live.sink(client, db, Live.endpoint(client, sluice.receiver().url()), "public.users");
        List<Table> selected = client.sinks()
                .selectColumns(sink.name(), List.of(ColumnSelection.exclude("public.users", "password_hash")));
        assertThat(selected.getFirst().deliveredColumns()).containsExactly("id", "email");
        assertThat(client.sinks().tables(sink.name()).getFirst().excludeColumns())
                .containsExactly("password_hash");
        assertThatThrownBy(() -> client.sinks()
                        .selectColumns(sink.name(), List.of(ColumnSelection.exclude("public.users", "id"))))
                .isInstanceOf(SluiceException.Validation.class);
    }

    @Test
    void syncStatus_ofASink() {
        Database db = Live.database(sluice, client, "CREATE TABLE events (id int PRIMARY KEY)");
        Sink sink =
                Live.sink(client, db, Live.endpoint(client, sluice.receiver().url()), "public.events");
        SyncStatus status = client.sinks().status(sink.name());
        assertThat(status.sinkName()).isEqualTo(sink.name());
        assertThat(status.sinkId()).isEqualTo(sink.id());
        assertThat(status.status()).isEqualTo("active");
        assertThat(status.messagesFailing()).isZero();
    }

    @Test
    void errors_carryTheServersRequestId() {
        SluiceException e = assertThrowsSluice(() -> client.sinks().get("nope"));
        assertThat(e.requestId()).isPresent();
        assertThat(e.getMessage()).contains(e.requestId().orElseThrow());
    }

    private static SluiceException assertThrowsSluice(Runnable r) {
        try {
            r.run();
        } catch (SluiceException e) {
            return e;
        }
        throw new AssertionError("expected a SluiceException");
    }
}
