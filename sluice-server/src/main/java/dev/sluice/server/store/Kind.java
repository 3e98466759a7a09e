package dev.sluice.server.store;

/** The kinds of configuration resource, with their table and the column holding their sealed secret. */
public enum Kind {
    DATABASE("postgres_databases", "sealed_password", "databases"),
    HTTP_ENDPOINT("http_endpoints", "sealed_headers", "http_endpoints"),
    FUNCTION("functions", "sealed_secrets", "functions"),
    SINK("sinks", "sealed_secrets", "sinks");

    final String table;
    final String sealedColumn;
    /** The section of sluice.yaml that holds this kind. */
    public final String section;

    Kind(String table, String sealedColumn, String section) {
        this.table = table;
        this.sealedColumn = sealedColumn;
        this.section = section;
    }
}
