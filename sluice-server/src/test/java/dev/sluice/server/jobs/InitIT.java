package dev.sluice.server.jobs;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.server.fixture.Jobs;
import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.TypeCases;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * The {@code init} job against real databases: a schema with every kind of object init copies and every type of the
 * fidelity table, checked by querying the target and by a {@code verify} job; the refusal of a target that has what
 * init would create and {@code drop_existing}; {@code table_filters} that would break a foreign key, and ones that
 * keep it.
 */
class InitIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static Jobs jobs;

    @BeforeAll
    static void start() {
        sluice.start();
        jobs = new Jobs(sluice.api());
    }

    /** The source schema of {@link #initCopiesSchemaDataAndSequences}: one of every kind of object init copies. */
    static String[] richSchema() {
        return Stream.concat(
                        Stream.of(TypeCases.setupSql()),
                        Stream.of(
                                "CREATE TABLE types (id int PRIMARY KEY, " + TypeCases.columnsDdl() + ")",
                                "INSERT INTO types VALUES (1, " + TypeCases.valuesSql() + ")",
                                "INSERT INTO types (id) VALUES (2)",
                                "CREATE SCHEMA app",
                                "CREATE TYPE app.status AS ENUM ('active', 'closed')",
                                "CREATE DOMAIN app.email AS text CHECK (VALUE LIKE '%@%')",
                                "CREATE SEQUENCE app.codes START 100",
                                "CREATE FUNCTION app.next_code() RETURNS text LANGUAGE sql"
                                        + " AS $$ SELECT 'C' || nextval('app.codes')::text $$",
                                "CREATE TABLE app.customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                                        + " email app.email UNIQUE, status app.status NOT NULL DEFAULT 'active',"
                                        + " code text DEFAULT app.next_code(), name text COLLATE \"C\","
                                        + " CONSTRAINT named CHECK (length(name) > 0))",
                                "CREATE TABLE app.orders (id serial PRIMARY KEY,"
                                        + " customer_id bigint NOT NULL REFERENCES app.customers (id),"
                                        + " total numeric(10,2), with_tax numeric GENERATED ALWAYS AS (total * 1.2) STORED,"
                                        + " note text)",
                                "CREATE INDEX orders_customer ON app.orders (customer_id)",
                                "CREATE INDEX orders_big ON app.orders (total) WHERE total > 100",
                                "CREATE TABLE app.events (id int, at date, payload jsonb, PRIMARY KEY (id, at))"
                                        + " PARTITION BY RANGE (at)",
                                "CREATE TABLE app.events_2024 PARTITION OF app.events"
                                        + " FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
                                "CREATE TABLE app.events_2025 PARTITION OF app.events"
                                        + " FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
                                "CREATE INDEX events_payload ON app.events USING gin (payload)",
                                "CREATE VIEW app.big_orders AS SELECT id, total FROM app.orders WHERE total > 100",
                                "CREATE MATERIALIZED VIEW app.totals AS"
                                        + " SELECT customer_id, sum(total) AS total FROM app.orders GROUP BY 1",
                                "INSERT INTO app.customers (email, name) SELECT 'c' || i || '@example.com', 'name ' || i"
                                        + " FROM generate_series(1, 3) i",
                                "INSERT INTO app.orders (customer_id, total, note) SELECT 1 + i % 3, i * 0.37,"
                                        + " CASE WHEN i % 7 = 0 THEN NULL WHEN i % 5 = 0 THEN '' ELSE 'n' || i END"
                                        + " FROM generate_series(1, 1000) i",
                                "INSERT INTO app.events SELECT i, DATE '2024-06-01' + i, jsonb_build_object('i', i)"
                                        + " FROM generate_series(1, 400) i",
                                "REFRESH MATERIALIZED VIEW app.totals"))
                .toArray(String[]::new);
    }

    @Test
    void initCopiesSchemaDataAndSequences() throws SQLException {
        String source = sluice.database("initsrc", richSchema());
        String target = sluice.database("initdst");

        JsonNode job = jobs.complete(Jobs.spec(
                "init",
                Jobs.url(PG.port(), source),
                Jobs.url(PG.port(), target),
                ", \"options\": {\"parallelism\": 3}"));

        JsonNode db = job.get("result").get("databases").get(0);
        assertThat(db.get("warnings")).as(db.toPrettyString()).isEmpty();
        List<String> copied = new ArrayList<>();
        db.get("tables")
                .forEach(t -> copied.add(
                        t.get("schema").asString() + "." + t.get("table").asString() + "="
                                + t.get("rows").asLong() + "/" + t.get("format").asString()));
        assertThat(copied)
                .containsExactlyInAnyOrder(
                        "app.orders=1000/binary",
                        "app.events=400/binary",
                        "app.customers=3/binary",
                        "public.types=2/text");
        assertThat(job.get("result").get("rows_copied").asLong()).isEqualTo(1405);
        assertThat(job.get("progress").get("tables_done").asLong()).isEqualTo(4);

        JsonNode verify =
                jobs.complete(Jobs.spec("verify", Jobs.url(PG.port(), source), Jobs.url(PG.port(), target), ""));
        assertThat(verify.get("result").get("rows_compared").asLong()).isEqualTo(1405);

        try (Connection t = PG.connect(target)) {
            assertThat(strings(t, "SELECT indexname FROM pg_indexes WHERE schemaname = 'app' ORDER BY 1"))
                    .contains(
                            "orders_customer",
                            "orders_big",
                            "events_payload",
                            "orders_pkey",
                            "customers_pkey",
                            "customers_email_key",
                            "events_pkey");
            assertThat(strings(
                            t,
                            "SELECT conname FROM pg_constraint WHERE connamespace = 'app'::regnamespace"
                                    + " AND contype IN ('f', 'c') ORDER BY 1"))
                    .contains("orders_customer_id_fkey", "named", "email_check");
            assertThat(strings(t, "SELECT relname FROM pg_class WHERE relispartition ORDER BY 1"))
                    .contains("events_2024", "events_2025");
            assertThat(strings(t, "SELECT count(*)::text FROM app.big_orders"))
                    .isEqualTo(strings(PG.connect(source), "SELECT count(*)::text FROM app.big_orders"));
            assertThat(strings(t, "SELECT total::text FROM app.totals ORDER BY customer_id"))
                    .isEqualTo(strings(PG.connect(source), "SELECT total::text FROM app.totals ORDER BY customer_id"));
            assertThat(strings(t, "SELECT with_tax::text FROM app.orders WHERE id = 10"))
                    .containsExactly("4.440");
            // Sequences go on from the source's values: identity, serial, and one of its own called by a default.
            assertThat(strings(
                            t,
                            "INSERT INTO app.customers (email, name) VALUES ('new@example.com', 'n')"
                                    + " RETURNING id || ' ' || code"))
                    .containsExactly("4 C103");
            assertThat(strings(t, "INSERT INTO app.orders (customer_id, total) VALUES (4, 1) RETURNING id::text"))
                    .containsExactly("1001");
            // The constraints hold on the target.
            assertThatThrownBy(() -> strings(t, "INSERT INTO app.orders (customer_id) VALUES (99) RETURNING id"))
                    .hasMessageContaining("orders_customer_id_fkey");
            assertThatThrownBy(() -> strings(t, "INSERT INTO app.customers (email) VALUES ('no-at') RETURNING id"))
                    .hasMessageContaining("email_check");
        }
    }

    @Test
    void refusesATargetThatHasWhatInitCreatesUnlessDropExistingIsSet() throws SQLException {
        String source = sluice.database(
                "refsrc",
                "CREATE TABLE kept (id int PRIMARY KEY, v text)",
                "INSERT INTO kept SELECT i, 'source ' || i FROM generate_series(1, 50) i");
        String target = sluice.database(
                "refdst", "CREATE TABLE kept (id int, v text)", "INSERT INTO kept VALUES (1, 'precious')");
        String spec = Jobs.spec("init", Jobs.url(PG.port(), source), Jobs.url(PG.port(), target), "");

        JsonNode refused = jobs.awaitEnd(jobs.create(spec));
        assertThat(refused.get("status").asString()).isEqualTo("failed");
        assertThat(refused.get("error").asString()).contains("already has 1 of the objects", "drop_existing");
        JsonNode wouldDrop =
                refused.get("result").get("databases").get(0).get("would_drop").get(0);
        assertThat(wouldDrop.get("kind").asString()).isEqualTo("table");
        assertThat(wouldDrop.get("name").asString()).isEqualTo("kept");
        assertThat(wouldDrop.get("has_rows").asBoolean()).isTrue();
        try (Connection t = PG.connect(target)) {
            assertThat(strings(t, "SELECT v FROM kept")).containsExactly("precious");
        }

        JsonNode job = jobs.complete(spec.replace("}", ", \"options\": {\"drop_existing\": true}}"));
        assertThat(job.get("result").get("databases").get(0).get("dropped")).hasSize(1);
        try (Connection t = PG.connect(target)) {
            assertThat(strings(t, "SELECT count(*)::text FROM kept")).containsExactly("50");
        }
    }

    @Test
    void tableFiltersThatWouldBreakAForeignKeyAreRefusedAndMatchingOnesCopyOnlyTheirRows() throws SQLException {
        String source = sluice.database(
                "filtsrc",
                "CREATE TABLE customers (id int PRIMARY KEY, region text)",
                "CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers)",
                "CREATE TABLE audit (id int PRIMARY KEY, what text)",
                "INSERT INTO customers SELECT i, CASE WHEN i <= 2 THEN 'eu' ELSE 'us' END FROM generate_series(1, 4) i",
                "INSERT INTO orders SELECT i, 1 + i % 4 FROM generate_series(1, 100) i",
                "INSERT INTO orders VALUES (101, NULL)",
                "INSERT INTO audit VALUES (1, 'x')");
        String parentOnly = ", \"filter\": {\"table_filters\": {\"customers\": \"region = 'eu'\"}}";

        JsonNode refused = jobs.awaitEnd(jobs.create(Jobs.spec(
                "init", Jobs.url(PG.port(), source), Jobs.url(PG.port(), sluice.database("filtdst1")), parentOnly)));
        assertThat(refused.get("status").asString()).isEqualTo("failed");
        assertThat(refused.get("error").asString())
                .contains("orders_customer_id_fkey", "50 row(s) of \"public\".\"orders\"", "region = 'eu'");

        String target = sluice.database("filtdst2");
        jobs.complete(Jobs.spec(
                "init",
                Jobs.url(PG.port(), source),
                Jobs.url(PG.port(), target),
                ", \"filter\": {\"schema_only_tables\": [\"audit\"], \"table_filters\": {\"customers\": \"region ="
                        + " 'eu'\", \"orders\": \"customer_id IN (SELECT id FROM customers WHERE region = 'eu')\"}}"));
        try (Connection t = PG.connect(target)) {
            assertThat(strings(t, "SELECT string_agg(id::text, ',' ORDER BY id) FROM customers"))
                    .containsExactly("1,2");
            assertThat(strings(t, "SELECT count(*)::text FROM orders")).containsExactly("50");
            assertThat(strings(t, "SELECT count(*)::text FROM audit")).containsExactly("0");
        }
    }

    @Test
    void verifyOfALargeTableTakesItsRangesFromASampleAndStillFindsEveryDifference() throws SQLException {
        String source = sluice.database(
                "bigsrc",
                "CREATE TABLE big (id int PRIMARY KEY, v text)",
                "INSERT INTO big SELECT i, md5(i::text) FROM generate_series(1, 250000) i",
                "ANALYZE big");
        String target = sluice.database("bigdst");
        jobs.complete(Jobs.spec("init", Jobs.url(PG.port(), source), Jobs.url(PG.port(), target), ""));
        try (Connection t = PG.connect(target)) {
            strings(t, "UPDATE big SET v = 'changed' WHERE id = 123457 RETURNING id");
            strings(t, "DELETE FROM big WHERE id = 250000 RETURNING id");
        }
        JsonNode verify = jobs.awaitEnd(
                jobs.create(Jobs.spec("verify", Jobs.url(PG.port(), source), Jobs.url(PG.port(), target), "")));
        assertThat(verify.get("status").asString()).isEqualTo("failed");
        JsonNode table = verify.get("result").get("tables").get(0);
        assertThat(table.get("chunks").asInt()).isBetween(10, 60);
        assertThat(table.get("rows_source").asLong()).isEqualTo(250_000);
        assertThat(table.get("rows_target").asLong()).isEqualTo(249_999);
        List<String> ranges = new ArrayList<>();
        for (JsonNode r : table.get("mismatched_ranges")) {
            long from = r.get("from").isNull()
                    ? Long.MIN_VALUE
                    : Long.parseLong(r.get("from").asString());
            long to = r.get("to").isNull()
                    ? Long.MAX_VALUE
                    : Long.parseLong(r.get("to").asString());
            ranges.add((from <= 123457 && 123457 < to ? "changed " : "")
                    + (from <= 250000 && 250000 < to ? "deleted" : ""));
        }
        assertThat(ranges).hasSize(2).containsExactlyInAnyOrder("changed ", "deleted");
    }

    static List<String> strings(Connection c, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
