package dev.sluice.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvSubstitutionTest {
    private final Map<String, String> env = Map.of("HOST", "db.example.com", "EMPTY", "", "PORT", "6543");
    private final List<String> errors = new ArrayList<>();

    private String apply(String text) {
        return EnvSubstitution.apply(text, env::get, errors::add);
    }

    @Test
    void substitutesVariablesAndDefaults() {
        assertThat(apply("${HOST}:${PORT}")).isEqualTo("db.example.com:6543");
        assertThat(apply("${MISSING:-fallback}")).isEqualTo("fallback");
        assertThat(apply("${EMPTY:-fallback}"))
                .as("':-' also covers empty values")
                .isEqualTo("fallback");
        assertThat(apply("${HOST:-x}")).isEqualTo("db.example.com");
        assertThat(apply("${MISSING:-}")).isEmpty();
        assertThat(errors).isEmpty();
    }

    @Test
    void dollarEscapesAndLoneDollarsAreKept() {
        assertThat(apply("pa$$word ${HOST}$$")).isEqualTo("pa$word db.example.com$");
        assertThat(apply("cost: $5 and $")).isEqualTo("cost: $5 and $");
        assertThat(apply("$${HOST}")).isEqualTo("${HOST}");
        assertThat(errors).isEmpty();
    }

    @Test
    void unsetVariableWithoutDefault_isAnError() {
        apply("${NOPE}");
        apply("${1BAD}");
        apply("${HOST");
        assertThat(errors)
                .containsExactly(
                        "environment variable NOPE is not set (set it, or give a default with ${NOPE:-default})",
                        "invalid variable reference '${1BAD}' (expected ${NAME} or ${NAME:-default}; write '$$' for"
                                + " a literal dollar)",
                        "unterminated '${' (close it with '}', or write '$$' for a literal dollar)");
    }

    @Test
    void substitutionHappensBeforeTyping() {
        SluiceConfig config = ConfigLoader.parse(
                """
                databases:
                  - name: app
                    hostname: ${DB_HOST}
                    port: ${DB_PORT:-5432}
                    database: app
                    password: "${DB_PASSWORD}"
                    ssl: ${DB_SSL:-false}
                """, "sluice.yaml", Map.of("DB_HOST", "pg", "DB_PORT", "7000", "DB_PASSWORD", "p$$w")::get);
        DatabaseConfig db = config.databases().getFirst();
        assertThat(db.hostname()).isEqualTo("pg");
        assertThat(db.port()).isEqualTo(7000);
        assertThat(db.password())
                .as("values from the environment are not substituted again")
                .isEqualTo("p$$w");
        assertThat(db.ssl()).isFalse();
    }

    @Test
    void unsetVariable_namesVariableAndLine() {
        assertThat(ConfigErrorsTest.problems("""
                        databases:
                          - name: app
                            hostname: localhost
                            database: app
                            port: ${PG_PORT}
                        """))
                .containsExactly("sluice.yaml:5:11: databases[0].port: environment variable PG_PORT is not set (set"
                        + " it, or give a default with ${PG_PORT:-default})");
    }

    @Test
    void substitutedValue_isTypeChecked() {
        assertThat(ConfigErrorsTest.problems("""
                        databases:
                          - name: app
                            hostname: localhost
                            database: app
                            port: ${PG_PORT}
                        """, Map.of("PG_PORT", "five")))
                .containsExactly("sluice.yaml:5:11: databases[0].port: expected an integer, got 'five'");
    }
}
