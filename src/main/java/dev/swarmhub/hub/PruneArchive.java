package dev.swarmhub.hub;

import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.kernel.Retention;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.store.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Pruned rows as JSON Lines ({@code {"kind": "events", "row": {...}}}), appended to a 0600 file:
 * each line is written when a row is kept, and the file is forced to disk on {@link #sync()},
 * before the batch's rows are deleted. A failed write fails the prune's transaction, so nothing
 * is deleted that the archive does not hold, and takes back what it wrote of its line.
 */
public final class PruneArchive implements Retention.Archive {

    /** Where the hub's sweep archives when {@code prune.archive} is on. */
    public static Path ofHub(Path root) {
        return root.resolve(".swarm").resolve("pruned.jsonl");
    }

    private final Path file;
    private final FileChannel channel;

    private PruneArchive(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /** Appends to the file, creating it 0600 when missing. */
    public static PruneArchive appendingTo(Path file) {
        try {
            FileChannel channel = PrivateFiles.openForWriting(file);
            channel.position(channel.size());
            return new PruneArchive(file, channel);
        } catch (IOException e) {
            throw SwarmException.badInput("cannot write the archive " + file + ": " + e.getMessage());
        }
    }

    @Override
    public void keep(String kind, Object row) {
        byte[] line = (JsonViews.json(OrderedMap.of("kind", kind, "row", row)) + "\n").getBytes(StandardCharsets.UTF_8);
        long lineStart = -1;
        try {
            lineStart = channel.position();
            ByteBuffer buffer = ByteBuffer.wrap(line);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            SwarmException failed = SwarmException.ofFileFailure("write the archive " + file, "nothing of the batch being archived was removed", e);
            if (lineStart >= 0) {
                try { // a full disk leaves part of the line: cut it, so the next prune appends after whole lines
                    channel.truncate(lineStart);
                    channel.position(lineStart);
                } catch (IOException cutFailed) {
                    failed.addSuppressed(cutFailed);
                }
            }
            throw failed;
        }
    }

    @Override
    public void sync() {
        try {
            channel.force(false);
        } catch (IOException e) {
            throw SwarmException.ofFileFailure("sync the archive " + file, "nothing of the batch being archived was removed", e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close the archive " + file, e);
        }
    }
}
