package dev.swarmhub.host;

import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.leases.Fencing;
import dev.swarmhub.leases.Resource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The file system's part of a fenced write in a project checkout: the content goes to a
 * temporary file beside the target and is flushed to disk before the store is asked; putting it
 * in place is a rename (atomic: a reader sees the old file or the new, never a mix) and a flush
 * of the directory, so a crash after the answer loses nothing.
 */
public final class FencedFiles implements Fencing.Stager {

    private static final Set<PosixFilePermission> NEW_FILE = PosixFilePermissions.fromString("rw-r--r--");

    private final Path root;

    public FencedFiles(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    @Override
    public Fencing.StagedWrite stage(Resource path, String content) {
        Path target = root.resolve(path.text()).normalize();
        if (!target.startsWith(root) || target.equals(root)) {
            throw SwarmException.badInput("not a file of the project: " + path);
        }
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw SwarmException.badInput(path + " is a directory");
        }
        Path directory = target.getParent();
        if (!Files.isDirectory(directory)) {
            throw SwarmException.badInput("no directory " + root.relativize(directory) + " for " + path);
        }
        try {
            if (!directory.toRealPath().startsWith(root.toRealPath())) {
                throw SwarmException.badInput(path + " is outside the project (through a link)");
            }
            Path draft = Files.createTempFile(directory, "." + target.getFileName() + ".", ".swarm-write");
            try (FileChannel out = FileChannel.open(draft, StandardOpenOption.WRITE)) {
                // the file keeps its mode (an executable stays one); a new file gets the usual rw-r--r--
                Files.setPosixFilePermissions(draft, Files.exists(target) ? Files.getPosixFilePermissions(target) : NEW_FILE);
                ByteBuffer bytes = ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
                out.force(true);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(draft);
                throw e;
            }
            return new Staged(draft, target, Files.size(draft));
        } catch (IOException e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot write " + path + ": " + e.getMessage(), e);
        }
    }

    /** The draft, until it is renamed over the target. */
    private static final class Staged implements Fencing.StagedWrite {
        private final Path draft;
        private final Path target;
        private final long size;
        private boolean inPlace;

        Staged(Path draft, Path target, long size) {
            this.draft = draft;
            this.target = target;
            this.size = size;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public void putInPlace() {
            if (inPlace) {
                return; // the store ran the transaction again: the check passed again, the content is there
            }
            try {
                Files.move(draft, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                inPlace = true;
                try (FileChannel directory = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
                    directory.force(true); // the rename itself reaches the disk
                }
            } catch (IOException e) {
                throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot put " + target + " in place: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            if (!inPlace) {
                try {
                    Files.deleteIfExists(draft);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot remove the draft " + draft, e);
                }
            }
        }
    }
}
