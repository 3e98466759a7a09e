package dev.sluice.postgres.pgoutput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.postgres.pgoutput.PgOutputMessage.Begin;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Commit;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Delete;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Insert;
import dev.sluice.postgres.pgoutput.PgOutputMessage.LogicalMessage;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Origin;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Relation;
import dev.sluice.postgres.pgoutput.PgOutputMessage.RelationColumn;
import dev.sluice.postgres.pgoutput.PgOutputMessage.StreamAbort;
import dev.sluice.postgres.pgoutput.PgOutputMessage.StreamCommit;
import dev.sluice.postgres.pgoutput.PgOutputMessage.StreamStart;
import dev.sluice.postgres.pgoutput.PgOutputMessage.StreamStop;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Streamed;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Truncate;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Type;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Update;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class PgOutputDecoderTest {
    static final Instant TS = Instant.parse("2024-05-06T07:08:09.123456Z");
    static final String NON_ASCII = "Grüße, 東京 ✓ 😀";

    static Frame beginFrame() {
        return Frame.of('B').int64(0x16_B374_D848L).timestamp(TS).int32(745);
    }

    static Frame commitFrame() {
        return Frame.of('C')
                .int8(0)
                .int64(0x16_B374_D848L)
                .int64(0x16_B374_D900L)
                .timestamp(TS);
    }

    static Frame relationFrame() {
        return Frame.of('R')
                .int32(16385)
                .string("public")
                .string("orders")
                .int8('d')
                .int16(3)
                .int8(1)
                .string("id")
                .int32(23)
                .int32(-1)
                .int8(0)
                .string("note")
                .int32(1043)
                .int32(104)
                .int8(0)
                .string("größe")
                .int32(25)
                .int32(-1);
    }

    static Frame insertFrame() {
        return Frame.of('I')
                .int32(16385)
                .int8('N')
                .columns(4)
                .text("42")
                .nullValue()
                .text(NON_ASCII)
                .unchangedToast();
    }

    static Frame updateFullFrame() {
        return Frame.of('U')
                .int32(16385)
                .int8('O')
                .columns(2)
                .text("1")
                .text("old")
                .int8('N')
                .columns(2)
                .text("1")
                .unchangedToast();
    }

    static Frame deleteFrame() {
        return Frame.of('D').int32(16385).int8('K').columns(2).text("7").nullValue();
    }

    static Frame truncateFrame() {
        return Frame.of('T').int32(2).int8(3).int32(16385).int32(16390);
    }

    static Frame messageFrame() {
        return Frame.of('M')
                .int8(1)
                .int64(0x1_0000_0010L)
                .string("sluice")
                .int32(3)
                .bytes(new byte[] {'a', 0, 'b'});
    }

    static Frame originFrame() {
        return Frame.of('O').int64(99).string("upstream");
    }

    static Frame typeFrame() {
        return Frame.of('Y').int32(70000).string("shop").string("mood");
    }

    /** One well-formed frame of every message type, for the truncation and fuzz tests. */
    static List<byte[]> validFrames() {
        return List.of(
                beginFrame().toByteArray(),
                commitFrame().toByteArray(),
                originFrame().toByteArray(),
                relationFrame().toByteArray(),
                typeFrame().toByteArray(),
                insertFrame().toByteArray(),
                updateFullFrame().toByteArray(),
                deleteFrame().toByteArray(),
                truncateFrame().toByteArray(),
                messageFrame().toByteArray());
    }

    @Test
    void begin_decodesFinalLsnTimestampAndXid() {
        assertThat(PgOutputDecoder.decode(beginFrame().buffer())).isEqualTo(new Begin(0x16_B374_D848L, TS, 745));
    }

    @Test
    void begin_timestampBefore2000_isNegativeMicrosSinceEpoch() {
        Instant t = Instant.parse("1999-12-31T23:59:59.999999Z");
        Begin begin = (Begin)
                PgOutputDecoder.decode(Frame.of('B').int64(1).int64(-1).int32(1).buffer());
        assertThat(begin.commitTimestamp()).isEqualTo(t);
    }

    @Test
    void commit_decodesFlagsLsnsAndTimestamp() {
        assertThat(PgOutputDecoder.decode(commitFrame().buffer()))
                .isEqualTo(new Commit(0, 0x16_B374_D848L, 0x16_B374_D900L, TS));
    }

    @Test
    void origin_decodesLsnAndName() {
        assertThat(PgOutputDecoder.decode(originFrame().buffer())).isEqualTo(new Origin(99, "upstream"));
    }

    @Test
    void relation_decodesColumnsWithKeyFlagsAndTypes() {
        Relation r = (Relation) PgOutputDecoder.decode(relationFrame().buffer());
        assertThat(r)
                .isEqualTo(new Relation(
                        16385,
                        "public",
                        "orders",
                        'd',
                        List.of(
                                new RelationColumn(true, "id", 23, -1),
                                new RelationColumn(false, "note", 1043, 104),
                                new RelationColumn(false, "größe", 25, -1))));
    }

    @Test
    void relation_withEmptyNamespaceAndNoColumns() {
        Relation r = (Relation) PgOutputDecoder.decode(Frame.of('R')
                .int32(-5) // OIDs above 2^31 arrive as negative ints
                .string("")
                .string("pg_thing")
                .int8('n')
                .int16(0)
                .buffer());
        assertThat(r.relationId()).isEqualTo(-5);
        assertThat(r.namespace()).isEmpty();
        assertThat(r.replicaIdentity()).isEqualTo('n');
        assertThat(r.columns()).isEmpty();
    }

    @Test
    void type_decodesOidNamespaceAndName() {
        assertThat(PgOutputDecoder.decode(typeFrame().buffer())).isEqualTo(new Type(70000, "shop", "mood"));
    }

    @Test
    void insert_decodesTextNullNonAsciiAndUnchangedToast() {
        Insert insert = (Insert) PgOutputDecoder.decode(insertFrame().buffer());
        assertThat(insert.relationId()).isEqualTo(16385);
        TupleData t = insert.newTuple();
        assertThat(t.size()).isEqualTo(4);
        assertThat(t.kind(0)).isEqualTo('t');
        assertThat(t.text(0)).isEqualTo("42");
        assertThat(t.isNull(1)).isTrue();
        assertThat(t.text(1)).isNull();
        assertThat(t.text(2)).isEqualTo(NON_ASCII);
        assertThat(t.isUnchangedToast(3)).isTrue();
        assertThat(t.text(3)).isNull();
    }

    @Test
    void insert_emptyTextIsNotNull() {
        Insert insert = (Insert) PgOutputDecoder.decode(
                Frame.of('I').int32(1).int8('N').columns(1).text("").buffer());
        assertThat(insert.newTuple().text(0)).isEmpty();
        assertThat(insert.newTuple().isNull(0)).isFalse();
    }

    @Test
    void insert_binaryColumn_keepsBytes() {
        Insert insert = (Insert) PgOutputDecoder.decode(Frame.of('I')
                .int32(1)
                .int8('N')
                .columns(2)
                .text("x")
                .binary(new byte[] {0, 0, 0, 42})
                .buffer());
        TupleData t = insert.newTuple();
        assertThat(t.kind(1)).isEqualTo('b');
        assertThat(t.binary(1)).containsExactly(0, 0, 0, 42);
        assertThat(t.binary(0)).isNull();
        assertThat(t.text(0)).isEqualTo("x");
    }

    @Test
    void update_withoutOldTuple() {
        Update u = (Update) PgOutputDecoder.decode(Frame.of('U')
                .int32(9)
                .int8('N')
                .columns(2)
                .text("1")
                .unchangedToast()
                .buffer());
        assertThat(u.oldKind()).isEqualTo((char) 0);
        assertThat(u.oldTuple()).isNull();
        assertThat(u.newTuple().text(0)).isEqualTo("1");
        assertThat(u.newTuple().isUnchangedToast(1)).isTrue();
    }

    @Test
    void update_withOldKey() {
        Update u = (Update) PgOutputDecoder.decode(Frame.of('U')
                .int32(9)
                .int8('K')
                .columns(2)
                .text("1")
                .nullValue()
                .int8('N')
                .columns(2)
                .text("2")
                .text("b")
                .buffer());
        assertThat(u.oldKind()).isEqualTo('K');
        assertThat(u.oldTuple()).isEqualTo(TupleData.ofText("1", null));
        assertThat(u.newTuple()).isEqualTo(TupleData.ofText("2", "b"));
    }

    @Test
    void update_withFullOldRow() {
        Update u = (Update) PgOutputDecoder.decode(updateFullFrame().buffer());
        assertThat(u.oldKind()).isEqualTo('O');
        assertThat(u.oldTuple()).isEqualTo(TupleData.ofText("1", "old"));
        assertThat(u.newTuple().text(0)).isEqualTo("1");
        assertThat(u.newTuple().isUnchangedToast(1)).isTrue();
    }

    @Test
    void delete_withOldKey() {
        Delete d = (Delete) PgOutputDecoder.decode(deleteFrame().buffer());
        assertThat(d).isEqualTo(new Delete(16385, 'K', TupleData.ofText("7", null)));
    }

    @Test
    void delete_withFullOldRow() {
        Delete d = (Delete) PgOutputDecoder.decode(Frame.of('D')
                .int32(3)
                .int8('O')
                .columns(2)
                .text("7")
                .text(NON_ASCII)
                .buffer());
        assertThat(d).isEqualTo(new Delete(3, 'O', TupleData.ofText("7", NON_ASCII)));
    }

    @Test
    void truncate_decodesOptionsAndRelationIds() {
        Truncate t = (Truncate) PgOutputDecoder.decode(truncateFrame().buffer());
        assertThat(t.relationIds()).containsExactly(16385, 16390);
        assertThat(t.cascade()).isTrue();
        assertThat(t.restartIdentity()).isTrue();

        Truncate plain = (Truncate)
                PgOutputDecoder.decode(Frame.of('T').int32(1).int8(0).int32(5).buffer());
        assertThat(plain.cascade()).isFalse();
        assertThat(plain.restartIdentity()).isFalse();
        assertThat(plain).isEqualTo(new Truncate(0, new int[] {5}));
    }

    @Test
    void logicalMessage_decodesFlagsLsnPrefixAndContent() {
        LogicalMessage m =
                (LogicalMessage) PgOutputDecoder.decode(messageFrame().buffer());
        assertThat(m).isEqualTo(new LogicalMessage(true, 0x1_0000_0010L, "sluice", new byte[] {'a', 0, 'b'}));

        LogicalMessage nonTx = (LogicalMessage) PgOutputDecoder.decode(
                Frame.of('M').int8(0).int64(5).string("p").int32(0).buffer());
        assertThat(nonTx.transactional()).isFalse();
        assertThat(nonTx.content()).isEmpty();
    }

    @Test
    void decode_readsBetweenPositionAndLimit_andLeavesBufferUntouched() {
        byte[] frame = insertFrame().toByteArray();
        byte[] padded = new byte[frame.length + 10];
        System.arraycopy(frame, 0, padded, 3, frame.length);
        ByteBuffer buf = ByteBuffer.wrap(padded, 3, frame.length).slice(); // non-zero array offset
        ByteBuffer window = ByteBuffer.wrap(padded, 3, frame.length); // non-zero position

        assertThat(PgOutputDecoder.decode(buf))
                .isEqualTo(PgOutputDecoder.decode(insertFrame().buffer()));
        assertThat(PgOutputDecoder.decode(window))
                .isEqualTo(PgOutputDecoder.decode(insertFrame().buffer()));
        assertThat(window.position()).isEqualTo(3);
        assertThat(window.limit()).isEqualTo(3 + frame.length);
    }

    @Test
    void decode_worksOnDirectAndLittleEndianBuffers() {
        byte[] frame = relationFrame().toByteArray();
        ByteBuffer direct = ByteBuffer.allocateDirect(frame.length).put(frame).flip();
        ByteBuffer little = ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN);
        PgOutputMessage expected = PgOutputDecoder.decode(ByteBuffer.wrap(frame));
        assertThat(PgOutputDecoder.decode(direct)).isEqualTo(expected);
        assertThat(PgOutputDecoder.decode(little)).isEqualTo(expected);
        assertThat(little.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void malformed_emptyFrame() {
        assertThatThrownBy(() -> PgOutputDecoder.decode(ByteBuffer.allocate(0)))
                .isInstanceOf(PgOutputException.class)
                .hasMessageContaining("empty");
    }

    @Test
    void malformed_unknownMessageType_namesTypeAndOffset() {
        assertThatThrownBy(() -> PgOutputDecoder.decode(Frame.of('P').int32(1).buffer()))
                .isInstanceOf(PgOutputException.class)
                .hasMessage("malformed pgoutput type 'P' message at offset 1: unknown message type");
    }

    @Test
    void streamControl_protocol2_startStopCommitAbort() {
        assertThat(PgOutputDecoder.decode(Frame.of('S').int32(901).int8(1).buffer()))
                .isEqualTo(new StreamStart(901, true));
        assertThat(PgOutputDecoder.decode(Frame.of('S').int32(901).int8(0).buffer()))
                .isEqualTo(new StreamStart(901, false));
        assertThat(PgOutputDecoder.decode(Frame.of('E').buffer())).isEqualTo(new StreamStop());
        assertThat(PgOutputDecoder.decode(Frame.of('c')
                        .int32(901)
                        .int8(0)
                        .int64(0x16_B374_D848L)
                        .int64(0x16_B374_D900L)
                        .timestamp(TS)
                        .buffer()))
                .isEqualTo(new StreamCommit(901, 0, 0x16_B374_D848L, 0x16_B374_D900L, TS));
        assertThat(PgOutputDecoder.decode(Frame.of('A').int32(901).int32(905).buffer()))
                .isEqualTo(new StreamAbort(901, 905));
    }

    @Test
    void inAStreamBlock_everyTransactionMessageCarriesItsXidFirst() {
        for (byte[] frame : List.of(
                relationFrame().toByteArray(),
                typeFrame().toByteArray(),
                insertFrame().toByteArray(),
                updateFullFrame().toByteArray(),
                deleteFrame().toByteArray(),
                truncateFrame().toByteArray(),
                messageFrame().toByteArray())) {
            PgOutputMessage plain = PgOutputDecoder.decode(ByteBuffer.wrap(frame));
            byte[] streamed = new byte[frame.length + 4];
            streamed[0] = frame[0];
            ByteBuffer.wrap(streamed, 1, 4).putInt(-2); // xids are unsigned: 4294967294
            System.arraycopy(frame, 1, streamed, 5, frame.length - 1);
            assertThat(PgOutputDecoder.decode(ByteBuffer.wrap(streamed), true))
                    .as(PgOutputDecoder.messageName(frame[0]))
                    .isEqualTo(new Streamed(-2, plain));
            assertThatThrownBy(() -> PgOutputDecoder.decode(ByteBuffer.wrap(streamed, 0, streamed.length - 1), true))
                    .isInstanceOf(PgOutputException.class)
                    .hasMessageStartingWith("malformed pgoutput " + PgOutputDecoder.messageName(frame[0]));
        }
        // Outside a block, the same bytes are not a valid message.
        assertThatThrownBy(() -> PgOutputDecoder.decode(
                        Frame.of('I').int32(7).int32(16385).buffer()))
                .isInstanceOf(PgOutputException.class);
    }

    @Test
    void streamControl_truncated_raisesPgOutputException() {
        assertThatThrownBy(() -> PgOutputDecoder.decode(
                        Frame.of('c').int32(1).int8(0).int64(5).buffer()))
                .isInstanceOf(PgOutputException.class)
                .hasMessageStartingWith("malformed pgoutput Stream Commit message at offset 14: truncated: end LSN");
        assertThatThrownBy(() -> PgOutputDecoder.decode(Frame.of('A').int32(1).buffer()))
                .isInstanceOf(PgOutputException.class)
                .hasMessageContaining("subtransaction xid");
    }

    @Test
    void malformed_everyTruncationOfEveryMessageType_raisesPgOutputException() {
        for (byte[] frame : validFrames()) {
            String name = PgOutputDecoder.messageName(frame[0]);
            for (int len = 1; len < frame.length; len++) {
                ByteBuffer cut = ByteBuffer.wrap(Arrays.copyOf(frame, len));
                assertThatThrownBy(() -> PgOutputDecoder.decode(cut))
                        .as("%s cut to %d bytes", name, len)
                        .isInstanceOf(PgOutputException.class)
                        .hasMessageStartingWith("malformed pgoutput " + name + " message at offset ");
            }
        }
    }

    @Test
    void malformed_truncatedValue_reportsFieldAndOffset() {
        byte[] frame = Frame.of('I').int32(1).int8('N').columns(1).text("hello").toByteArray();
        ByteBuffer cut = ByteBuffer.wrap(Arrays.copyOf(frame, frame.length - 2));
        assertThatThrownBy(() -> PgOutputDecoder.decode(cut))
                .isInstanceOf(PgOutputException.class)
                .hasMessage("malformed pgoutput Insert message at offset 13: truncated: column value needs 5 bytes,"
                        + " 3 left");
    }

    @Test
    void malformed_trailingBytes() {
        assertThatThrownBy(() -> PgOutputDecoder.decode(beginFrame().int8(0).buffer()))
                .isInstanceOf(PgOutputException.class)
                .hasMessage("malformed pgoutput Begin message at offset 21: 1 trailing bytes");
    }

    @Test
    void malformed_negativeValueLength() {
        assertThatThrownBy(() -> PgOutputDecoder.decode(Frame.of('I')
                        .int32(1)
                        .int8('N')
                        .columns(1)
                        .int8('t')
                        .int32(-3)
                        .buffer()))
                .isInstanceOf(PgOutputException.class)
                .hasMessage("malformed pgoutput Insert message at offset 9: negative length -3 of column value");
    }

    @Test
    void malformed_unknownTupleKind() {
        assertThatThrownBy(() -> PgOutputDecoder.decode(
                        Frame.of('I').int32(1).int8('N').columns(1).int8('x').buffer()))
                .isInstanceOf(PgOutputException.class)
                .hasMessage("malformed pgoutput Insert message at offset 8: unknown kind 'x' for tuple column 0");
    }

    @Test
    void malformed_badTupleMarkers() {
        assertThatThrownBy(() -> PgOutputDecoder.decode(
                        Frame.of('I').int32(1).int8('O').columns(0).buffer()))
                .isInstanceOf(PgOutputException.class)
                .hasMessage("malformed pgoutput Insert message at offset 5: expected new tuple marker 'N', got 'O'");
        assertThatThrownBy(() -> PgOutputDecoder.decode(
                        Frame.of('U').int32(1).int8('X').columns(0).buffer()))
                .isInstanceOf(PgOutputException.class)
                .hasMessageContaining("Update message at offset 5: expected tuple marker");
        assertThatThrownBy(() -> PgOutputDecoder.decode(
                        Frame.of('D').int32(1).int8('N').columns(0).buffer()))
                .isInstanceOf(PgOutputException.class)
                .hasMessageContaining("Delete message at offset 5: expected old tuple marker 'K' or 'O', got 'N'");
    }

    @Test
    void malformed_hugeCounts_doNotAllocate() {
        assertThatThrownBy(() -> PgOutputDecoder.decode(
                        Frame.of('T').int32(Integer.MAX_VALUE).int8(0).buffer()))
                .isInstanceOf(PgOutputException.class)
                .hasMessageContaining("Truncate message at offset 6");
        assertThatThrownBy(() ->
                        PgOutputDecoder.decode(Frame.of('T').int32(-1).int8(0).buffer()))
                .isInstanceOf(PgOutputException.class)
                .hasMessageContaining("negative count -1");
        assertThatThrownBy(() -> PgOutputDecoder.decode(
                        Frame.of('I').int32(1).int8('N').columns(0x7fff).buffer()))
                .isInstanceOf(PgOutputException.class)
                .hasMessageContaining("32767 tuple column count need at least 32767 bytes, 0 left");
        assertThatThrownBy(() -> PgOutputDecoder.decode(
                        Frame.of('I').int32(1).int8('N').columns(0x8000).buffer()))
                .isInstanceOf(PgOutputException.class)
                .hasMessageContaining("negative tuple column count -32768");
    }

    @Test
    void malformed_unterminatedString() {
        byte[] frame = Frame.of('Y')
                .int32(1)
                .string("ns")
                .bytes("name".getBytes(StandardCharsets.UTF_8))
                .toByteArray();
        assertThatThrownBy(() -> PgOutputDecoder.decode(ByteBuffer.wrap(frame)))
                .isInstanceOf(PgOutputException.class)
                .hasMessage("malformed pgoutput Type message at offset 8: unterminated type name");
    }
}
