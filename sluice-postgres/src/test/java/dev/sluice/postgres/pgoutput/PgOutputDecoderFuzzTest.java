package dev.sluice.postgres.pgoutput;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Whatever the bytes, the decoder either returns a message or throws {@link PgOutputException}. */
class PgOutputDecoderFuzzTest {
    private static final List<byte[]> VALID = PgOutputDecoderTest.validFrames();

    @Property(tries = 3000)
    void randomBytes_onlyEverThrowPgOutputException(@ForAll @Size(max = 80) byte[] bytes) {
        decodeOrReject(bytes);
    }

    @Property(tries = 3000)
    void randomBodiesAfterAKnownType_onlyEverThrowPgOutputException(
            @ForAll("messageTypes") byte type, @ForAll @Size(max = 80) byte[] body) {
        byte[] frame = new byte[body.length + 1];
        frame[0] = type;
        System.arraycopy(body, 0, frame, 1, body.length);
        decodeOrReject(frame);
    }

    @Property(tries = 5000)
    void mutatedValidFrames_onlyEverThrowPgOutputException(
            @ForAll("validFrameIndexes") int which,
            @ForAll @IntRange(min = 0, max = 200) int position,
            @ForAll byte value,
            @ForAll @IntRange(min = 0, max = 200) int cut) {
        byte[] frame = VALID.get(which).clone();
        frame[1 + position % (frame.length - 1)] = value;
        int length = Math.max(1, frame.length - cut % 4);
        decodeOrReject(java.util.Arrays.copyOf(frame, length));
    }

    @Provide
    Arbitrary<Byte> messageTypes() {
        return Arbitraries.of(
                (byte) 'B',
                (byte) 'C',
                (byte) 'O',
                (byte) 'R',
                (byte) 'Y',
                (byte) 'I',
                (byte) 'U',
                (byte) 'D',
                (byte) 'T',
                (byte) 'M');
    }

    @Provide
    Arbitrary<Integer> validFrameIndexes() {
        return Arbitraries.integers().between(0, VALID.size() - 1);
    }

    private static void decodeOrReject(byte[] frame) {
        try {
            assertThat(PgOutputDecoder.decode(ByteBuffer.wrap(frame))).isNotNull();
        } catch (PgOutputException expected) {
            assertThat(expected.getMessage()).startsWith(frame.length == 0 ? "empty" : "malformed pgoutput ");
        }
    }
}
