package dev.sluice.server.demo;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A small, steady mix of inserts, updates and deletes on the demo tables. */
final class DemoWorkload implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DemoWorkload.class);
    private static final List<String> NAMES =
            List.of("Ada", "Grace", "Linus", "Barbara", "Edsger", "Margaret", "Ken", "Frances", "Dennis", "Radia");
    private static final List<String> PRODUCTS =
            List.of("keyboard", "monitor", "desk lamp", "notebook", "headphones", "coffee beans", "backpack");

    private final String jdbcUrl;
    private final long periodNanos;
    private final Random random = new Random();
    private volatile boolean running = true;
    private Thread thread;

    DemoWorkload(String jdbcUrl, double changesPerSecond) {
        this.jdbcUrl = jdbcUrl;
        this.periodNanos = (long) (1_000_000_000L / Math.max(0.1, changesPerSecond));
    }

    static void createSchema(String jdbcUrl) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl);
                Statement s = c.createStatement()) {
            s.execute("""
                    CREATE TABLE customers (
                        id          bigserial PRIMARY KEY,
                        name        text NOT NULL,
                        email       text NOT NULL,
                        tier        text NOT NULL DEFAULT 'standard',
                        created_at  timestamptz NOT NULL DEFAULT now()
                    );
                    CREATE TABLE orders (
                        id           bigserial PRIMARY KEY,
                        customer_id  bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
                        product      text NOT NULL,
                        quantity     int NOT NULL,
                        total        numeric(10, 2) NOT NULL,
                        status       text NOT NULL DEFAULT 'pending',
                        tags         text[] NOT NULL DEFAULT '{}',
                        updated_at   timestamptz NOT NULL DEFAULT now()
                    );
                    -- Old rows in full, so update messages carry "changes" (the previous values).
                    ALTER TABLE orders REPLICA IDENTITY FULL;
                    INSERT INTO customers (name, email) VALUES ('Ada', 'ada@example.com'), ('Grace', 'grace@example.com');
                    """);
        }
    }

    void start() {
        thread = Thread.ofPlatform().name("demo-workload").daemon().start(this::loop);
    }

    private void loop() {
        while (running) {
            try (Connection c = DriverManager.getConnection(jdbcUrl)) {
                while (running) {
                    step(c);
                    LockSupport.parkNanos(periodNanos);
                }
            } catch (SQLException e) {
                if (running) {
                    log.warn("demo workload: {}", e.getMessage());
                    LockSupport.parkNanos(1_000_000_000L);
                }
            }
        }
    }

    private void step(Connection c) throws SQLException {
        int dice = random.nextInt(100);
        try (Statement s = c.createStatement()) {
            if (dice < 15) {
                String name = NAMES.get(random.nextInt(NAMES.size()));
                s.execute("INSERT INTO customers (name, email) VALUES ('" + name + "', '" + name.toLowerCase()
                        + random.nextInt(1000) + "@example.com')");
            } else if (dice < 50) {
                String product = PRODUCTS.get(random.nextInt(PRODUCTS.size()));
                int qty = 1 + random.nextInt(3);
                s.execute("INSERT INTO orders (customer_id, product, quantity, total, tags)"
                        + " SELECT id, '" + product + "', " + qty + ", " + qty * (5 + random.nextInt(95)) + ".99,"
                        + " ARRAY['web'] FROM customers ORDER BY random() LIMIT 1");
            } else if (dice < 80) {
                s.execute("UPDATE orders SET status = CASE status WHEN 'pending' THEN 'paid' WHEN 'paid' THEN"
                        + " 'shipped' ELSE 'delivered' END, updated_at = now()"
                        + " WHERE id = (SELECT id FROM orders WHERE status <> 'delivered' ORDER BY random() LIMIT 1)");
            } else if (dice < 90) {
                // Two statements in one transaction: both changes share a commit_lsn.
                c.setAutoCommit(false);
                s.execute(
                        "UPDATE customers SET tier = 'gold' WHERE id = (SELECT id FROM customers ORDER BY random() LIMIT 1)");
                s.execute(
                        "INSERT INTO orders (customer_id, product, quantity, total)"
                                + " SELECT id, 'gift card', 1, 25.00 FROM customers WHERE tier = 'gold' ORDER BY random() LIMIT 1");
                c.commit();
                c.setAutoCommit(true);
            } else {
                s.execute(
                        "DELETE FROM orders WHERE id = (SELECT id FROM orders WHERE status = 'delivered' ORDER BY id LIMIT 1)");
            }
        }
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
