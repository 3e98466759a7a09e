package dev.sluice.bench.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The systems that drain the backlog, in the order they run. */
enum DrainSystem {
    /** (a) pgjdbc reading pgoutput frames and counting them: the physical limit. */
    RAW("a", "raw-pgjdbc"),
    /** (b) Sluice's real pipeline to a sink that completes at once. */
    SLUICE_NULL("b", "sluice-null"),
    /** (c) Sluice's real pipeline and webhook sink to a local counting receiver. */
    SLUICE_WEBHOOK("c", "sluice-webhook"),
    /** (d) Debezium's embedded engine to a consumer that only counts. */
    DEBEZIUM("d", "debezium-embedded"),
    /** (e) As (b), with a path transform ({@code record}). */
    SLUICE_PATH("e", "sluice-path"),
    /** (f) As (b), with a JavaScript filter (passing every change) and a JavaScript transform. */
    SLUICE_JS("f", "sluice-js"),
    /** (g) As (b), with a JavaScript routing function spreading the changes over four topics. */
    SLUICE_ROUTING("g", "sluice-routing"),
    /** (h) Sluice's real pipeline and postgres sink applying every change to a table of another database. */
    SLUICE_POSTGRES("h", "sluice-postgres");

    private final String letter;
    private final String label;

    DrainSystem(String letter, String label) {
        this.letter = letter;
        this.label = label;
    }

    String letter() {
        return letter;
    }

    /** The name used in results ({@link DrainResult#system()}). */
    String label() {
        return label;
    }

    String slotName() {
        return "bench_" + name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code "a,b,c,d"} (letters or labels), keeping the run order a to h. */
    static List<DrainSystem> parseList(String text) {
        List<DrainSystem> picked = new ArrayList<>();
        for (String part : text.split(",")) {
            String p = part.strip();
            if (p.isEmpty()) {
                continue;
            }
            picked.add(parse(p));
        }
        if (picked.isEmpty()) {
            throw new IllegalArgumentException("--only needs at least one of a,b,c,d,e,f,g,h,backfill");
        }
        return List.of(values()).stream().filter(picked::contains).toList();
    }

    static DrainSystem parse(String text) {
        for (DrainSystem s : values()) {
            if (s.letter.equalsIgnoreCase(text)
                    || s.label.equalsIgnoreCase(text)
                    || s.name().equalsIgnoreCase(text)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown system '" + text + "' (expected a to h: "
                + "a=raw-pgjdbc, b=sluice-null, c=sluice-webhook, d=debezium-embedded, e=sluice-path, f=sluice-js,"
                + " g=sluice-routing; or backfill)");
    }
}
