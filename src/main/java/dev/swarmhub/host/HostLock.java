package dev.swarmhub.host;

import dev.swarmhub.kernel.SwarmException;
import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.FileLockInterruptionException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An exclusive lock shared by the threads and processes of this host: this JVM's turn, then a
 * POSIX lock on a private file (a process's file locks do not exclude its own threads, and two
 * channels of one process on the file must not meet, so only the turn's holder opens it).
 * Reentrant for the thread that took it; released by whichever thread closes the last hold (a
 * store may settle a transaction on another thread). A killed process's lock goes with it; a
 * paused one's stays until it resumes or ends.
 */
final class HostLock {

    /** Polls between tries while another process holds the file: POSIX has no lock wait with a limit. */
    private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final Map<Path, HostLock> LOCKS = new ConcurrentHashMap<>();

    private final Path lockFile;
    /** Guards the turn; not a monitor: a virtual thread waiting on one would pin its carrier on JDK 21. */
    private final ReentrantLock guard = new ReentrantLock();
    private final Condition released = guard.newCondition();
    private Thread owner;
    private int holds;
    private FileChannel channel;

    private HostLock(Path lockFile) {
        this.lockFile = lockFile;
    }

    /** A hold of the lock, until closed. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Takes the lock of {@code lockFile} (created 0600 in a 0700 directory), waiting up to
     * {@code wait}; empty when another thread or process held it all that time.
     */
    static Optional<Held> hold(Path lockFile, Duration wait) {
        Path key = lockFile.toAbsolutePath().normalize();
        return LOCKS.computeIfAbsent(key, HostLock::new).take(System.nanoTime() + wait.toNanos());
    }

    private Optional<Held> take(long deadline) {
        guard.lock();
        try {
            while (holds > 0 && owner != Thread.currentThread()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return Optional.empty();
                }
                try {
                    released.awaitNanos(left);
                } catch (InterruptedException e) {
                    throw interrupted();
                }
            }
            holds++;
            if (holds > 1) {
                return Optional.of(this::release); // this thread holds the file's lock already
            }
            owner = Thread.currentThread();
        } finally {
            guard.unlock();
        }
        FileChannel opened = null;
        try {
            opened = open();
            if (waitForFile(opened, deadline) != null) {
                guard.lock();
                try {
                    channel = opened;
                } finally {
                    guard.unlock();
                }
                return Optional.of(this::release);
            }
            opened.close();
            release();
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            closeQuietly(opened);
            release();
            if (e instanceof FileLockInterruptionException || e instanceof ClosedByInterruptException) {
                throw interrupted(); // the waiting request ended (its client left, the hub stops)
            }
            throw e instanceof SwarmException refused ? refused
                    : new SwarmException(SwarmException.Kind.INTERNAL, "cannot lock " + lockFile + ": " + e.getMessage(), e);
        }
    }

    private void release() {
        guard.lock();
        try {
            if (--holds == 0) {
                closeQuietly(channel); // releases the file's lock
                channel = null;
                owner = null;
                released.signalAll();
            }
        } finally {
            guard.unlock();
        }
    }

    private FileChannel open() throws IOException {
        Files.createDirectories(lockFile.getParent(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        return FileChannel.open(lockFile, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }

    private FileLock waitForFile(FileChannel opened, long deadline) throws IOException {
        for (FileLock lock = opened.tryLock(); ; lock = opened.tryLock()) {
            long left = deadline - System.nanoTime();
            if (lock != null || left <= 0) {
                return lock;
            }
            LockSupport.parkNanos(Math.min(RETRY_NANOS, left));
            if (Thread.interrupted()) {
                throw interrupted();
            }
        }
    }

    private static void closeQuietly(FileChannel opened) {
        if (opened != null) {
            try {
                opened.close();
            } catch (IOException ignored) {
                // closing a descriptor ends its locks whatever close reports
            }
        }
    }

    private SwarmException interrupted() {
        Thread.currentThread().interrupt();
        return new SwarmException(SwarmException.Kind.UNAVAILABLE, "interrupted while waiting for the lock " + lockFile);
    }
}
