package dev.sluice.engine.queue;

import dev.sluice.core.Action;
import dev.sluice.core.Change;
import dev.sluice.core.MessageContext;
import dev.sluice.core.MessageEncoder;
import dev.sluice.core.TableId;
import dev.sluice.core.TableSchema;
import dev.sluice.core.sink.Sink;
import dev.sluice.engine.SinkSpec;
import dev.sluice.engine.SinkState;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything that a reconfiguration replaces, and what follows from the spec: which changes the sink takes, their
 * group ids and their JSON. {@code accepts} is used by the reader only, {@code encoder} by the dispatcher only,
 * {@code groupIndexes} under the queue's lock only.
 *
 * @param reselect where unchanged TOAST values are read from; null unless the spec asks for it and there is a source
 */
record QueueConfig(
        SinkSpec spec,
        Sink sink,
        MessageEncoder encoder,
        Map<TableSchema, Boolean> accepts,
        Map<TableSchema, int[]> groupIndexes,
        @Nullable SourceRows reselect) {
    private static final Logger log = LoggerFactory.getLogger(QueueConfig.class);

    QueueConfig(SinkSpec spec, Sink sink, @Nullable SourceRows source) {
        this(
                spec,
                sink,
                new MessageEncoder(spec.context()),
                new IdentityHashMap<>(),
                new IdentityHashMap<>(),
                spec.reselectUnchangedToast() ? source : null);
    }

    /** True when a change of this table and action belongs to the sink. Reader thread only. */
    boolean accepts(TableSchema table, Action action) {
        if (spec.state() == SinkState.DISABLED || !spec.actions().contains(action)) {
            return false;
        }
        // get, then put: a capturing lambda for computeIfAbsent would be allocated per change.
        Boolean yes = accepts.get(table);
        if (yes == null) {
            yes = spec.tables().test(table.id());
            accepts.put(table, yes);
        }
        return yes;
    }

    /** A message's group key: its group id, or its table when it has none; null when it is a group of its own. */
    @Nullable
    Object key(@Nullable String groupId, TableId table) {
        if (groupId != null) {
            return groupId;
        }
        return spec.messageGrouping() ? table : null; // no key columns: the table's changes stay in order
    }

    /** The group key of a message in memory: a truncate's is its transaction's ({@link Fences.Key}). */
    @Nullable
    Object key(Msg m) {
        return m.action == Action.TRUNCATE ? Fences.key(m) : key(m.groupId, m.table);
    }

    /** The change's group id: its group columns' (or primary key's) values joined by {@code :}; none for a truncate. */
    @Nullable
    String groupId(Change c) {
        if (!spec.messageGrouping() || c.action() == Action.TRUNCATE) {
            return null;
        }
        int[] idx = groupIndexes.get(c.table());
        if (idx == null) {
            idx = groupColumnIndexes(c.table());
            groupIndexes.put(c.table(), idx);
        }
        if (idx.length == 0) {
            return null;
        }
        String[] rec = c.record();
        if (idx.length == 1) {
            // The common case (a one-column key), without a builder: the same text as the builder's append gives.
            return String.valueOf(rec[idx[0]]);
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < idx.length; i++) {
            if (i > 0) {
                sb.append(':');
            }
            sb.append(rec[idx[i]]);
        }
        return sb.toString();
    }

    private int[] groupColumnIndexes(TableSchema t) {
        List<String> cols = spec.groupColumns().get(t.id());
        if (cols == null || cols.isEmpty()) {
            return t.primaryKey();
        }
        int[] out = new int[cols.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.indexOf(cols.get(i));
            if (out[i] < 0) {
                log.warn(
                        "sink {}: group column {} is not in {}; grouping by primary key",
                        spec.name(),
                        cols.get(i),
                        t.id());
                return t.primaryKey();
            }
        }
        return out;
    }

    /** The message's JSON: as stored, as a backfill encoded it, or encoded now (dispatcher thread). */
    byte[] json(Msg m) {
        if (m.json != null) {
            return m.json;
        }
        MessageContext pc = m.preContext;
        if (m.pre != null && pc != null) {
            MessageContext now = spec.context();
            if (pc == now || pc.equals(now)) {
                return m.pre;
            }
        }
        return encoder.encode(Objects.requireNonNull(m.change), m.key);
    }

    /**
     * The JSON of each of {@code msgs}, as {@link #json} gives it, but with unchanged TOAST values read from the source
     * when the spec asks for it (dispatcher thread; one query per table).
     *
     * @throws Exception when the source cannot be read
     */
    List<byte[]> jsons(List<Msg> msgs) throws Exception {
        SourceRows source = reselect;
        List<Change> changes = source == null ? null : Reselect.fill(source, msgs);
        List<byte[]> out = new ArrayList<>(msgs.size());
        for (int i = 0; i < msgs.size(); i++) {
            Msg m = msgs.get(i);
            Change filled = changes == null ? null : changes.get(i);
            out.add(filled == null || filled == m.change ? json(m) : encoder.encode(filled, m.key));
        }
        return out;
    }

    /** Closes the sink, logging rather than throwing. */
    void closeQuietly() {
        try {
            sink.close();
        } catch (RuntimeException e) {
            log.warn("sink {}: error while closing: {}", spec.name(), e.toString());
        }
    }
}
