package dev.sluice.postgres.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.postgresql.Driver;

class SourceSettingsTest {
    private static SourceSettings withDatabase(String database) {
        return new SourceSettings("localhost", 5432, database, "u", null, false, false, "s", "p", false, false);
    }

    @Test
    void jdbcUrl_databaseNameCannotAddDriverParameters() {
        String hostile = "app?socketFactory=java.lang.Object&sslmode=disable";
        String url = withDatabase(hostile).jdbcUrl();
        assertThat(url).doesNotContain("?").doesNotContain("&");
        Properties parsed = Driver.parseURL(url, new Properties());
        assertThat(parsed).isNotNull();
        assertThat(parsed.getProperty("PGDBNAME")).isEqualTo(hostile);
        assertThat(parsed.getProperty("socketFactory")).isNull();
    }

    @Test
    void jdbcUrl_keepsOrdinaryAndUnusualNames() {
        for (String name : new String[] {"app", "My DB", "../../etc/passwd", "ünïcode", "a/b"}) {
            Properties parsed = Driver.parseURL(withDatabase(name).jdbcUrl(), new Properties());
            assertThat(parsed.getProperty("PGDBNAME")).as(name).isEqualTo(name);
        }
    }
}
