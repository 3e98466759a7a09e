package dev.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Calls that destroy or rewrite data throw without {@link Confirm#YES} before sending anything: the client points
 * at a real HTTP server that counts what reaches it (and would answer 200 to anything).
 */
class SafetyValvesTest {
    private HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private SluiceClient client;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            requests.incrementAndGet();
            byte[] body = "{}".getBytes();
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        client = SluiceClient.builder()
                .baseUrl("http://127.0.0.1:" + server.getAddress().getPort())
                .apiToken("t")
                .build();
    }

    @AfterEach
    void stop() {
        client.close();
        server.stop(0);
    }

    private void refusedBeforeAnyRequest(ThrowingCallable call, String mentions) {
        assertThatThrownBy(call)
                .isInstanceOf(ConfirmationRequiredException.class)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(mentions)
                .hasMessageContaining("pass Confirm.YES")
                .hasMessageContaining("nothing was sent");
        assertThat(requests).as("requests sent").hasValue(0);
    }

    @Test
    void deletingADatabase() {
        refusedBeforeAnyRequest(() -> client.databases().delete("app", null), "also deletes every sink");
        refusedBeforeAnyRequest(() -> client.databases().deleteAsync("app", null), "database 'app'");
    }

    @Test
    void discardingEveryFailedMessage() {
        refusedBeforeAnyRequest(() -> client.messages("orders").discardAll(null), "sink 'orders'");
        refusedBeforeAnyRequest(() -> client.messages("orders").discardAllAsync(null), "loses them for good");
    }

    @Test
    void backfillingAWholeTable() {
        BackfillRequest whole = BackfillRequest.builder().table("public.orders").build();
        assertThat(whole.isWholeTable()).isTrue();
        refusedBeforeAnyRequest(() -> client.backfills("orders").create(whole), "all of public.orders");
        refusedBeforeAnyRequest(() -> client.backfills("orders").create(whole, null), "into sink 'orders'");
        refusedBeforeAnyRequest(() -> client.backfills("orders").createAsync(whole, null), "every row again");
    }

    @Test
    void initDroppingExistingTables() {
        JobSpec init = JobSpec.builder("init", "postgres://a/b", "postgres://c/d")
                .dropExisting(true)
                .build();
        assertThat(init.dropsExisting()).isTrue();
        refusedBeforeAnyRequest(() -> client.jobs().create(init), "drop_existing");
        refusedBeforeAnyRequest(() -> client.jobs().createAsync(init, null), "drops the target's existing tables");
    }

    @Test
    void theSameCallsWithoutDanger_needNoConfirmation() {
        client.backfills("orders")
                .create(BackfillRequest.builder()
                        .table("public.orders")
                        .sortColumn("id")
                        .startPosition("10")
                        .build());
        client.jobs()
                .create(JobSpec.builder("init", "postgres://a/b", "postgres://c/d")
                        .dropExisting(false)
                        .build());
        client.messages("orders").discard("1-0");
        assertThat(requests).hasValue(3);
    }
}
