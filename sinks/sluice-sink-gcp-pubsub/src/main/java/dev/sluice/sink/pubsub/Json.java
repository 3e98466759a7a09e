package dev.sluice.sink.pubsub;

/** The little JSON writing the sink does by hand (a string literal), and cutting peers' texts for messages. */
final class Json {
    /** Most characters of a peer's error text that a failure shows. */
    static final int SHOWN_CHARS = 300;

    private Json() {}

    /** Appends {@code s} as a JSON string literal. */
    static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** {@code s} cut to {@value #SHOWN_CHARS} characters. */
    static String cut(String s) {
        return s.length() <= SHOWN_CHARS ? s : s.substring(0, SHOWN_CHARS) + "…";
    }
}
