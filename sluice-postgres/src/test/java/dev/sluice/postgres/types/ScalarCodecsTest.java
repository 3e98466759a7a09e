package dev.sluice.postgres.types;

import static dev.sluice.postgres.types.Render.json;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ScalarCodecsTest {

    @Test
    void bool_writesTrueFalse() {
        assertThat(json(ScalarCodecs.BOOL, "t")).isEqualTo("true");
        assertThat(json(ScalarCodecs.BOOL, "f")).isEqualTo("false");
        assertThat(json(ScalarCodecs.BOOL, "true")).isEqualTo("true");
        assertThat(json(ScalarCodecs.BOOL, "maybe")).isEqualTo("\"maybe\"");
    }

    @Test
    void integer_writesDigitsAsNumberWithoutPrecisionLoss() {
        assertThat(json(ScalarCodecs.INTEGER, "0")).isEqualTo("0");
        assertThat(json(ScalarCodecs.INTEGER, "-32768")).isEqualTo("-32768");
        assertThat(json(ScalarCodecs.INTEGER, "9223372036854775807")).isEqualTo("9223372036854775807");
        assertThat(json(ScalarCodecs.INTEGER, "-9223372036854775808")).isEqualTo("-9223372036854775808");
        assertThat(json(ScalarCodecs.INTEGER, "4294967295")).isEqualTo("4294967295");
    }

    @Test
    void integer_garbageBecomesString() {
        assertThat(json(ScalarCodecs.INTEGER, "12abc")).isEqualTo("\"12abc\"");
        assertThat(json(ScalarCodecs.INTEGER, "")).isEqualTo("\"\"");
        assertThat(json(ScalarCodecs.INTEGER, "-")).isEqualTo("\"-\"");
        assertThat(json(ScalarCodecs.INTEGER, "007")).isEqualTo("\"007\"");
        assertThat(json(ScalarCodecs.INTEGER, "1.5")).isEqualTo("\"1.5\"");
    }

    @Test
    void float_writesExactTextAsNumber() {
        assertThat(json(ScalarCodecs.FLOAT, "3.14")).isEqualTo("3.14");
        assertThat(json(ScalarCodecs.FLOAT, "0.30000000000000004")).isEqualTo("0.30000000000000004");
        assertThat(json(ScalarCodecs.FLOAT, "1e+308")).isEqualTo("1e+308");
        assertThat(json(ScalarCodecs.FLOAT, "-1.5e-07")).isEqualTo("-1.5e-07");
        assertThat(json(ScalarCodecs.FLOAT, "-0")).isEqualTo("-0");
        assertThat(json(ScalarCodecs.FLOAT, "42")).isEqualTo("42");
    }

    @Test
    void float_nonFiniteBecomesString() {
        assertThat(json(ScalarCodecs.FLOAT, "NaN")).isEqualTo("\"NaN\"");
        assertThat(json(ScalarCodecs.FLOAT, "Infinity")).isEqualTo("\"Infinity\"");
        assertThat(json(ScalarCodecs.FLOAT, "-Infinity")).isEqualTo("\"-Infinity\"");
        assertThat(json(ScalarCodecs.FLOAT, "1.")).isEqualTo("\"1.\"");
        assertThat(json(ScalarCodecs.FLOAT, "1e")).isEqualTo("\"1e\"");
    }

    @Test
    void numeric_keepsExactDigitsAsString() {
        var numeric = BuiltinTypes.scalarCodec(BuiltinTypes.NUMERIC);
        assertThat(json(numeric, "12345678901234567890.000000000000000001"))
                .isEqualTo("\"12345678901234567890.000000000000000001\"");
        assertThat(json(numeric, "NaN")).isEqualTo("\"NaN\"");
        assertThat(json(numeric, "-Infinity")).isEqualTo("\"-Infinity\"");
    }

    @Test
    void money_stripsSymbolAndSeparatorsKeepsSignAndDecimals() {
        assertThat(json(ScalarCodecs.MONEY, "$1,234.56")).isEqualTo("\"1234.56\"");
        assertThat(json(ScalarCodecs.MONEY, "-$1,234.56")).isEqualTo("\"-1234.56\"");
        assertThat(json(ScalarCodecs.MONEY, "$0.00")).isEqualTo("\"0.00\"");
        assertThat(json(ScalarCodecs.MONEY, "-$92,233,720,368,547,758.08")).isEqualTo("\"-92233720368547758.08\"");
        assertThat(json(ScalarCodecs.MONEY, "($5.00)")).isEqualTo("\"-5.00\"");
    }

    @Test
    void money_readsOtherLocales() {
        assertThat(json(ScalarCodecs.MONEY, "1.234,56 €")).isEqualTo("\"1234.56\"");
        assertThat(json(ScalarCodecs.MONEY, "-1 234,56 €")).isEqualTo("\"-1234.56\"");
        assertThat(json(ScalarCodecs.MONEY, "￥1,234")).isEqualTo("\"1234\"");
        assertThat(json(ScalarCodecs.MONEY, "KWD 1,234.567")).isEqualTo("\"1234.567\"");
        assertThat(json(ScalarCodecs.MONEY, "no digits")).isEqualTo("\"no digits\"");
    }

    @Test
    void json_isEmbeddedRaw() {
        assertThat(json(ScalarCodecs.JSON, "{\"a\": [1, 2.5, null]}")).isEqualTo("{\"a\": [1, 2.5, null]}");
        assertThat(json(ScalarCodecs.JSON, "\"s\"")).isEqualTo("\"s\"");
        assertThat(json(ScalarCodecs.JSON, "42")).isEqualTo("42");
    }

    @Test
    void bytea_hexBecomesBase64() {
        assertThat(json(ScalarCodecs.BYTEA, "\\x")).isEqualTo("\"\"");
        assertThat(json(ScalarCodecs.BYTEA, "\\x0a0b")).isEqualTo("\"Cgs=\"");
        assertThat(json(ScalarCodecs.BYTEA, "\\xDEADBEEF")).isEqualTo("\"3q2+7w==\"");
    }

    @Test
    void bytea_escapeFormatBecomesBase64() {
        // "ab\", NUL, 0xFF
        assertThat(json(ScalarCodecs.BYTEA, "ab\\\\\\000\\377")).isEqualTo("\"YWJcAP8=\"");
    }

    @Test
    void bytea_garbageBecomesString() {
        assertThat(json(ScalarCodecs.BYTEA, "\\x0g")).isEqualTo("\"\\\\x0g\"");
        assertThat(json(ScalarCodecs.BYTEA, "\\x0")).isEqualTo("\"\\\\x0\"");
    }
}
