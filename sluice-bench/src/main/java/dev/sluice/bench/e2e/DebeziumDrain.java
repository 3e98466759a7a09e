package dev.sluice.bench.e2e;

import io.debezium.embedded.Connect;
import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.debezium.engine.format.Json;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * System (d): Debezium's embedded engine (the asynchronous engine of Debezium 3) with its Postgres
 * connector on the pre-created slot and publication, streaming only ({@code snapshot.mode=no_data}),
 * offsets in memory, no tombstones. The consumer counts records that carry a value and does nothing
 * else.
 *
 * <p>Format {@code json} (the default) has Debezium serialise every change event to JSON without
 * schemas, as Sluice encodes every message to JSON; {@code connect} hands over the Kafka Connect
 * {@code SourceRecord} and skips serialisation. Everything else is Debezium's defaults (batch 2048,
 * queue 8192, one processing thread per core).
 */
final class DebeziumDrain implements Drainer {
    private final String format;

    DebeziumDrain(String format) {
        if (!format.equals("json") && !format.equals("connect")) {
            throw new IllegalArgumentException("Debezium format must be json or connect, got '" + format + "'");
        }
        this.format = format;
    }

    @Override
    public DrainRun drain(Backlog backlog, Duration timeout) throws Exception {
        ChangeCounter counter = new ChangeCounter(backlog.changes());
        Properties p = properties(backlog);
        ExecutorService runner = Executors.newSingleThreadExecutor(r -> new Thread(r, "debezium-engine"));
        try (DebeziumEngine<?> engine = build(p, counter)) {
            runner.execute(engine);
            counter.await(timeout);
        } finally {
            runner.shutdown();
            runner.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
        }
        return counter.result(DrainSystem.DEBEZIUM);
    }

    private DebeziumEngine<?> build(Properties p, ChangeCounter counter) {
        if (format.equals("json")) {
            Consumer<ChangeEvent<String, String>> count = e -> {
                if (e.value() != null) {
                    counter.add(1);
                }
            };
            return DebeziumEngine.create(Json.class).using(p).notifying(count).build();
        }
        Consumer<RecordChangeEvent<SourceRecord>> count = e -> {
            if (e.record().value() != null) {
                counter.add(1);
            }
        };
        return DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(p)
                .notifying(count)
                .build();
    }

    static Properties properties(Backlog b) {
        Properties p = new Properties();
        p.setProperty("name", "bench-debezium");
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
        p.setProperty("offset.flush.interval.ms", "60000");
        p.setProperty("database.hostname", b.host());
        p.setProperty("database.port", Integer.toString(b.port()));
        p.setProperty("database.user", "postgres");
        p.setProperty("database.password", "");
        p.setProperty("database.dbname", b.database());
        p.setProperty("topic.prefix", "bench");
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", b.slot(DrainSystem.DEBEZIUM));
        p.setProperty("slot.drop.on.stop", "false");
        p.setProperty("publication.name", b.publication());
        p.setProperty("publication.autocreate.mode", "disabled");
        p.setProperty("snapshot.mode", "no_data");
        p.setProperty("table.include.list", "public." + BacklogWorkload.TABLE);
        p.setProperty("tombstones.on.delete", "false");
        p.setProperty("converter.schemas.enable", "false");
        p.setProperty("key.converter.schemas.enable", "false");
        p.setProperty("value.converter.schemas.enable", "false");
        return p;
    }
}
