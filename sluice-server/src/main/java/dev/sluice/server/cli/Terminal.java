package dev.sluice.server.cli;

import java.io.InputStream;
import java.nio.charset.Charset;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * What the CLI reads from its surroundings besides its arguments: standard input, whether standard output is a
 * terminal, and the environment. A seam, so that tests can answer prompts and choose colours.
 *
 * @param in standard input: the file when it is given as {@code -}, and the answer to a prompt
 * @param interactive whether standard output is a terminal (colours are only written to one)
 * @param env reads an environment variable; {@code null} when unset
 * @param unicode whether standard output can show {@code →} and {@code —} (not in a C locale)
 */
record Terminal(InputStream in, boolean interactive, Function<String, @Nullable String> env, boolean unicode) {
    static Terminal system() {
        Charset out = Charset.forName(System.getProperty("stdout.encoding", "UTF-8"), Charset.defaultCharset());
        return new Terminal(
                System.in,
                System.console() != null,
                System::getenv,
                out.newEncoder().canEncode("→—"));
    }

    /** Colours are for a terminal, unless {@code NO_COLOR} is set (no-color.org) or {@code --no-color} is given. */
    boolean colour(boolean noColorFlag) {
        String noColor = env.apply("NO_COLOR");
        return interactive && !noColorFlag && (noColor == null || noColor.isEmpty());
    }
}
