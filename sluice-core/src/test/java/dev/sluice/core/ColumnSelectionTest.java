package dev.sluice.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ColumnSelectionTest {
    private static final TableId USERS = new TableId("public", "users");
    private static final TableSchema SCHEMA = new TableSchema(
            USERS,
            List.of(
                    new Column("id", "int4", ValueCodec.STRING),
                    new Column("email", "text", ValueCodec.STRING),
                    new Column("secret", "text", ValueCodec.STRING)),
            new int[] {0});

    private static MessageContext context(ColumnSelection columns) {
        return new MessageContext(
                "c", "sink", "{}", "d", "db", "{}", "postgres", "localhost", TimestampFormat.ISO8601, columns);
    }

    private static String encode(ColumnSelection columns, Change change) {
        return new String(new MessageEncoder(context(columns)).encode(change), StandardCharsets.UTF_8);
    }

    private static Change update() {
        BitSet changed = new BitSet();
        changed.set(1);
        changed.set(2);
        BitSet toast = new BitSet();
        toast.set(2);
        return new Change(
                SCHEMA,
                Action.UPDATE,
                new String[] {"1", "a@b", null},
                changed,
                new String[] {"1", "old@b", "old-secret"},
                toast,
                new Position(16, 0),
                Instant.EPOCH,
                null);
    }

    @Test
    void exclude_dropsTheColumnFromRecordChangesAndToastList() {
        ColumnSelection sel = new ColumnSelection(Map.of(USERS, new ColumnSelection.Rule(false, Set.of("secret"))));
        String json = encode(sel, update());
        assertThat(json).doesNotContain("secret");
        assertThat(json).contains("\"record\":{\"id\":\"1\",\"email\":\"a@b\"}");
        assertThat(json).contains("\"changes\":{\"email\":\"old@b\"}");
        assertThat(json).doesNotContain("unchanged_toast_columns");
    }

    @Test
    void include_keepsOnlyTheListedColumnsAndThePrimaryKey() {
        ColumnSelection sel = new ColumnSelection(Map.of(USERS, new ColumnSelection.Rule(true, Set.of("email"))));
        String json = encode(sel, update());
        assertThat(json).contains("\"record\":{\"id\":\"1\",\"email\":\"a@b\"}");
        assertThat(json).doesNotContain("secret");
    }

    @Test
    void otherTablesAndNoSelection_deliverEveryColumn() {
        ColumnSelection other = new ColumnSelection(
                Map.of(new TableId("public", "other"), new ColumnSelection.Rule(false, Set.of("secret"))));
        assertThat(encode(other, update())).isEqualTo(encode(ColumnSelection.ALL, update()));
        assertThat(encode(ColumnSelection.ALL, update())).contains("\"secret\":\"unchanged_toast\"");
        assertThat(other.mask(SCHEMA)).isNull();
    }

    @Test
    void mask_alwaysDeliversThePrimaryKey() {
        ColumnSelection sel = new ColumnSelection(Map.of(USERS, new ColumnSelection.Rule(false, Set.of("id"))));
        assertThat(sel.mask(SCHEMA)).isNull();
    }
}
