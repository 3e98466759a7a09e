package dev.sluice.sink.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.testkit.TestMessages;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.NKey;
import io.nats.client.Subscription;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** User credentials ({@code jwt} with {@code nkey_seed}) against a real nats-server in operator mode. */
class NatsCredentialsIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(3);
    private static final NatsOperatorServer nats = new NatsOperatorServer();

    @BeforeAll
    static void start() throws Exception {
        nats.start();
    }

    @AfterAll
    static void stop() throws Exception {
        nats.close();
    }

    private static NatsConfig config(String jwt, String seed) {
        return new NatsConfig("127.0.0.1", nats.port(), null, null, jwt, seed, false, TIMEOUT);
    }

    @Test
    void userJwtAndSeed_connect_andMessagesArrive() throws Exception {
        NatsConfig c = config(nats.userJwt(), nats.userSeed());
        assertThat(new NatsProvider().check(c, TIMEOUT)).isEqualTo(CheckResult.OK);
        try (Connection client = nats.client();
                NatsSink sink = new NatsSink(c)) {
            Subscription sub = client.subscribe("sequin.>");
            client.flush(TIMEOUT);
            sink.start(new SinkContext("nats-jwt", "nats-jwt"));
            sink.deliver(new Batch(List.of(TestMessages.insert("j-1", "jwt", 0))))
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            AtomicReference<Message> got = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                got.set(sub.nextMessage(Duration.ofMillis(100)));
                return got.get() != null;
            });
            assertThat(got.get().getSubject()).isEqualTo("sequin.shop.public.orders.insert");
        }
    }

    @Test
    void userJwtWithAnotherUsersSeed_isUnauthorized_withoutShowingEither() throws Exception {
        String otherSeed = new String(NKey.createUser(null).getSeed());
        CheckResult result = new NatsProvider().check(config(nats.userJwt(), otherSeed), TIMEOUT);
        assertThat(result.status()).as(result.detail()).isEqualTo(CheckResult.Status.UNAUTHORIZED);
        assertThat(result.detail()).doesNotContain(otherSeed).doesNotContain(nats.userJwt());
    }

    @Test
    void noCredentials_againstAnOperatorModeServer_isUnauthorized() {
        NatsConfig none = new NatsConfig("127.0.0.1", nats.port(), null, null, null, null, false, TIMEOUT);
        CheckResult result = new NatsProvider().check(none, TIMEOUT);
        assertThat(result.status()).as(result.detail()).isEqualTo(CheckResult.Status.UNAUTHORIZED);
    }
}
