package dev.sluice.postgres.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Action;
import dev.sluice.core.Change;
import dev.sluice.core.Column;
import dev.sluice.postgres.capture.PgOutputTestStream.Transaction;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Begin;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Commit;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Delete;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Insert;
import dev.sluice.postgres.pgoutput.PgOutputMessage.LogicalMessage;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Relation;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Truncate;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Update;
import dev.sluice.testkit.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Decodes and assembles what a real Postgres sends over pgoutput. Each test has its own database. */
class PgOutputStreamIT {
    static final Duration TIMEOUT = Duration.ofSeconds(20);
    static final String NON_ASCII = "Grüße, 東京 ✓ 😀";

    final TestPostgres pg = TestPostgres.shared();
    String db;
    PgOutputTestStream stream;

    @BeforeEach
    void createDatabase() {
        db = pg.createDatabase("pgoutput_it");
    }

    @AfterEach
    void dropEverything() throws SQLException {
        if (stream != null) {
            stream.close();
        }
        pg.execute(
                db,
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" + db + "'");
        pg.execute("postgres", "DROP DATABASE " + db);
    }

    /** Creates the publication and the slot (so that everything after this is streamed), then opens the stream. */
    PgOutputTestStream capture(String publicationTarget) throws SQLException {
        pg.execute(
                db,
                "CREATE PUBLICATION pub FOR " + publicationTarget,
                "SELECT pg_create_logical_replication_slot('slot', 'pgoutput')");
        stream = PgOutputTestStream.open(pg, db, "slot", "pub");
        return stream;
    }

    /** Runs the statements in one transaction. */
    void transaction(String... sql) throws SQLException {
        try (Connection c = pg.connect(db);
                Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            for (String q : sql) {
                s.execute(q);
            }
            c.commit();
        }
    }

    int oid(String table) throws SQLException {
        try (Connection c = pg.connect(db);
                ResultSet rs = c.createStatement().executeQuery("SELECT '" + table + "'::regclass::oid")) {
            rs.next();
            return (int) rs.getLong(1);
        }
    }

    static List<String> names(Change c) {
        return c.table().columns().stream().map(Column::name).toList();
    }

    static BitSet bits(int... indexes) {
        BitSet b = new BitSet();
        for (int i : indexes) {
            b.set(i);
        }
        return b;
    }

    @Test
    void multiStatementTransaction_arrivesInStatementOrderBetweenBeginAndCommit() throws Exception {
        pg.execute(
                db,
                "CREATE TABLE items (id int PRIMARY KEY, name text, qty int)",
                "CREATE TABLE notes (tenant text, id bigint, body text, PRIMARY KEY (tenant, id))",
                "INSERT INTO items VALUES (9, 'old', 0)");
        capture("ALL TABLES");
        Instant before = Instant.now().minusSeconds(5);

        transaction(
                "INSERT INTO items VALUES (1, 'apple', 3)",
                "INSERT INTO notes VALUES ('acme', 10, '" + NON_ASCII + "')",
                "INSERT INTO items VALUES (2, NULL, NULL)",
                "SELECT pg_logical_emit_message(true, 'prefix', 'content')",
                "UPDATE items SET qty = 4 WHERE id = 1",
                "DELETE FROM items WHERE id = 9");

        Transaction tx = stream.readTransactions(1, TIMEOUT).get(0);
        assertThat(tx.messageTypes())
                .containsExactly(
                        Begin.class,
                        Relation.class,
                        Insert.class,
                        Relation.class,
                        Insert.class,
                        Insert.class,
                        LogicalMessage.class,
                        Update.class,
                        Delete.class,
                        Commit.class);
        assertThat(tx.begin().finalLsn()).isEqualTo(tx.commit().commitLsn());
        assertThat(tx.commit().endLsn()).isGreaterThan(tx.commit().commitLsn());
        assertThat(tx.begin().commitTimestamp())
                .isEqualTo(tx.commit().commitTimestamp())
                .isBetween(before, Instant.now().plusSeconds(5));

        LogicalMessage message = tx.messages(LogicalMessage.class).get(0);
        assertThat(message.transactional()).isTrue();
        assertThat(message.prefix()).isEqualTo("prefix");
        assertThat(new String(message.content(), StandardCharsets.UTF_8)).isEqualTo("content");

        List<Change> changes = tx.changes();
        assertThat(changes)
                .extracting(Change::action)
                .containsExactly(Action.INSERT, Action.INSERT, Action.INSERT, Action.UPDATE, Action.DELETE);
        for (int i = 0; i < changes.size(); i++) {
            assertThat(changes.get(i).position().commitLsn())
                    .isEqualTo(tx.commit().commitLsn());
            assertThat(changes.get(i).position().commitIdx()).isEqualTo(i);
            assertThat(changes.get(i).commitTimestamp()).isEqualTo(tx.commit().commitTimestamp());
        }

        Change apple = changes.get(0);
        assertThat(apple.table().id().toString()).isEqualTo("public.items");
        assertThat(names(apple)).containsExactly("id", "name", "qty");
        assertThat(apple.record()).containsExactly("1", "apple", "3");
        assertThat(apple.primaryKeyValues()).containsExactly("1");

        Change note = changes.get(1);
        assertThat(note.record()).containsExactly("acme", "10", NON_ASCII);
        assertThat(note.primaryKeyValues()).containsExactly("acme", "10");

        assertThat(changes.get(2).record()).containsExactly("2", null, null);

        Change update = changes.get(3);
        assertThat(update.record()).containsExactly("1", "apple", "4");
        assertThat(update.changed()).isEqualTo(new BitSet()); // default identity, key unchanged: no old tuple
        assertThat(update.unchangedToast()).isNull();

        Change delete = changes.get(4);
        assertThat(delete.record()).containsExactly("9", null, null);
        assertThat(tx.messages(Delete.class).get(0).oldKind()).isEqualTo('K');
    }

    @Test
    void alterTable_addAndDropColumn_newSchemaAppliesToLaterChanges() throws Exception {
        pg.execute(db, "CREATE TABLE t (id int PRIMARY KEY, a text)");
        capture("TABLE t");

        transaction("INSERT INTO t VALUES (1, 'one')");
        pg.execute(db, "ALTER TABLE t ADD COLUMN b int DEFAULT 7");
        transaction("INSERT INTO t VALUES (2, 'two', 22)", "UPDATE t SET a = 'uno' WHERE id = 1");
        pg.execute(db, "ALTER TABLE t DROP COLUMN a");
        transaction("INSERT INTO t VALUES (3, 33)");
        // A schema change inside a transaction: Postgres sends a fresh Relation before the next change.
        transaction(
                "INSERT INTO t VALUES (4, 44)",
                "ALTER TABLE t ADD COLUMN c text",
                "INSERT INTO t VALUES (5, 55, 'five')");

        List<Transaction> txs = stream.readTransactions(4, TIMEOUT);
        Change first = txs.get(0).changes().get(0);
        assertThat(names(first)).containsExactly("id", "a");
        assertThat(first.record()).containsExactly("1", "one");

        assertThat(txs.get(1).messages(Relation.class)).hasSize(1);
        Change added = txs.get(1).changes().get(0);
        assertThat(names(added)).containsExactly("id", "a", "b");
        assertThat(added.record()).containsExactly("2", "two", "22");
        assertThat(txs.get(1).changes().get(1).record()).containsExactly("1", "uno", "7");

        Change dropped = txs.get(2).changes().get(0);
        assertThat(names(dropped)).containsExactly("id", "b");
        assertThat(dropped.record()).containsExactly("3", "33");
        assertThat(dropped.primaryKeyValues()).containsExactly("3");

        List<Change> mid = txs.get(3).changes();
        assertThat(names(mid.get(0))).containsExactly("id", "b");
        assertThat(mid.get(0).record()).containsExactly("4", "44");
        assertThat(names(mid.get(1))).containsExactly("id", "b", "c");
        assertThat(mid.get(1).record()).containsExactly("5", "55", "five");
        assertThat(first.table()).isNotSameAs(dropped.table());
    }

    @Test
    void truncate_decodesRelationIdsAndOptions_andProducesNoChange() throws Exception {
        pg.execute(
                db,
                "CREATE TABLE parent (id int PRIMARY KEY)",
                "CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent)",
                "CREATE TABLE other (id serial PRIMARY KEY)");
        capture("ALL TABLES");

        transaction("TRUNCATE parent, child");
        transaction("TRUNCATE other RESTART IDENTITY");
        transaction("TRUNCATE parent CASCADE");

        List<Transaction> txs = stream.readTransactions(3, TIMEOUT);
        Truncate both = txs.get(0).messages(Truncate.class).get(0);
        assertThat(both.relationIds()).containsExactlyInAnyOrder(oid("parent"), oid("child"));
        assertThat(both.cascade()).isFalse();
        assertThat(both.restartIdentity()).isFalse();
        assertThat(txs.get(0).messages(Relation.class))
                .extracting(Relation::relationId)
                .containsExactlyInAnyOrder(oid("parent"), oid("child"));

        Truncate restart = txs.get(1).messages(Truncate.class).get(0);
        assertThat(restart.relationIds()).containsExactly(oid("other"));
        assertThat(restart.restartIdentity()).isTrue();

        Truncate cascade = txs.get(2).messages(Truncate.class).get(0);
        assertThat(cascade.cascade()).isTrue();
        assertThat(cascade.relationIds()).contains(oid("parent"));

        assertThat(txs).allSatisfy(tx -> assertThat(tx.changes()).isEmpty());
    }

    @Test
    void largeToastedColumn_unchangedOnUpdate_isUnchangedToastUnlessReplicaIdentityFull() throws Exception {
        pg.execute(
                db,
                "CREATE TABLE docs (id int PRIMARY KEY, title text, body text)",
                // EXTERNAL: stored out of line uncompressed, so the 1 MB value is surely TOASTed.
                "ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL");
        capture("TABLE docs");
        String bodyExpr = "(SELECT string_agg(md5(i::text), '') FROM generate_series(1, 32768) i)";

        transaction("INSERT INTO docs VALUES (1, 'first', " + bodyExpr + ")");
        transaction("UPDATE docs SET title = 'second' WHERE id = 1");
        pg.execute(db, "ALTER TABLE docs REPLICA IDENTITY FULL");
        transaction("UPDATE docs SET title = 'third' WHERE id = 1");

        List<Transaction> txs = stream.readTransactions(3, TIMEOUT);
        String body = txs.get(0).changes().get(0).record()[2];
        assertThat(body).hasSize(1_048_576);

        Change withoutOld = txs.get(1).changes().get(0);
        assertThat(txs.get(1).messages(Update.class).get(0).newTuple().isUnchangedToast(2))
                .isTrue();
        assertThat(withoutOld.record()).containsExactly("1", "second", null);
        assertThat(withoutOld.unchangedToast()).isEqualTo(bits(2));
        assertThat(withoutOld.changed()).isEqualTo(new BitSet());

        Update fullUpdate = txs.get(2).messages(Update.class).get(0);
        assertThat(fullUpdate.oldKind()).isEqualTo('O');
        Change full = txs.get(2).changes().get(0);
        assertThat(full.record()[0]).isEqualTo("1");
        assertThat(full.record()[1]).isEqualTo("third");
        assertThat(full.record()[2]).isEqualTo(body);
        assertThat(full.unchangedToast()).isNull();
        assertThat(full.changed()).isEqualTo(bits(1));
        assertThat(full.old()[1]).isEqualTo("second");
    }

    @Test
    void primaryKeyChange_sendsOldKey() throws Exception {
        pg.execute(db, "CREATE TABLE t (id int PRIMARY KEY, v text)", "INSERT INTO t VALUES (1, 'a')");
        capture("TABLE t");

        transaction("UPDATE t SET id = 2 WHERE id = 1");

        Transaction tx = stream.readTransactions(1, TIMEOUT).get(0);
        Update update = tx.messages(Update.class).get(0);
        assertThat(update.oldKind()).isEqualTo('K');
        assertThat(update.oldTuple().text(0)).isEqualTo("1");
        assertThat(update.oldTuple().isNull(1)).isTrue();

        Change change = tx.changes().get(0);
        assertThat(change.record()).containsExactly("2", "a");
        assertThat(change.changed()).isEqualTo(bits(0));
        assertThat(change.old()[0]).isEqualTo("1");
    }

    @Test
    void deletes_carryTheKeyByDefault_andTheWholeRowWithReplicaIdentityFull() throws Exception {
        pg.execute(
                db,
                "CREATE TABLE keyed (id int PRIMARY KEY, v text)",
                "CREATE TABLE full_rows (id int PRIMARY KEY, v text, n int)",
                "ALTER TABLE full_rows REPLICA IDENTITY FULL",
                "INSERT INTO keyed VALUES (1, 'a')",
                "INSERT INTO full_rows VALUES (1, '" + NON_ASCII + "', NULL)");
        capture("ALL TABLES");

        transaction("DELETE FROM keyed", "DELETE FROM full_rows");

        Transaction tx = stream.readTransactions(1, TIMEOUT).get(0);
        assertThat(tx.messages(Delete.class)).extracting(Delete::oldKind).containsExactly('K', 'O');
        assertThat(tx.changes().get(0).record()).containsExactly("1", null);
        assertThat(tx.changes().get(1).record()).containsExactly("1", NON_ASCII, null);
        assertThat(tx.changes().get(1).primaryKeyValues()).containsExactly("1");
        assertThat(tx.changes()).allSatisfy(c -> {
            assertThat(c.action()).isEqualTo(Action.DELETE);
            assertThat(c.changed()).isNull();
        });
    }
}
