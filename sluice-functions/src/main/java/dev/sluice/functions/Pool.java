package dev.sluice.functions;

import dev.sluice.functions.FunctionError.Kind;
import java.time.Duration;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The sandboxes that run one set of functions (a {@link CodeFunction}'s one, a {@link CodeChain}'s several), one call
 * per sandbox at a time.
 *
 * <p>Concurrency: thread-safe, for platform and virtual threads alike. At most twice as many calls as there are cores
 * (at least 4) run at once, each in its own sandbox (a context costs memory, and more of them than cores buy no
 * throughput): further calls block until one ends. Idle sandboxes are reused last in, first out, so that the most
 * recently used stay warm.
 */
final class Pool {
    private static final int LEARNING_CALLS = 1000;

    /** The call limits; tests shorten them. */
    record Limits(Duration timeout, int maxOutputBytes) {
        static final Limits DEFAULT = new Limits(Duration.ofSeconds(1), 1 << 20);

        Limits {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, was " + timeout);
            }
            if (maxOutputBytes <= 0) {
                throw new IllegalArgumentException("maxOutputBytes must be positive, was " + maxOutputBytes);
            }
        }
    }

    private final List<Unit> units;
    private final Limits limits;
    private final String names;
    private final Semaphore permits;
    private final Deque<Sandbox> idle = new ConcurrentLinkedDeque<>();
    private volatile boolean closed;
    // Messages are split so that the metadata is parsed only when read (MessageSplit); once the functions are seen to
    // read it, splitting is wasted work and the message goes whole. Whether they do is learned over the first calls.
    private volatile boolean whole;
    private final AtomicInteger learning = new AtomicInteger(LEARNING_CALLS);

    private Pool(List<Unit> units, Limits limits) {
        this.units = List.copyOf(units);
        this.limits = limits;
        this.names = String.join(", ", units.stream().map(Unit::name).toList());
        this.permits = new Semaphore(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));
    }

    /** Loads the functions in a first sandbox, which the first call then uses; COMPILE or LIMIT errors if it fails. */
    static Pool load(List<FunctionSpec> specs, Limits limits) throws FunctionError {
        if (specs.isEmpty()) {
            throw new IllegalArgumentException("no functions");
        }
        for (FunctionSpec spec : specs) {
            if (!spec.type().isJavaScript()) {
                throw new IllegalArgumentException(spec.type().wire() + " functions are not JavaScript");
            }
        }
        Pool p = new Pool(specs.stream().map(Unit::of).toList(), limits);
        p.idle.push(p.open());
        return p;
    }

    Limits limits() {
        return limits;
    }

    /**
     * Calls the functions on a message (UTF-8 JSON). Blocks while the most calls that run at once are running, and
     * once running at most for the time limit (plus a few tens of milliseconds).
     *
     * @return what {@link Sandbox#call} returns
     * @throws IllegalStateException after {@link #close()}
     */
    Object run(byte[] messageJson) throws FunctionError {
        if (closed) {
            throw new IllegalStateException("function " + names + " is closed");
        }
        boolean split = !whole;
        MessageSplit message = split ? MessageSplit.of(messageJson) : MessageSplit.whole(messageJson);
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw FunctionError.of(Kind.RUNTIME, names, "interrupted while waiting for a free context");
        }
        try {
            Sandbox s = idle.pollFirst();
            if (s == null) {
                s = open();
            }
            try {
                Object result = s.call(message);
                if (split && learning.get() > 0 && learning.decrementAndGet() >= 0 && s.readsMetadata()) {
                    whole = true;
                }
                return result;
            } finally {
                release(s);
            }
        } finally {
            permits.release();
        }
    }

    private Sandbox open() throws FunctionError {
        return Sandbox.open(units, limits.maxOutputBytes(), limits.timeout());
    }

    private void release(Sandbox s) {
        if (s.broken() || closed) {
            s.close();
            return;
        }
        idle.push(s);
        if (closed) {
            drain(); // close() ran between the check and the push
        }
    }

    /** Closes the idle sandboxes; running calls finish, then close theirs. Idempotent. */
    void close() {
        closed = true;
        drain();
    }

    private void drain() {
        for (Sandbox s; (s = idle.pollFirst()) != null; ) {
            s.close();
        }
    }
}
