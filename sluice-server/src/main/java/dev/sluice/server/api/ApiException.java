package dev.sluice.server.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An API error with its HTTP status; rendered as {@code {"summary": ..., "validation_errors": {field: [..]}}}.
 * {@code extra} adds fields Sequin clients read in some errors (such as {@code errors.detail} on a 404).
 */
final class ApiException extends RuntimeException {
    final int status;
    final Map<String, List<String>> validationErrors;
    final Map<String, Object> extra;

    ApiException(int status, String summary) {
        this(status, summary, Map.of(), Map.of());
    }

    ApiException(int status, String summary, Map<String, List<String>> validationErrors, Map<String, Object> extra) {
        super(summary, null, false, false);
        this.status = status;
        this.validationErrors = new LinkedHashMap<>(validationErrors);
        this.extra = new LinkedHashMap<>(extra);
    }

    static ApiException badRequest(String summary) {
        return new ApiException(400, summary);
    }

    /**
     * A 404. {@code errors.detail} reads as Sequin's ({@code "Postgres Database not found"}); the summary says which
     * id or name was looked for.
     */
    static ApiException notFound(String kind, String idOrName) {
        String summary = "no " + kind + " with id or name '" + idOrName + "'";
        return new ApiException(
                404, summary, Map.of(), Map.of("errors", Map.of("detail", sequinEntity(kind) + " not found")));
    }

    /** Sequin's name of a kind of resource, as its 404s spell it. */
    static String sequinEntity(String kind) {
        return switch (kind) {
            case "postgres database" -> "Postgres Database";
            case "http endpoint" -> "HTTP Endpoint";
            case "sink" -> "Sink";
            case "API key" -> "API Key";
            default -> Character.toUpperCase(kind.charAt(0)) + kind.substring(1);
        };
    }

    static ApiException conflict(String summary) {
        return new ApiException(409, summary, Map.of(), Map.of("error", summary));
    }

    /** A 422 that also has Sequin's {@code error} field, as its refusals to delete a resource in use have. */
    static ApiException refused(String summary) {
        return new ApiException(422, summary, Map.of(), Map.of("success", false, "error", summary));
    }

    /** A name another resource of the kind has: 422 on {@code name}, as Sequin's unique-name check answers. */
    static ApiException nameTaken(String kind, String name) {
        return invalid("name", "has already been taken: a " + kind + " named '" + name + "' exists");
    }

    /** A 422 for one field. */
    static ApiException invalid(String field, String message) {
        return new ApiException(
                422, "validation failed: " + field + ": " + message, Map.of(field, List.of(message)), Map.of());
    }

    static ApiException invalid(Map<String, List<String>> errors) {
        StringBuilder summary = new StringBuilder("validation failed: ");
        int n = 0;
        for (var e : errors.entrySet()) {
            for (String m : e.getValue()) {
                if (n++ > 0) {
                    summary.append("; ");
                }
                summary.append(e.getKey().isEmpty() ? "" : e.getKey() + ": ").append(m);
            }
        }
        return new ApiException(422, summary.toString(), errors, Map.of());
    }

    Map<String, Object> body() {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("summary", getMessage());
        if (!validationErrors.isEmpty()) {
            b.put("validation_errors", validationErrors);
        }
        b.putAll(extra);
        return b;
    }
}
