package dev.sluice.bench.e2e;

/**
 * One system draining the same backlog from its own slot.
 *
 * @param system short name: {@code raw-pgjdbc}, {@code sluice-null}, {@code sluice-webhook}, {@code debezium-embedded}
 * @param changes row changes received (insert, update, delete)
 * @param seconds wall time from start to the last change received
 */
public record DrainResult(String system, long changes, double seconds) {
    public double changesPerSecond() {
        return seconds <= 0 ? 0 : changes / seconds;
    }
}
