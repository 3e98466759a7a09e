package dev.sluice.server.stream;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@code sequin_stream} sink: messages wait here until consumers pull them over the API ({@link #receive}) and
 * acknowledge them ({@link #ack}). A batch the engine hands over completes once every message of it is acknowledged,
 * so the engine's guarantees carry over: nothing is acknowledged to the slot before consumers took it, a restart
 * delivers unacknowledged messages again (at least once), and a group's next batch comes only after this one.
 *
 * <p>Within what is here, a group's messages go out one at a time: its next message is not handed out while one is
 * outstanding (received, neither acknowledged nor back after its visibility timeout or a {@link #nack}). Messages
 * without a group go out independently.
 *
 * <p>Thread-safe: the engine's delivery thread and API requests call in concurrently.
 */
public final class PullStream implements Sink {
    /** One message as handed to a consumer. */
    public record Received(String ackId, SinkMessage message, int deliveries) {}

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Duration visibilityTimeout;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition available = lock.newCondition();
    // Guarded by lock. Groups in the order their current head arrived; each queue in delivery order.
    private final LinkedHashMap<String, ArrayDeque<Entry>> groups = new LinkedHashMap<>();
    private final Map<String, Entry> byAckId = new HashMap<>();
    private long ungrouped;
    private boolean closed;

    private static final class Entry {
        final String ackId;
        final SinkMessage message;
        final String group;
        final Pending batch;
        // 0 while ready; else when it is visible again (System.nanoTime()).
        long outUntil;
        int deliveries;

        Entry(String ackId, SinkMessage message, String group, Pending batch) {
            this.ackId = ackId;
            this.message = message;
            this.group = group;
            this.batch = batch;
        }
    }

    // A batch of the engine's, complete once all its messages are acknowledged.
    private static final class Pending {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        int left;
    }

    public PullStream(Duration visibilityTimeout) {
        if (visibilityTimeout.isNegative() || visibilityTimeout.isZero()) {
            throw new IllegalArgumentException("visibility timeout must be positive: " + visibilityTimeout);
        }
        this.visibilityTimeout = visibilityTimeout;
    }

    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        lock.lock();
        try {
            if (closed) {
                return CompletableFuture.failedFuture(new SinkException("the stream is closed", true));
            }
            Pending pending = new Pending();
            pending.left = batch.size();
            for (SinkMessage m : batch.messages()) {
                String group = m.groupId() != null ? "g:" + m.groupId() : "u:" + ungrouped++;
                Entry e = new Entry(newAckId(), m, group, pending);
                groups.computeIfAbsent(group, g -> new ArrayDeque<>()).addLast(e);
                byAckId.put(e.ackId, e);
            }
            available.signalAll();
            return pending.done;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Up to {@code max} messages, each the first outstanding one of its group, waiting up to {@code waitFor} for the
     * first to be there. The ones returned are hidden from other receives for the visibility timeout.
     */
    public List<Received> receive(int max, Duration waitFor) throws InterruptedException {
        long deadline = System.nanoTime() + waitFor.toNanos();
        lock.lock();
        try {
            while (true) {
                List<Received> out = take(max);
                long now = System.nanoTime();
                if (!out.isEmpty() || closed || now >= deadline) {
                    return out;
                }
                // Woken by new messages or nacks; a timed-out message needs no signal, only the next look.
                long nextVisible = nextVisible(now);
                long wait = Math.min(deadline - now, nextVisible);
                available.awaitNanos(Math.max(wait, TimeUnit.MILLISECONDS.toNanos(1)));
            }
        } finally {
            lock.unlock();
        }
    }

    // Holding lock.
    private List<Received> take(int max) {
        List<Received> out = new ArrayList<>();
        long now = System.nanoTime();
        for (ArrayDeque<Entry> queue : groups.values()) {
            if (out.size() >= max) {
                break;
            }
            Entry head = queue.peekFirst();
            if (head != null && (head.outUntil == 0 || head.outUntil - now <= 0)) {
                head.outUntil = now + visibilityTimeout.toNanos();
                head.deliveries++;
                out.add(new Received(head.ackId, head.message, head.deliveries));
            }
        }
        return out;
    }

    // Holding lock: nanoseconds until the next outstanding message is visible again (a long time when none).
    private long nextVisible(long now) {
        long next = Long.MAX_VALUE;
        for (ArrayDeque<Entry> queue : groups.values()) {
            Entry head = queue.peekFirst();
            if (head != null && head.outUntil != 0) {
                next = Math.min(next, head.outUntil - now);
            }
        }
        return next;
    }

    /** Acknowledges messages by ack id; returns how many were outstanding (unknown or repeated ids are ignored). */
    public int ack(List<String> ackIds) {
        List<CompletableFuture<Void>> completed = new ArrayList<>();
        int n = 0;
        lock.lock();
        try {
            for (String id : ackIds) {
                Entry e = byAckId.remove(id);
                if (e == null) {
                    continue;
                }
                n++;
                ArrayDeque<Entry> queue = groups.get(e.group);
                if (queue != null) {
                    queue.remove(e);
                    if (queue.isEmpty()) {
                        groups.remove(e.group);
                    }
                }
                if (--e.batch.left == 0) {
                    completed.add(e.batch.done);
                }
            }
            if (n > 0) {
                available.signalAll(); // a group's next message may go out now
            }
        } finally {
            lock.unlock();
        }
        // Outside the lock: completing runs the engine's bookkeeping.
        completed.forEach(f -> f.complete(null));
        return n;
    }

    /** Makes received messages available again at once; returns how many were outstanding. */
    public int nack(List<String> ackIds) {
        int n = 0;
        lock.lock();
        try {
            for (String id : ackIds) {
                Entry e = byAckId.get(id);
                if (e != null && e.outUntil != 0) {
                    e.outUntil = 0;
                    n++;
                }
            }
            if (n > 0) {
                available.signalAll();
            }
        } finally {
            lock.unlock();
        }
        return n;
    }

    /** Whether {@link #close} was called. */
    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** Messages here: waiting, and received but not acknowledged. */
    public int size() {
        lock.lock();
        try {
            return byAckId.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends the stream: receives return at once, and batches not fully acknowledged fail, so the engine sends their
     * messages again to whatever serves the sink next.
     */
    @Override
    public void close() {
        List<CompletableFuture<Void>> open = new ArrayList<>();
        lock.lock();
        try {
            closed = true;
            for (Iterator<Entry> it = byAckId.values().iterator(); it.hasNext(); ) {
                open.add(it.next().batch.done);
                it.remove();
            }
            groups.clear();
            available.signalAll();
        } finally {
            lock.unlock();
        }
        SinkException gone = new SinkException("the stream was closed before its consumers acknowledged", true);
        open.forEach(f -> f.completeExceptionally(gone));
    }

    private static String newAckId() {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
