package dev.sluice.sink.kafka;

import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;

/** Sorts producer errors into those a later attempt may fix and those it never can, by exception type. */
final class Failures {
    private Failures() {}

    /**
     * False only when the record itself cannot be written: over a size limit, malformed, or addressed to a topic name
     * Kafka refuses. Everything else (timeouts, unavailable leaders, too few in-sync replicas, brokers down, bad
     * credentials, missing ACLs) may succeed later, once the cluster or its configuration is fixed, so the messages
     * are kept for another attempt rather than given up.
     */
    static boolean retriable(Throwable error) {
        return !(error instanceof RecordTooLargeException
                || error instanceof RecordBatchTooLargeException
                || error instanceof InvalidRecordException
                || error instanceof InvalidTopicException
                || error instanceof SerializationException);
    }

    /** A short, operator-facing description: the error's kind and the broker's or client's message. */
    static String describe(Throwable error) {
        String kind;
        if (error instanceof AuthenticationException) {
            kind = "authentication failed";
        } else if (error instanceof AuthorizationException) {
            kind = "not authorized";
        } else {
            kind = error.getClass().getSimpleName();
        }
        String message = error.getMessage();
        return message == null || message.isBlank() ? kind : kind + ": " + message;
    }
}
