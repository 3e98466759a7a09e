package dev.sluice.sink.nats;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.InvalidConfigException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NatsConfigTest {
    private static final String SEED = NatsProvider.EXAMPLE_SEED;
    private static final String JWT = NatsProvider.EXAMPLE_JWT;

    private static NatsConfig config(String user, String pw, String jwt, String seed) {
        return new NatsConfig("nats.local", 4222, user, pw, jwt, seed, false, Duration.ofSeconds(1));
    }

    private static String fieldOf(Runnable r) {
        try {
            r.run();
        } catch (InvalidConfigException e) {
            return e.field();
        }
        throw new AssertionError("no InvalidConfigException");
    }

    @Test
    void validConfig_keepsValues_stripsTheHost_andMakesTheUrl() {
        NatsConfig c = new NatsConfig(" nats.local ", 4223);
        assertThat(c.host()).isEqualTo("nats.local");
        assertThat(c.url()).isEqualTo("nats://nats.local:4223");
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(15));
        NatsConfig tls = new NatsConfig("::1", 4222, null, null, null, null, true, Duration.ofSeconds(1));
        assertThat(tls.url()).isEqualTo("tls://[::1]:4222");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "nats://localhost", "localhost/0", "local host"})
    void badHost_isReportedAtHost(String host) {
        assertThat(fieldOf(() -> new NatsConfig(host, 4222))).isEqualTo("host");
    }

    @Test
    void eachBadValue_isReportedAtItsField() {
        assertThat(fieldOf(() -> new NatsConfig("h", 0))).isEqualTo("port");
        assertThat(fieldOf(() -> new NatsConfig("h", 65_536))).isEqualTo("port");
        assertThat(fieldOf(() -> new NatsConfig("h", 1, null, null, null, null, false, Duration.ZERO)))
                .isEqualTo("request_timeout_ms");
    }

    @Test
    void credentials_comeInTheirPairs() {
        assertThat(fieldOf(() -> config("u", null, null, null))).isEqualTo("password");
        assertThat(fieldOf(() -> config("u", "", null, null))).isEqualTo("password");
        assertThat(fieldOf(() -> config(null, "pw", null, null))).isEqualTo("username");
        assertThat(fieldOf(() -> config(null, null, JWT, null))).isEqualTo("nkey_seed");
        assertThat(config("u", "pw", null, null).password()).isEqualTo("pw");
        assertThat(config(null, null, null, SEED).jwt()).isNull();
        assertThat(config(null, null, JWT, SEED).jwt()).isEqualTo(JWT);
        NatsConfig none = config(" ", "", " ", " ");
        assertThat(none.username()).isNull();
        assertThat(none.password()).isNull();
        assertThat(none.jwt()).isNull();
        assertThat(none.nkeySeed()).isNull();
    }

    @Test
    void badJwtOrSeed_isAccepted_asSequinDoes_andTheCredentialsCheckNamesIt_withoutShowingIt() {
        assertThat(config(null, null, JWT, SEED).credentialsProblem()).isNull();
        assertThat(config("u", "pw", null, SEED).credentialsProblem()).isNull();
        assertThat(config(null, null, "not-a-jwt", SEED).credentialsProblem()).startsWith("jwt is not a JWT");
        String otherKind = "SA" + SEED.substring(2); // an account seed, not a user's
        assertThat(config(null, null, null, otherKind).credentialsProblem())
                .startsWith("nkey_seed is not a user nkey seed")
                .doesNotContain(otherKind);
        String badChecksum = SEED.substring(0, SEED.length() - 1) + (SEED.endsWith("A") ? "B" : "A");
        assertThat(config(null, null, null, badChecksum).credentialsProblem())
                .startsWith("nkey_seed is not a valid nkey seed")
                .doesNotContain(badChecksum);
    }

    @Test
    void toString_hidesEverySecret() {
        assertThat(config("sluice", "s3cret-pw", null, null).toString())
                .doesNotContain("s3cret-pw")
                .contains("password=***", "username=sluice");
        assertThat(config(null, null, JWT, SEED).toString())
                .doesNotContain(JWT)
                .doesNotContain(SEED)
                .contains("jwt=***", "nkeySeed=***");
    }

    @Test
    void routedSubject_followsSequinsRule() {
        assertThat(NatsConfig.subjectProblem("orders.created-v1_x")).isNull();
        assertThat(NatsConfig.subjectProblem("s".repeat(255))).isNull();
        assertThat(NatsConfig.subjectProblem("")).isEqualTo("is empty");
        assertThat(NatsConfig.subjectProblem("s".repeat(256))).contains("at most 255");
        assertThat(NatsConfig.subjectProblem("orders.*")).contains("only letters");
        assertThat(NatsConfig.subjectProblem("a b")).contains("only letters");
        assertThat(NatsConfig.subjectProblem("a..b")).contains("empty token");
        assertThat(NatsConfig.subjectProblem(".a")).contains("empty token");
    }

    @Test
    void defaultSubject_isCheckedByNatsRulesOnly() {
        assertThat(NatsConfig.publishSubjectProblem("sequin.shop.public.Ördërs$.insert"))
                .isNull();
        assertThat(NatsConfig.publishSubjectProblem("sequin.shop.public.my table.insert"))
                .contains("whitespace");
        assertThat(NatsConfig.publishSubjectProblem("sequin.shop.public.>.insert"))
                .contains("wildcard");
        assertThat(NatsConfig.publishSubjectProblem("sequin.shop..t.insert")).contains("empty token");
    }

    @Test
    void routedHeaders_areNamesToStringsOrListsOfStrings() {
        Map<String, Object> ok = new LinkedHashMap<>();
        ok.put("X-Tenant", "acme");
        ok.put("X-Tags", List.of("a", "b"));
        assertThat(NatsConfig.headersProblem(ok)).isNull();
        assertThat(NatsConfig.headersProblem(Map.of("bad name", "v"))).contains("'bad name'");
        assertThat(NatsConfig.headersProblem(Map.of("X:Y", "v"))).contains("without ':'");
        assertThat(NatsConfig.headersProblem(Map.of("X-N", 7L))).contains("a string or a list of strings");
        assertThat(NatsConfig.headersProblem(Map.of("X-N", "a\r\nInjected: yes")))
                .contains("without CR or LF")
                .doesNotContain("Injected");
    }
}
