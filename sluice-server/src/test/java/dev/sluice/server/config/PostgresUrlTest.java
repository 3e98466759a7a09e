package dev.sluice.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PostgresUrlTest {

    @Test
    void parsesAllThreeSchemes() {
        assertThat(PostgresUrl.parse("postgres://h/db")).isEqualTo(new PostgresUrl("h", null, "db", null, null, null));
        assertThat(PostgresUrl.parse("postgresql://u@h:1/db"))
                .isEqualTo(new PostgresUrl("h", 1, "db", "u", null, null));
        assertThat(PostgresUrl.parse("JDBC:postgresql://h/db?ssl=true&user=u&password=p%26q"))
                .isEqualTo(new PostgresUrl("h", null, "db", "u", "p&q", true));
    }

    @Test
    void unencodedAtAndSlashInPassword_stillParse() {
        PostgresUrl url = PostgresUrl.parse("postgres://u:a@b/c+d@h:5432/db");
        assertThat(url.password()).as("'+' is not a space in URLs").isEqualTo("a@b/c+d");
        assertThat(url.host()).isEqualTo("h");
    }

    @Test
    void percentDecodesUtf8() {
        assertThat(PostgresUrl.parse("postgres://%C3%A9l%C3%A8ve:%F0%9F%94%91@h/db")
                        .user())
                .isEqualTo("élève");
        assertThat(PostgresUrl.parse("postgres://%C3%A9l%C3%A8ve:%F0%9F%94%91@h/db")
                        .password())
                .isEqualTo("🔑");
    }

    @Test
    void rejectsWhatItCannotHonour() {
        assertThatThrownBy(() -> PostgresUrl.parse("postgres://h"))
                .hasMessage("the database name is missing (write .../<database> after the host)");
        assertThatThrownBy(() -> PostgresUrl.parse("postgres://h1,h2/db"))
                .hasMessage("several hosts are not supported; give one host");
        assertThatThrownBy(() -> PostgresUrl.parse("postgres://u:100%@h/db"))
                .hasMessage("invalid percent-encoding in the password (write a literal '%' as %25)");
        assertThatThrownBy(() -> PostgresUrl.parse("postgres://h/db?connect_timeout=5"))
                .hasMessage("unsupported URL parameter 'connect_timeout' (supported: sslmode, ssl, user, password)");
        assertThatThrownBy(() -> PostgresUrl.parse("postgres://h/db?sslmode=verify-full"))
                .hasMessageContaining("sslmode 'verify-full' is not supported");
    }

    @Test
    void sslFromUrlAndKeyTogether_isAnError() {
        assertThat(ConfigErrorsTest.problems("""
                        databases:
                          - name: app
                            url: postgres://localhost/app?sslmode=disable
                            ssl: true
                        """))
                .containsExactly(
                        "sluice.yaml:4:10: databases[0].ssl: TLS is already set by the url's sslmode; remove one of them");
    }
}
