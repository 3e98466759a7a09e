package dev.sluice.postgres.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.core.Change;
import dev.sluice.core.MessageContext;
import dev.sluice.core.MessageEncoder;
import dev.sluice.core.Position;
import dev.sluice.core.TimestampFormat;
import dev.sluice.postgres.capture.ChangeAssembler;
import dev.sluice.postgres.capture.JdbcPrimaryKeyLookup;
import dev.sluice.postgres.capture.RelationCache;
import dev.sluice.postgres.pgoutput.PgOutputDecoder;
import dev.sluice.postgres.pgoutput.PgOutputMessage;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Begin;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Commit;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Relation;
import dev.sluice.postgres.pgoutput.PgOutputMessage.RowChange;
import dev.sluice.postgres.types.TypeRegistry;
import dev.sluice.testkit.TestPostgres;
import dev.sluice.testkit.TypeCases;
import dev.sluice.testkit.TypeCases.Case;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TimeZone;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.replication.LogSequenceNumber;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every value type of the mapping table through the product's replication path: {@link
 * ReplicationSession} (with the session options of {@link SourceSettings#properties(boolean)}),
 * {@link PgOutputDecoder}, {@link RelationCache}, {@link ChangeAssembler} and {@link MessageEncoder}.
 *
 * <p>The database's defaults are set against the session options (Kolkata time, postgres_verbose
 * intervals, escaped bytea, SQL dates, short floats), and the JVM's default zone is Kolkata while the
 * session opens, since pgjdbc sends it as the TimeZone: the messages must not change.
 */
class ReplicationTypesIT {
    private static final TestPostgres PG = TestPostgres.shared();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final List<Case> CASES = TypeCases.ALL;
    private static String db;

    private ReplicationSession session;
    private Connection catalog;
    private RelationCache relations;
    private ChangeAssembler assembler;

    /** One committed transaction as the reader sees it. */
    record Tx(List<Change> changes, Commit commit) {}

    @BeforeAll
    static void createDatabase() {
        db = PG.createDatabase("replication_types");
        PG.execute(db, TypeCases.setupSql());
        PG.execute(
                db,
                "ALTER DATABASE " + db + " SET timezone = 'Asia/Kolkata'",
                "ALTER DATABASE " + db + " SET intervalstyle = 'postgres_verbose'",
                "ALTER DATABASE " + db + " SET bytea_output = 'escape'",
                "ALTER DATABASE " + db + " SET datestyle = 'SQL, DMY'",
                "ALTER DATABASE " + db + " SET extra_float_digits = 0",
                "CREATE TABLE every_type (id int PRIMARY KEY, " + TypeCases.columnsDdl() + ")",
                "CREATE TABLE docs (id int PRIMARY KEY, title text, big text)",
                // EXTERNAL: stored out of line uncompressed, so the 1 MB value is surely TOASTed.
                "ALTER TABLE docs ALTER COLUMN big SET STORAGE EXTERNAL",
                "CREATE TABLE events (id int PRIMARY KEY, at timestamptz, local timestamp)");
    }

    @AfterEach
    void closeSession() throws SQLException {
        if (session != null) {
            session.close();
        }
        if (catalog != null) {
            catalog.close();
        }
    }

    @AfterAll
    static void dropDatabase() {
        PG.execute(
                db,
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" + db + "'");
        PG.execute("postgres", "DROP DATABASE " + db);
    }

    @Test
    void everyTypeStreamsAsItsMappedJson_whateverTheDatabaseDefaultsAndJvmZone() throws Exception {
        open("types");
        transaction(
                "INSERT INTO every_type VALUES (1, " + TypeCases.valuesSql() + ")",
                "INSERT INTO every_type (id) VALUES (2)");

        List<Change> changes = readTransactions(1).get(0).changes();
        assertThat(changes).hasSize(2);

        String message = encode(changes.get(0), TimestampFormat.ISO8601);
        List<String> expected = new ArrayList<>();
        for (Case c : CASES) {
            expected.add(c.json());
        }
        assertThat(TypeCases.labelled(columnValues(message))).containsExactlyElementsOf(TypeCases.labelled(expected));
        assertThat(recordOf(message)).isEqualTo(record("1", i -> CASES.get(i).json()));
        // The range keeps its text form: in UTC, not in the zone of the database or the JVM.
        assertThat(expected.get(TypeCases.indexOf("tstzrange"))).contains("+00");

        JsonNode insert = JSON.readTree(message);
        assertThat(insert.get("action").asString()).isEqualTo("insert");
        assertThat(insert.get("changes").isNull()).isTrue();
        assertThat(insert.at("/metadata/table_name").asString()).isEqualTo("every_type");
        assertThat(insert.at("/metadata/record_pks").toString()).isEqualTo("[\"1\"]");
        assertThat(insert.at("/metadata").has("unchanged_toast_columns")).isFalse();

        assertThat(recordOf(encode(changes.get(1), TimestampFormat.ISO8601))).isEqualTo(record("2", i -> "null"));
    }

    @Test
    void unixMicrosecondTimestampFormat_turnsTimestampsIntoIntegers() throws Exception {
        open("unix");
        transaction("INSERT INTO every_type VALUES (3, " + TypeCases.valuesSql() + ")");
        transaction("INSERT INTO events VALUES (1, '2024-01-02 08:34:05.5+05:30', '2024-01-02 03:04:05.123456')");

        List<Tx> txs = readTransactions(2);
        String everyType = encode(txs.get(0).changes().get(0), TimestampFormat.UNIX_MICROSECOND);
        assertThat(recordOf(everyType))
                .isEqualTo(record(
                        "3",
                        i -> CASES.get(i).unixJson() != null
                                ? CASES.get(i).unixJson()
                                : CASES.get(i).json()));

        Change event = txs.get(1).changes().get(0);
        assertThat(recordOf(encode(event, TimestampFormat.UNIX_MICROSECOND)))
                .isEqualTo("{\"id\":1,\"at\":1704164645500000,\"local\":1704164645123456}");
        assertThat(recordOf(encode(event, TimestampFormat.ISO8601)))
                .isEqualTo(
                        "{\"id\":1,\"at\":\"2024-01-02T03:04:05.500000Z\",\"local\":\"2024-01-02T03:04:05.123456\"}");
        assertThat(JSON.readTree(encode(event, TimestampFormat.UNIX_MICROSECOND))
                        .at("/metadata/commit_timestamp")
                        .isString())
                .isTrue();
    }

    @Test
    void toastedColumn_isUnchangedToastWithoutReplicaIdentityFull_andTheRealValueWithIt() throws Exception {
        open("toast");
        String bigExpr = "(SELECT string_agg(md5(i::text), '') FROM generate_series(1, 32768) i)";
        transaction("INSERT INTO docs VALUES (1, 'first', " + bigExpr + ")");
        transaction("UPDATE docs SET title = 'second' WHERE id = 1");
        PG.execute(db, "ALTER TABLE docs REPLICA IDENTITY FULL");
        try {
            transaction("UPDATE docs SET title = 'third' WHERE id = 1");
        } finally {
            PG.execute(db, "ALTER TABLE docs REPLICA IDENTITY DEFAULT");
        }

        List<Tx> txs = readTransactions(3);
        JsonNode inserted = JSON.readTree(encode(txs.get(0).changes().get(0), TimestampFormat.ISO8601));
        String big = inserted.at("/record/big").asString();
        assertThat(big).hasSize(1_048_576).startsWith("c4ca4238a0b923820dcc509a6f75849b");

        String defaultIdentity = encode(txs.get(1).changes().get(0), TimestampFormat.ISO8601);
        assertThat(recordOf(defaultIdentity)).isEqualTo("{\"id\":1,\"title\":\"second\",\"big\":\"unchanged_toast\"}");
        JsonNode withoutOld = JSON.readTree(defaultIdentity);
        assertThat(withoutOld.get("action").asString()).isEqualTo("update");
        assertThat(withoutOld.get("changes").toString()).isEqualTo("{}");
        assertThat(withoutOld.at("/metadata/unchanged_toast_columns").toString())
                .isEqualTo("[\"big\"]");

        JsonNode full = JSON.readTree(encode(txs.get(2).changes().get(0), TimestampFormat.ISO8601));
        assertThat(full.at("/record/id").asInt()).isEqualTo(1);
        assertThat(full.at("/record/title").asString()).isEqualTo("third");
        assertThat(full.at("/record/big").asString()).isEqualTo(big);
        assertThat(full.get("changes").toString()).isEqualTo("{\"title\":\"second\"}");
        assertThat(full.get("metadata").has("unchanged_toast_columns")).isFalse();
    }

    @Test
    void acknowledge_advancesTheSlotsConfirmedFlushLsnToTheCommitEnd() throws Exception {
        String slot = open("ack");
        transaction("INSERT INTO events VALUES (2, now(), now())");

        Commit commit = readTransactions(1).get(0).commit();
        assertThat(Long.compareUnsigned(confirmedFlushLsn(slot), commit.endLsn()))
                .isNegative();
        session.acknowledge(commit.endLsn(), true);

        assertThat(session.acknowledged()).isEqualTo(commit.endLsn());
        await().atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> assertThat(LogSequenceNumber.valueOf(confirmedFlushLsn(slot)))
                        .isEqualTo(LogSequenceNumber.valueOf(commit.endLsn())));
    }

    /**
     * Creates this test's slot (and the shared publication) through {@link SourcePreflight}, then opens
     * the session with the JVM's default zone set to Kolkata.
     */
    private String open(String name) throws SQLException {
        String slot = db + "_" + name;
        SourceSettings settings =
                new SourceSettings("localhost", PG.port(), db, "postgres", null, false, false, slot, "pub", true, true);
        catalog = DriverManager.getConnection(settings.jdbcUrl(), settings.properties(false));
        SourcePreflight.run(catalog, settings);
        int major = SourcePreflight.serverMajor(catalog);
        relations = new RelationCache(new TypeRegistry(catalog), new JdbcPrimaryKeyLookup(catalog));
        assembler = new ChangeAssembler(relations);
        TimeZone jvmZone = TimeZone.getDefault();
        TimeZone.setDefault(TimeZone.getTimeZone("Asia/Kolkata"));
        try {
            session = ReplicationSession.open(settings, major);
        } finally {
            TimeZone.setDefault(jvmZone);
        }
        return slot;
    }

    /** Reads until {@code count} transactions with row changes have committed, as the pipeline reads. */
    private List<Tx> readTransactions(int count) {
        List<Tx> done = new ArrayList<>();
        TxReader reader = new TxReader(done);
        await().atMost(TIMEOUT)
                .pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(10))
                .alias(count + " transactions")
                .until(() -> {
                    while (done.size() < count) {
                        ByteBuffer frame = session.readPending();
                        if (frame == null) {
                            break;
                        }
                        reader.accept(PgOutputDecoder.decode(frame));
                    }
                    return done.size() >= count;
                });
        return done;
    }

    /** Assembles committed transactions with row changes from messages, across polls. */
    private final class TxReader {
        private final List<Tx> done;
        private List<Change> changes = new ArrayList<>();
        private Begin begin;

        TxReader(List<Tx> done) {
            this.done = done;
        }

        void accept(PgOutputMessage message) {
            switch (message) {
                case Begin b -> {
                    begin = b;
                    changes = new ArrayList<>();
                }
                case Relation r -> relations.apply(r);
                case RowChange r ->
                    changes.add(assembler.assemble(
                            r, new Position(begin.finalLsn(), changes.size()), begin.commitTimestamp(), null));
                case Commit c -> {
                    if (!changes.isEmpty()) {
                        done.add(new Tx(List.copyOf(changes), c));
                    }
                }
                default -> {}
            }
        }
    }

    private static String encode(Change change, TimestampFormat format) {
        MessageContext context = new MessageContext(
                "consumer-id", "consumer", "{}", "database-id", "source", "{}", db, "localhost", format);
        return new String(MessageEncoder.encode(change, context), StandardCharsets.UTF_8);
    }

    /** The exact text of the message's {@code record} object. */
    private static String recordOf(String message) {
        assertThat(message).startsWith("{\"record\":{");
        return message.substring("{\"record\":".length(), message.indexOf(",\"changes\":"));
    }

    /** The exact JSON text of every case column of an every_type message, in column order. */
    private static List<String> columnValues(String message) {
        String record = recordOf(message);
        List<String> values = new ArrayList<>();
        for (int i = 0; i < CASES.size(); i++) {
            String name = "\"" + TypeCases.column(i) + "\":";
            int start = record.indexOf(name) + name.length();
            int end = i + 1 < CASES.size()
                    ? record.indexOf(",\"" + TypeCases.column(i + 1) + "\":", start)
                    : record.length() - 1;
            values.add(record.substring(start, end));
        }
        return values;
    }

    /** The expected every_type record: {@code id}, then each case column's JSON. */
    private static String record(String id, Function<Integer, String> json) {
        StringBuilder s = new StringBuilder("{\"id\":").append(id);
        for (int i = 0; i < CASES.size(); i++) {
            s.append(",\"").append(TypeCases.column(i)).append("\":").append(json.apply(i));
        }
        return s.append('}').toString();
    }

    private static void transaction(String... sql) throws SQLException {
        try (Connection c = PG.connect(db);
                Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            for (String q : sql) {
                s.execute(q);
            }
            c.commit();
        }
    }

    private static long confirmedFlushLsn(String slot) throws SQLException {
        try (Connection c = PG.connect(db);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(
                        "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '" + slot + "'")) {
            assertThat(rs.next()).isTrue();
            return LogSequenceNumber.valueOf(rs.getString(1)).asLong();
        }
    }
}
