package dev.sluice.bench.e2e;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jspecify.annotations.Nullable;

/**
 * What Sluice's {@code verify} spends its time on, taken apart on the replication scenario's source and target
 * ({@code --replication-probe}): the parts of its work replayed from this JVM, and variants of them, each timed alone.
 *
 * <ul>
 *   <li>{@link Variant#BOUNDS}: the chunk boundaries of every table (verify's own query: every {@value
 *       #CHUNK_ROWS}th key by {@code row_number()} over the key), on one source connection;
 *   <li>{@link Variant#AS_VERIFY}: every chunk hashed on both sides with verify's query ({@code md5} of each row's
 *       record text, {@code md5} of their concatenation in key order), source then target, a new connection per chunk
 *       and side, two chunks at once: verify's work without its job, its boundaries and its per-table waits;
 *   <li>{@link Variant#REUSED_CONNECTIONS}: the same with one connection per side and thread;
 *   <li>{@link Variant#MD5_OF_CHUNK}: and one {@code md5} over the chunk's row texts in key order (not one a row);
 *   <li>{@link Variant#HASH_SUM}: and {@code sum(hashtextextended(row text, 0))}, no order needed (no sort).
 * </ul>
 *
 * Every variant must find the two sides equal; the chunks are those of {@link Variant#BOUNDS}.
 */
final class VerifyProbe {
    static final int CHUNK_ROWS = 10_000;
    static final int THREADS = 2;

    enum Variant {
        BOUNDS("bounds", "chunk boundaries of every table, one source connection"),
        AS_VERIFY("as-verify", "md5 per row, a connection per chunk and side, 2 chunks at once"),
        REUSED_CONNECTIONS("reused-connections", "md5 per row, connections reused"),
        MD5_OF_CHUNK("md5-of-chunk", "one md5 over the chunk's row texts, connections reused"),
        HASH_SUM("hash-sum", "sum(hashtextextended(row text, 0)), no sort, connections reused");

        final String id;
        final String label;

        Variant(String id, String label) {
            this.id = id;
            this.label = label;
        }
    }

    /** One timed run of a variant. */
    record Run(Variant variant, int round, double seconds, long chunks) {}

    private record Table(String name, List<String> key, List<String> types) {}

    private record Chunk(
            Table table,
            @Nullable List<String> from,
            @Nullable List<String> to) {}

    private final LocalPostgres pg;
    private final String source;
    private final String target;

    private VerifyProbe(LocalPostgres pg, String source, String target) {
        this.pg = pg;
        this.source = source;
        this.target = target;
    }

    /** {@code rounds} rounds of every variant on {@code tables} of {@code source} and {@code target}. */
    static List<Run> run(LocalPostgres pg, String source, String target, List<String> tables, int rounds)
            throws Exception {
        VerifyProbe p = new VerifyProbe(pg, source, target);
        List<Table> ts = new ArrayList<>();
        try (Connection c = pg.connect(source)) {
            for (String t : tables) {
                ts.add(p.table(c, t));
            }
        }
        List<Run> out = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            long t0 = System.nanoTime();
            List<Chunk> chunks = p.chunks(ts);
            out.add(new Run(Variant.BOUNDS, round, (System.nanoTime() - t0) / 1e9, chunks.size()));
            for (Variant v :
                    List.of(Variant.AS_VERIFY, Variant.REUSED_CONNECTIONS, Variant.MD5_OF_CHUNK, Variant.HASH_SUM)) {
                long t1 = System.nanoTime();
                p.compare(chunks, v);
                out.add(new Run(v, round, (System.nanoTime() - t1) / 1e9, chunks.size()));
            }
        }
        return out;
    }

    private Table table(Connection c, String name) throws SQLException {
        List<String> key = new ArrayList<>();
        List<String> types = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod)"
                        + " FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
                        + " WHERE i.indrelid = ?::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)")) {
            s.setString(1, "public." + name);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    key.add(rs.getString(1));
                    types.add(rs.getString(2));
                }
            }
        }
        if (key.isEmpty()) {
            throw new IllegalStateException(name + " has no primary key");
        }
        return new Table(name, key, types);
    }

    /** Verify's boundaries: every {@value #CHUNK_ROWS}th key in key order, one query a table. */
    private List<Chunk> chunks(List<Table> tables) throws SQLException {
        List<Chunk> out = new ArrayList<>();
        try (Connection c = pg.connect(source)) {
            for (Table t : tables) {
                String key = String.join(", ", t.key());
                String text = String.join(
                        ", ", t.key().stream().map(k -> k + "::text").toList());
                List<List<String>> bounds = new ArrayList<>();
                try (PreparedStatement s = c.prepareStatement("SELECT " + text + " FROM (SELECT " + key
                        + ", row_number() OVER (ORDER BY " + key + ") AS sluice_rn FROM public." + t.name()
                        + ") b WHERE sluice_rn % ? = 0 ORDER BY sluice_rn")) {
                    s.setInt(1, CHUNK_ROWS);
                    try (ResultSet rs = s.executeQuery()) {
                        while (rs.next()) {
                            List<String> b = new ArrayList<>();
                            for (int i = 1; i <= t.key().size(); i++) {
                                b.add(rs.getString(i));
                            }
                            bounds.add(b);
                        }
                    }
                }
                List<String> from = null;
                for (List<String> b : bounds) {
                    out.add(new Chunk(t, from, b));
                    from = b;
                }
                out.add(new Chunk(t, from, null));
            }
        }
        return out;
    }

    private void compare(List<Chunk> chunks, Variant v) throws Exception {
        ConcurrentLinkedQueue<Chunk> queue = new ConcurrentLinkedQueue<>(chunks);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<Integer>> workers = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                workers.add(pool.submit(() -> {
                    boolean reuse = v != Variant.AS_VERIFY;
                    int differing = 0;
                    try (Connection s = reuse ? pg.connect(source) : null;
                            Connection t = reuse ? pg.connect(target) : null) {
                        Chunk ch;
                        while ((ch = queue.poll()) != null) {
                            String a;
                            String b;
                            if (reuse) {
                                a = hash(s, v, ch);
                                b = hash(t, v, ch);
                            } else {
                                try (Connection c = pg.connect(source)) {
                                    a = hash(c, v, ch);
                                }
                                try (Connection c = pg.connect(target)) {
                                    b = hash(c, v, ch);
                                }
                            }
                            if (!a.equals(b)) {
                                differing++;
                            }
                        }
                    }
                    return differing;
                }));
            }
            int differing = 0;
            for (Future<Integer> f : workers) {
                differing += f.get();
            }
            if (differing > 0) {
                throw new IllegalStateException(v.id + ": " + differing + " chunk(s) differ between two equal sides");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static String hash(Connection c, Variant v, Chunk ch) throws SQLException {
        Table t = ch.table();
        String key = String.join(", ", t.key().stream().map(k -> "t." + k).toList());
        String params = String.join(", ", t.types().stream().map(x -> "?::" + x).toList());
        StringBuilder where = new StringBuilder("true");
        if (ch.from() != null) {
            where.append(" AND (").append(key).append(") >= (").append(params).append(")");
        }
        if (ch.to() != null) {
            where.append(" AND (").append(key).append(") < (").append(params).append(")");
        }
        String aggregate = switch (v) {
            case AS_VERIFY, REUSED_CONNECTIONS ->
                "coalesce(md5(string_agg(md5(t::text), '' ORDER BY " + key + ")), '')";
            case MD5_OF_CHUNK -> "coalesce(md5(string_agg(t::text, '' ORDER BY " + key + ")), '')";
            case HASH_SUM -> "coalesce(sum(hashtextextended(t::text, 0)), 0)::text";
            case BOUNDS -> throw new IllegalArgumentException("not a hash");
        };
        try (PreparedStatement s = c.prepareStatement(
                "SELECT count(*), " + aggregate + " FROM public." + t.name() + " t WHERE " + where)) {
            int i = 1;
            for (List<String> bound : Arrays.asList(ch.from(), ch.to())) {
                if (bound != null) {
                    for (String value : bound) {
                        s.setString(i++, value);
                    }
                }
            }
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1) + "/" + rs.getString(2);
            }
        }
    }
}
