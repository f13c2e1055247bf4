package dev.swarmhub.testing;

import dev.swarmhub.kernel.Store;
import dev.swarmhub.store.PostgresAddress;
import dev.swarmhub.store.PrivateFiles;
import dev.swarmhub.store.SqliteStore;
import dev.swarmhub.store.Stores;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Map;
import org.flywaydb.core.Flyway;

/**
 * The one way tests open a project's store: through the production factory ({@link Stores}). The
 * system property {@value #STORE_PROPERTY} chooses the database under test: {@code sqlite} (the
 * default) or {@code postgresql}, where each project gets a new database of the test cluster
 * ({@link PostgresServer}), named in its {@code .swarm/config}: every process of the project,
 * hubs and CLI alike, then opens it.
 */
public final class TestStores {

    public static final String STORE_PROPERTY = "swarm.test.store";

    private TestStores() {
    }

    /** Whether this run's tests run on PostgreSQL. */
    public static boolean onPostgres() {
        return "postgresql".equals(System.getProperty(STORE_PROPERTY));
    }

    /** Makes the project use the database under test (nothing to do for SQLite, the default); idempotent. */
    public static void prepare(Path root) {
        if (!onPostgres()) {
            return;
        }
        Path config = root.resolve(".swarm").resolve(Stores.CONFIG_FILE);
        if (Files.exists(config)) {
            return;
        }
        try {
            PrivateFiles.directory(root.resolve(".swarm"));
            Files.writeString(PrivateFiles.file(config), "store = " + PostgresServer.shared().newDatabase() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The store of the project at {@code root} (created on first use), on the given clock. */
    public static Store open(Path root, InstantSource clock) {
        prepare(root);
        return Stores.open(root, Stores.Config.of(root, Map.of()).withClock(clock));
    }

    /** The store of the project at {@code root} on this machine's clock. */
    public static Store open(Path root) {
        return open(root, InstantSource.system());
    }

    /** For tests of the SQLite store's own behaviour (connections, files): the project's SQLite store itself. */
    public static SqliteStore sqlite(Path root, InstantSource clock) {
        return (SqliteStore) Stores.open(root, Stores.Config.defaults().withClock(clock));
    }

    public static SqliteStore sqlite(Path root) {
        return sqlite(root, InstantSource.system());
    }

    /** Migrates the project's store (made on first use) as a newer version of Swarmhub would: see {@link #migrateAhead(String, String, String)}. */
    public static String migrateAhead(Path root) {
        open(root).close();
        if (!onPostgres()) {
            return migrateAhead("jdbc:sqlite:" + root.resolve(".swarm").resolve("swarm.db"), null, null);
        }
        PostgresAddress address = PostgresAddress.parse(Stores.Config.of(root, Map.of()).database(), null, Map.of());
        return migrateAhead(address.jdbcUrl(), address.user(), address.password());
    }

    /**
     * Applies to the database, migrated to this code's schema, one migration more, as a newer
     * version of Swarmhub would (a table of its own); returns that migration's version.
     */
    public static String migrateAhead(String jdbcUrl, String user, String password) {
        String location = "classpath:db/migration/" + (jdbcUrl.startsWith("jdbc:sqlite:") ? "sqlite" : "postgresql");
        Flyway current = Flyway.configure().dataSource(jdbcUrl, user, password).locations(location).load();
        String newer = Integer.toString(Integer.parseInt(current.info().current().getVersion().getVersion()) + 1);
        try {
            Path migrations = Files.createTempDirectory("swarm-newer-schema");
            Path migration = Files.writeString(migrations.resolve("V" + newer + "__newer.sql"), "CREATE TABLE from_a_newer_version (id INTEGER PRIMARY KEY);\n");
            try {
                Flyway.configure().dataSource(jdbcUrl, user, password).locations(location, "filesystem:" + migrations).load().migrate();
            } finally {
                Files.delete(migration);
                Files.delete(migrations);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return newer;
    }

    /** A checkout of its own (as on another machine: {@code machine}/repo) whose store is {@code database}. */
    public static Path checkoutOn(Path machine, String database) throws IOException {
        Path checkout = Files.createDirectories(machine.resolve("repo"));
        Files.createDirectories(checkout.resolve(".git"));
        PrivateFiles.directory(checkout.resolve(".swarm"));
        Files.writeString(PrivateFiles.file(checkout.resolve(".swarm").resolve(Stores.CONFIG_FILE)), "store = " + database + "\n");
        return checkout;
    }
}
