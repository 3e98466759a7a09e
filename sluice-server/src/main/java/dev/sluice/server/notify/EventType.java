package dev.sluice.server.notify;

import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** The kinds of event a webhook subscription can ask for, by their wire names; {@link #TEST} only from the API. */
public enum EventType {
    SINK_HEALTH_CHANGED("sink.health_changed"),
    SINK_FAILING("sink.failing"),
    SINK_RECOVERED("sink.recovered"),
    BACKFILL_COMPLETED("backfill.completed"),
    BACKFILL_FAILED("backfill.failed"),
    JOB_COMPLETED("job.completed"),
    JOB_FAILED("job.failed"),
    DATABASE_LAG_EXCEEDED("database.lag_exceeded"),
    DATABASE_DISCONNECTED("database.disconnected"),
    /** Sent by {@code POST /api/webhooks/{id}/test}; not subscribable. */
    TEST("webhook.test");

    /** In a subscription's {@code events}, alone: every subscribable type. */
    public static final String ALL = "*";

    private final String wireName;

    EventType(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** The types a subscription may name, in documentation order. */
    public static List<EventType> subscribable() {
        return Arrays.stream(values()).filter(t -> t != TEST).toList();
    }

    /** The subscribable type with this wire name, or null. */
    public static @Nullable EventType parse(String wireName) {
        for (EventType t : subscribable()) {
            if (t.wireName.equals(wireName)) {
                return t;
            }
        }
        return null;
    }
}
