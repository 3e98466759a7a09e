package dev.sluice.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.server.config.ConfigLoader;
import dev.sluice.testkit.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Loading stored messages back is bounded by bytes as well as by count: rows may be of any size (a 100 KiB row and a
 * page of a thousand would be 100 MB in one result), and the first row always comes, however large.
 */
class MessageTableIT {
    private static final TestPostgres PG = TestPostgres.shared();

    private MetadataStore store;
    private UUID sink;

    @BeforeEach
    void open() throws Exception {
        Path home = Files.createTempDirectory("sluice-messages");
        store = MetadataStore.open(home, PG.jdbcUrl(PG.createDatabase("message_table")));
        StoredConfig config =
                new StoredConfig(store, SecretBox.load(Base64.getEncoder().encodeToString(new byte[32]), home));
        config.load();
        config.apply(ConfigLoader.parse("""
                databases:
                  - name: src
                    hostname: localhost
                    port: 5432
                    database: app
                    username: postgres
                    slot:
                      name: s1
                    publication:
                      name: p1
                http_endpoints:
                  - name: hook
                    url: https://example.com/hook
                sinks:
                  - name: out
                    database: src
                    destination:
                      type: webhook
                      http_endpoint: hook
                """, "test", k -> null));
        sink = config.snapshot().sinkIds().get("out");
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void loads_stopAtTheByteBound_butAlwaysReturnTheFirstRow() throws Exception {
        // Sizes 1000, 2000, ..., 10000 bytes, all of group "g".
        List<MessageTable.MessageRow> rows = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            rows.add(new MessageTable.MessageRow(
                    100,
                    i,
                    "g",
                    "k" + i,
                    "public",
                    "items",
                    "insert",
                    Instant.EPOCH,
                    new byte[i * 1000],
                    0,
                    null,
                    null,
                    null,
                    null));
        }
        store.messages().save(sink, rows, null);
        MessageTable t = store.messages();
        MessageTable.MessageFilter live = MessageTable.MessageFilter.LIVE;
        MessageTable.Narrowing none = MessageTable.Narrowing.NONE;

        assertThat(t.list(sink, live, none, null, 100, 6000))
                .extracting(MessageTable.MessageRow::commitIdx)
                .as("1000 + 2000 + 3000 fit in 6000, the fourth would not")
                .containsExactly(1, 2, 3);
        assertThat(t.list(sink, live, none, new long[] {100, 4}, 100, 1))
                .extracting(MessageTable.MessageRow::commitIdx)
                .as("the first row comes even when alone it is over the bound")
                .containsExactly(5);
        assertThat(t.list(sink, live, none, null, 2, Long.MAX_VALUE)).hasSize(2);
        assertThat(t.list(sink, live, none, null, 100, Long.MAX_VALUE)).hasSize(10);
        assertThat(t.group(sink, "g", "public", "items", new long[] {100, 1}, new long[] {100, 9}, 100, 9000))
                .extracting(MessageTable.MessageRow::commitIdx)
                .as("within the group's range (1, 9]: 2000 + 3000 + 4000")
                .containsExactly(2, 3, 4);
        assertThat(t.group(sink, "g", "public", "items", new long[] {100, 1}, new long[] {100, 9}, 3, Long.MAX_VALUE))
                .extracting(MessageTable.MessageRow::commitIdx)
                .containsExactly(2, 3, 4);
        assertThat(t.list(sink, live, none, null, 100, 6000).getFirst().payload())
                .hasSize(1000);
    }
}
