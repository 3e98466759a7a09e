package dev.sluice.sink.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.testkit.TestMessages;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouteTest {
    private static final RabbitMqConfig CONFIG = new RabbitMqConfig("h", 5672, "u", "p", "/", false, "records");

    @Test
    void defaults_areSequins_routingKeyFromDatabaseSchemaTableAction_andIdempotencyKey() {
        SinkMessage m = TestMessages.insert("o-1", "Ada", 0);
        Route r = Route.of(CONFIG);
        assertThat(r.exchange()).isEqualTo("records");
        assertThat(r.routingKeyOf(m, "shop")).isEqualTo("sequin.shop.public.orders.insert");
        assertThat(r.messageIdOf(m)).isEqualTo(m.idempotencyKey());
        assertThat(r.headers()).isNull();
    }

    @Test
    void routedKeys_overrideTheDefaults_andNullKeepsThem() {
        Map<String, Object> routing = new HashMap<>();
        routing.put("exchange", "other");
        routing.put("routing_key", "orders.created");
        routing.put("headers", Map.of("tenant", "acme", "n", 3L, "ok", true));
        routing.put("message_id", null);
        SinkMessage m = TestMessages.insert("o-1", "Ada", 0);
        Route r = Route.of(routing, CONFIG);
        assertThat(r.exchange()).isEqualTo("other");
        assertThat(r.routingKeyOf(m, "shop")).isEqualTo("orders.created");
        assertThat(r.headers())
                .containsEntry("tenant", "acme")
                .containsEntry("n", 3L)
                .containsEntry("ok", true);
        assertThat(r.messageIdOf(m)).isEqualTo(m.idempotencyKey());
        Map<String, Object> nulls = new HashMap<>();
        nulls.put("exchange", null);
        assertThat(Route.of(nulls, CONFIG).exchange()).isEqualTo("records");
    }

    @Test
    void invalidRoutedValues_failRetriably_namingTheKey_withoutHeaderValues() {
        assertThat(failure(Map.of("exchange", 7L)).getMessage())
                .isEqualTo("routing: exchange 7 must be a string, the name of an exchange");
        assertThat(failure(Map.of("exchange", "")).getMessage()).startsWith("routing: exchange \"\" is empty");
        assertThat(failure(Map.of("routing_key", "k".repeat(256))).getMessage())
                .endsWith("is 256 bytes long (UTF-8); at most 255");
        assertThat(failure(Map.of("message_id", List.of())).getMessage()).contains("must be a string");
        SinkException headers = failure(Map.of("headers", Map.of("auth", List.of("secret-token"))));
        assertThat(headers.getMessage()).contains("'auth'").doesNotContain("secret-token");
        assertThat(headers.retriable()).isTrue();
        assertThat(failure(Map.of("headers", "x")).getMessage()).contains("must be an object");
    }

    @Test
    void databaseName_isReadFromTheMessagesMetadata() {
        assertThat(DatabaseName.of(TestMessages.insert("o-1", "Ada", 0).json())).isEqualTo("shop");
        assertThat(DatabaseName.of(bytes("{\"metadata\":{\"database_name\":\"a\\\"b\\u00e9\"}}")))
                .isEqualTo("a\"bé");
        assertThat(DatabaseName.of(bytes("{\"record\":{}}"))).isNull();
        assertThat(DatabaseName.of(bytes("{\"database_name\":\"unterminated"))).isNull();
    }

    @Test
    void aGroupsLaterMessages_areHeldBackAfterOneToRetry_butNotAfterARejectedOne() {
        List<SinkMessage> batch = new ArrayList<>();
        for (String g : List.of("a", "b", "a", "c", "a", "b", "c")) {
            batch.add(TestMessages.sequenced(g, batch.size()));
        }
        BitSet retry = new BitSet();
        retry.set(0); // a
        BitSet rejected = new BitSet();
        rejected.set(3); // c: rejected for good, its later message goes
        RabbitMqSink.holdBackLaterOfGroups(batch, rejected, retry);
        assertThat(retry.stream().boxed().toList()).containsExactly(0, 2, 4);
    }

    private static SinkException failure(Map<String, Object> routing) {
        try {
            Route.of(routing, CONFIG);
        } catch (SinkException e) {
            assertThat(e.retriable()).isTrue();
            return e;
        }
        throw new AssertionError("no SinkException");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
