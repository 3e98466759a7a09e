package dev.sluice.core.sink;

import java.util.Objects;

/**
 * What is wrong with one field of a sink's configuration.
 *
 * @param field the field's name as the user wrote it ({@code topic}, {@code queue_url}); empty when the problem is
 *     not one field's (the server then reports it at the destination's {@code type})
 * @param message what is wrong and how to fix it, without the field name in front and without secrets
 */
public record ConfigProblem(String field, String message) {
    public ConfigProblem {
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(message, "message");
    }

    @Override
    public String toString() {
        return field.isEmpty() ? message : field + ": " + message;
    }
}
