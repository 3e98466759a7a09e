package dev.sluice.core;

/**
 * Where a change sits in the total order of the slot: the LSN of its transaction's commit record and
 * its index within that transaction (0-based, in the order Postgres sent the changes).
 */
public record Position(long commitLsn, int commitIdx) implements Comparable<Position> {
    @Override
    public int compareTo(Position o) {
        int c = Long.compareUnsigned(commitLsn, o.commitLsn);
        return c != 0 ? c : Integer.compare(commitIdx, o.commitIdx);
    }

    /** The idempotency key of a live change: base64 of {@code "<commit_lsn>:<commit_idx>"}. */
    public String idempotencyKey() {
        return java.util.Base64.getEncoder()
                .encodeToString((Long.toUnsignedString(commitLsn) + ":" + commitIdx)
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    @Override
    public String toString() {
        return new Lsn(commitLsn) + "#" + commitIdx;
    }
}
