package dev.sluice.bench.e2e;

/**
 * One drain's result together with how long the system took from start to its first change.
 *
 * @param startupSeconds connecting, starting the stream and the system's own start-up, before the
 *     first change arrived; not part of {@link DrainResult#seconds()}
 */
record DrainRun(DrainResult result, double startupSeconds) {
    String line() {
        return result.system() + " " + result.changes() + " " + result.seconds() + " " + startupSeconds;
    }

    static DrainRun parse(String line) {
        String[] f = line.strip().split(" ");
        if (f.length != 4) {
            throw new IllegalArgumentException("not a drain result: '" + line + "'");
        }
        return new DrainRun(
                new DrainResult(f[0], Long.parseLong(f[1]), Double.parseDouble(f[2])), Double.parseDouble(f[3]));
    }
}
