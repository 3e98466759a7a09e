package dev.sluice.server.jobs;

import java.util.Locale;

/** A job's life: {@code provisioning} (queued) → {@code running} → {@code completed} | {@code failed} | {@code cancelled}. */
public enum JobStatus {
    PROVISIONING,
    RUNNING,
    COMPLETED,
    FAILED,
    CANCELLED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean terminal() {
        return this == COMPLETED || this == FAILED || this == CANCELLED;
    }

    public static JobStatus parse(String text) {
        for (JobStatus s : values()) {
            if (s.wireName().equals(text)) {
                return s;
            }
        }
        throw new IllegalArgumentException("must be one of provisioning, running, completed, failed, cancelled");
    }
}
