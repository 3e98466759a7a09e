package dev.sluice.server.jobs;

/**
 * One statement of the schema {@code init} writes on the target.
 *
 * @param key what it creates, unique in its database ({@code table public.orders}, {@code index public.orders_pk}),
 *     as checkpoints and messages name it
 * @param table the table it belongs to ({@code "schema"."name"}), or null for a statement of its own; statements of
 *     one table run one after the other, those of different tables in parallel
 */
record Ddl(String key, @org.jspecify.annotations.Nullable String table, String sql) {
    static Ddl of(String key, String sql) {
        return new Ddl(key, null, sql);
    }
}
