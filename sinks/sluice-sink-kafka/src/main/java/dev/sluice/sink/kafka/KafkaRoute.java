package dev.sluice.sink.kafka;

import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Where a routed batch's records go: the topic and, when the routing function set {@code message_key}, the key of every
 * record of the batch. Made per batch from its {@linkplain dev.sluice.core.sink.Batch#routing() routing}; a batch
 * without routing has none, and its records go as configured.
 *
 * @param topic the topic, the configured one when the routing leaves it out
 * @param keyRouted whether {@code message_key} was set: then {@code key} is every record's key
 * @param key the records' key in UTF-8, null for records without a key; used only when {@code keyRouted}
 */
record KafkaRoute(String topic, boolean keyRouted, byte @Nullable [] key) {
    static final String TOPIC = "topic";
    static final String MESSAGE_KEY = "message_key";

    /**
     * The route {@code routing} sets over {@code config}: {@code topic} a valid Kafka topic name, {@code message_key} a
     * string or null (no key).
     *
     * @throws SinkException (retriable) naming the key, the value and the rule it breaks
     */
    static KafkaRoute of(Map<String, Object> routing, KafkaConfig config) {
        String topic = config.topic();
        if (routing.containsKey(TOPIC)) {
            Object value = routing.get(TOPIC);
            if (!(value instanceof String s)) {
                throw SinkException.invalidRouting(
                        TOPIC, value, "must be a string, the name of a topic" + (value == null ? ", not null" : ""));
            }
            if (KafkaConfig.topicProblem(s) != null) {
                throw SinkException.invalidRouting(
                        TOPIC, s, "is not a valid Kafka topic name (" + KafkaConfig.TOPIC_RULE + ")");
            }
            topic = s;
        }
        if (!routing.containsKey(MESSAGE_KEY)) {
            return new KafkaRoute(topic, false, null);
        }
        Object key = routing.get(MESSAGE_KEY);
        if (key != null && !(key instanceof String)) {
            throw SinkException.invalidRouting(MESSAGE_KEY, key, "must be a string, or null for records without a key");
        }
        return new KafkaRoute(topic, true, key == null ? null : ((String) key).getBytes(StandardCharsets.UTF_8));
    }

    /** The key of {@code m}'s record: the routed one, or else as without routing. */
    byte @Nullable [] keyOf(SinkMessage m) {
        return keyRouted ? key : KafkaSink.defaultKey(m);
    }
}
