package dev.swarmhub.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The project's {@code .swarm/} holds every private message, the tokens and the secret, so only
 * its owner may read it: the directory is 0700 and every file in it 0600, created so (never
 * loosened and fixed afterwards), whoever creates them. SQLite gives its -wal and -shm files the
 * database file's mode, so the database file is created here first.
 */
public final class PrivateFiles {

    private static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    /** What nobody but the owner may have. */
    private static final Set<PosixFilePermission> OTHERS = EnumSet.complementOf(EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE));

    private PrivateFiles() {
    }

    /**
     * Creates the directory 0700 (with missing parents). An existing one with another mode was
     * left by an older version (or loosened by hand): it and everything in it are tightened. A
     * private one is left alone, so this costs one stat on every use, not a walk.
     */
    public static Path directory(Path directory) throws IOException {
        Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(DIRECTORY));
        if (!Files.getPosixFilePermissions(directory, LinkOption.NOFOLLOW_LINKS).equals(DIRECTORY)) {
            tighten(directory);
        }
        return directory;
    }

    /** Creates the file empty and 0600; fails with {@link FileAlreadyExistsException} when it exists. */
    public static Path newFile(Path file) throws IOException {
        return Files.createFile(file, PosixFilePermissions.asFileAttribute(FILE));
    }

    /** Creates the file empty and 0600 unless it exists. */
    public static Path file(Path file) throws IOException {
        try {
            newFile(file);
        } catch (FileAlreadyExistsException alreadyThere) {
            // created before (by us, or by another process racing us): tighten() covers an old one
        }
        return file;
    }

    /** Opens the file for writing, creating it 0600 when missing. */
    public static FileChannel openForWriting(Path file) throws IOException {
        return FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(FILE));
    }

    /**
     * What under (and including) {@code directory} others than its owner may use: a directory or
     * file with any group or other permission. Links are not followed; what is inside
     * {@code notInside} (agents' git worktrees: the project's files, with the project's modes) is
     * not looked at. Only looks; {@link #makePrivate} changes one.
     */
    public static List<Path> notPrivate(Path directory, Path notInside) throws IOException {
        List<Path> loose = new ArrayList<>();
        Files.walkFileTree(directory, new WalkPastRemoved() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) throws IOException {
                if (isShared(dir)) {
                    loose.add(dir);
                }
                return dir.equals(notInside) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                if (!attributes.isSymbolicLink() && isShared(file)) {
                    loose.add(file);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return loose;
    }

    private static boolean isShared(Path path) throws IOException {
        try {
            return Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS).stream().anyMatch(OTHERS::contains);
        } catch (NoSuchFileException removedMeanwhile) {
            return false;
        }
    }

    /** Makes one path private: a directory 0700, anything else 0600 (a link is left alone). */
    public static void makePrivate(Path path) throws IOException {
        if (!Files.isSymbolicLink(path)) {
            Files.setPosixFilePermissions(path, Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS) ? DIRECTORY : FILE);
        }
    }

    /** The mode as chmod writes it (0644). */
    public static String mode(Path path) throws IOException {
        int mode = 0;
        for (PosixFilePermission permission : Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS)) {
            mode |= 0400 >> permission.ordinal(); // the enum lists owner, group, others, each read, write, execute
        }
        return String.format(Locale.ROOT, "%04o", mode);
    }

    /**
     * What older versions left looser: every directory under (and including) {@code directory}
     * becomes 0700, every other entry 0600. Symbolic links are not followed.
     */
    static void tighten(Path directory) throws IOException {
        Files.walkFileTree(directory, new WalkPastRemoved() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) throws IOException {
                Files.setPosixFilePermissions(dir, DIRECTORY);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                if (!attributes.isSymbolicLink()) {
                    try {
                        Files.setPosixFilePermissions(file, FILE);
                    } catch (NoSuchFileException removedMeanwhile) {
                        // another process removed it since the listing: SQLite's -wal and -shm, a draft of hub.json
                    }
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** A walk over a directory other processes change (the hub, SQLite): an entry removed between the listing and the look is passed over. */
    private abstract static class WalkPastRemoved extends SimpleFileVisitor<Path> {
        @Override
        public FileVisitResult visitFileFailed(Path file, IOException failure) throws IOException {
            if (failure instanceof NoSuchFileException) {
                return FileVisitResult.CONTINUE;
            }
            throw failure;
        }
    }
}
