package dev.sluice.core.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigSpiTest {
    private static final ConfigSchema SCHEMA = ConfigSchema.of(
            ConfigField.string("topic", "the topic").asRequired(),
            ConfigField.integer("request_timeout_ms", "timeout")
                    .range(1, 60_000)
                    .defaultValue(30_000L),
            ConfigField.string("password", "secret").asSecret(),
            ConfigField.string("compression", "codec").allowed("none", "gzip").defaultValue("none"),
            ConfigField.reference("http_endpoint", "http_endpoint", "where to post"));

    @Test
    void values_fillDefaults_andTellGivenFromDefaulted() {
        ConfigValues v = ConfigValues.of(SCHEMA, Map.of("topic", "orders", "request_timeout_ms", 5));
        assertThat(v.string("topic")).isEqualTo("orders");
        assertThat(v.integer("request_timeout_ms")).isEqualTo(5L);
        assertThat(v.string("compression")).isEqualTo("none");
        assertThat(v.given("topic")).isTrue();
        assertThat(v.given("compression")).isFalse();
        assertThat(v.string("password")).isNull();
        assertThat(v.asMap()).containsOnlyKeys("topic", "request_timeout_ms", "compression");
    }

    @Test
    void values_refuseUnknownFieldsAndWrongTypes() {
        assertThatThrownBy(() -> ConfigValues.of(SCHEMA, Map.of("tpoic", "x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tpoic");
        assertThatThrownBy(() -> ConfigValues.of(SCHEMA, Map.of("topic", 3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("topic");
        ConfigValues v = ConfigValues.of(SCHEMA, Map.of("topic", "t"));
        assertThatThrownBy(() -> v.string("nope")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void values_hideSecretsInToString_andCarryResolvedEndpoints() {
        ConfigValues v = ConfigValues.of(SCHEMA, Map.of("topic", "t", "password", "hunter2", "http_endpoint", "api"))
                .withEndpoint("http_endpoint", new HttpEndpoint("api", URI.create("http://h"), Map.of("X-Key", "k")));
        assertThat(v.toString()).doesNotContain("hunter2").contains("password=****");
        assertThat(v.endpoint("http_endpoint").url()).isEqualTo(URI.create("http://h"));
        assertThat(v.endpoint("http_endpoint").toString()).doesNotContain("=k");
        assertThatThrownBy(() -> v.withEndpoint("topic", v.endpoint("http_endpoint")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void field_canonical_matchesAllowedValuesIgnoringCaseAndDashes() {
        ConfigField sasl = ConfigField.string("sasl_mechanism", "d").allowed("plain", "scram_sha_256");
        assertThat(sasl.canonical("SCRAM-SHA-256")).isEqualTo("scram_sha_256");
        assertThat(sasl.canonical(" Plain ")).isEqualTo("plain");
        assertThat(sasl.canonical("gssapi")).isNull();
        assertThat(ConfigField.string("topic", "d").canonical("Any-Thing")).isEqualTo("Any-Thing");
    }

    @Test
    void field_rejectsContradictions() {
        assertThatThrownBy(() -> ConfigField.integer("n", "d").range(5, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ConfigField.string("s", "d").range(1, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ConfigField.integer("n", "d").range(1, 5).defaultValue(9L))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ConfigField.string("s", "d").allowed("a").defaultValue("b"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ConfigField.string("s", "d").defaultValue("a").asRequired())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ConfigField.string("Bad-Name", "d")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ConfigSchema.of(ConfigField.string("a", "d"), ConfigField.bool("a", "d")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ConfigSchema.of(ConfigField.string("type", "d")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void configured_of_turnsInvalidConfigExceptionIntoProblemsAtTheirField() {
        Configured<String> bad = Configured.of(() -> {
            throw new InvalidConfigException("hosts", "at least one broker is required");
        });
        assertThat(bad).isInstanceOf(Configured.Invalid.class);
        assertThat(((Configured.Invalid<String>) bad).problems())
                .containsExactly(new ConfigProblem("hosts", "at least one broker is required"));
        assertThatThrownBy(bad::orThrow)
                .isInstanceOfSatisfying(
                        InvalidConfigException.class, e -> assertThat(e.field()).isEqualTo("hosts"));
        assertThat(Configured.of(() -> "ok").orThrow()).isEqualTo("ok");
        assertThatThrownBy(() -> Configured.of(() -> {
                    throw new IllegalStateException("bug");
                }))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void checkResult_okHasNoDetail_failureHasOne() {
        assertThat(CheckResult.OK.ok()).isTrue();
        assertThat(CheckResult.failed(CheckResult.Status.UNREACHABLE, "refused").ok())
                .isFalse();
        assertThatThrownBy(() -> new CheckResult(CheckResult.Status.OK, "x"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CheckResult(CheckResult.Status.FAILED, null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void providers_areFoundByTypeAndAliasIgnoringCase_andClashesAreRefused() {
        SinkProvider<String> a = provider("alpha", List.of("a1"));
        SinkProvider<String> b = provider("beta", List.of());
        SinkProviders ps = SinkProviders.of(b, a);
        assertThat(ps.types()).containsExactly("alpha", "beta");
        assertThat(ps.find("ALPHA")).containsSame(a);
        assertThat(ps.find("a1")).containsSame(a);
        assertThat(ps.find("gamma")).isEmpty();
        assertThatThrownBy(() -> SinkProviders.of(a, provider("a1", List.of())))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("a1");
    }

    private static SinkProvider<String> provider(String type, List<String> aliases) {
        return new SinkProvider<>() {
            @Override
            public String type() {
                return type;
            }

            @Override
            public java.util.Set<String> aliases() {
                return java.util.Set.copyOf(aliases);
            }

            @Override
            public String description() {
                return "test";
            }

            @Override
            public ConfigSchema schema() {
                return SCHEMA;
            }

            @Override
            public Configured<String> configure(ConfigValues values) {
                return Configured.valid(values.string("topic"));
            }

            @Override
            public Sink create(String config, SinkContext context) {
                throw new UnsupportedOperationException();
            }

            @Override
            public CheckResult check(String config, java.time.Duration timeout) {
                return CheckResult.OK;
            }

            @Override
            public List<String> routingKeys() {
                return List.of();
            }

            @Override
            public int defaultBatchSize() {
                return 1;
            }
        };
    }
}
