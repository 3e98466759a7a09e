package dev.sluice.server.functions;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Enrichment SQL as users write it for Postgres ({@code $1}), turned into JDBC's form. */
class EnrichmentSqlTest {
    @Test
    void dollarParameters_becomeQuestionMarks_inOrderOfUse_repeatsIncluded() {
        Enrichment.Translated t = Enrichment.translate(
                "SELECT * FROM unnest($2::int[], $1::int[]) k(b, a) JOIN t USING (a, b) WHERE a = ANY($2)");
        assertThat(t.sql())
                .isEqualTo("SELECT * FROM unnest(?::int[], ?::int[]) k(b, a) JOIN t USING (a, b) WHERE a = ANY(?)");
        assertThat(t.parameterOf()).containsExactly(2, 1, 2);
    }

    @Test
    void quotedTextCommentsAndDollarQuotes_areLeftAlone_andALiteralQuestionMarkIsEscaped() {
        Enrichment.Translated t = Enrichment.translate("SELECT '$1', \"$2\", $$ $3 $$, $tag$ ? $tag$, doc ? 'k'"
                + " -- $4\n FROM t /* $5 */ WHERE id = ANY($1)");
        assertThat(t.sql())
                .isEqualTo("SELECT '$1', \"$2\", $$ $3 $$, $tag$ ? $tag$, doc ?? 'k' -- $4\n FROM t /* $5 */"
                        + " WHERE id = ANY(?)");
        assertThat(t.parameterOf()).containsExactly(1);
    }
}
