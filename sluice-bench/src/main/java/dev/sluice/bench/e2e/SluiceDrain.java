package dev.sluice.bench.e2e;

import dev.sluice.core.Action;
import dev.sluice.core.MessageContext;
import dev.sluice.core.TableId;
import dev.sluice.core.TimestampFormat;
import dev.sluice.core.sink.Sink;
import dev.sluice.engine.DatabasePipeline;
import dev.sluice.engine.RetryPolicy;
import dev.sluice.engine.SinkSpec;
import dev.sluice.engine.SinkState;
import dev.sluice.sink.webhook.WebhookConfig;
import dev.sluice.sink.webhook.WebhookSink;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Systems (b) and (c): Sluice's real {@link DatabasePipeline} (replication session, pgoutput decoder,
 * relation cache, value mapping, routing, message encoding, the sink queue and batching) with the
 * settings the server gives a sink: batches of up to 1000 messages, a 5 ms batch timeout, a 128 MiB
 * queue, grouping by primary key. The sink is either a {@link NullSink} or the real {@link WebhookSink}
 * (batched) posting to a {@link CountingReceiver} in this JVM.
 */
final class SluiceDrain implements Drainer {
    static final int BATCH_SIZE = 1000;
    static final Duration BATCH_TIMEOUT = Duration.ofMillis(5);
    static final long QUEUE_BYTES = 128L * 1024 * 1024;
    private static final TableId TABLE = new TableId("public", BacklogWorkload.TABLE);

    private final boolean webhook;
    private final DrainSystem system;

    SluiceDrain(boolean webhook) {
        this.webhook = webhook;
        this.system = webhook ? DrainSystem.SLUICE_WEBHOOK : DrainSystem.SLUICE_NULL;
    }

    /** A drain to the null sink through the functions of {@code system} (e, f or g). */
    SluiceDrain(DrainSystem system) {
        this.webhook = false;
        this.system = system;
    }

    @Override
    public DrainRun drain(Backlog backlog, Duration timeout) throws Exception {
        ChangeCounter counter = new ChangeCounter(backlog.changes());
        CountingReceiver receiver = webhook ? new CountingReceiver(counter) : null;
        try {
            Sink sink = receiver != null
                    ? new WebhookSink(new WebhookConfig(receiver.url(), Map.of(), true))
                    : new NullSink(counter);
            BenchFunctions functions = BenchFunctions.of(system);
            try {
                run(backlog, system, spec(system, backlog).withFunctions(functions.chain()), sink, counter, timeout);
            } finally {
                sink.close();
                functions.close();
            }
        } finally {
            if (receiver != null) {
                receiver.close();
            }
        }
        return counter.result(system);
    }

    /** Reads the slot of {@code system} through a real pipeline into {@code sink} until {@code counter} is full. */
    static void run(
            Backlog backlog, DrainSystem system, SinkSpec spec, Sink sink, ChangeCounter counter, Duration timeout)
            throws InterruptedException {
        DatabasePipeline pipeline =
                new DatabasePipeline("bench", Drainer.settings(backlog, system), RetryPolicy.RECONNECT, lsn -> {});
        pipeline.addSink(spec, sink);
        pipeline.start();
        try {
            counter.await(timeout);
        } finally {
            pipeline.close();
        }
    }

    /** The spec the server would build for a sink on {@code public.bench} with batch_size 1000. */
    static SinkSpec spec(DrainSystem system, Backlog backlog) {
        String sinkId = UUID.nameUUIDFromBytes(system.label().getBytes()).toString();
        String dbId = UUID.nameUUIDFromBytes(backlog.database().getBytes()).toString();
        MessageContext context = new MessageContext(
                sinkId,
                system.label(),
                "{}",
                dbId,
                "bench",
                "{}",
                backlog.database(),
                backlog.host(),
                TimestampFormat.ISO8601);
        return new SinkSpec(
                sinkId,
                system.label(),
                TABLE::equals,
                Set.of(Action.INSERT, Action.UPDATE, Action.DELETE),
                Map.of(),
                true,
                BATCH_SIZE,
                BATCH_TIMEOUT,
                null,
                SinkState.ACTIVE,
                context,
                QUEUE_BYTES);
    }
}
