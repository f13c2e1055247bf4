package dev.swarmhub.store;

import dev.swarmhub.kernel.SwarmException;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

/**
 * The one place a project's store is chosen: SQLite (the embedded store at
 * {@code <root>/.swarm/swarm.db}) by default, or a PostgreSQL database shared by several hubs,
 * named by {@code SWARM_STORE} or by {@code store} in {@code .swarm/config}. Everything above works
 * on {@link dev.swarmhub.kernel.Store}.
 */
public final class Stores {

    /** The project's local configuration file (0600: an address may hold a password). */
    public static final String CONFIG_FILE = "config";

    /**
     * Which database holds the project's state: {@link #SQLITE} or a PostgreSQL address; the file
     * holding its password (or null); the store clock (tests inject one; the system clock means
     * the database's own, for PostgreSQL); and the environment's {@code PGUSER} and {@code PGPASSWORD}.
     */
    public record Config(String database, Path passwordFile, InstantSource clock, Map<String, String> environment) {

        public static final String SQLITE = "sqlite";

        /** The embedded SQLite store on this machine's clock. */
        public static Config defaults() {
            return new Config(SQLITE, null, InstantSource.system(), Map.of());
        }

        /**
         * The project's choice: {@code SWARM_STORE} (and {@code SWARM_STORE_PASSWORD_FILE}), else
         * {@code store} (and {@code store.password-file}) in {@code .swarm/config}, else SQLite.
         */
        public static Config of(Path root, Map<String, String> environment) {
            String database = environment.get("SWARM_STORE");
            String passwordFile = environment.get("SWARM_STORE_PASSWORD_FILE");
            if (database == null || database.isBlank()) {
                Properties file = readConfig(root);
                database = file.getProperty("store", SQLITE).strip();
                passwordFile = passwordFile != null ? passwordFile : file.getProperty("store.password-file");
            }
            Map<String, String> credentials = new HashMap<>(environment);
            credentials.keySet().retainAll(PostgresAddress.ENVIRONMENT);
            return new Config(database, passwordFile == null || passwordFile.isBlank() ? null : Path.of(passwordFile.strip()),
                    InstantSource.system(), Map.copyOf(credentials));
        }

        public Config withClock(InstantSource clock) {
            return new Config(database, passwordFile, clock, environment);
        }

        /** Without the passwords: the address's, and the environment's. */
        @Override
        public String toString() {
            return "Config[database=" + PostgresAddress.redact(String.valueOf(database)) + ", passwordFile=" + passwordFile + ", clock=" + clock + "]";
        }
    }

    /**
     * Where the store's password may come from besides an address: {@code PGPASSWORD}, the files
     * named by {@code SWARM_STORE_PASSWORD_FILE} and by {@code PGPASSFILE} (read by the driver).
     */
    /** The variables that give the store's password (or where to read it): no process the hub starts gets them. */
    public static final Set<String> PASSWORD_VARIABLES = Set.of("PGPASSWORD", "SWARM_STORE_PASSWORD_FILE", "PGPASSFILE");

    private Stores() {
    }

    /**
     * The environment as the processes the hub starts get it: without the store's passwords.
     * {@code SWARM_STORE} stays, without its password: a command of theirs that opens the store
     * itself then fails to log in, rather than open another store (the project's SQLite one).
     */
    public static Map<String, String> withoutCredentials(Map<String, String> environment) {
        Map<String, String> without = new HashMap<>(environment);
        without.keySet().removeAll(PASSWORD_VARIABLES);
        without.computeIfPresent("SWARM_STORE", (name, database) -> PostgresAddress.withoutPassword(database));
        return without;
    }

    static Properties readConfig(Path root) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(root.resolve(".swarm").resolve(CONFIG_FILE), StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (NoSuchFileException none) {
            // nothing configured: the defaults
        } catch (IOException e) {
            throw new StoreException("cannot read " + root.resolve(".swarm").resolve(CONFIG_FILE), e);
        }
        return properties;
    }

    /** Whether {@code .swarm/config} already holds this choice of store and password file: choosing it again changes nothing. */
    public static boolean chosen(Path root, String database, Path passwordFile) {
        Properties properties = readConfig(root);
        return properties.getProperty("store", Config.SQLITE).strip().equals(database.strip())
                && Objects.equals(properties.getProperty("store.password-file"), passwordFile == null ? null : passwordFile.toAbsolutePath().toString());
    }

    /**
     * Keeps the project's choice of store in {@code .swarm/config} (0600) for every later process
     * of the project: {@code sqlite}, or a PostgreSQL address (checked here) and the file of its password.
     */
    public static void choose(Path root, String database, Path passwordFile) {
        String chosen = database.strip();
        if (PostgresAddress.isAddress(chosen)) {
            PostgresAddress.parse(chosen, passwordFile, Map.of());
        } else if (!chosen.equalsIgnoreCase(Config.SQLITE)) {
            throw SwarmException.badInput("unknown store '" + PostgresAddress.redact(chosen) + "' (known: sqlite, or postgresql://user@host:port/database)");
        }
        Properties properties = readConfig(root);
        properties.setProperty("store", chosen);
        if (passwordFile != null) {
            properties.setProperty("store.password-file", passwordFile.toAbsolutePath().toString());
        } else {
            properties.remove("store.password-file");
        }
        Path directory = root.resolve(".swarm");
        try {
            stateDirectory(root);
            Path draft = Files.createTempFile(directory, "config", ".draft"); // 0600
            try {
                try (Writer writer = Files.newBufferedWriter(draft, StandardCharsets.UTF_8)) {
                    properties.store(writer, "Swarmhub: this project's local settings");
                }
                Files.move(draft, directory.resolve(CONFIG_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(draft); // left only by a failure: the configuration stays as it was
            }
        } catch (IOException e) {
            throw new StoreException("cannot write " + directory.resolve(CONFIG_FILE), e);
        }
    }

    /** Opens (creating and migrating on first use) the store of the project at {@code root}. */
    public static dev.swarmhub.kernel.Store open(Path root, Config config) {
        try {
            stateDirectory(root); // whichever the store: hub.json, tokens and logs live there
        } catch (IOException e) {
            throw new StoreException("cannot create " + root.resolve(".swarm"), e);
        }
        String database = config.database() == null ? Config.SQLITE : config.database();
        if (PostgresAddress.isAddress(database)) {
            PostgresAddress address = PostgresAddress.parse(database, config.passwordFile(), config.environment());
            return PostgresStore.open(address, config.clock() == InstantSource.system() ? null : config.clock());
        }
        return SqliteStore.open(sqliteFile(root, config).orElseThrow(), config.clock());
    }

    /** The project's SQLite database file; empty when its store is PostgreSQL (refused when it names neither). */
    public static Optional<Path> sqliteFile(Path root, Config config) {
        String database = config.database() == null ? Config.SQLITE : config.database();
        if (PostgresAddress.isAddress(database)) {
            return Optional.empty();
        }
        if (database.toLowerCase(Locale.ROOT).equals(Config.SQLITE)) {
            return Optional.of(SqliteFiles.database(root));
        }
        throw SwarmException.badInput("unknown store '" + PostgresAddress.redact(database)
                + "' (known: sqlite, or postgresql://user@host:port/database)");
    }

    /**
     * A look at a PostgreSQL store that changes nothing (neither migrating nor creating anything):
     * reachable within a few seconds, and its schema version. For SQLite: {@link SqliteFiles#inspect}.
     */
    public static StoreInspection inspectPostgres(Config config) {
        return PostgresStore.inspect(PostgresAddress.parse(config.database(), config.passwordFile(), config.environment()));
    }

    /** The project's .swarm directory (0700), with a .gitignore made on first use that keeps all of it out of git. */
    private static void stateDirectory(Path root) throws IOException {
        Path directory = PrivateFiles.directory(root.resolve(".swarm"));
        try {
            Files.writeString(PrivateFiles.newFile(directory.resolve(".gitignore")), "# Swarmhub's local state: never commit it\n*\n",
                    StandardCharsets.UTF_8);
        } catch (FileAlreadyExistsException alreadyThere) {
            // made before, or by another process just now: the same content
        }
    }
}
