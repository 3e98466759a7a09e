package dev.sluice.server.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class JobSpecTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static JobSpec parse(String json) throws JobSpec.InvalidSpecException {
        return JobSpec.parse(JSON.readTree(json));
    }

    private static Map<String, java.util.List<String>> errors(String json) {
        try {
            parse(json);
        } catch (JobSpec.InvalidSpecException e) {
            return e.errors();
        }
        throw new AssertionError("accepted: " + json);
    }

    @Test
    void readsTheSeedsJobSpec() throws Exception {
        JobSpec s = parse("""
                {"schema_version": "1.0", "command": "init",
                 "source_url": "postgres://u:p%40ss@src:5433/app?sslmode=require",
                 "target_url": "postgresql://u@dst/app",
                 "filter": {"include_databases": ["app"], "exclude_tables": ["public.audit"],
                            "schema_only_tables": ["logs"], "table_filters": {"public.orders": "created_at > '2024-01-01'"}},
                 "options": {"drop_existing": true, "parallelism": 4}}""");
        assertThat(s.command()).isEqualTo(JobCommand.INIT);
        assertThat(s.filter().includeDatabases()).containsExactly("app");
        assertThat(s.filter().tableFilters()).containsEntry("public.orders", "created_at > '2024-01-01'");
        assertThat(s.options()).isEqualTo(new JobSpec.Options(true, 4));
        assertThat(s.toString()).doesNotContain("p%40ss").doesNotContain("src:5433");
    }

    @Test
    void defaultsWhenFilterAndOptionsAreLeftOut() throws Exception {
        JobSpec s = parse("""
                {"schema_version": "1.0", "command": "validate", "source_url": "postgres://a/b",
                 "target_url": "postgres://c/d"}""");
        assertThat(s.filter()).isEqualTo(JobSpec.Filter.NONE);
        assertThat(s.options()).isEqualTo(JobSpec.Options.DEFAULTS);
    }

    @Test
    void everyProblemIsReportedAtItsField() {
        Map<String, java.util.List<String>> e = errors("""
                {"schema_version": "2.0", "command": "copy", "source_url": "mysql://x/y",
                 "filter": {"include_tables": "orders", "tables": []}, "options": {"parallelism": 0, "fast": true},
                 "extra": 1}""");
        assertThat(e)
                .containsOnlyKeys(
                        "schema_version",
                        "command",
                        "source_url",
                        "target_url",
                        "filter.include_tables",
                        "filter.tables",
                        "options.parallelism",
                        "options.fast",
                        "extra");
        assertThat(e.get("target_url")).containsExactly("is required");
        assertThat(e.get("command").getFirst()).contains("validate, init, sync, status, verify");
        assertThat(e.get("source_url").getFirst()).contains("postgres://");
    }

    @Test
    void urlsLongerThan2048CharactersAreRefused() {
        String longUrl = "postgres://host/" + "d".repeat(2048);
        assertThat(errors("{\"schema_version\": \"1.0\", \"command\": \"validate\", \"source_url\": \"" + longUrl
                        + "\", \"target_url\": \"postgres://c/d\"}"))
                .containsOnlyKeys("source_url");
    }

    @Test
    void settingsComeFromTheEnvironmentWithClearErrors() {
        assertThat(JobSettings.from(k -> null)).isEqualTo(JobSettings.DEFAULTS);
        assertThat(JobSettings.from(Map.of("SLUICE_JOBS_TTL", "P7D", "SLUICE_JOBS_MAX_ACTIVE", "3")::get))
                .isEqualTo(new JobSettings(3, Duration.ofDays(7), 2));
        assertThatThrownBy(() -> JobSettings.from(Map.of("SLUICE_JOBS_TTL", "30 days")::get))
                .hasMessageContaining("SLUICE_JOBS_TTL")
                .hasMessageContaining("P30D");
    }

    @Test
    void tableNamesInFilters() {
        assertThat(TableName.parse("orders")).isEqualTo(new TableName(null, "public", "orders"));
        assertThat(TableName.parse("shop.orders").matches("app", "shop", "orders"))
                .isTrue();
        assertThat(TableName.parse("other.shop.orders").matches("app", "shop", "orders"))
                .isFalse();
        assertThatThrownBy(() -> TableName.parse("a.b.c.d")).hasMessageContaining("schema.table");
    }
}
