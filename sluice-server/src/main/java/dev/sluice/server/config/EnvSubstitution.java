package dev.sluice.server.config;

import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Replaces {@code ${VAR}} and {@code ${VAR:-default}} in scalar values; {@code $$} is a literal dollar. As in the
 * shell, the default applies when the variable is unset or empty. A {@code $} before anything else is kept.
 */
final class EnvSubstitution {
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private EnvSubstitution() {}

    /** Returns the substituted text; reports each problem to {@code onError} and leaves that reference empty. */
    static String apply(String text, Function<String, @Nullable String> env, Consumer<String> onError) {
        if (text.indexOf('$') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c != '$' || i + 1 >= text.length()) {
                out.append(c);
                i++;
            } else if (text.charAt(i + 1) == '$') {
                out.append('$');
                i += 2;
            } else if (text.charAt(i + 1) == '{') {
                int end = text.indexOf('}', i + 2);
                if (end < 0) {
                    onError.accept("unterminated '${' (close it with '}', or write '$$' for a literal dollar)");
                    return out.toString();
                }
                out.append(resolve(text.substring(i + 2, end), env, onError));
                i = end + 1;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static String resolve(String reference, Function<String, @Nullable String> env, Consumer<String> onError) {
        int sep = reference.indexOf(":-");
        String name = sep < 0 ? reference : reference.substring(0, sep);
        if (!NAME.matcher(name).matches()) {
            onError.accept("invalid variable reference '${" + reference
                    + "}' (expected ${NAME} or ${NAME:-default}; write '$$' for a literal dollar)");
            return "";
        }
        String value = env.apply(name);
        if (sep >= 0) {
            return value == null || value.isEmpty() ? reference.substring(sep + 2) : value;
        }
        if (value == null) {
            onError.accept("environment variable " + name + " is not set (set it, or give a default with ${" + name
                    + ":-default})");
            return "";
        }
        return value;
    }
}
