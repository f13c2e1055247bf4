package dev.swarmhub.faults;

import dev.swarmhub.leases.Leases;
import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.testing.HubProcess;
import dev.swarmhub.testing.PostgresServer;
import dev.swarmhub.testing.TestStores;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The hubs of a fault run as real processes: one on SQLite, or several on one throw-away
 * PostgreSQL database, each with its own checkout (as on separate machines) and a fixed port that
 * a restart keeps, so the clients' proxies reach it again. A checkout may live on a small tmpfs of
 * its own (the full-disk fault fills it) and a hub may run with the slow-fsync shim preloaded
 * (its control file sets the delay).
 */
final class FaultHubs implements AutoCloseable {

    /** The hubs' JVM options: with the test switch that breaks acquires when the run is asked to. */
    private final List<String> hubOptions;

    /** Room on a checkout's tmpfs: the store, its WAL and the hub's logs of a few minutes fit many times over. */
    static final String TMPFS_SIZE = "96m";
    private static final String FILLER = "filler";

    /** One hub: its checkout, its port, its process while one runs. */
    static final class Hub {
        final String name;
        final Path checkout;
        final int port;
        final Path slowDiskControl;
        HubProcess process;
        boolean paused;

        Hub(String name, Path checkout, int port, Path slowDiskControl) {
            this.name = name;
            this.checkout = checkout;
            this.port = port;
            this.slowDiskControl = slowDiskControl;
        }

        String url() {
            return "http://127.0.0.1:" + port + "/api/v1";
        }

        String operatorToken() {
            return OperatorToken.readOrCreate(checkout);
        }

        boolean running() {
            return process != null && process.process().isAlive();
        }
    }

    private final List<Hub> hubs = new ArrayList<>();
    private final List<Path> mounts = new ArrayList<>();
    private final Map<String, String> environment = new HashMap<>();
    private final Path out;

    /**
     * Makes the checkouts under {@code out/hubs} (on their own tmpfs when {@code tmpfs}) and the
     * store: {@code database} null for SQLite, else a PostgreSQL address every checkout shares.
     */
    FaultHubs(Path out, int count, String database, boolean tmpfs, Path slowFsyncShim, boolean brokenLeases) throws IOException {
        this.out = out;
        List<String> options = new java.util.ArrayList<>(List.of("-Xmx512m", "-XX:TieredStopAtLevel=1"));
        if (brokenLeases) {
            options.add("-D" + Leases.CHECK_BEFORE_THE_WRITE + "=true");
        }
        this.hubOptions = List.copyOf(options);
        for (int i = 1; i <= count; i++) {
            String name = "h" + i;
            Path machine = out.resolve("hubs").resolve(name);
            Path checkout = Files.createDirectories(machine.resolve("repo"));
            if (tmpfs) {
                mount(checkout);
            }
            if (database == null) {
                Files.createDirectories(checkout.resolve(".git"));
            } else {
                TestStores.checkoutOn(machine, database);
            }
            Path control = out.resolve("slow-disk-" + name);
            Files.writeString(control, "0\n");
            hubs.add(new Hub(name, checkout, freePort(), control));
        }
        if (slowFsyncShim != null) {
            environment.put("LD_PRELOAD", slowFsyncShim.toString());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(this::abandon, "fault-run: kill the hubs, unmount")); // an interrupted run (^C)
    }

    /** What an interrupted run must not leave behind: hub processes and tmpfs mounts. Nothing once {@link #close} ran. */
    private synchronized void abandon() {
        hubs.stream().filter(Hub::running).forEach(hub -> hub.process.process().destroyForcibly());
        mounts.forEach(mount -> run(List.of("umount", "-l", mount.toString())));
        mounts.clear();
    }

    /** Whether this machine lets us mount a tmpfs (root, and mount allowed): null if so, else why not. */
    static String tmpfsUnsupported(Path scratch) {
        try {
            Path probe = Files.createDirectories(scratch.resolve("tmpfs-probe"));
            String refused = run(List.of("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", probe.toString()));
            if (refused == null) {
                run(List.of("umount", probe.toString()));
            }
            Files.deleteIfExists(probe);
            return refused == null ? null : "cannot mount a tmpfs here (needs root): " + refused.strip();
        } catch (IOException e) {
            return "cannot mount a tmpfs here: " + e.getMessage();
        }
    }

    /** A new database of a throw-away PostgreSQL cluster (started as the postgres user when run as root; removed at exit). */
    static String newPostgresDatabase() {
        return PostgresServer.shared().newDatabase();
    }

    List<Hub> all() {
        return hubs;
    }

    Hub get(int index) {
        return hubs.get(index);
    }

    /** Starts the hub and returns once it serves (slowly on a loaded machine, failing only when it stops working). */
    void start(Hub hub) {
        Map<String, String> env = new HashMap<>(environment);
        if (env.containsKey("LD_PRELOAD")) {
            env.put("SLOW_FSYNC_CONTROL", hub.slowDiskControl.toString());
        }
        hub.process = HubProcess.start(hub.checkout, env, hubOptions, List.of("--port", Integer.toString(hub.port)));
        hub.paused = false;
    }

    void kill(Hub hub) {
        hub.process.kill();
        hub.paused = false;
    }

    void pause(Hub hub) {
        hub.process.pause();
        hub.paused = true;
    }

    void resume(Hub hub) {
        hub.process.resume();
        hub.paused = false;
    }

    /** Fills the hub's tmpfs with a filler file until the disk is full; returns its size. */
    long fill(Hub hub) throws IOException {
        Path filler = hub.checkout.resolve(FILLER);
        byte[] block = new byte[1 << 20];
        long written = 0;
        try (OutputStream stream = Files.newOutputStream(filler)) {
            while (true) {
                stream.write(block);
                written += block.length;
            }
        } catch (IOException full) {
            // ENOSPC: the disk is full, as wanted (a partial last block may be in the file)
        }
        return Math.max(written, Files.size(filler));
    }

    void free(Hub hub) throws IOException {
        Files.deleteIfExists(hub.checkout.resolve(FILLER));
    }

    void slowDisk(Hub hub, long delayMs) throws IOException {
        Files.writeString(hub.slowDiskControl, delayMs + "\n");
    }

    /** Undoes what a fault may have left: the disk freed, fsync fast, the hub resumed or started again. */
    void heal(Hub hub) throws IOException {
        free(hub);
        slowDisk(hub, 0);
        if (hub.paused) {
            resume(hub);
        }
        if (!hub.running()) {
            start(hub);
        }
    }

    /**
     * Stops the hubs (TERM, as {@code swarm down}), keeps their logs and checkout files in
     * {@code out/hubs/NAME/kept}, and unmounts the tmpfs; returns each stopped hub's exit code.
     */
    Map<String, Integer> stop() throws IOException {
        Map<String, Integer> exits = new HashMap<>();
        for (Hub hub : hubs) {
            if (hub.running()) {
                if (hub.paused) {
                    resume(hub);
                }
                exits.put(hub.name, hub.process.stop());
            }
        }
        close();
        return exits;
    }

    /** Kills what still runs (a run that failed half-way), keeps the files, unmounts; idempotent. */
    @Override
    public synchronized void close() throws IOException {
        for (Hub hub : hubs) {
            if (hub.process != null) {
                if (hub.paused) {
                    resume(hub);
                }
                hub.process.close();
            }
            keep(hub);
        }
        for (Path mount : mounts) {
            run(List.of("umount", "-l", mount.toString()));
        }
        mounts.clear();
    }

    /** Copies what is worth reading after the run (logs, the store, the fenced files) off the tmpfs. */
    private void keep(Hub hub) throws IOException {
        Path kept = Files.createDirectories(out.resolve("hubs").resolve(hub.name).resolve("kept"));
        try (Stream<Path> files = Files.walk(hub.checkout)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                if (file.getFileName().toString().equals(FILLER) || file.toString().contains("/.git/")) {
                    continue;
                }
                Path target = kept.resolve(hub.checkout.relativize(file).toString());
                Files.createDirectories(target.getParent());
                Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private void mount(Path directory) throws IOException {
        String refused = run(List.of("mount", "-t", "tmpfs", "-o", "size=" + TMPFS_SIZE + ",mode=0755", "tmpfs", directory.toString()));
        if (refused != null) {
            throw new IOException("cannot mount a tmpfs on " + directory + ": " + refused);
        }
        mounts.add(directory);
    }

    /** Runs a command; null when it succeeded, else its output. */
    private static String run(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            return process.waitFor() == 0 ? null : String.join(" ", command) + ": " + output;
        } catch (IOException e) {
            return String.join(" ", command) + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
