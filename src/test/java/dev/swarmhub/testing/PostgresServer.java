package dev.swarmhub.testing;

import dev.swarmhub.store.PostgresAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A throw-away PostgreSQL cluster for the tests of this JVM, started on first use on a free
 * loopback port in a temporary directory, with a password (scram-sha-256), and removed when the
 * JVM ends. PostgreSQL refuses to run as root, and tests may run as root (CI does): then the
 * cluster runs as the {@code postgres} user. Each caller gets a database of its own.
 */
public final class PostgresServer {

    private static PostgresServer shared;

    private final Path directory;
    private final Path bin;
    private final int port;
    private final String password = "swarm-" + UUID.randomUUID();
    private final AtomicInteger databases = new AtomicInteger();
    private final AtomicInteger users = new AtomicInteger();

    private PostgresServer(Path bin, Path directory, int port) {
        this.bin = bin;
        this.directory = directory;
        this.port = port;
    }

    /** The JVM's cluster, started on first use. */
    public static synchronized PostgresServer shared() {
        if (shared == null) {
            shared = start();
            PostgresServer started = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "stop the test PostgreSQL"));
        }
        return shared;
    }

    private static PostgresServer start() {
        try {
            Path bin = binaries();
            Path directory = Files.createTempDirectory("swarm-postgres");
            PostgresServer server = new PostgresServer(bin, directory, freePort());
            server.initAndStart();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The newest installed PostgreSQL's programs (Debian: /usr/lib/postgresql/N/bin). */
    private static Path binaries() throws IOException {
        Path versions = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(versions)) {
            throw new IllegalStateException("PostgreSQL is not installed (apt-get install postgresql; .ci/run does)");
        }
        try (Stream<Path> installed = Files.list(versions)) {
            return installed.map(version -> version.resolve("bin")).filter(bin -> Files.isExecutable(bin.resolve("postgres")))
                    .max(Comparator.comparingInt(bin -> Integer.parseInt(bin.getParent().getFileName().toString().replaceAll("\\D", "0"))))
                    .orElseThrow(() -> new IllegalStateException("no PostgreSQL server under " + versions));
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    private void initAndStart() throws IOException {
        Path passwordFile = directory.resolve("password");
        Files.writeString(passwordFile, password + "\n");
        if (root()) {
            run(List.of("chown", "-R", "postgres:postgres", directory.toString()));
        }
        asServerUser(bin.resolve("initdb"), "-D", directory.resolve("data").toString(), "-U", "swarm", "--pwfile=" + passwordFile,
                "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync");
        asServerUser(bin.resolve("pg_ctl"), "-D", directory.resolve("data").toString(), "-l", directory.resolve("log").toString(), "-w",
                "-t", "120", "-o", "-c listen_addresses=127.0.0.1 -p " + port + " -k " + directory
                        + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
                "start");
    }

    private void asServerUser(Path program, String... arguments) {
        List<String> command = new ArrayList<>();
        if (root()) {
            command.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        command.add(program.toString());
        command.addAll(List.of(arguments));
        run(command);
    }

    private void run(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(180, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed:\n" + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void stop() {
        try {
            asServerUser(bin.resolve("pg_ctl"), "-D", directory.resolve("data").toString(), "-m", "immediate", "stop");
        } finally {
            run(List.of("rm", "-rf", directory.toString()));
        }
    }

    /** A new, empty database of the cluster: the address a store opens, password included. */
    public String newDatabase() {
        String name = "swarm_" + ProcessHandle.current().pid() + "_" + databases.incrementAndGet();
        try (Connection connection = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "swarm", password);
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create a test database", e);
        }
        return "postgresql://swarm:" + password + "@127.0.0.1:" + port + "/" + name;
    }

    /**
     * A new user that may log in to {@code database} (an address {@link #newDatabase} gave) and do
     * nothing else there, not even create tables; the address of the database as that user.
     */
    public String newUser(String database) {
        String user = "user_" + ProcessHandle.current().pid() + "_" + users.incrementAndGet();
        asOwner(database, "CREATE ROLE " + user + " LOGIN PASSWORD '" + password + "'");
        asOwner(database, "REVOKE CREATE ON SCHEMA public FROM PUBLIC"); // PostgreSQL 15's default; older ones granted it
        return database.replace("postgresql://swarm:", "postgresql://" + user + ":");
    }

    /** Runs the statement in {@code database} (an address {@link #newDatabase} gave) as its owner. */
    public void asOwner(String database, String sql) {
        PostgresAddress owner = PostgresAddress.parse(database, null, Map.of());
        try (Connection connection = DriverManager.getConnection(owner.jdbcUrl(), owner.user(), owner.password());
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot run " + sql, e);
        }
    }

    /** The address of a new database, parsed. */
    public PostgresAddress newAddress() {
        return PostgresAddress.parse(newDatabase(), null, Map.of());
    }
}
