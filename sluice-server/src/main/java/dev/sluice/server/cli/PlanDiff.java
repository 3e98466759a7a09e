package dev.sluice.server.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The text of a config plan or apply answer, Terraform-like: one header per resource ({@code + create},
 * {@code ~ update}, {@code - delete}), the changed fields of an update as {@code path: old → new}, and a summary.
 * Colours are ANSI (green create, yellow update, red delete) and only written when asked for.
 */
final class PlanDiff {
    private static final String GREEN = "\u001B[32m";
    private static final String YELLOW = "\u001B[33m";
    private static final String RED = "\u001B[31m";
    private static final String BOLD = "\u001B[1m";
    private static final String RESET = "\u001B[0m";

    /** One changed leaf; a side is {@code null} when the field is absent there. */
    record FieldChange(
            String path,
            @Nullable JsonNode before,
            @Nullable JsonNode after) {}

    private final boolean colour;
    private final String arrow;

    PlanDiff(boolean colour, boolean unicode) {
        this.colour = colour;
        this.arrow = unicode ? "→" : "->";
    }

    /** Whether applying the plan would do anything: change a resource, create a backfill or set a token. */
    static boolean hasWork(JsonNode plan) {
        return !plan.path("changes").isEmpty() || !plan.path("actions").isEmpty();
    }

    /**
     * The leaves that differ between two versions of a resource, in document order, as dotted paths
     * ({@code destination.topic}, {@code tables[0].name}). Arrays of different lengths and values of different kinds
     * are one change. The {@code id} of the resource is left out (an update keeps it).
     */
    static List<FieldChange> diff(@Nullable JsonNode before, @Nullable JsonNode after) {
        List<FieldChange> out = new ArrayList<>();
        walk("", before, after, out);
        return out;
    }

    private static void walk(String path, @Nullable JsonNode a, @Nullable JsonNode b, List<FieldChange> out) {
        if (a == null && b == null || a != null && a.equals(b)) {
            return;
        }
        if (a != null && b != null && a.isObject() && b.isObject()) {
            Set<String> keys = new LinkedHashSet<>(a.propertyNames());
            keys.addAll(b.propertyNames());
            for (String k : keys) {
                if (!(path.isEmpty() && k.equals("id"))) {
                    walk(path.isEmpty() ? k : path + "." + k, a.get(k), b.get(k), out);
                }
            }
        } else if (a != null && b != null && a.isArray() && b.isArray() && a.size() == b.size()) {
            for (int i = 0; i < a.size(); i++) {
                walk(path + "[" + i + "]", a.get(i), b.get(i), out);
            }
        } else {
            out.add(new FieldChange(path, a, b));
        }
    }

    /** A plan answer: its changes, its follow-up actions and the summary line. */
    String plan(JsonNode plan) {
        StringBuilder out = new StringBuilder();
        if (!hasWork(plan)) {
            return "No changes. Your configuration matches the server.\n";
        }
        Map<String, Integer> counts = new LinkedHashMap<>(Map.of("create", 0, "update", 0, "delete", 0));
        for (JsonNode c : plan.path("changes")) {
            String action = c.path("action").asString("");
            counts.merge(action, 1, Integer::sum);
            out.append(header(action, action, c)).append('\n');
            if (action.equals("update")) {
                fields(c, out);
            }
        }
        int backfills = 0;
        int tokens = 0;
        for (JsonNode a : plan.path("actions")) {
            String type = a.path("resource_type").asString("");
            if (type.equals("backfill")) {
                backfills++;
                String table =
                        a.path("table").isString() ? " (table " + a.get("table").asString("") + ")" : "";
                out.append(paint(GREEN, "+ create backfill"))
                        .append(" of sink ")
                        .append(quote(a.path("sink").asString("")))
                        .append(table)
                        .append('\n');
            } else if (type.equals("api_token")) {
                tokens++;
                out.append(paint(YELLOW, "~ set api_token"))
                        .append(' ')
                        .append(quote(a.path("name").asString("")))
                        .append('\n');
            } else {
                out.append("  ")
                        .append(a.path("action").asString(""))
                        .append(' ')
                        .append(type)
                        .append('\n');
            }
        }
        out.append('\n')
                .append(paint(
                        BOLD,
                        "Plan: " + counts.get("create") + " to create, " + counts.get("update") + " to update, "
                                + counts.get("delete") + " to delete."));
        List<String> also = new ArrayList<>();
        if (backfills > 0) {
            also.add(backfills + (backfills == 1 ? " backfill" : " backfills") + " to start");
        }
        if (tokens > 0) {
            also.add(tokens + (tokens == 1 ? " API token" : " API tokens") + " to set");
        }
        if (!also.isEmpty()) {
            out.append(" Also ").append(String.join(", ", also)).append('.');
        }
        return out.append('\n').toString();
    }

    /** An apply answer: what was created, updated and deleted, with ids, and the totals. */
    String applied(JsonNode applied) {
        Map<String, String> ids = new LinkedHashMap<>();
        for (JsonNode r : applied.path("resources")) {
            ids.put(
                    r.path("resource_type").asString("") + "/" + r.path("name").asString(""),
                    r.path("id").asString(""));
        }
        StringBuilder out = new StringBuilder();
        int created = 0;
        int updated = 0;
        int deleted = 0;
        for (JsonNode c : applied.path("changes")) {
            String action = c.path("action").asString("");
            switch (action) {
                case "create" -> created++;
                case "update" -> updated++;
                case "delete" -> deleted++;
                default -> {}
            }
            String id = action.equals("delete")
                    ? c.path("old").path("id").asString("")
                    : ids.getOrDefault(c.path("resource_type").asString("") + "/" + name(c), "");
            out.append(header(action, action + "d", c))
                    .append(id.isEmpty() ? "" : " (id " + id + ")")
                    .append('\n');
        }
        for (JsonNode a : applied.path("actions")) {
            if (a.path("resource_type").asString("").equals("api_token")) {
                out.append(paint(YELLOW, "~ set api_token"))
                        .append(' ')
                        .append(quote(a.path("name").asString("")))
                        .append('\n');
            }
        }
        return out.append(paint(
                        BOLD,
                        "Apply complete: " + created + " created, " + updated + " updated, " + deleted + " deleted."))
                .append('\n')
                .toString();
    }

    private String header(String action, String verb, JsonNode change) {
        String colourOf = switch (action) {
            case "create" -> GREEN;
            case "delete" -> RED;
            default -> YELLOW;
        };
        String sign = switch (action) {
            case "create" -> "+";
            case "delete" -> "-";
            default -> "~";
        };
        return paint(
                        colourOf,
                        sign + " " + verb + " " + change.path("resource_type").asString("")) + " "
                + quote(name(change));
    }

    private void fields(JsonNode change, StringBuilder out) {
        List<FieldChange> changes = diff(change.get("old"), change.get("new"));
        for (FieldChange f : changes) {
            if (f.before() != null
                    && f.before().isString()
                    && f.after() != null
                    && f.after().isString()
                    && (f.before().asString("").contains("\n")
                            || f.after().asString("").contains("\n"))) {
                out.append("    ").append(f.path()).append(":\n");
                lines(f.before().asString(""), f.after().asString(""), out);
            } else {
                out.append("    ")
                        .append(f.path())
                        .append(": ")
                        .append(paint(RED, show(f.before())))
                        .append(' ')
                        .append(arrow)
                        .append(' ')
                        .append(paint(GREEN, show(f.after())))
                        .append('\n');
            }
        }
        // A changed secret is masked on both sides, so it shows no difference: the server still names its field.
        for (JsonNode field : change.path("changed_fields")) {
            String key = field.asString("");
            boolean shown = changes.stream()
                    .anyMatch(f -> f.path().equals(key)
                            || f.path().startsWith(key + ".")
                            || f.path().startsWith(key + "["));
            if (!shown) {
                out.append("    ").append(key).append(": (sensitive value changed)\n");
            }
        }
    }

    /** The lines of {@code a} and {@code b} that differ, from a longest common subsequence of their lines. */
    private void lines(String a, String b, StringBuilder out) {
        String[] x = a.split("\n", -1);
        String[] y = b.split("\n", -1);
        int[][] lcs = new int[x.length + 1][y.length + 1];
        for (int i = x.length - 1; i >= 0; i--) {
            for (int j = y.length - 1; j >= 0; j--) {
                lcs[i][j] = x[i].equals(y[j]) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        int i = 0;
        int j = 0;
        while (i < x.length || j < y.length) {
            if (i < x.length && j < y.length && x[i].equals(y[j])) {
                i++;
                j++;
            } else if (i < x.length && (j == y.length || lcs[i + 1][j] >= lcs[i][j + 1])) {
                out.append("      ").append(paint(RED, "- " + x[i++])).append('\n');
            } else {
                out.append("      ").append(paint(GREEN, "+ " + y[j++])).append('\n');
            }
        }
    }

    private static String show(@Nullable JsonNode v) {
        return v == null ? "(none)" : v.toString();
    }

    private static String name(JsonNode change) {
        JsonNode n = change.get("name");
        if (n == null || !n.isString()) {
            n = change.path("new").isObject()
                    ? change.get("new").get("name")
                    : change.path("old").get("name");
        }
        return n == null ? "?" : n.asString("");
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }

    private String paint(String code, String text) {
        return colour ? code + text + RESET : text;
    }
}
