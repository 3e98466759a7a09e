package dev.sluice.sink.rabbitmq;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownListener;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.util.BitSet;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * A channel in publisher-confirm mode, used by one delivery at a time, that tracks which of the delivery's messages
 * the broker confirmed ({@code basic.ack}), refused ({@code basic.nack}) or left unconfirmed.
 *
 * <p>State: the publish sequence numbers still unconfirmed, each mapped to its message's index in the batch; the
 * indices nacked; and the close that ended the channel, if any. {@link #begin()} clears them for the next delivery.
 *
 * <p>Concurrency: the delivery's thread publishes and {@linkplain #await waits}; the connection's reader thread calls
 * the listeners. Both under one lock (a {@link ReentrantLock}, so that a waiting virtual thread does not pin its
 * carrier).
 */
final class ConfirmedChannel implements ConfirmListener, ShutdownListener {
    private final Connection connection;
    private final Channel channel;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final NavigableMap<Long, Integer> outstanding = new TreeMap<>();
    private final BitSet nacked = new BitSet();
    private @Nullable ShutdownSignalException shutdown;

    private ConfirmedChannel(Connection connection, Channel channel) {
        this.connection = connection;
        this.channel = channel;
    }

    /** Opens a channel on {@code connection} and puts it in confirm mode. */
    static ConfirmedChannel open(Connection connection) throws IOException {
        Channel channel = connection.createChannel();
        if (channel == null) {
            throw new IOException("the broker's channel_max is reached on this connection");
        }
        ConfirmedChannel c = new ConfirmedChannel(connection, channel);
        channel.addShutdownListener(c);
        channel.addConfirmListener(c);
        channel.confirmSelect();
        return c;
    }

    Channel channel() {
        return channel;
    }

    Connection connection() {
        return connection;
    }

    /** Whether it can take another delivery: open, on {@code current}, and left with nothing unconfirmed. */
    boolean reusableOn(Connection current) {
        lock.lock();
        try {
            return connection == current && channel.isOpen() && shutdown == null && outstanding.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /** Starts a delivery: forgets the previous one's outcome. */
    void begin() {
        lock.lock();
        try {
            outstanding.clear();
            nacked.clear();
        } finally {
            lock.unlock();
        }
    }

    /** Records that message {@code index} goes out next; call before publishing it, as its confirm may be quick. */
    void publishing(int index) {
        lock.lock();
        try {
            outstanding.put(channel.getNextPublishSeqNo(), index);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until every published message is confirmed or nacked, the channel closes, or {@code timeoutNanos}
     * passes. Returns whether nothing is left unconfirmed.
     */
    boolean await(long timeoutNanos) throws InterruptedException {
        lock.lock();
        try {
            long left = timeoutNanos;
            while (!outstanding.isEmpty() && shutdown == null && left > 0) {
                left = changed.awaitNanos(left);
            }
            return outstanding.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /** Adds to {@code out} the indices of the messages nacked or still unconfirmed. */
    void notAccepted(BitSet out) {
        lock.lock();
        try {
            out.or(nacked);
            outstanding.values().forEach(out::set);
        } finally {
            lock.unlock();
        }
    }

    /** How many messages the broker nacked. */
    int nackedCount() {
        lock.lock();
        try {
            return nacked.cardinality();
        } finally {
            lock.unlock();
        }
    }

    /** The close that ended the channel (or its connection), or null while it is open. */
    @Nullable
    ShutdownSignalException shutdown() {
        lock.lock();
        try {
            return shutdown;
        } finally {
            lock.unlock();
        }
    }

    /** Closes the channel without waiting; its unconfirmed messages stay unconfirmed. */
    void abort() {
        try {
            channel.abort();
        } catch (IOException | RuntimeException ignored) {
            // closing anyway
        }
    }

    @Override
    public void handleAck(long deliveryTag, boolean multiple) {
        settle(deliveryTag, multiple, false);
    }

    @Override
    public void handleNack(long deliveryTag, boolean multiple) {
        settle(deliveryTag, multiple, true);
    }

    @Override
    public void shutdownCompleted(ShutdownSignalException cause) {
        lock.lock();
        try {
            shutdown = cause;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void settle(long deliveryTag, boolean multiple, boolean nack) {
        lock.lock();
        try {
            NavigableMap<Long, Integer> settled = multiple
                    ? outstanding.headMap(deliveryTag, true)
                    : outstanding.subMap(deliveryTag, true, deliveryTag, true);
            if (nack) {
                settled.values().forEach(nacked::set);
            }
            settled.clear();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
