package dev.sluice.server.api;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.TypeCases;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A postgres sink created through the API, from a real source through the engine to a real target database: every
 * type of the value-mapping table, inserts, updates and deletes in order, an unchanged TOAST value left alone, a
 * table without a primary key (REPLICA IDENTITY FULL), and truncates in their place among the rows. The sink's own
 * cases are in its module's PostgresSinkIT.
 */
class PostgresSinkApiIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    private static final String[] TABLES = {
        "CREATE TABLE items (id int PRIMARY KEY, seq int NOT NULL, body text)",
        "CREATE TABLE fidelity (id int PRIMARY KEY, " + TypeCases.columnsDdl() + ")",
        "CREATE TABLE events (kind text, n int)",
        "CREATE TABLE counted (id int PRIMARY KEY)",
        "CREATE TABLE owners (id int PRIMARY KEY)",
        "CREATE TABLE pets (id int PRIMARY KEY, owner int REFERENCES owners)",
    };

    static ApiClient api;
    static String source;
    static String target;

    @BeforeAll
    static void start() {
        sluice.start();
        api = sluice.api();
        source = sluice.database("pgsrc", TypeCases.setupSql());
        PG.execute(source, TABLES);
        PG.execute(source, "ALTER TABLE events REPLICA IDENTITY FULL");
        target = sluice.database("pgdst", TypeCases.setupSql());
        PG.execute(target, TABLES);
        ApiClient.Reply db = api.post("/api/postgres_databases", sluice.databaseJson("pgsrc-db", source));
        assertThat(db.status()).as(db.text()).isEqualTo(201);
        ApiClient.Reply sink = api.post("/api/sinks", """
                {"name": "replica", "database": "pgsrc-db",
                 "destination": {"type": "postgres", "host": "localhost", "port": %d, "database_name": "%s",
                                 "username": "postgres"}}""".formatted(PG.port(), target));
        assertThat(sink.status()).as(sink.text()).isEqualTo(201);
        sluice.awaitSinkHealthy("replica");
    }

    @Test
    void theTargetConvergesOnTheSourceRowForRow() throws Exception {
        String big = new Random(7)
                .ints(6000, 'a', 'z' + 1)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString(); // incompressible enough to be stored out of line (TOAST)
        PG.execute(
                source,
                "INSERT INTO fidelity VALUES (1, " + TypeCases.valuesSql() + ")",
                "INSERT INTO items SELECT g, 0, NULL FROM generate_series(1, 50) g",
                "UPDATE items SET seq = seq + 1 WHERE id % 2 = 0",
                "DELETE FROM items WHERE id % 5 = 0",
                "UPDATE items SET body = '" + big + "' WHERE id = 1",
                "UPDATE items SET seq = 99 WHERE id = 1", // the TOAST value is unchanged: not sent
                "INSERT INTO events VALUES ('a', 1), ('a', 1), ('b', 2)",
                "UPDATE events SET n = 3 WHERE kind = 'b'",
                "DELETE FROM events WHERE ctid = (SELECT ctid FROM events WHERE kind = 'a' LIMIT 1)");

        for (String query : new String[] {
            "SELECT id, seq, md5(body) FROM items ORDER BY id", "SELECT kind, n FROM events ORDER BY kind, n"
        }) {
            List<String> want = rows(source, query);
            await(query)
                    .atMost(ServerFixture.WAIT)
                    .until(() -> rows(target, query).equals(want));
        }
        assertThat(rows(target, "SELECT seq, length(body) FROM items WHERE id = 1"))
                .containsExactly("99|6000");
        await("the fidelity row")
                .atMost(ServerFixture.WAIT)
                .until(() -> !rows(target, "SELECT 1 FROM fidelity").isEmpty());

        List<String> want = new ArrayList<>();
        List<String> got = new ArrayList<>();
        for (int i = 0; i < TypeCases.ALL.size(); i++) {
            String col = TypeCases.column(i);
            String expected =
                    rows(source, "SELECT " + col + "::text FROM fidelity").getFirst();
            want.add(TypeCases.label(i, expected));
            got.add(TypeCases.label(
                    i, rows(target, "SELECT " + col + "::text FROM fidelity").getFirst()));
        }
        assertThat(got).containsExactlyElementsOf(want);
    }

    @Test
    void aTruncateEmptiesTheTargetBetweenTheRowsBeforeAndAfterIt_andOneStatementsTablesTogether() throws Exception {
        ApiClient.Reply sink = api.get("/api/sinks/replica");
        assertThat(sink.body().get("actions").toString())
                .as("a postgres sink takes truncates unless its actions say otherwise")
                .isEqualTo("[\"insert\",\"update\",\"delete\",\"truncate\"]");
        assertThat(sink.body().get("reselect_unchanged_toast").asBoolean()).isFalse();

        PG.execute(
                source,
                "INSERT INTO counted SELECT g FROM generate_series(1, 100) g",
                "TRUNCATE counted",
                "INSERT INTO counted SELECT g FROM generate_series(101, 110) g",
                "INSERT INTO owners VALUES (1), (2)",
                "INSERT INTO pets VALUES (1, 1), (2, 2)",
                // pets references owners: the target can only empty them together.
                "TRUNCATE owners, pets",
                "INSERT INTO owners VALUES (3)");

        List<String> want = new ArrayList<>();
        for (int i = 101; i <= 110; i++) {
            want.add(String.valueOf(i));
        }
        await("the target to hold exactly the rows after the truncate")
                .atMost(ServerFixture.WAIT)
                .until(() -> rows(target, "SELECT id FROM counted ORDER BY id").equals(want)
                        && rows(target, "SELECT id FROM owners").equals(List.of("3")));
        assertThat(rows(target, "SELECT id FROM pets")).isEmpty();
    }

    private static List<String> rows(String db, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = PG.connect(db);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= n; i++) {
                    row.append(i > 1 ? "|" : "").append(rs.getString(i));
                }
                out.add(row.toString());
            }
        }
        return out;
    }
}
