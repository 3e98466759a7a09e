package dev.sluice.server.jobs;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.server.fixture.Jobs;
import dev.sluice.server.fixture.ServerFixture;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * The {@code verify} job on pairs of databases made to differ (or not) in the ways a replica can: equal values with
 * other bits or another column order, columns one side lacks, and changed rows under each kind of primary key (one
 * fixed-width column, text, a composite key ranged by its first column or as records).
 */
class VerifyIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static Jobs jobs;

    @BeforeAll
    static void start() {
        sluice.start();
        jobs = new Jobs(sluice.api());
    }

    @Test
    void equalValuesMatchWhateverTheirBitsColumnOrderOrTypeOids() {
        String source = sluice.database(
                "eqsrc",
                "CREATE TYPE mood AS ENUM ('sad', 'happy')",
                "CREATE TYPE pair AS (x int, y text)",
                "CREATE TABLE t (id int PRIMARY KEY, f float8, r real, m mood, ms mood[], p pair, fs float8[],"
                        + " n numeric, c regclass)",
                // A NaN computed on the source has other bits than one parsed from text (the target's).
                "INSERT INTO t VALUES (1, 'Infinity'::float8 - 'Infinity'::float8, 'Infinity'::real - 'Infinity'::real,"
                        + " 'happy', '{sad,happy}', ROW(1, 'a'), ARRAY['Infinity'::float8 - 'Infinity'::float8], 1.50,"
                        + " 't'::regclass)",
                "INSERT INTO t (id, f) VALUES (2, -0.0::float8), (3, NULL)");
        String target = sluice.database(
                "eqdst",
                // Created in another order: other OIDs for the types, other positions for the columns.
                "CREATE TYPE pair AS (x int, y text)",
                "CREATE TABLE filler (id int)",
                "CREATE TYPE mood AS ENUM ('sad', 'happy')",
                "CREATE TABLE t (c regclass, n numeric, fs float8[], p pair, ms mood[], m mood, r real, f float8,"
                        + " id int PRIMARY KEY)",
                "INSERT INTO t VALUES ('t'::regclass, 1.50, '{NaN}', '(1,a)', '{sad,happy}', 'happy', 'NaN', 'NaN', 1)",
                "INSERT INTO t (id, f) VALUES (2, '-0'), (3, NULL)");
        JsonNode job = jobs.complete(Jobs.spec("verify", Jobs.url(PG.port(), source), Jobs.url(PG.port(), target), ""));
        JsonNode table = table(job, "t");
        assertThat(table.get("status").asString()).isEqualTo("match");
        assertThat(table.get("rows_source").asLong()).isEqualTo(3);

        // The same value in another scale, a zero that lost its sign: differences.
        PG.execute(target, "UPDATE t SET n = 1.5 WHERE id = 1", "UPDATE t SET f = 0 WHERE id = 2");
        JsonNode diff = jobs.awaitEnd(
                jobs.create(Jobs.spec("verify", Jobs.url(PG.port(), source), Jobs.url(PG.port(), target), "")));
        assertThat(diff.get("status").asString()).isEqualTo("failed");
        assertThat(table(diff, "t").get("mismatched_ranges")).hasSize(1);
    }

    @Test
    void columnsOneSideLacksAreNamed() {
        String source = sluice.database(
                "colsrc",
                "CREATE TABLE t (id int PRIMARY KEY, a text, b int)",
                "INSERT INTO t SELECT g, 'a' || g, g FROM generate_series(1, 100) g");
        String target = sluice.database(
                "coldst",
                "CREATE TABLE t (id int PRIMARY KEY, a text, c int)",
                "INSERT INTO t SELECT g, 'a' || g, g FROM generate_series(1, 100) g");
        JsonNode job = jobs.awaitEnd(
                jobs.create(Jobs.spec("verify", Jobs.url(PG.port(), source), Jobs.url(PG.port(), target), "")));
        assertThat(job.get("status").asString()).isEqualTo("failed");
        JsonNode table = table(job, "t");
        assertThat(table.get("status").asString()).isEqualTo("mismatch");
        assertThat(table.get("columns_missing_on_target").toString()).isEqualTo("[\"b\"]");
        assertThat(table.get("columns_only_on_target").toString()).isEqualTo("[\"c\"]");
        // The columns both have hold the same values.
        assertThat(table.has("mismatched_ranges")).isFalse();
        assertThat(job.get("logs").toString()).contains("columns differ");
    }

    @Test
    void everyKindOfKeyGetsRangesAndAChangedRowIsFoundInItsRange() {
        String[] ddl = {
            "CREATE TABLE by_id (id bigint PRIMARY KEY, v text)",
            "CREATE TABLE by_text (code text PRIMARY KEY, v int)",
            "CREATE TABLE by_first (a int, b int, v text, PRIMARY KEY (a, b))",
            "CREATE TABLE by_record (tenant int, id int, v text, PRIMARY KEY (tenant, id))",
            "CREATE TABLE no_key (x int, y text)",
            "INSERT INTO by_id SELECT g, md5(g::text) FROM generate_series(1, 35000) g",
            "INSERT INTO by_text SELECT 'k' || g, g FROM generate_series(1, 35000) g",
            "INSERT INTO by_first SELECT g, 1, md5(g::text) FROM generate_series(1, 35000) g",
            // One value of the first key column: ranges of it would be too coarse.
            "INSERT INTO by_record SELECT 7, g, md5(g::text) FROM generate_series(1, 35000) g",
            "INSERT INTO no_key SELECT g, 'y' FROM generate_series(1, 1000) g",
            "ANALYZE"
        };
        String source = sluice.database("keysrc", ddl);
        String target = sluice.database("keydst", ddl);
        JsonNode same = jobs.complete(Jobs.spec(
                "verify",
                Jobs.url(PG.port(), source),
                Jobs.url(PG.port(), target),
                ", \"options\": {\"parallelism\": 3}"));
        assertThat(same.get("result").get("rows_compared").asLong()).isEqualTo(4 * 35000 + 1000);
        Map<String, String> ranged = new HashMap<>();
        for (JsonNode t : same.get("result").get("tables")) {
            ranged.put(
                    t.get("table").asString(),
                    t.get("chunks").asInt() + " " + (t.has("range_key") ? t.get("range_key") : "[]"));
        }
        assertThat(ranged)
                .containsEntry("by_id", "4 [\"id\"]")
                .containsEntry("by_text", "4 [\"code\"]")
                .containsEntry("by_first", "4 [\"a\"]")
                .containsEntry("by_record", "4 [\"tenant\",\"id\"]")
                .containsEntry("no_key", "1 []");

        PG.execute(
                target,
                "UPDATE by_id SET v = 'x' WHERE id = 25001",
                "UPDATE by_text SET v = -1 WHERE code = 'k5'",
                "DELETE FROM by_first WHERE a = 34999",
                "UPDATE by_record SET v = NULL WHERE tenant = 7 AND id = 17",
                "UPDATE no_key SET y = '' WHERE x = 3");
        JsonNode diff = jobs.awaitEnd(
                jobs.create(Jobs.spec("verify", Jobs.url(PG.port(), source), Jobs.url(PG.port(), target), "")));
        assertThat(diff.get("result").get("differences").asLong())
                .as(diff.toPrettyString())
                .isEqualTo(5);
        List<String> found = new ArrayList<>();
        for (JsonNode t : diff.get("result").get("tables")) {
            for (JsonNode r : t.get("mismatched_ranges")) {
                found.add(t.get("table").asString() + " " + bound(r.get("from")) + ".." + bound(r.get("to")) + " "
                        + r.get("source_rows") + "/" + r.get("target_rows"));
            }
        }
        assertThat(found).hasSize(5);
        assertThat(found.stream().filter(f -> f.startsWith("no_key")).toList())
                .containsExactly("no_key -..- 1000/1000");
        assertThat(found.stream().filter(f -> f.startsWith("by_first")).toList())
                .singleElement()
                .asString()
                .endsWith(" 5001/5000");
        // Each changed row lies in the range reported for it.
        for (String f : found) {
            String[] parts = f.split(" ");
            String[] bounds = parts[1].split("\\.\\.");
            switch (parts[0]) {
                case "by_id" -> assertThat(inRange(25001, bounds)).as(f).isTrue();
                case "by_first" -> assertThat(inRange(34999, bounds)).as(f).isTrue();
                case "by_text" -> assertThat(textInRange("k5", bounds)).as(f).isTrue();
                default -> {}
            }
        }
        JsonNode record = table(diff, "by_record").get("mismatched_ranges").get(0);
        assertThat(recordInRange(7, 17, record)).as(record.toString()).isTrue();
    }

    private static String bound(JsonNode value) {
        return value.isNull() ? "-" : value.asString();
    }

    private static String query(String sql) {
        try (Connection c = PG.connect("postgres");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean inRange(long key, String[] bounds) {
        return (bounds[0].equals("-") || Long.parseLong(bounds[0]) <= key)
                && (bounds[1].equals("-") || key < Long.parseLong(bounds[1]));
    }

    private static boolean textInRange(String key, String[] bounds) {
        return (bounds[0].equals("-")
                        || query("SELECT '" + bounds[0] + "' <= '" + key + "'").equals("t"))
                && (bounds[1].equals("-")
                        || query("SELECT '" + key + "' < '" + bounds[1] + "'").equals("t"));
    }

    private static boolean recordInRange(int tenant, int id, JsonNode range) {
        String key = "ROW(" + tenant + ", " + id + ")";
        return (range.get("from").isNull()
                        || query("SELECT ROW" + range.get("from").asString() + " <= " + key)
                                .equals("t"))
                && (range.get("to").isNull()
                        || query("SELECT " + key + " < ROW" + range.get("to").asString())
                                .equals("t"));
    }

    private static JsonNode table(JsonNode job, String name) {
        for (JsonNode t : job.get("result").get("tables")) {
            if (t.get("table").asString().equals(name)) {
                return t;
            }
        }
        throw new AssertionError("no table " + name + " in " + job);
    }
}
