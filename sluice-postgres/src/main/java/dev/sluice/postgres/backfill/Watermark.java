package dev.sluice.postgres.backfill;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A backfill's watermark: a non-transactional logical message (prefix {@value #PREFIX}) that brackets one page read,
 * so that the reader of the slot can tell which live changes happened while the page was read (DBLog). The one place
 * that knows its content, {@code <backfill id>:<run>:<page>:low|high}: written by {@link BackfillSource#emit}, read
 * back by {@link #parse}.
 *
 * @param backfillId the backfill's id (it may contain {@code :})
 * @param run tells one run of the backfill from another (page numbers start again in every run)
 * @param page the page number within the run, from 1
 * @param high true for the high watermark (after the page's read), false for the low one (before it)
 */
public record Watermark(String backfillId, String run, long page, boolean high) {
    /** The logical message prefix of every backfill watermark. */
    public static final String PREFIX = "sluice:backfill";

    public Watermark {
        Objects.requireNonNull(backfillId, "backfillId");
        Objects.requireNonNull(run, "run");
        if (run.indexOf(':') >= 0) {
            throw new IllegalArgumentException("a run must not contain ':', got " + run);
        }
    }

    /** The message's content. */
    public String content() {
        return backfillId + ":" + run + ":" + page + ":" + (high ? "high" : "low");
    }

    /** The watermark in a message's content, or null when it is not one (another tool's, or malformed). */
    public static @Nullable Watermark parse(String content) {
        int kind = content.lastIndexOf(':');
        int page = kind <= 0 ? -1 : content.lastIndexOf(':', kind - 1);
        int run = page <= 0 ? -1 : content.lastIndexOf(':', page - 1);
        if (run <= 0) {
            return null;
        }
        String k = content.substring(kind + 1);
        if (!k.equals("high") && !k.equals("low")) {
            return null;
        }
        long seq;
        try {
            seq = Long.parseLong(content.substring(page + 1, kind));
        } catch (NumberFormatException e) {
            return null;
        }
        return new Watermark(content.substring(0, run), content.substring(run + 1, page), seq, k.equals("high"));
    }
}
