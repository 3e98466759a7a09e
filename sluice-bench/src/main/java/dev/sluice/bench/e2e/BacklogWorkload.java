package dev.sluice.bench.e2e;

import dev.sluice.testkit.TestPostgres;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes the backlog that every drain system reads: table {@code public.bench}, a publication for it,
 * one pgoutput slot per system created <em>before</em> the first write, then {@code changes} row
 * changes as fast as one connection can write them.
 *
 * <p>Mix: about 60 % inserts, 30 % updates and 10 % deletes, in transactions of 1 to 500 changes
 * (uniform, seeded, so two runs write the same workload). Each transaction writes its inserts with one
 * multi-row {@code INSERT ... SELECT FROM unnest(...)}, then its updates and deletes likewise, so the
 * row count of every statement is known and the total is exact. Rows carry ~40 characters of text and
 * ~100 bytes of jsonb.
 */
final class BacklogWorkload {
    static final String TABLE = "bench";
    /** The benchmark's table, also made on targets that changes are applied to. */
    static final String TABLE_DDL = "CREATE TABLE bench (id serial PRIMARY KEY, string_field text, numeric_field"
            + " numeric, timestamp_field timestamptz, json_field jsonb,"
            + " inserted_at timestamptz NOT NULL DEFAULT now(),"
            + " updated_at timestamptz NOT NULL DEFAULT now())";

    static final String PUBLICATION = "bench_pub";
    private static final int MAX_TRANSACTION = 500;
    private static final int POOL = 4096;
    private static final String ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private static final String INSERT =
            "INSERT INTO bench (id, string_field, numeric_field, timestamp_field, json_field)"
                    + " SELECT * FROM unnest(?::int[], ?::text[], ?::numeric[], ?::timestamptz[], ?::jsonb[])";
    private static final String UPDATE =
            "UPDATE bench AS b SET string_field = v.s, numeric_field = v.n, json_field = v.j,"
                    + " updated_at = now() FROM unnest(?::int[], ?::text[], ?::numeric[], ?::jsonb[]) AS v(id, s, n, j)"
                    + " WHERE b.id = v.id";
    private static final String DELETE = "DELETE FROM bench WHERE id = ANY(?::int[])";

    private final Random random;
    private final String[] texts = new String[POOL];
    private final String[] jsons = new String[POOL];

    // Live row ids: the first `liveCount` entries of `live`, in no order.
    private int[] live = new int[1024];
    private int liveCount;
    private int nextId = 1;

    BacklogWorkload(long seed) {
        this.random = new Random(seed);
        for (int i = 0; i < POOL; i++) {
            texts[i] = randomText(40);
            jsons[i] = "{\"customer\":\"" + randomText(12) + "\",\"items\":[" + random.nextInt(1000) + ","
                    + random.nextInt(1000) + "," + random.nextInt(1000) + "],\"note\":\"" + randomText(24)
                    + "\",\"active\":" + random.nextBoolean() + ",\"score\":" + random.nextInt(10_000) / 100.0 + "}";
        }
    }

    /**
     * Creates a fresh database with the table, the publication and one slot per system, then writes
     * {@code changes} row changes.
     */
    static Backlog write(TestPostgres pg, long changes, List<DrainSystem> systems, long seed) throws SQLException {
        String db = pg.createDatabase("bench");
        pg.execute(db, TABLE_DDL, "CREATE PUBLICATION " + PUBLICATION + " FOR TABLE bench");
        Map<DrainSystem, String> slots = new EnumMap<>(DrainSystem.class);
        try (Connection c = pg.connect(db)) {
            for (DrainSystem s : systems) {
                try (PreparedStatement ps =
                        c.prepareStatement("SELECT pg_create_logical_replication_slot(?, 'pgoutput')")) {
                    ps.setString(1, s.slotName());
                    ps.execute();
                }
                slots.put(s, s.slotName());
            }
            String startLsn = currentLsn(c);
            long t0 = System.nanoTime();
            long transactions = new BacklogWorkload(seed).run(c, changes);
            double seconds = (System.nanoTime() - t0) / 1e9;
            String endLsn = currentLsn(c);
            long walBytes;
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_wal_lsn_diff(?::pg_lsn, ?::pg_lsn)::bigint")) {
                ps.setString(1, endLsn);
                ps.setString(2, startLsn);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    walBytes = rs.getLong(1);
                }
            }
            return new Backlog(
                    "localhost", pg.port(), db, PUBLICATION, slots, changes, transactions, walBytes, endLsn, seconds);
        }
    }

    private static String currentLsn(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Writes exactly {@code changes} row changes; returns the number of transactions. */
    long run(Connection c, long changes) throws SQLException {
        c.setAutoCommit(false);
        long written = 0;
        long transactions = 0;
        try (PreparedStatement insert = c.prepareStatement(INSERT);
                PreparedStatement update = c.prepareStatement(UPDATE);
                PreparedStatement delete = c.prepareStatement(DELETE)) {
            while (written < changes) {
                int size = (int) Math.min(1 + random.nextInt(MAX_TRANSACTION), changes - written);
                int inserts = 0;
                int updates = 0;
                int deletes = 0;
                for (int i = 0; i < size; i++) {
                    int r = random.nextInt(100);
                    if (r < 60) {
                        inserts++;
                    } else if (r < 90) {
                        updates++;
                    } else {
                        deletes++;
                    }
                }
                // Inserts run first, so updates and deletes may touch rows of the same transaction; a
                // young table has too few rows for the rest, which become inserts.
                int available = liveCount + inserts;
                updates = Math.min(updates, available);
                deletes = Math.min(deletes, available);
                inserts = size - updates - deletes;
                if (inserts > 0) {
                    expect(insertRows(c, insert, inserts), inserts, "inserted");
                }
                if (updates > 0) {
                    expect(updateRows(c, update, updates), updates, "updated");
                }
                if (deletes > 0) {
                    expect(deleteRows(c, delete, deletes), deletes, "deleted");
                }
                c.commit();
                written += size;
                transactions++;
            }
        } finally {
            c.setAutoCommit(true);
        }
        return transactions;
    }

    private int insertRows(Connection c, PreparedStatement ps, int n) throws SQLException {
        Integer[] ids = new Integer[n];
        String[] strings = new String[n];
        String[] numerics = new String[n];
        String[] timestamps = new String[n];
        String[] json = new String[n];
        for (int i = 0; i < n; i++) {
            int id = nextId++;
            ids[i] = id;
            strings[i] = texts[random.nextInt(POOL)];
            numerics[i] = numeric();
            timestamps[i] = "2024-01-01 00:00:00+00";
            json[i] = jsons[random.nextInt(POOL)];
            addLive(id);
        }
        ps.setArray(1, c.createArrayOf("int4", ids));
        ps.setArray(2, c.createArrayOf("text", strings));
        ps.setArray(3, c.createArrayOf("text", numerics));
        ps.setArray(4, c.createArrayOf("text", timestamps));
        ps.setArray(5, c.createArrayOf("text", json));
        return ps.executeUpdate();
    }

    private int updateRows(Connection c, PreparedStatement ps, int n) throws SQLException {
        // A partial Fisher-Yates shuffle of the live ids picks n distinct rows (UPDATE ... FROM
        // changes a row once even when it is listed twice).
        Integer[] ids = new Integer[n];
        String[] strings = new String[n];
        String[] numerics = new String[n];
        String[] json = new String[n];
        for (int i = 0; i < n; i++) {
            int j = i + random.nextInt(liveCount - i);
            int t = live[i];
            live[i] = live[j];
            live[j] = t;
            ids[i] = live[i];
            strings[i] = texts[random.nextInt(POOL)];
            numerics[i] = numeric();
            json[i] = jsons[random.nextInt(POOL)];
        }
        ps.setArray(1, c.createArrayOf("int4", ids));
        ps.setArray(2, c.createArrayOf("text", strings));
        ps.setArray(3, c.createArrayOf("text", numerics));
        ps.setArray(4, c.createArrayOf("text", json));
        return ps.executeUpdate();
    }

    private int deleteRows(Connection c, PreparedStatement ps, int n) throws SQLException {
        Integer[] ids = new Integer[n];
        for (int i = 0; i < n; i++) {
            int j = random.nextInt(liveCount);
            ids[i] = live[j];
            live[j] = live[--liveCount];
        }
        Array a = c.createArrayOf("int4", ids);
        ps.setArray(1, a);
        return ps.executeUpdate();
    }

    private void addLive(int id) {
        if (liveCount == live.length) {
            live = java.util.Arrays.copyOf(live, live.length * 2);
        }
        live[liveCount++] = id;
    }

    private String numeric() {
        return random.nextInt(1_000_000) + "." + (random.nextInt(90) + 10);
    }

    private String randomText(int length) {
        char[] chars = new char[length];
        for (int i = 0; i < length; i++) {
            chars[i] = ALPHANUMERIC.charAt(random.nextInt(ALPHANUMERIC.length()));
        }
        return new String(chars);
    }

    private static void expect(int actual, int expected, String what) {
        if (actual != expected) {
            throw new IllegalStateException(what + " " + actual + " rows, expected " + expected);
        }
    }
}
