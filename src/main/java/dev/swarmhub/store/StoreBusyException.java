package dev.swarmhub.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Another process held the database's write lock for longer than the busy timeout. Not a
 * failure of the store: the caller may retry once the holder is done, so it gets its own kind
 * (exit 1, HTTP 503) and a message naming the holder when the system tells (Linux lists POSIX
 * locks with their owner's pid in /proc/locks).
 */
public final class StoreBusyException extends StoreException {

    private static final int SQLITE_BUSY = 5;
    /** In WAL mode SQLite takes the write lock on this byte of the -shm file (WAL_WRITE_LOCK). */
    private static final long WAL_WRITE_LOCK_BYTE = 120;

    StoreBusyException(Path database, SQLException cause) {
        super(Kind.UNAVAILABLE, "the store " + database + " is locked: " + writeLockHolder(database).orElse("another process")
                + " has held its write lock for more than " + SqliteStore.BUSY_TIMEOUT_MS / 1000 + " s; retry when it is done", cause);
    }

    static boolean isBusy(SQLException failure) {
        return (failure.getErrorCode() & 0xFF) == SQLITE_BUSY;
    }

    /** "process 4242 (sqlite3)" for the process holding the write lock, when /proc/locks names it. */
    private static Optional<String> writeLockHolder(Path database) {
        try {
            Path sharedMemory = database.resolveSibling(database.getFileName() + "-shm");
            long inode = ((Number) Files.getAttribute(sharedMemory, "unix:ino")).longValue();
            long self = ProcessHandle.current().pid();
            for (String line : Files.readAllLines(Path.of("/proc/locks"), StandardCharsets.US_ASCII)) {
                // "1: POSIX  ADVISORY  WRITE 4242 08:01:1234567 120 120"
                String[] fields = line.trim().split("\\s+");
                if (fields.length < 8 || !fields[1].equals("POSIX") || !fields[3].equals("WRITE")) {
                    continue;
                }
                String[] device = fields[5].split(":");
                long pid = Long.parseLong(fields[4]);
                long end = fields[7].equals("EOF") ? Long.MAX_VALUE : Long.parseLong(fields[7]);
                if (device.length == 3 && Long.parseLong(device[2]) == inode && pid != self
                        && Long.parseLong(fields[6]) <= WAL_WRITE_LOCK_BYTE && WAL_WRITE_LOCK_BYTE <= end) {
                    return Optional.of("process " + pid + executableOf(pid));
                }
            }
        } catch (IOException | RuntimeException unknown) {
            // no /proc (not Linux) or no -shm file: the holder stays unnamed
        }
        return Optional.empty();
    }

    /**
     * The holder's executable name (/proc/<pid>/comm), never its command line: this message goes
     * to every HTTP and MCP caller, and a command line may carry a token ({@code swarm --token …}).
     */
    private static String executableOf(long pid) {
        try {
            String name = Files.readString(Path.of("/proc/" + pid + "/comm"), StandardCharsets.UTF_8).strip();
            return name.isEmpty() ? "" : " (" + name + ")";
        } catch (IOException gone) {
            return "";
        }
    }
}
