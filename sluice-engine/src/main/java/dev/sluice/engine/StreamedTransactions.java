package dev.sluice.engine;

import dev.sluice.postgres.pgoutput.PgOutputDecoder;
import dev.sluice.postgres.pgoutput.PgOutputMessage;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The blocks of transactions that Postgres streams before they commit (protocol version 2: a transaction that outgrew
 * the server's {@code logical_decoding_work_mem}), kept on local disk until their Stream Commit, when they are read
 * back in the order they came, or their Stream Abort, when they are dropped, or cut back to where the rolled back
 * subtransaction began.
 *
 * <p>Why on disk: a transaction may be any size (millions of rows, gigabytes), and none of it may be delivered before
 * it commits (an aborted one delivers nothing); what memory holds is bounded by one write buffer and, while one is
 * read back, one read buffer and its largest message. Read back, the frames are decoded and routed exactly as the
 * same transaction sent whole at commit would be: same commit LSN, same change indexes, so the same idempotency keys.
 *
 * <p>State: per top-level xid, an append-only file of length-prefixed frames, and the offset at which each of its
 * subtransactions' first frame begins (Postgres aborts a subtransaction together with those begun after it, so
 * cutting the file there drops exactly their changes, as its own apply worker does). The files live in one directory
 * per pipeline, emptied when a session starts: after a reconnect or a crash Postgres streams every transaction that
 * was not committed and acknowledged again from its first block. Files are readable by their owner only.
 *
 * <p>Concurrency: the reader thread only.
 *
 * <p>Failure: a file that cannot be written or read (disk full, removed) throws {@link UncheckedIOException} naming
 * it; the reader then starts a new session and Postgres streams again. A block that continues a transaction whose
 * first block was not seen here throws {@link IllegalStateException}, for the same reason.
 */
final class StreamedTransactions implements AutoCloseable {
    private static final int BUFFER = 64 * 1024;

    private final Path dir;
    private final Map<Integer, Spilled> open = new HashMap<>();
    private final ByteBuffer out = ByteBuffer.allocate(BUFFER);
    private @Nullable Spilled current;
    private boolean dirReady;

    private static final class Spilled {
        final int xid;
        final Path file;
        final FileChannel channel;
        // Where each subtransaction's first frame begins, in the order they began.
        final LinkedHashMap<Integer, Long> subtransactions = new LinkedHashMap<>();
        long size;
        long frames;

        Spilled(int xid, Path file, FileChannel channel) {
            this.xid = xid;
            this.file = file;
            this.channel = channel;
        }
    }

    /** Receives the messages of a committed streamed transaction, in order. */
    @FunctionalInterface
    interface Replay {
        void accept(PgOutputMessage message) throws InterruptedException;
    }

    /** @param dir this pipeline's own directory; created at the first streamed block */
    StreamedTransactions(Path dir) {
        this.dir = dir;
    }

    /** Drops whatever an earlier session or process left: Postgres streams it again. */
    void reset() {
        closeAll();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> left = Files.newDirectoryStream(dir, "*.frames")) {
                for (Path p : left) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot empty the streamed-transaction directory " + dir, e);
            }
        }
    }

    /** Whether a stream block is open: messages carry their xid. */
    boolean inBlock() {
        return current != null;
    }

    /** Whether a streamed transaction has neither committed nor aborted yet. */
    boolean pending() {
        return !open.isEmpty();
    }

    /** Bytes on disk for transactions not yet committed or aborted. */
    long spilledBytes() {
        long n = 0;
        for (Spilled s : open.values()) {
            n += s.size;
        }
        return n + out.position();
    }

    /** A Stream Start. */
    void start(int xid, boolean firstSegment) {
        stop(); // a block always ends with a Stream Stop; were one missing, its frames are kept all the same
        Spilled s = open.get(xid);
        if (firstSegment) {
            if (s != null) {
                drop(s);
            }
            s = create(xid);
        } else if (s == null) {
            throw new IllegalStateException("a later block of streamed transaction " + xid
                    + " arrived without its first one: starting over so that Postgres streams it from the start");
        }
        current = s;
    }

    /** A message inside the open block, belonging to (sub)transaction {@code subXid}. */
    void append(int subXid, ByteBuffer frame) {
        Spilled s = current;
        if (s == null) {
            throw new IllegalStateException("a streamed message outside a stream block");
        }
        if (subXid != s.xid && !s.subtransactions.containsKey(subXid)) {
            s.subtransactions.put(subXid, s.size + out.position());
        }
        int length = frame.remaining();
        if (out.remaining() < 4 + length) {
            flush(s);
        }
        if (out.remaining() < 4 + length) {
            // Larger than the buffer: written straight through.
            ByteBuffer head = ByteBuffer.allocate(4).putInt(0, length);
            write(s, head);
            write(s, frame.duplicate());
        } else {
            out.putInt(length);
            out.put(frame.duplicate());
        }
        s.frames++;
    }

    /** A Stream Stop: what the block held is written out. */
    void stop() {
        if (current != null) {
            flush(current);
            current = null;
        }
    }

    /** A Stream Abort: the transaction, or the subtransaction and those begun after it, delivers nothing. */
    void abort(int xid, int subXid) {
        Spilled s = open.get(xid);
        if (s == null) {
            return; // nothing of it was streamed here
        }
        flush(s);
        if (subXid == xid) {
            open.remove(xid);
            drop(s);
            return;
        }
        Long from = s.subtransactions.get(subXid);
        if (from == null) {
            return; // it streamed no change
        }
        for (Iterator<Long> it = s.subtransactions.values().iterator(); it.hasNext(); ) {
            if (it.next() >= from) {
                it.remove();
            }
        }
        try {
            s.channel.truncate(from);
            s.size = from;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot cut streamed transaction file " + s.file, e);
        }
    }

    /** A Stream Commit: hands every message of the transaction to {@code replay} in order, then forgets it. */
    void commit(int xid, Replay replay) throws InterruptedException {
        Spilled s = open.remove(xid);
        if (s == null) {
            throw new IllegalStateException("streamed transaction " + xid
                    + " committed but none of its blocks were seen: starting over so that Postgres sends it again");
        }
        try {
            flush(s);
            s.channel.position(0);
            InputStream raw = Channels.newInputStream(s.channel);
            DataInputStream in = new DataInputStream(new BufferedInputStream(raw, BUFFER));
            byte[] frame = new byte[1024];
            for (long i = 0; i < s.frames; i++) {
                int length;
                try {
                    length = in.readInt();
                } catch (EOFException e) {
                    break; // frames of aborted subtransactions were cut off the end
                }
                if (length > frame.length) {
                    frame = new byte[Math.max(length, frame.length * 2)];
                }
                in.readFully(frame, 0, length);
                PgOutputMessage m = PgOutputDecoder.decode(ByteBuffer.wrap(frame, 0, length), true);
                if (!(m instanceof PgOutputMessage.Streamed streamed)) {
                    throw new IllegalStateException("a frame of streamed transaction " + xid + " carries no xid");
                }
                replay.accept(streamed.message());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read streamed transaction file " + s.file, e);
        } finally {
            drop(s);
        }
    }

    /** Deletes every file. */
    @Override
    public void close() {
        closeAll();
    }

    private void closeAll() {
        current = null;
        out.clear();
        for (Spilled s : open.values()) {
            drop(s);
        }
        open.clear();
    }

    private Spilled create(int xid) {
        try {
            if (!dirReady) {
                Files.createDirectories(dir);
                dirReady = true;
            }
            Path file = dir.resolve(Integer.toUnsignedString(xid) + ".frames");
            FileChannel channel;
            try {
                channel = FileChannel.open(
                        file,
                        java.util.Set.of(
                                StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                channel = FileChannel.open(
                        file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException e) {
                Files.delete(file);
                return create(xid);
            }
            Spilled s = new Spilled(xid, file, channel);
            open.put(xid, s);
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a file for streamed transaction " + xid + " in " + dir, e);
        }
    }

    // The write buffer holds frames of the current block's transaction only.
    private void flush(Spilled s) {
        if (out.position() == 0 || s != current) {
            return;
        }
        out.flip();
        write(s, out);
        out.clear();
    }

    private void write(Spilled s, ByteBuffer b) {
        try {
            s.channel.position(s.size);
            while (b.hasRemaining()) {
                s.size += s.channel.write(b);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot write streamed transaction file " + s.file
                            + " (is the disk full? it holds large transactions until they commit)",
                    e);
        }
    }

    private void drop(Spilled s) {
        if (s == current) {
            current = null;
            out.clear();
        }
        try {
            s.channel.close();
            Files.deleteIfExists(s.file);
        } catch (IOException e) {
            // a file left here is emptied by the next session's reset
        }
    }
}
