package dev.sluice.testkit.conformance;

import java.util.List;
import java.util.Map;

/**
 * Valid sinks of one type that between them set every secret field of its schema, as a user writes their destinations
 * in the API or in sluice.yaml. The server's secrets test creates these sinks for every installed provider that has
 * secret fields, from the examples it finds with {@link java.util.ServiceLoader}, and checks that responses, lists
 * and exports never show the secrets, and that a masked value sent back keeps the stored one.
 *
 * <p>A sink module with secret fields registers one in its test sources, in {@code
 * META-INF/services/dev.sluice.testkit.conformance.SinkExample}, and publishes its test-jar to the server's tests.
 * The peer need not be reachable: nothing is delivered.
 */
public interface SinkExample {
    /** The provider's type. */
    String type();

    /**
     * Destinations' fields, without {@code type}: each valid on its own (some secret fields only go with some
     * settings), together setting every secret field, each secret a value that appears nowhere else (so that finding
     * it anywhere means it leaked).
     */
    List<Map<String, Object>> destinations();
}
