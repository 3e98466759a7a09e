package dev.sluice.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.server.config.SluiceConfig;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The snapshot made from stored rows: secrets masked for reads, revealed only for what asks for them. */
class ConfigSnapshotTest {
    private static final Instant T = Instant.parse("2026-01-02T03:04:05Z");

    private final SecretBox box = new SecretBox(new byte[32]);
    private final Sealer sealer = new Sealer(box);
    private final UUID db = UUID.randomUUID();
    private final UUID ep = UUID.randomUUID();
    private final UUID kafka = UUID.randomUUID();
    private final UUID hook = UUID.randomUUID();

    private StoredConfig.Saved build() {
        Map<Kind, List<ResourceTable.Stored>> rows = new EnumMap<>(Kind.class);
        rows.put(Kind.DATABASE, List.of(row(db, "app", """
                {"name": "app", "hostname": "db.internal", "database": "app", "username": "cdc"}""", box.encrypt("db-pw"), null)));
        rows.put(
                Kind.HTTP_ENDPOINT,
                List.of(row(ep, "hooks", """
                {"name": "hooks", "url": "https://h.example/in", "headers": {"X-A": "1"}}""", box.encrypt("{\"Authorization\": \"Bearer ep-secret\"}"), null)));
        rows.put(
                Kind.SINK,
                List.of(
                        row(kafka, "to-kafka", """
                        {"name": "to-kafka", "destination": {"type": "kafka", "hosts": "b1:9092", "topic": "t",
                         "username": "u", "sasl_mechanism": "plain"}}""", box.encrypt("{\"password\": \"kafka-pw\"}"), db),
                        row(hook, "to-hooks", """
                        {"name": "to-hooks", "destination": {"type": "webhook", "http_endpoint": "hooks"}}""", null, db)));
        return StoredConfig.build(rows, sealer);
    }

    private static ResourceTable.Stored row(UUID id, String name, String spec, String sealed, UUID parent) {
        return new ResourceTable.Stored(id, name, spec, sealed, parent, T, T);
    }

    @Test
    void readsSeeMasks_andTheRunningConfigTheSecrets() {
        StoredConfig.Saved saved = build();
        SluiceConfig read = saved.snapshot().config();
        assertThat(read.databases().getFirst().password()).isEqualTo(Masks.MASK);
        assertThat(read.httpEndpoints().getFirst().encryptedHeaders()).containsEntry("Authorization", Masks.MASK);
        assertThat(read.sinks().getFirst().destination().shown()).containsEntry("password", Masks.MASK);
        assertThat(saved.snapshot().document().toString())
                .doesNotContain("db-pw")
                .doesNotContain("ep-secret")
                .doesNotContain("kafka-pw");

        SluiceConfig running = saved.running().config();
        assertThat(running.databases().getFirst().password()).isEqualTo("db-pw");
        assertThat(running.sinks().getFirst().destination().shown()).containsEntry("password", "kafka-pw");
        // The webhook sink runs with its endpoint's decrypted header.
        assertThat(running.sinks()
                        .get(1)
                        .destination()
                        .values()
                        .endpoint("http_endpoint")
                        .headers())
                .containsEntry("Authorization", "Bearer ep-secret");
        assertThat(saved.running().sinkIds()).containsEntry("to-kafka", kafka);
    }

    @Test
    void revealed_decryptsOnlyTheResourcesAskedFor() {
        ConfigSnapshot s = build().snapshot();
        int i = s.indexOf(Kind.SINK, "to-kafka");
        SluiceConfig one = s.revealed(Kind.SINK, List.of(i));
        assertThat(one.sinks().get(i).destination().shown()).containsEntry("password", "kafka-pw");
        assertThat(one.databases().getFirst().password()).isEqualTo(Masks.MASK);
        assertThat(one.httpEndpoints().getFirst().encryptedHeaders()).containsEntry("Authorization", Masks.MASK);
        // The snapshot itself is untouched.
        assertThat(s.config().sinks().get(i).destination().shown()).containsEntry("password", Masks.MASK);
    }

    @Test
    void editable_holdsEverySecretInClear_andEachEntrysId() {
        ConfigSnapshot s = build().snapshot();
        Draft d = s.editable();
        assertThat(d.entry(Kind.DATABASE, 0).get("password").asString()).isEqualTo("db-pw");
        assertThat(d.entry(Kind.HTTP_ENDPOINT, 0)
                        .get("encrypted_headers")
                        .get("Authorization")
                        .asString())
                .isEqualTo("Bearer ep-secret");
        assertThat(d.entry(Kind.SINK, 0).get("destination").get("password").asString())
                .isEqualTo("kafka-pw");
        assertThat(d.id(Kind.SINK, 1)).isEqualTo(hook);
        assertThat(s.document().toString()).doesNotContain("kafka-pw");
    }

    @Test
    void lookups_byIdOrName() {
        ConfigSnapshot s = build().snapshot();
        assertThat(s.indexOf(Kind.SINK, "to-hooks")).isEqualTo(1);
        assertThat(s.indexOf(Kind.SINK, hook.toString().toUpperCase())).isEqualTo(1);
        assertThat(s.indexOf(Kind.SINK, "nope")).isEqualTo(-1);
        assertThat(s.databaseId("app")).isEqualTo(db);
        assertThat(s.meta(Kind.HTTP_ENDPOINT, 0).insertedAt()).isEqualTo(T);
    }
}
