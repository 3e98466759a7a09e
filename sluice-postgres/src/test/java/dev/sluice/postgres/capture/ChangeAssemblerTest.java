package dev.sluice.postgres.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.Action;
import dev.sluice.core.Change;
import dev.sluice.core.MessageContext;
import dev.sluice.core.MessageEncoder;
import dev.sluice.core.Position;
import dev.sluice.core.TimestampFormat;
import dev.sluice.core.TruncateOption;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Delete;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Insert;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Relation;
import dev.sluice.postgres.pgoutput.PgOutputMessage.RelationColumn;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Truncate;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Update;
import dev.sluice.postgres.pgoutput.TupleData;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ChangeAssemblerTest {
    static final int REL = 500;
    static final Position POS = new Position(0x1234, 3);
    static final Instant TS = Instant.parse("2024-05-06T07:08:09.123456Z");

    RelationCache cache;
    ChangeAssembler assembler;

    @BeforeEach
    void setUp() {
        cache = RelationCacheTest.cache(new RelationCacheTest.FakeCatalog().with(REL, "id"));
        // id (key), name, body (a TOAST-able text)
        cache.apply(new Relation(
                REL,
                "public",
                "docs",
                'd',
                List.of(
                        new RelationColumn(true, "id", 23, -1),
                        new RelationColumn(false, "name", 25, -1),
                        new RelationColumn(false, "body", 25, -1))));
        assembler = new ChangeAssembler(cache);
    }

    /** A row where {@code "<u>"} marks an unchanged-TOAST column and null a SQL NULL. */
    static TupleData row(String... values) {
        byte[] kinds = new byte[values.length];
        String[] texts = new String[values.length];
        for (int i = 0; i < values.length; i++) {
            if ("<u>".equals(values[i])) {
                kinds[i] = TupleData.UNCHANGED_TOAST;
            } else {
                kinds[i] = values[i] == null ? TupleData.NULL : TupleData.TEXT;
                texts[i] = values[i];
            }
        }
        return new TupleData(kinds, texts, null);
    }

    static BitSet bits(int... indexes) {
        BitSet b = new BitSet();
        for (int i : indexes) {
            b.set(i);
        }
        return b;
    }

    @Test
    void insert_recordIsTheNewRow() {
        Change c = assembler.assemble(new Insert(REL, row("1", null, "hello")), POS, TS, "{\"a\":1}");
        assertThat(c.action()).isEqualTo(Action.INSERT);
        assertThat(c.table()).isSameAs(cache.get(REL).schema());
        assertThat(c.record()).containsExactly("1", null, "hello");
        assertThat(c.changed()).isNull();
        assertThat(c.old()).isNull();
        assertThat(c.unchangedToast()).isNull();
        assertThat(c.position()).isEqualTo(POS);
        assertThat(c.commitTimestamp()).isEqualTo(TS);
        assertThat(c.transactionAnnotations()).isEqualTo("{\"a\":1}");
        assertThat(c.primaryKeyValues()).containsExactly("1");
    }

    @Test
    void update_withoutOldTuple_unchangedToastIsListedAndChangedIsEmpty() {
        Change c = assembler.assemble(new Update(REL, (char) 0, null, row("1", "new", "<u>")), POS, TS, null);
        assertThat(c.action()).isEqualTo(Action.UPDATE);
        assertThat(c.record()).containsExactly("1", "new", null);
        assertThat(c.unchangedToast()).isEqualTo(bits(2));
        assertThat(c.changed()).isEqualTo(new BitSet());
        assertThat(c.old()).isNull();
    }

    @Test
    void update_withFullOldRow_fillsUnchangedToastFromOldRow_andDiffsEveryColumn() {
        Change c = assembler.assemble(
                new Update(REL, 'O', row("1", "old", "big body"), row("1", "new", "<u>")), POS, TS, null);
        assertThat(c.record()).containsExactly("1", "new", "big body");
        assertThat(c.unchangedToast()).isNull();
        assertThat(c.changed()).isEqualTo(bits(1));
        assertThat(c.old()).containsExactly("1", "old", "big body");
    }

    @Test
    void update_withFullOldRow_nullToValueAndValueToNullAreChanges() {
        Change c = assembler.assemble(new Update(REL, 'O', row("1", null, "x"), row("1", "set", null)), POS, TS, null);
        assertThat(c.changed()).isEqualTo(bits(1, 2));
        assertThat(c.old()).containsExactly("1", null, "x");
    }

    @Test
    void update_withFullOldRowThatItselfLacksTheToastValue_listsTheColumn() {
        Change c = assembler.assemble(new Update(REL, 'O', row("1", "a", "<u>"), row("1", "a", "<u>")), POS, TS, null);
        assertThat(c.record()).containsExactly("1", "a", null);
        assertThat(c.unchangedToast()).isEqualTo(bits(2));
        assertThat(c.changed()).isEqualTo(new BitSet());
    }

    @Test
    void update_withOldKey_diffsOnlyKeyColumns_andStillListsUnchangedToast() {
        // Primary key changed from 1 to 2: Postgres sends the old key, non-key columns as nulls.
        Change c = assembler.assemble(new Update(REL, 'K', row("1", null, null), row("2", "n", "<u>")), POS, TS, null);
        assertThat(c.record()).containsExactly("2", "n", null);
        assertThat(c.changed()).isEqualTo(bits(0));
        assertThat(c.old()[0]).isEqualTo("1");
        assertThat(c.unchangedToast()).isEqualTo(bits(2));
    }

    @Test
    void delete_withOldKey_recordHasKeyAndNulls() {
        Change c = assembler.assemble(new Delete(REL, 'K', row("7", null, null)), POS, TS, null);
        assertThat(c.action()).isEqualTo(Action.DELETE);
        assertThat(c.record()).containsExactly("7", null, null);
        assertThat(c.changed()).isNull();
        assertThat(c.old()).isNull();
        assertThat(c.unchangedToast()).isNull();
    }

    @Test
    void delete_withFullOldRow_recordIsTheOldRow() {
        Change c = assembler.assemble(new Delete(REL, 'O', row("7", "n", "b")), POS, TS, null);
        assertThat(c.record()).containsExactly("7", "n", "b");
    }

    @Test
    void newRelationMessage_appliesToLaterChangesOnly() {
        Change before = assembler.assemble(new Insert(REL, row("1", "a", "b")), POS, TS, null);
        cache.apply(new Relation(
                REL,
                "public",
                "docs",
                'd',
                List.of(new RelationColumn(true, "id", 23, -1), new RelationColumn(false, "name", 25, -1))));
        Change after = assembler.assemble(new Insert(REL, row("2", "c")), POS, TS, null);

        assertThat(before.table().columnCount()).isEqualTo(3);
        assertThat(after.table().columnCount()).isEqualTo(2);
        assertThat(after.record()).containsExactly("2", "c");
    }

    @Test
    void tupleWidthNotMatchingTheRelation_fails() {
        assertThatThrownBy(() -> assembler.assemble(new Insert(REL, row("1", "a")), POS, TS, null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("new tuple has 2 columns but public.docs (relation OID 500) has 3");
    }

    @Test
    void binaryValue_fails() {
        TupleData binary = new TupleData(new byte[] {'t', 'b', 'n'}, new String[3], new byte[][] {null, {1}, null});
        assertThatThrownBy(() -> assembler.assemble(new Insert(REL, binary), POS, TS, null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("binary value in column 1");
    }

    @Test
    void unknownRelation_fails() {
        assertThatThrownBy(() -> assembler.assemble(new Insert(999, row("1")), POS, TS, null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("unknown relation OID 999");
    }

    @Test
    void truncate_isOneChangePerRelation_atConsecutivePositions_withTheStatementsOptions() {
        cache.apply(new Relation(REL + 1, "public", "notes", 'd', List.of(new RelationColumn(true, "id", 23, -1))));
        List<Change> cs = assembler.truncate(
                new Truncate(Truncate.CASCADE | Truncate.RESTART_IDENTITY, new int[] {REL + 1, REL}), POS, TS, null);

        assertThat(cs).extracting(c -> c.table().id().name()).containsExactly("notes", "docs");
        assertThat(cs).extracting(Change::position).containsExactly(POS, new Position(POS.commitLsn(), 4));
        assertThat(cs).allSatisfy(c -> {
            assertThat(c.action()).isEqualTo(Action.TRUNCATE);
            assertThat(c.record()).isEmpty();
            assertThat(c.primaryKeyValues()).isEmpty();
            assertThat(c.truncateOptions()).containsExactly(TruncateOption.CASCADE, TruncateOption.RESTART_IDENTITY);
        });
        assertThat(assembler
                        .truncate(new Truncate(0, new int[] {REL}), POS, TS, null)
                        .getFirst()
                        .truncateOptions())
                .isEmpty();
    }

    @Test
    void truncate_isEncodedWithAnEmptyRecordAndItsOptionsInTheMetadata() {
        Change c = assembler
                .truncate(new Truncate(Truncate.RESTART_IDENTITY, new int[] {REL}), POS, TS, null)
                .getFirst();
        MessageContext ctx =
                new MessageContext("c", "sink", "{}", "d", "db", "{}", "db", "host", TimestampFormat.ISO8601);
        String json = new String(MessageEncoder.encode(c, ctx), StandardCharsets.UTF_8);
        assertThat(json)
                .startsWith("{\"record\":{},\"changes\":null,\"action\":\"truncate\",\"metadata\":"
                        + "{\"table_schema\":\"public\",\"table_name\":\"docs\"")
                .contains(",\"commit_lsn\":4660,\"commit_idx\":3,\"idempotency_key\":\""
                        + POS.idempotencyKey() + "\",\"record_pks\":[],\"truncate_options\":[\"restart_identity\"],"
                        + "\"transaction_annotations\":null");
    }
}
