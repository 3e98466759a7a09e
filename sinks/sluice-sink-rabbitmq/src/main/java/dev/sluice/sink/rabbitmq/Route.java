package dev.sluice.sink.rabbitmq;

import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Where and how a batch's messages are published: Sequin's routing keys for RabbitMQ, each either set by the sink's
 * routing function for the batch or left to the sink's own setting.
 *
 * <ul>
 *   <li>{@code exchange}: the configured {@code exchange};
 *   <li>{@code routing_key}: per message, {@code sequin.<database>.<schema>.<table>.<action>};
 *   <li>{@code headers}: none;
 *   <li>{@code message_id}: per message, its idempotency key.
 * </ul>
 *
 * <p>A key set to null keeps the sink's setting, as in Sequin (its routing merges only non-null values).
 *
 * @param exchange the exchange to publish to
 * @param routingKey the routing key of every message of the batch; null for each message's default
 * @param headers AMQP headers of every message; null for none
 * @param messageId the {@code message_id} of every message of the batch; null for each message's idempotency key
 */
record Route(
        String exchange,
        @Nullable String routingKey,
        @Nullable Map<String, Object> headers,
        @Nullable String messageId) {
    static final String EXCHANGE = "exchange";
    static final String ROUTING_KEY = "routing_key";
    static final String HEADERS = "headers";
    static final String MESSAGE_ID = "message_id";

    /** The route of a batch without routing function. */
    static Route of(RabbitMqConfig config) {
        return new Route(config.exchange(), null, null, null);
    }

    /**
     * The route of a batch whose routing function set {@code routing}, each value checked.
     *
     * @throws SinkException {@link SinkException#invalidRouting} for a value that breaks a rule
     */
    static Route of(Map<String, Object> routing, RabbitMqConfig config) {
        String exchange = config.exchange();
        Object routed = routing.get(EXCHANGE);
        if (routed != null) {
            if (!(routed instanceof String s)) {
                throw SinkException.invalidRouting(EXCHANGE, routed, "must be a string, the name of an exchange");
            }
            String problem = RabbitMqConfig.exchangeProblem(s);
            if (problem != null) {
                throw SinkException.invalidRouting(EXCHANGE, s, problem);
            }
            exchange = s;
        }
        return new Route(
                exchange,
                shortString(routing, ROUTING_KEY, "a routing key"),
                headers(routing.get(HEADERS)),
                shortString(routing, MESSAGE_ID, "a message id"));
    }

    /** The routing key of {@code m}: the routed one, else Sequin's default. */
    String routingKeyOf(SinkMessage m, String databaseName) {
        if (routingKey != null) {
            return routingKey;
        }
        return "sequin." + databaseName + "." + m.table().schema() + "."
                + m.table().name() + "." + m.action().wireName();
    }

    /** The message id of {@code m}: the routed one, else its idempotency key. */
    String messageIdOf(SinkMessage m) {
        return messageId != null ? messageId : m.idempotencyKey();
    }

    private static @Nullable String shortString(Map<String, Object> routing, String key, String what) {
        Object v = routing.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s)) {
            throw SinkException.invalidRouting(key, v, "must be a string, " + what);
        }
        String problem = RabbitMqConfig.shortStringProblem(s);
        if (problem != null) {
            throw SinkException.invalidRouting(key, s, problem);
        }
        return s;
    }

    /**
     * Routed headers as AMQP field-table values. Values are not shown in failures (they may be credentials), only
     * header names.
     */
    private static @Nullable Map<String, Object> headers(@Nullable Object routed) {
        if (routed == null) {
            return null;
        }
        if (!(routed instanceof Map<?, ?> map)) {
            throw SinkException.invalidRouting(HEADERS, null, "must be an object of header names to values");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String name = String.valueOf(e.getKey());
            if (name.isEmpty()
                    || name.getBytes(StandardCharsets.UTF_8).length > RabbitMqConfig.MAX_SHORT_STRING_BYTES) {
                throw SinkException.invalidRouting(
                        HEADERS, null, "has a header name that is empty or over 255 bytes: '" + cut(name) + "'");
            }
            Object value = switch (e.getValue()) {
                case String s -> s;
                case Boolean b -> b;
                case Integer i -> i;
                case Long l -> l;
                case Double d -> d;
                case BigDecimal d -> d;
                case BigInteger i -> new BigDecimal(i);
                case null, default ->
                    throw SinkException.invalidRouting(
                            HEADERS,
                            null,
                            "has header '" + cut(name) + "' whose value is not a string, number or boolean");
            };
            out.put(name, value);
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    private static String cut(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "…" : s;
    }
}
