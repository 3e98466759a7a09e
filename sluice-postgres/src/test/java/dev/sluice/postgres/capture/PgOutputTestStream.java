package dev.sluice.postgres.capture;

import dev.sluice.core.Change;
import dev.sluice.core.Position;
import dev.sluice.postgres.pgoutput.PgOutputDecoder;
import dev.sluice.postgres.pgoutput.PgOutputMessage;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Begin;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Commit;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Relation;
import dev.sluice.postgres.pgoutput.PgOutputMessage.RowChange;
import dev.sluice.postgres.types.TypeRegistry;
import dev.sluice.testkit.TestPostgres;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.awaitility.Awaitility;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.PGReplicationStream;

/**
 * Test helper: opens a pgoutput stream (protocol 1, {@code messages} on) on an existing logical slot,
 * decodes every frame, keeps a {@link RelationCache} up to date and assembles the row changes of each
 * transaction, as the real reader will.
 *
 * <p>Empty transactions (DDL, or anything touching no published table) are dropped: Postgres 15+
 * skips them itself and older versions send a bare Begin/Commit, so counting only non-empty ones keeps
 * tests independent of the server version.
 *
 * {@snippet :
 * try (var stream = PgOutputTestStream.open(pg, db, "slot_1", "pub_1")) {
 *     List<PgOutputTestStream.Transaction> txs = stream.readTransactions(2, Duration.ofSeconds(10));
 * }
 * }
 */
public final class PgOutputTestStream implements AutoCloseable {
    /** One committed transaction: every message between Begin and Commit, and the assembled changes. */
    public record Transaction(Begin begin, List<PgOutputMessage> messages, List<Change> changes, Commit commit) {
        /** The messages' record types, Begin and Commit included, for asserting the protocol sequence. */
        List<Class<?>> messageTypes() {
            List<Class<?>> types = new ArrayList<>();
            types.add(Begin.class);
            messages.forEach(m -> types.add(m.getClass()));
            types.add(Commit.class);
            return types;
        }

        <T extends PgOutputMessage> List<T> messages(Class<T> type) {
            return messages.stream().filter(type::isInstance).map(type::cast).toList();
        }
    }

    private final Connection replication;
    private final Connection catalog;
    private final PGReplicationStream stream;
    private final RelationCache relations;
    private final ChangeAssembler assembler;

    private Begin begin;
    private List<PgOutputMessage> pending;
    private List<Change> pendingChanges;

    private PgOutputTestStream(Connection replication, Connection catalog, PGReplicationStream stream) {
        this.replication = replication;
        this.catalog = catalog;
        this.stream = stream;
        this.relations = new RelationCache(new TypeRegistry(catalog), new JdbcPrimaryKeyLookup(catalog));
        this.assembler = new ChangeAssembler(relations);
    }

    /** Streams {@code slot} (which must exist) from its confirmed position, for {@code publication}. */
    public static PgOutputTestStream open(TestPostgres pg, String database, String slot, String publication)
            throws SQLException {
        Properties props = new Properties();
        PGProperty.USER.set(props, "postgres");
        PGProperty.REPLICATION.set(props, "database");
        PGProperty.ASSUME_MIN_SERVER_VERSION.set(props, "10");
        PGProperty.PREFER_QUERY_MODE.set(props, "simple");
        Connection replication =
                DriverManager.getConnection("jdbc:postgresql://localhost:" + pg.port() + "/" + database, props);
        Connection catalog = pg.connect(database);
        try {
            PGReplicationStream stream = replication
                    .unwrap(PGConnection.class)
                    .getReplicationAPI()
                    .replicationStream()
                    .logical()
                    .withSlotName(slot)
                    .withSlotOption("proto_version", "1")
                    .withSlotOption("publication_names", publication)
                    .withSlotOption("messages", "true")
                    .start();
            return new PgOutputTestStream(replication, catalog, stream);
        } catch (SQLException | RuntimeException e) {
            replication.close();
            catalog.close();
            throw e;
        }
    }

    RelationCache relations() {
        return relations;
    }

    /** Reads until {@code count} non-empty transactions have committed, or fails after {@code timeout}. */
    public List<Transaction> readTransactions(int count, Duration timeout) {
        List<Transaction> done = new ArrayList<>();
        Awaitility.await()
                .atMost(timeout)
                .pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(10))
                .alias(count + " transactions")
                .until(() -> {
                    // Everything that arrived since the last look, then whether it is enough.
                    while (done.size() < count) {
                        ByteBuffer frame = stream.readPending();
                        if (frame == null) {
                            break;
                        }
                        Transaction tx = accept(PgOutputDecoder.decode(frame));
                        if (tx != null && !tx.messages().isEmpty()) {
                            done.add(tx);
                        }
                    }
                    return done.size() >= count;
                });
        return done;
    }

    private Transaction accept(PgOutputMessage message) {
        switch (message) {
            case Begin b -> {
                begin = b;
                pending = new ArrayList<>();
                pendingChanges = new ArrayList<>();
                return null;
            }
            case Commit c -> {
                Transaction tx = new Transaction(begin, List.copyOf(pending), List.copyOf(pendingChanges), c);
                begin = null;
                pending = null;
                return tx;
            }
            default -> {}
        }
        if (begin == null) {
            return null; // a non-transactional logical message: not part of any transaction
        }
        pending.add(message);
        if (message instanceof Relation r) {
            relations.apply(r);
        } else if (message instanceof RowChange change) {
            Position position = new Position(begin.finalLsn(), pendingChanges.size());
            pendingChanges.add(assembler.assemble(change, position, begin.commitTimestamp(), null));
        }
        return null;
    }

    @Override
    public void close() throws SQLException {
        try (replication;
                catalog) {
            stream.close();
        }
    }
}
