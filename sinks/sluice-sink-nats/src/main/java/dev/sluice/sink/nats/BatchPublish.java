package dev.sluice.sink.nats;

import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import io.nats.client.Connection;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * One delivery of a batch, on a virtual thread of the {@link NatsSink}.
 *
 * <p>Steps:
 *
 * <ol>
 *   <li>Each message gets its subject (routed or default) and headers; one that cannot be sent as it is (over the
 *       server's {@code max_payload} with its headers, a default subject NATS does not take) is rejected for good.
 *   <li>Each distinct subject is looked up: captured by a JetStream stream or not ({@link StreamSubjects}).
 *   <li>The messages are published in batch order; when a stream captures a subject of the batch, in waves: the
 *       first message of each group, then the second of each, and so on (one wave when each group has one message
 *       in the batch). A message to a stream goes with a
 *       request whose reply is the PubAck, others plainly. A publish that fails (the connection dropped) stops the
 *       batch there.
 *   <li>After each wave a PING/PONG round trip (flush) confirms the server read the plain ones, and each PubAck is
 *       awaited. At the end, a subject the server refused in a {@code Permissions Violation} fails its messages.
 * </ol>
 *
 * <p>Failure: what failed is left to retry, and with it every later message of the same group: those of later waves
 * are not published at all, so a stream never stores a group's message before an earlier one that failed (the copy
 * sent again after it would be dropped as a duplicate by {@code Nats-Msg-Id}). A plain subject's refusal is known
 * only at the end; its group's later messages are sent again after it (at least once, in order). Without a group, a
 * message stands alone.
 */
final class BatchPublish {
    /** What a batch's routing sets; null members keep the sink's own. */
    record Route(@Nullable String subject, Map<String, List<String>> headers) {
        static final Route NONE = new Route(null, Map.of());

        /**
         * The route of a batch's routing map.
         *
         * @throws SinkException from {@link SinkException#invalidRouting} for a value the sink cannot follow
         */
        static Route of(@Nullable Map<String, Object> routing) {
            if (routing == null) {
                return NONE;
            }
            String subject = null;
            if (routing.containsKey(NatsSink.SUBJECT)) {
                Object routed = routing.get(NatsSink.SUBJECT);
                if (!(routed instanceof String s)) {
                    throw SinkException.invalidRouting(
                            NatsSink.SUBJECT,
                            routed,
                            "must be a string, a NATS subject" + (routed == null ? ", not null" : ""));
                }
                String problem = NatsConfig.subjectProblem(s);
                if (problem != null) {
                    throw SinkException.invalidRouting(NatsSink.SUBJECT, s, problem);
                }
                subject = s;
            }
            Object routedHeaders = routing.get(NatsSink.HEADERS);
            if (routedHeaders == null) {
                return new Route(subject, Map.of());
            }
            if (!(routedHeaders instanceof Map<?, ?> map)) {
                // Not shown: header values may be secrets.
                throw SinkException.invalidRouting(NatsSink.HEADERS, null, "must be a map of header names to values");
            }
            String problem = NatsConfig.headersProblem(map);
            if (problem != null) {
                throw SinkException.invalidRouting(NatsSink.HEADERS, null, problem);
            }
            Map<String, List<String>> headers = new LinkedHashMap<>();
            map.forEach((k, v) -> headers.put(
                    (String) k,
                    v instanceof List<?> l ? l.stream().map(String.class::cast).toList() : List.of((String) v)));
            return new Route(subject, headers);
        }
    }

    private final NatsSink sink;
    private final List<SinkMessage> messages;
    private final Route route;
    private final int n;
    private final String[] subjects;
    private final Headers[] headers;
    private final BitSet rejected;
    private final BitSet retry;
    private Map<String, Boolean> captured = Map.of();
    private @Nullable String rejection;
    private @Nullable String failure;

    BatchPublish(NatsSink sink, List<SinkMessage> messages, Route route) {
        this.sink = sink;
        this.messages = messages;
        this.route = route;
        this.n = messages.size();
        this.subjects = new String[n];
        this.headers = new Headers[n];
        this.rejected = new BitSet(n);
        this.retry = new BitSet(n);
    }

    /**
     * Publishes and awaits the batch.
     *
     * @throws SinkException when some or all messages were not taken
     */
    void run() {
        NatsSink.Link link = sink.link();
        Connection c = link.connection();
        prepare(c.getServerInfo().getMaxPayload());
        captured = lookUp(c);
        ServerErrors errors = sink.errors();
        long mark = errors.mark();
        long linesSeen = errors.lines();
        long linesRead = c.getStatistics().getErrs();
        // Waves only where a stream would drop a resent copy; plain subjects are all sent at once and resent whole.
        int[] wave = captured.containsValue(Boolean.TRUE) ? waves() : new int[n];
        int waves = 0;
        for (int w : wave) {
            waves = Math.max(waves, w + 1);
        }
        @SuppressWarnings({"unchecked", "rawtypes"})
        CompletableFuture<PublishAck>[] acks = new CompletableFuture[n];
        BitSet published = new BitSet(n);
        for (int w = 0; w < waves; w++) {
            BitSet plain = new BitSet(n);
            boolean connected = publish(link, captured, wave, w, acks, plain, published);
            long deadline = System.nanoTime() + sink.timeout().toNanos();
            awaitPlain(c, plain);
            awaitAcks(acks, deadline);
            holdBackGroups(); // before the next wave: a group's later messages wait for its failed one
            if (!connected) {
                break;
            }
        }
        long newLines = c.getStatistics().getErrs() - linesRead;
        if (newLines > 0) {
            try {
                errors.awaitLines(linesSeen + newLines, sink.timeout());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        refused(errors.publishViolations(mark));
        holdBackGroups();
        outcome();
    }

    /**
     * Each message's wave: its place among the messages of its group in the batch (0 for the first). A wave is
     * published only once the one before it was taken, so that a group's message never reaches a stream before an
     * earlier one of the group that failed (a stream would drop the later one's copy, sent again after the earlier,
     * by its {@code Nats-Msg-Id}). With one message per group, the usual case, the whole batch is one wave. Messages
     * without a group are in wave 0.
     */
    private int[] waves() {
        int[] wave = new int[n];
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < n; i++) {
            String group = messages.get(i).groupId();
            if (group != null) {
                wave[i] = seen.merge(group, 1, Integer::sum) - 1;
            }
        }
        return wave;
    }

    /**
     * Publishes the messages of wave {@code w}, in batch order: to a stream with a request whose reply is the PubAck
     * (into {@code acks}), otherwise plainly (marked in {@code plain}). Returns false when publishing failed (the
     * connection dropped): that message and every one not yet published are left to retry.
     */
    private boolean publish(
            NatsSink.Link link,
            Map<String, Boolean> captured,
            int[] wave,
            int w,
            CompletableFuture<PublishAck>[] acks,
            BitSet plain,
            BitSet published) {
        for (int i = 0; i < n; i++) {
            if (wave[i] != w || rejected.get(i) || retry.get(i)) {
                continue;
            }
            byte[] json = messages.get(i).json();
            try {
                if (captured.get(subjects[i])) {
                    acks[i] = link.jetStream().publishAsync(subjects[i], headers[i], json);
                } else {
                    link.connection().publish(subjects[i], headers[i], json);
                    plain.set(i);
                }
                published.set(i);
            } catch (RuntimeException e) { // IllegalStateException: the connection dropped
                fail(i, "publish failed: " + NatsFailure.rootMessage(e));
                for (int k = 0; k < n; k++) {
                    if (!published.get(k) && !rejected.get(k)) {
                        retry.set(k);
                    }
                }
                return false;
            }
        }
        return true;
    }

    private void prepare(long maxPayload) {
        DefaultSubject defaults = sink.defaults();
        for (int i = 0; i < n; i++) {
            SinkMessage m = messages.get(i);
            String subject = route.subject();
            if (subject == null) {
                subject = defaults.of(m);
                if (subject == null) {
                    fail(
                            i,
                            "message " + m.idempotencyKey() + " has no default subject: its source JSON carries"
                                    + " no metadata.database_name; set subject with a routing function");
                    continue;
                }
                String problem = NatsConfig.publishSubjectProblem(subject);
                if (problem != null) {
                    reject(
                            i,
                            "message " + m.idempotencyKey() + ": default subject '" + subject + "' " + problem
                                    + "; set subject with a routing function");
                    continue;
                }
            }
            subjects[i] = subject;
            headers[i] = NatsSink.headers(m, route.headers());
            long size = (long) m.json().length + headers[i].serializedLength();
            if (maxPayload > 0 && size > maxPayload) {
                reject(
                        i,
                        "message " + m.idempotencyKey() + " is " + size + " bytes with its headers, over the"
                                + " server's max_payload (" + maxPayload + ")");
            }
        }
    }

    /** Whether a stream captures each subject of the batch; a failed lookup leaves the batch to retry. */
    private Map<String, Boolean> lookUp(Connection c) {
        Map<String, Boolean> captured = new HashMap<>();
        for (int i = 0; i < n; i++) {
            if (subjects[i] == null || captured.containsKey(subjects[i])) {
                continue;
            }
            try {
                captured.put(subjects[i], sink.streams().captured(c, subjects[i], sink.timeout()));
            } catch (StreamSubjects.StreamLookupException e) {
                throw new SinkException(sink.where() + ": " + e.getMessage(), true, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SinkException(sink.where() + ": interrupted", true, e);
            }
        }
        return captured;
    }

    private void awaitPlain(Connection c, BitSet plain) {
        if (plain.isEmpty()) {
            return;
        }
        try {
            c.flush(sink.timeout());
        } catch (TimeoutException | RuntimeException e) {
            failAll(plain, "no answer to a PING after publishing: " + NatsFailure.rootMessage(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failAll(plain, "interrupted");
        }
    }

    private void awaitAcks(CompletableFuture<PublishAck>[] acks, long deadline) {
        for (int i = 0; i < n; i++) {
            CompletableFuture<PublishAck> ack = acks[i];
            if (ack == null) {
                continue;
            }
            acks[i] = null;
            try {
                ack.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                if (NatsFailure.isPermanent(e.getCause())) {
                    reject(
                            i,
                            "message " + messages.get(i).idempotencyKey() + " refused by the stream: "
                                    + NatsFailure.rootMessage(e.getCause()));
                } else {
                    sink.streams().forget(subjects[i]); // perhaps the stream went away
                    fail(i, "no PubAck for subject '" + subjects[i] + "': " + NatsFailure.rootMessage(e.getCause()));
                }
            } catch (TimeoutException e) {
                ack.cancel(false);
                fail(
                        i,
                        "no PubAck for subject '" + subjects[i] + "' within "
                                + sink.timeout().toMillis() + " ms");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail(i, "interrupted");
            } catch (java.util.concurrent.CancellationException e) {
                fail(i, "no PubAck for subject '" + subjects[i] + "': the request was cancelled");
            }
        }
    }

    /** Fails the messages to subjects the server refused (it drops them and says so only in an error line). */
    private void refused(List<String> violations) {
        if (violations.isEmpty()) {
            return;
        }
        Set<String> refused = new HashSet<>(violations);
        for (int i = 0; i < n; i++) {
            if (subjects[i] != null && refused.contains(subjects[i]) && !rejected.get(i)) {
                fail(
                        i,
                        "the server refused to take subject '" + subjects[i]
                                + "' (permissions violation): allow this user to publish to it");
            }
        }
    }

    /** Leaves to retry every message after one to retry in the same group, so that none overtakes it. */
    private void holdBackGroups() {
        if (retry.isEmpty()) {
            return;
        }
        Set<String> held = new HashSet<>();
        for (int i = 0; i < n; i++) {
            String group = messages.get(i).groupId();
            if (group == null) {
                continue;
            }
            if (retry.get(i)) {
                held.add(group);
            } else if (held.contains(group) && !rejected.get(i)) {
                retry.set(i);
            }
        }
    }

    private void outcome() {
        if (retry.isEmpty() && rejected.isEmpty()) {
            return;
        }
        String where = sink.where();
        if (rejected.isEmpty() && retry.cardinality() == n) {
            throw new SinkException(where + ": " + failure, true);
        }
        String reason = failure != null ? failure : rejection;
        throw SinkException.partial(
                where + ": " + reason + " (" + retry.cardinality() + " of " + n + " messages to retry, "
                        + rejected.cardinality() + " rejected)",
                retry,
                rejected);
    }

    private void fail(int i, String reason) {
        retry.set(i);
        if (failure == null) {
            failure = reason;
        }
    }

    private void failAll(BitSet which, String reason) {
        for (int i = which.nextSetBit(0); i >= 0; i = which.nextSetBit(i + 1)) {
            fail(i, reason);
        }
    }

    private void reject(int i, String reason) {
        rejected.set(i);
        if (rejection == null) {
            rejection = reason;
        }
    }

    /**
     * What a live trace shows of a delivery that {@link #run} completed: the subjects published to and what
     * confirmed them (PubAcks, the PONG), never a header.
     */
    Sink.Exchange exchange() {
        Set<String> distinct = new LinkedHashSet<>();
        for (String s : subjects) {
            if (s != null) {
                distinct.add(s);
            }
        }
        String first = distinct.isEmpty() ? "?" : distinct.iterator().next();
        String count = n + (n == 1 ? " message" : " messages");
        String request = distinct.size() <= 1
                ? "PUB " + first + " (" + count + ")"
                : "PUB " + count + " to " + distinct.size() + " subjects, the first: " + first;
        boolean stream = captured.containsValue(Boolean.TRUE);
        boolean plain = captured.containsValue(Boolean.FALSE);
        String response = stream && plain ? "PubAck and PONG" : stream ? "PubAck" : "PONG";
        return new Sink.Exchange(request, response);
    }

    @Override
    public String toString() {
        return "BatchPublish[" + n + " messages to " + Objects.requireNonNullElse(route.subject(), "default subjects")
                + "]";
    }
}
