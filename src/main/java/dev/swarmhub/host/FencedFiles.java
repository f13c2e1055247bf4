package dev.swarmhub.host;

import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Tx;
import dev.swarmhub.leases.Fencing;
import dev.swarmhub.leases.Resource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The file system's part of a fenced write in a project checkout. The content goes to a draft
 * beside the target and is flushed to disk before the store is asked; putting it in place is a
 * rename (atomic: a reader sees the old file or the new, never a mix) and a flush of the
 * directory, so a crash after the answer loses nothing. The old file is kept (a hard link) until
 * the store's transaction ends: a transaction that does not commit puts it back.
 *
 * <p>Every step works in the directory as opened once, component by component without following
 * links, so a link put in the path meanwhile cannot send the write outside the project.
 *
 * <p>A write holds its file against the other writers of this host from staging until its
 * transaction has settled (a {@link HostLock} on one of {@link #TURNS} files in
 * {@code .swarm/fenced-writes/}, shared by the paths that hash alike). The store's lock is not
 * enough: a writer paused mid-write loses it (PostgreSQL ends an idle session) while its file is
 * in place, and its take-back would then undo the next holder's acknowledged write.
 */
public final class FencedFiles implements Fencing.Stager {

    private static final String DRAFT = ".swarm-write";
    private static final String PREVIOUS = ".swarm-previous";
    /** What a new file is created with; the process's umask takes its part, as for any file the user's tools make. */
    private static final Set<PosixFilePermission> NEW_FILE = PosixFilePermissions.fromString("rw-rw-rw-");

    /** Lock files that writes of different paths share: enough that unrelated writes rarely wait for each other. */
    static final int TURNS = 256;
    /** As long as a writer waits for the store's lock: the writer ahead may be waiting for it. */
    static final Duration WRITER_WAIT = Duration.ofSeconds(30);

    private final Path root;

    public FencedFiles(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    @Override
    public Fencing.FileHold hold(Resource path) {
        return takeTurn(path, relative(path), true)::close;
    }

    @Override
    public Fencing.StagedWrite stage(Resource path, String content, Fencing.Turn turnTaken) {
        Path relative = relative(path);
        Path target = root.resolve(relative);
        HostLock.Held turn = turnTaken == Fencing.Turn.HELD ? () -> { } : takeTurn(path, relative, turnTaken == Fencing.Turn.WAIT);
        SecureDirectoryStream<Path> directory;
        try {
            directory = openDirectory(path, relative);
        } catch (RuntimeException e) {
            turn.close();
            throw e;
        }
        try {
            Path name = relative.getFileName();
            Optional<PosixFileAttributes> existing = attributes(directory, name);
            if (existing.isPresent() && existing.get().isDirectory()) {
                throw SwarmException.badInput(path + " is a directory");
            }
            if (existing.isPresent() && !existing.get().isRegularFile()) {
                throw SwarmException.badInput(path + " is not a regular file (a link?): a fenced write replaces files only");
            }
            recoverLeftovers(directory, relative.getParent());
            Path draft = sibling(name, DRAFT);
            try (SeekableByteChannel out = directory.newByteChannel(draft, Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW),
                    PosixFilePermissions.asFileAttribute(NEW_FILE))) {
                if (existing.isPresent()) { // the file keeps its mode: an executable stays one
                    directory.getFileAttributeView(draft, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                            .setPermissions(existing.get().permissions());
                }
                ByteBuffer bytes = ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
                ((FileChannel) out).force(true);
                return new Staged(directory, turn, target, name, draft, out.size());
            } catch (IOException | RuntimeException e) {
                deleteQuietly(directory, draft);
                throw e;
            }
        } catch (IOException e) {
            closeDirectory(directory);
            turn.close();
            throw failure("write " + path, e);
        } catch (RuntimeException e) {
            closeDirectory(directory);
            turn.close();
            throw e;
        }
    }

    /** Holds the file against the other writers of this host; refused when one holds it longer than the wait (none: {@code waitForWriters} false). */
    private HostLock.Held takeTurn(Resource path, Path relative, boolean waitForWriters) {
        Duration wait = waitForWriters ? WRITER_WAIT : Duration.ZERO;
        return HostLock.hold(lockFile(relative), wait).orElseThrow(() -> new SwarmException(SwarmException.Kind.UNAVAILABLE, "another write of "
                + path + " (or of a file sharing its lock) is in progress" + (wait.isZero() ? "" : " after " + wait.toSeconds() + " s")
                + ": its writer may be paused or waiting for the store; retry"));
    }

    /** The path of the project's file, relative to the root; refused outside it. */
    private Path relative(Resource path) {
        Path target = root.resolve(path.text()).normalize();
        if (!target.startsWith(root) || target.equals(root)) {
            throw SwarmException.badInput("not a file of the project: " + path);
        }
        return root.relativize(target);
    }

    /** The file of the lock that holds the project's file {@code relative} (shared with the paths that hash alike). */
    private Path lockFile(Path relative) {
        return root.resolve(".swarm").resolve("fenced-writes").resolve(Math.floorMod(relative.toString().hashCode(), TURNS) + ".lock");
    }

    /** The target's directory, opened from the root one component at a time, refusing links. */
    private SecureDirectoryStream<Path> openDirectory(Resource path, Path relative) {
        SecureDirectoryStream<Path> directory;
        try {
            DirectoryStream<Path> opened = Files.newDirectoryStream(root);
            if (!(opened instanceof SecureDirectoryStream<Path> secure)) {
                opened.close();
                throw new SwarmException(SwarmException.Kind.INTERNAL, "this file system cannot open directories safely: no fenced writes here");
            }
            directory = secure;
        } catch (IOException e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot open the project " + root + ": " + e.getMessage(), e);
        }
        Path walked = Path.of("");
        for (int i = 0; i < relative.getNameCount() - 1; i++) {
            Path component = relative.getName(i);
            walked = walked.resolve(component);
            try (SecureDirectoryStream<Path> parent = directory) {
                directory = parent.newDirectoryStream(component, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException | NotDirectoryException e) {
                throw SwarmException.badInput("no directory " + walked + " for " + path);
            } catch (FileSystemException e) { // ELOOP: the component is a link
                throw SwarmException.badInput(path + " is outside the project or goes through a link (" + walked + ")");
            } catch (IOException e) {
                throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot open " + walked + ": " + e.getMessage(), e);
            }
        }
        return directory;
    }

    private static Optional<PosixFileAttributes> attributes(SecureDirectoryStream<Path> directory, Path name) throws IOException {
        try {
            return Optional.of(directory.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes());
        } catch (NoSuchFileException absent) {
            return Optional.empty();
        }
    }

    /** A name beside {@code name}, hidden, naming this process (so leftovers of a dead one can be told apart). */
    private static Path sibling(Path name, String suffix) {
        return Path.of("." + name + "." + ProcessHandle.current().pid() + "." + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt())
                + suffix);
    }

    /**
     * What writers killed mid-write left in this directory: their drafts are removed; a kept old
     * file means its writer died before its transaction ended (its client was never answered),
     * perhaps with its content already in place: the old file is put back, holding that file
     * (without waiting: a writer holding it puts it back itself), unless it is still the file.
     */
    private void recoverLeftovers(SecureDirectoryStream<Path> directory, Path relativeDirectory) {
        for (Path entry : directory) {
            String name = entry.getFileName().toString();
            String suffix = name.endsWith(DRAFT) ? DRAFT : name.endsWith(PREVIOUS) ? PREVIOUS : null;
            String writer = suffix == null || !name.startsWith(".") ? null : name.substring(0, name.length() - suffix.length());
            if (writer == null || !writerGone(writer)) {
                continue;
            }
            if (suffix.equals(DRAFT)) {
                deleteQuietly(directory, entry.getFileName());
                continue;
            }
            Path file = Path.of(writer.substring(1, writer.lastIndexOf('.', writer.lastIndexOf('.') - 1)));
            Path relativeFile = relativeDirectory == null ? file : relativeDirectory.resolve(file);
            HostLock.hold(lockFile(relativeFile), Duration.ZERO).ifPresent(held -> {
                try (held) {
                    putBack(directory, entry.getFileName(), file);
                }
            });
        }
    }

    /** Renames the kept old file over {@code file} unless it is that file still (its writer died before its rename). */
    private void putBack(SecureDirectoryStream<Path> directory, Path kept, Path file) {
        try {
            Optional<PosixFileAttributes> current = attributes(directory, file);
            Optional<PosixFileAttributes> old = attributes(directory, kept);
            if (old.isEmpty()) {
                return; // another writer put it back or removed it meanwhile
            }
            if (current.isPresent() && current.get().fileKey().equals(old.get().fileKey())) {
                directory.deleteFile(kept);
            } else {
                directory.move(kept, directory, file);
            }
        } catch (IOException leftForTheNextWriter) {
            // the next write in this directory tries again
        }
    }

    /** Whether the writer the name (".NAME.PID.RANDOM" without its suffix) names has ended. */
    private static boolean writerGone(String name) {
        String[] parts = name.split("\\.");
        if (parts.length < 4) {
            return false;
        }
        try {
            return ProcessHandle.of(Long.parseLong(parts[parts.length - 2])).isEmpty();
        } catch (NumberFormatException notOurs) {
            return false;
        }
    }

    private static void deleteQuietly(SecureDirectoryStream<Path> directory, Path name) {
        try {
            directory.deleteFile(name);
        } catch (IOException alreadyGone) {
            // a leftover another writer removed first, or one a later write removes
        }
    }

    private static void closeDirectory(SecureDirectoryStream<Path> directory) {
        try {
            directory.close();
        } catch (IOException ignored) {
            // a directory handle: nothing was written through it
        }
    }

    /**
     * The draft, until it is renamed over the target; then the target, with its old file and a
     * second name of the new content kept until the transaction that put it in place ends, so
     * that taking it back is renames only (it needs no space: the disk may be full).
     */
    private static final class Staged implements Fencing.StagedWrite, Tx.OutsideEffect {
        private final SecureDirectoryStream<Path> directory;
        private final HostLock.Held turn;
        private final Path target;
        private final Path name;
        private final Path draft;
        private final long size;
        private Path previous;
        private Path spare;
        private boolean enlisted;
        private boolean inPlace;
        private boolean closed;

        Staged(SecureDirectoryStream<Path> directory, HostLock.Held turn, Path target, Path name, Path draft, long size) {
            this.directory = directory;
            this.turn = turn;
            this.target = target;
            this.name = name;
            this.draft = draft;
            this.size = size;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public void putInPlace(Tx tx) {
            if (enlisted) {
                return; // joined a transaction that put it in place already
            }
            tx.enlist(this);
            enlisted = true;
            try {
                if (attributes(directory, name).isPresent()) { // now, under the store's lock: another write may have made it since staging
                    previous = sibling(name, PREVIOUS);
                    link(name, previous);
                }
                forget(spare); // a second name left by a try that failed before its rename
                spare = sibling(name, DRAFT);
                link(draft, spare);
                directory.move(draft, directory, name);
                inPlace = true;
                flushDirectory();
            } catch (IOException e) {
                throw failure("put " + target + " in place", e);
            }
        }

        /**
         * A second name for a file of the directory, checked in the opened directory to be that
         * file: the link is made by path (Java has no link in an opened directory), so a
         * directory swapped for another meanwhile fails the write instead of keeping a stranger.
         */
        private void link(Path existing, Path secondName) throws IOException {
            Path linked = target.getParent().resolve(secondName);
            Files.createLink(linked, target.getParent().resolve(existing));
            boolean same;
            try {
                same = fileKey(secondName).equals(fileKey(existing));
            } catch (NoSuchFileException elsewhere) {
                same = false;
            }
            if (!same) {
                Files.deleteIfExists(linked); // the name this write just made, wherever the path led
                throw new IOException("the directory " + target.getParent() + " was replaced during the write");
            }
        }

        private Object fileKey(Path entry) throws IOException {
            return directory.getFileAttributeView(entry, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes().fileKey();
        }

        @Override
        public void settle(boolean committed) {
            enlisted = false;
            try {
                if (inPlace && !committed) {
                    takeBack();
                }
            } catch (IOException e) {
                throw failure("take back the write of " + target, e);
            } finally {
                inPlace = false;
                forget(previous);
                previous = null;
                if (spare != null && (committed || closed)) {
                    forget(spare);
                    spare = null;
                }
                if (closed) {
                    end();
                }
            }
        }

        /** Puts the old file back in one rename (or removes the new one); the new content becomes the draft again, for a rerun. */
        private void takeBack() throws IOException {
            if (previous != null) {
                directory.move(previous, directory, name);
                previous = null;
            } else {
                directory.deleteFile(name);
            }
            if (!closed) {
                directory.move(spare, directory, draft);
                spare = null;
            }
            flushDirectory();
        }

        private void forget(Path kept) {
            if (kept != null) {
                deleteQuietly(directory, kept);
            }
        }

        private void flushDirectory() throws IOException {
            try (FileChannel channel = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
                channel.force(true); // the rename itself reaches the disk
            }
        }

        @Override
        public void close() {
            closed = true;
            if (!enlisted) {
                deleteQuietly(directory, draft);
                forget(spare);
                end();
            }
        }

        /** Done with the file: its directory closed, the file left to the next writer. */
        private void end() {
            closeDirectory(directory);
            turn.close();
        }
    }

    private static SwarmException failure(String step, IOException e) {
        return SwarmException.ofFileFailure(step, "the file was left as it was", e);
    }
}
