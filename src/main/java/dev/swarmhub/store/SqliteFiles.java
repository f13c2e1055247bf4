package dev.swarmhub.store;

import dev.swarmhub.kernel.SwarmException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.flywaydb.core.api.MigrationVersion;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;
import org.sqlite.SQLiteOpenMode;

/**
 * A SQLite store's database as a file, never opened as the project's store (which would create,
 * migrate or tighten things): looked at read-only (swarm doctor, restore's check), copied as one
 * consistent snapshot while a hub writes to it (swarm backup), and put in place of the project's
 * (swarm restore).
 */
public final class SqliteFiles {

    /** Every SQLite database file starts with these 16 bytes. */
    private static final byte[] HEADER = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);
    /** The header's read and write format bytes (offsets 18, 19) are 2 in WAL mode. */
    private static final int WAL_FORMAT = 2;
    /** Problems a check lists at most: the first ones say what to do as well as all would. */
    private static final int MOST_PROBLEMS = 20;
    /** How long restore waits for another process to let go of the store it replaces before refusing. */
    private static final int RESTORE_WAIT_MS = 2_000;
    private static final DateTimeFormatter SIDE_STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT).withZone(ZoneOffset.UTC);

    private SqliteFiles() {
    }

    /** The project's database file (whichever store the project chose: see {@link Stores#sqliteFile}). */
    static Path database(Path root) {
        return root.resolve(".swarm").resolve("swarm.db");
    }

    public static Path wal(Path database) {
        return database.resolveSibling(database.getFileName() + "-wal");
    }

    public static Path shm(Path database) {
        return database.resolveSibling(database.getFileName() + "-shm");
    }

    /**
     * Looks at the database without changing it: SQLite's quick_check, or its slower
     * integrity_check ({@code thorough}, which also compares every index with its table), and the
     * schema version its history records. A file SQLite cannot read at all is a problem too.
     */
    public static StoreInspection inspect(Path database, boolean thorough) {
        if (!Files.isRegularFile(database)) {
            throw SwarmException.badInput("no database file at " + database);
        }
        long walBytes = sizeOrZero(wal(database));
        List<String> problems = new ArrayList<>();
        Optional<MigrationVersion> applied = Optional.empty();
        try (Connection connection = openReadOnly(database); Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA busy_timeout = " + SqliteStore.BUSY_TIMEOUT_MS);
            try (ResultSet rows = statement.executeQuery("PRAGMA " + (thorough ? "integrity_check" : "quick_check") + "(" + MOST_PROBLEMS + ")")) {
                while (rows.next()) {
                    if (!"ok".equals(rows.getString(1))) {
                        problems.add(rows.getString(1));
                    }
                }
            }
            if (problems.isEmpty()) {
                applied = schemaHistory(connection);
            }
        } catch (SQLException unreadable) {
            problems.add(unreadable.getMessage()); // not a database, or damaged beyond checking
        }
        return new StoreInspection(database.toString(), List.copyOf(problems), applied.map(MigrationVersion::getVersion),
                SqliteStore.SCHEMA_VERSION, StoreInspection.compare(applied, SqliteStore.SCHEMA_VERSION), walBytes);
    }

    private static Optional<MigrationVersion> schemaHistory(Connection connection) throws SQLException {
        try {
            return SchemaVersion.newestApplied(connection);
        } catch (SQLException noHistory) {
            if (noHistory.getMessage() != null && noHistory.getMessage().contains("no such table")) {
                return Optional.empty();
            }
            throw noHistory;
        }
    }

    /**
     * Read-only. With no -wal or -shm beside it no process has the file open (the last one to close
     * it folds the log in and removes both), so all of it is in the file: it is opened immutable,
     * which leaves nothing behind (a read-only open of a WAL database creates a -shm and an empty
     * -wal that nobody removes). Otherwise as the store's processes open it, read-only.
     */
    private static Connection openReadOnly(Path database) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        boolean unopened = !Files.exists(wal(database)) && !Files.exists(shm(database));
        return DriverManager.getConnection(unopened ? "jdbc:sqlite:" + database.toUri() + "?immutable=1" : "jdbc:sqlite:" + database,
                config.toProperties());
    }

    /** As the store's processes open it, but never creating a missing file. */
    private static Connection openExisting(Path database) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.resetOpenMode(SQLiteOpenMode.CREATE);
        config.setBusyTimeout(SqliteStore.BUSY_TIMEOUT_MS);
        return DriverManager.getConnection("jdbc:sqlite:" + database, config.toProperties());
    }

    /**
     * Copies the database into {@code target} as one consistent snapshot while other processes (a
     * hub) go on writing. VACUUM INTO reads the whole database in one read transaction, which in
     * WAL mode neither waits for writers nor holds them up, and writes a compact standalone file.
     * (SQLite's backup API, which sqlite-jdbc's "backup to" runs a hundred pages per step, starts
     * over whenever another connection writes between two steps: under a busy hub it may never
     * end.) The copy goes into a 0600 draft beside the target, is flushed and checked, and only
     * then takes the target's name: a failure leaves no partial file there, and an existing
     * target is replaced only when {@code replace}. Returns the check of the copy.
     */
    public static StoreInspection backup(Path database, Path target, boolean replace) {
        if (!Files.isRegularFile(database)) {
            throw SwarmException.badInput("no store to back up: " + database + " does not exist (no command has used this project yet)");
        }
        refuseStoreFiles(database, target);
        if (Files.exists(target) && !replace) {
            throw SwarmException.badInput(target + " exists: pass --force to replace it");
        }
        if (!Files.isDirectory(target.getParent())) {
            throw SwarmException.badInput("cannot write " + target + ": " + target.getParent() + " is not a directory");
        }
        Path draft = null;
        try {
            draft = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".draft"); // 0600, empty: VACUUM INTO fills it
            try (Connection connection = openExisting(database); PreparedStatement vacuum = connection.prepareStatement("VACUUM INTO ?")) {
                vacuum.setString(1, draft.toString());
                vacuum.execute();
            }
            flush(draft);
            StoreInspection copy = inspect(draft, true);
            if (!copy.intact() || copy.schema() == StoreInspection.Schema.NONE) {
                throw new StoreException("the copy of " + database + " failed its check (" + (copy.intact() ? "no schema history"
                        : String.join("; ", copy.problems())) + "): nothing was written to " + target
                        + "; swarm doctor checks the store itself", null);
            }
            if (replace) {
                Files.move(draft, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.createLink(target, draft); // fails, atomically, when the target appeared meanwhile
            }
            flush(target.getParent());
            return new StoreInspection(target.toString(), copy.problems(), copy.schemaVersion(), copy.codeSchemaVersion(), copy.schema(), 0);
        } catch (FileAlreadyExistsException appeared) {
            throw SwarmException.badInput(target + " exists: pass --force to replace it");
        } catch (SQLException e) {
            throw new StoreException("cannot copy " + database + " to " + target, e);
        } catch (IOException e) {
            throw new StoreException("cannot write " + target, e);
        } finally {
            deleteQuietly(draft); // moved or linked by now, or a failure's leftover
        }
    }

    /**
     * Puts the file {@code from} in place of the database, once a copy of it proved an intact
     * Swarmhub store this code can open (integrity_check, a schema history no newer than this
     * code's). The caller keeps hubs out meanwhile. The database it replaces is kept beside it as
     * {@code NAME.replaced-TIME} (returned; empty when there was none), whole: leaving WAL mode,
     * which SQLite allows only to the one connection of the file, folds its log into it, and
     * refuses while another process has it open; an exclusive transaction then holds new openers
     * off until the new file is in place. A database SQLite cannot read (the corrupt store being
     * replaced) is kept as files, its -wal beside it. The stale -wal and -shm go before the
     * rename: SQLite would replay an old log into the new file.
     */
    public static Optional<Path> restore(Path database, Path from) {
        checkRestorable(database, from);
        Path draft = null;
        Connection holder = null;
        try {
            Path directory = PrivateFiles.directory(database.getParent());
            draft = Files.createTempFile(directory, database.getFileName() + ".", ".restoring"); // 0600
            try (InputStream in = Files.newInputStream(from); FileChannel out = FileChannel.open(draft, StandardOpenOption.WRITE)) {
                in.transferTo(Channels.newOutputStream(out));
                out.force(true);
            }
            StoreInspection checked = inspect(draft, true); // the copy: what is checked is what goes in place
            refuseUnrestorable(from, checked);
            boolean whole = false;
            if (Files.exists(database)) {
                holder = takeFromOtherProcesses(database);
                whole = holder != null;
            }
            Optional<Path> side = Files.exists(database) ? Optional.of(keepBeside(database, whole)) : Optional.empty();
            Files.deleteIfExists(wal(database));
            Files.deleteIfExists(shm(database));
            Files.move(draft, database, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            flush(directory);
            return side;
        } catch (IOException e) {
            throw new StoreException("cannot restore " + from + " to " + database, e);
        } finally {
            deleteQuietly(draft);
            if (holder != null) {
                try {
                    holder.close(); // ends the exclusive transaction on the replaced file (now the side copy): nothing was written in it
                } catch (SQLException ignored) {
                    // its locks go with the handle
                }
            }
        }
    }

    private static void checkRestorable(Path database, Path from) {
        if (!Files.isRegularFile(from)) {
            throw SwarmException.badInput(from + " is not a file");
        }
        refuseStoreFiles(database, from);
        byte[] header;
        try (InputStream in = Files.newInputStream(from)) {
            header = in.readNBytes(100);
        } catch (IOException e) {
            throw SwarmException.badInput("cannot read " + from + ": " + e.getMessage());
        }
        if (header.length < 100 || !Arrays.equals(header, 0, HEADER.length, HEADER, 0, HEADER.length)) {
            throw SwarmException.badInput(from + " is not a SQLite database (a backup made by swarm backup is one): nothing was changed");
        }
        if (header[18] == WAL_FORMAT && sizeOrZero(wal(from)) > 0) {
            throw SwarmException.badInput(from + " has a write-ahead log beside it (" + wal(from) + "): it is a database in use or a copy of"
                    + " one, not a backup; make one with swarm backup FILE. Nothing was changed");
        }
    }

    private static void refuseUnrestorable(Path from, StoreInspection checked) {
        if (!checked.intact()) {
            throw SwarmException.badInput(from + " fails SQLite's integrity check (" + String.join("; ", checked.problems())
                    + "): nothing was changed");
        }
        if (checked.schema() == StoreInspection.Schema.NONE) {
            throw SwarmException.badInput(from + " is a SQLite database but not a Swarmhub store (it has no schema history): nothing was changed");
        }
        if (checked.schema() == StoreInspection.Schema.NEWER) {
            throw SwarmException.badInput(from + " has schema version " + checked.schemaVersion().orElseThrow() + ", newer than this swarm's "
                    + checked.codeSchemaVersion() + ": upgrade swarm first. Nothing was changed");
        }
    }

    /**
     * The database's only connection, in an exclusive transaction on it with its log folded in
     * (see {@link #restore}); null when SQLite cannot read it. Refuses while another process has it open.
     */
    private static Connection takeFromOtherProcesses(Path database) {
        Connection connection = null;
        boolean alone;
        try {
            connection = openExisting(database);
            try (Statement statement = connection.createStatement()) {
                statement.execute("PRAGMA busy_timeout = " + RESTORE_WAIT_MS);
                try (ResultSet mode = statement.executeQuery("PRAGMA journal_mode = DELETE")) {
                    alone = mode.next() && mode.getString(1).equalsIgnoreCase("delete");
                }
                if (alone) {
                    statement.execute("BEGIN EXCLUSIVE");
                    return connection;
                }
            }
        } catch (SQLException e) {
            alone = !(e instanceof SQLiteException sqlite && (sqlite.getResultCode() == SQLiteErrorCode.SQLITE_BUSY
                    || sqlite.getResultCode() == SQLiteErrorCode.SQLITE_LOCKED));
            if (alone) {
                closeQuietly(connection);
                return null; // unreadable: replaced as files
            }
        }
        closeQuietly(connection);
        throw SwarmException.denied("another process has the store " + database + " open (a command run with --no-hub, the commit guard,"
                + " a client's hook): nothing was changed; try again once it has finished");
    }

    /** A second name for the database being replaced (and for its -wal, unless its log is folded in): {@code NAME.replaced-TIME}. */
    private static Path keepBeside(Path database, boolean whole) throws IOException {
        String stamp = SIDE_STAMP.format(Instant.now());
        for (int attempt = 0; ; attempt++) {
            Path side = database.resolveSibling(database.getFileName() + ".replaced-" + stamp + (attempt == 0 ? "" : "-" + attempt));
            try {
                Files.createLink(side, database);
            } catch (FileAlreadyExistsException taken) {
                continue; // a restore in the same second
            }
            if (!whole && sizeOrZero(wal(database)) > 0) {
                Files.createLink(wal(side), wal(database)); // SQLite pairs a log with its database by name
            }
            return side;
        }
    }

    /** Backing up onto the store, its log or its shared memory, or restoring from them, would destroy what is copied. */
    private static void refuseStoreFiles(Path database, Path named) {
        Path given = realParent(named);
        Path store = realParent(database);
        for (Path file : List.of(store, wal(store), shm(store))) {
            if (given.equals(file)) {
                throw SwarmException.badInput(named + " is the project's store itself (or its -wal or -shm): name another file");
            }
        }
    }

    /** The path with its directory's links resolved (the file itself may not exist yet). */
    private static Path realParent(Path file) {
        Path absolute = file.toAbsolutePath().normalize();
        try {
            return absolute.getParent().toRealPath().resolve(absolute.getFileName());
        } catch (IOException noSuchDirectory) {
            return absolute;
        }
    }

    /** Makes what was written to the file, or a rename in the directory, reach the disk. */
    private static void flush(Path fileOrDirectory) throws IOException {
        try (FileChannel channel = FileChannel.open(fileOrDirectory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private static long sizeOrZero(Path file) {
        try {
            return Files.size(file);
        } catch (IOException absent) {
            return 0;
        }
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a draft left beside the target; it is named as one
            }
        }
    }

    private static void closeQuietly(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // nothing was written through it
            }
        }
    }
}
