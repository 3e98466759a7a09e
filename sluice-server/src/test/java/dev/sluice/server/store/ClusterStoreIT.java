package dev.sluice.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.server.config.ConfigLoader;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.testkit.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The store's side of cluster mode, with two "nodes" on one metadata database: lease epochs fence writes, a lease is
 * taken over only once free or expired (or by its own node after a restart), and two configuration saves from stale
 * reads cannot both land.
 */
class ClusterStoreIT {
    private static final TestPostgres PG = TestPostgres.shared();
    private static final Duration TTL = Duration.ofSeconds(30);

    private MetadataStore store;
    private Path home;

    @BeforeEach
    void open() throws Exception {
        home = Files.createTempDirectory("sluice-cluster-store");
        store = MetadataStore.open(home, PG.jdbcUrl(PG.createDatabase("cluster_store")));
    }

    @AfterEach
    void close() {
        store.close();
    }

    private StoredConfig node() throws Exception {
        StoredConfig c =
                new StoredConfig(store, SecretBox.load(Base64.getEncoder().encodeToString(new byte[32]), home));
        c.load();
        return c;
    }

    private static SluiceConfig config(String endpoint) {
        return ConfigLoader.parse("""
                databases:
                  - name: src
                    hostname: localhost
                    port: 5432
                    database: app
                    username: postgres
                    slot:
                      name: s1
                    publication:
                      name: p1
                http_endpoints:
                  - name: %s
                    url: https://example.com/hook
                """.formatted(endpoint), "test", k -> null);
    }

    private UUID database(StoredConfig c) throws Exception {
        c.apply(config("first"));
        return c.snapshot().databaseIds().get("src");
    }

    @Test
    void aLeaseTakenOver_fencesTheFormerHoldersWrites() throws Exception {
        UUID db = database(node());
        LeaseTable leases = store.leases();
        long a = leases.acquire(db, "a", TTL);
        assertThat(a).isPositive();
        assertThat(leases.acquire(db, "b", TTL)).as("held and not expired").isEqualTo(-1);

        Fence fenceA = new Fence(db, "a", a);
        store.positions().record(db, "s1", "0/10", fenceA); // a holds it: accepted

        leases.release(db, "a", a);
        long b = leases.acquire(db, "b", TTL);
        assertThat(b).as("a new epoch").isGreaterThan(a);
        assertThatThrownBy(() -> store.positions().record(db, "s1", "0/20", fenceA))
                .isInstanceOf(Fence.LostException.class)
                .hasMessageContaining("no longer held by node a");
        assertThatThrownBy(() -> store.messages().delete(UUID.randomUUID(), java.util.List.of(), fenceA))
                .isInstanceOf(Fence.LostException.class);
        store.positions().record(db, "s1", "0/30", new Fence(db, "b", b));
        assertThat(leases.renew(db, "a", a, TTL))
                .as("a cannot renew what b took")
                .isFalse();
        assertThat(leases.renew(db, "b", b, TTL)).isTrue();
    }

    @Test
    void aNodeGoneQuietInsideAFencedWrite_doesNotKeepItsLeaseLockedForever() throws Exception {
        UUID db = database(node());
        LeaseTable leases = store.leases();
        long a = leases.acquire(db, "a", Duration.ofMillis(1));
        try (java.sql.Connection stuck = store.dataSource().getConnection()) {
            // Node a begins a fenced write (its lease row locked FOR SHARE), then is cut off: its session stays open
            // on the server, idle in the transaction.
            stuck.setAutoCommit(false);
            new Fence(db, "a", a).check(stuck);
            long[] b = {-1};
            org.awaitility.Awaitility.await("b takes the expired lease")
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .ignoreExceptions() // each attempt waits for the row lock until its socket timeout
                    .until(() -> (b[0] = leases.acquire(db, "b", TTL)) > 0);
            assertThat(b[0]).isGreaterThan(a);
            assertThatThrownBy(stuck::commit)
                    .as("the server ended a's idle transaction")
                    .isInstanceOf(java.sql.SQLException.class);
        }
    }

    @Test
    void aNodeRestartedWithItsOwnId_takesItsLeaseBackAtOnce_andAnExpiredLeaseIsFree() throws Exception {
        UUID db = database(node());
        LeaseTable leases = store.leases();
        long first = leases.acquire(db, "a", TTL);
        assertThat(leases.acquire(db, "a", TTL))
                .as("the same node after a restart")
                .isGreaterThan(first);
        leases.acquire(db, "a", Duration.ofMillis(1));
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() -> leases.leases().getFirst().expired());
        assertThat(leases.acquire(db, "b", TTL))
                .as("expired by the store's clock")
                .isPositive();
    }

    @Test
    void drainingIsAskedThroughTheStore_andARestartClearsIt() throws Exception {
        LeaseTable leases = store.leases();
        java.time.Instant started = java.time.Instant.parse("2026-01-01T00:00:00Z");
        assertThat(leases.heartbeat("a", "http://a:7376", started)).isFalse();
        assertThat(leases.drain("a")).isTrue();
        assertThat(leases.drain("nobody")).isFalse();
        assertThat(leases.heartbeat("a", "http://a:7376", started)).isTrue();
        assertThat(leases.heartbeat("a", "http://a:7376", started.plusSeconds(60)))
                .as("a restarted node starts undrained")
                .isFalse();
        assertThat(leases.nodes()).singleElement().satisfies(n -> {
            assertThat(n.address()).isEqualTo("http://a:7376");
            assertThat(n.age()).isLessThan(Duration.ofSeconds(10));
        });
    }

    @Test
    void twoNodesSavingFromTheSameRead_theSecondIsRefused_untilItReadsAgain() throws Exception {
        StoredConfig one = node();
        one.apply(config("first"));
        StoredConfig two = node();
        one.apply(config("second"));
        assertThatThrownBy(() -> two.apply(config("third")))
                .isInstanceOf(StoredConfig.ConcurrentSaveException.class)
                .hasMessageContaining("another node");
        assertThat(two.reloadIfChanged()).as("two sees one's save").isNotNull();
        assertThat(two.reloadIfChanged()).as("and then nothing new").isNull();
        two.apply(config("third"));
        assertThat(one.reloadIfChanged().snapshot().config().httpEndpoints())
                .extracting(e -> e.name())
                .containsExactlyInAnyOrder("first", "second", "third");
    }
}
