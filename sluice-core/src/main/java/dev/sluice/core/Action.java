package dev.sluice.core;

/** What happened to a row; {@link #wireName()} is the {@code action} field of the message JSON. */
public enum Action {
    INSERT("insert"),
    UPDATE("update"),
    DELETE("delete"),
    /** A row read by a backfill. */
    READ("read"),
    /**
     * A table emptied by {@code TRUNCATE}: one message per table, with no row. Delivered only to sinks that list it in
     * their {@code actions}, after every earlier change of the table and before every later one.
     */
    TRUNCATE("truncate");

    private final String wireName;

    Action(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** Parses the wire name ({@code "insert"}, ...), case-insensitively. */
    public static Action fromWireName(String name) {
        for (Action a : values()) {
            if (a.wireName.equalsIgnoreCase(name)) {
                return a;
            }
        }
        throw new IllegalArgumentException(
                "unknown action '" + name + "' (expected insert, update, delete, read or truncate)");
    }
}
