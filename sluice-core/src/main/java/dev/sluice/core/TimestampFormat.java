package dev.sluice.core;

/** How date-time values of records and changes are written to JSON. */
public enum TimestampFormat {
    /** ISO-8601 strings; timestamptz in UTC with {@code Z}. */
    ISO8601,
    /** Integer microseconds since the Unix epoch (timestamp, timestamptz). */
    UNIX_MICROSECOND
}
