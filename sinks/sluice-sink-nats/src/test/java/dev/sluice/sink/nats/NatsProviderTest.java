package dev.sluice.sink.nats;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Action;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.core.sink.SinkProviders;
import dev.sluice.testkit.FreePort;
import dev.sluice.testkit.TestMessages;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NatsProviderTest {
    private final NatsProvider provider = new NatsProvider();

    private Configured<NatsConfig> configure(Map<String, ?> given) {
        return provider.configure(ConfigValues.of(provider.schema(), given));
    }

    @Test
    void isInstalled_withSequinsFieldsAndDefaults() {
        assertThat(SinkProviders.installed().find("nats")).containsInstanceOf(NatsProvider.class);
        assertThat(provider.schema().names())
                .containsExactly(
                        "host", "port", "username", "password", "jwt", "nkey_seed", "tls", "request_timeout_ms");
        assertThat(provider.schema().secretNames()).containsExactlyInAnyOrder("password", "jwt", "nkey_seed");
        assertThat(provider.routingKeys()).containsExactly("subject", "headers");
        assertThat(provider.requiredRoutingKeys()).containsExactly("subject");
        assertThat(provider.defaultBatchSize()).isEqualTo(50);
    }

    @Test
    void configure_fillsSequinsDefaults() {
        NatsConfig c = configure(Map.of("host", "localhost")).orThrow();
        assertThat(c.port()).isEqualTo(4222);
        assertThat(c.tls()).isFalse();
        assertThat(c.username()).isNull();
        assertThat(c.nkeySeed()).isNull();
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void configure_takesSequinsExample_andItsCheckSaysThePlaceholderSeedIsNoSeed() {
        // sinks.create_get_update.response.nats.normalized.json sets every credential, with placeholders.
        NatsConfig c = configure(Map.of(
                        "host", "localhost",
                        "port", 4222,
                        "username", "nats_user",
                        "password", "nats_password",
                        "jwt", "your-jwt-token",
                        "nkey_seed", "your-nkey-seed",
                        "tls", false))
                .orThrow();
        assertThat(c.username()).isEqualTo("nats_user");
        CheckResult result = provider.check(c, Duration.ofSeconds(1));
        assertThat(result.status()).isEqualTo(CheckResult.Status.UNAUTHORIZED);
        assertThat(result.detail()).contains("jwt is not a JWT").doesNotContain("your-jwt-token");
    }

    @Test
    void configure_reportsProblemsAtTheirFields() {
        assertThat(((Configured.Invalid<NatsConfig>) configure(Map.of("host", "localhost", "username", "u")))
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("password"));
        assertThat(((Configured.Invalid<NatsConfig>) configure(Map.of("host", "nats://localhost:4222"))).problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("host"));
    }

    @Test
    void examples_configure_andSetEverySecretWithItsOwnValue() {
        Set<Object> secrets = new HashSet<>();
        Set<String> secretNames = new HashSet<>();
        for (Map<String, Object> example : provider.examples()) {
            configure(example).orThrow();
            for (String name : provider.schema().secretNames()) {
                if (example.containsKey(name)) {
                    secretNames.add(name);
                    assertThat(secrets.add(example.get(name)))
                            .as("unique " + name)
                            .isTrue();
                }
            }
        }
        assertThat(secretNames)
                .containsExactlyInAnyOrderElementsOf(provider.schema().secretNames());
    }

    @Test
    void defaultSubject_isSequinsPattern_withTheDatabaseNameFromTheMessage() {
        SinkMessage m = TestMessages.insert("o-1", "Ada", 0);
        assertThat(DefaultSubject.databaseName(m.json())).isEqualTo("shop");
        DefaultSubject subjects = new DefaultSubject();
        assertThat(subjects.of(m)).isEqualTo("sequin.shop.public.orders.insert");
        SinkMessage deleted = new SinkMessage(
                m.position(), m.table(), Action.DELETE, m.committedAt(), m.json(), m.groupId(), m.idempotencyKey());
        assertThat(subjects.of(deleted)).isEqualTo("sequin.shop.public.orders.delete");
    }

    @Test
    void defaultSubject_ofATransformedMessage_takesTheNameFromItsSourceJson() {
        SinkMessage m = TestMessages.insert("o-1", "Ada", 0);
        SinkMessage transformed = m.with("{\"id\":\"o-1\"}".getBytes(StandardCharsets.UTF_8), null);
        assertThat(new DefaultSubject().of(transformed)).isEqualTo("sequin.shop.public.orders.insert");
    }

    @Test
    void defaultSubject_ofAMessageWithoutADatabaseName_usesTheNameSeenLast_orNone() {
        SinkMessage m = TestMessages.insert("o-1", "Ada", 0);
        SinkMessage bare = new SinkMessage(
                m.position(),
                m.table(),
                m.action(),
                m.committedAt(),
                "{\"id\":\"o-1\"}".getBytes(StandardCharsets.UTF_8),
                m.groupId(),
                m.idempotencyKey());
        assertThat(new DefaultSubject().of(bare)).isNull();
        DefaultSubject seen = new DefaultSubject();
        seen.of(m);
        assertThat(seen.of(bare)).isEqualTo("sequin.shop.public.orders.insert");
    }

    @Test
    void databaseName_decodesEscapes_andRefusesWhatTheEncoderDoesNotWrite() {
        assertThat(DefaultSubject.databaseName(bytes("{\"metadata\":{\"x\":1,\"database_name\":\"a\\u00e9\\\"b\"}}")))
                .isEqualTo("aé\"b");
        assertThat(DefaultSubject.databaseName(bytes("{\"metadata\":{\"x\":1,\"database_name\":\"db\"}} \n")))
                .isEqualTo("db");
        assertThat(DefaultSubject.databaseName(bytes("{\"database_name\":\"db\"}")))
                .isNull();
        assertThat(DefaultSubject.databaseName(bytes("{\"m\":{\"database_name\":\"a\",\"b\":\"c\"}}")))
                .isNull();
        assertThat(DefaultSubject.databaseName(bytes("[]"))).isNull();
    }

    @Test
    void check_closedPort_isUnreachable_andNamesTheServer() {
        int port = FreePort.find();
        NatsConfig c = configure(Map.of("host", "127.0.0.1", "port", port, "username", "u", "password", "pw-9"))
                .orThrow();
        CheckResult result = provider.check(c, Duration.ofSeconds(2));
        assertThat(result.status()).isEqualTo(CheckResult.Status.UNREACHABLE);
        assertThat(result.detail()).contains("127.0.0.1:" + port).doesNotContain("pw-9");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
