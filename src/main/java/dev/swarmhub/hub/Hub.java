package dev.swarmhub.hub;

import dev.swarmhub.core.OrderedMap;
import dev.swarmhub.core.SwarmException;
import dev.swarmhub.host.LocalProcesses;
import dev.swarmhub.host.PaneTyper;
import dev.swarmhub.host.Tmux;
import dev.swarmhub.store.PrivateFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * One long-running process per project: holds the store open, serves the CLI channel (and the
 * HTTP API), and runs the timers (lease expiry, agent liveness). A file lock on .swarm/hub.lock,
 * held for the hub's life and released by the OS when it dies, makes a second hub refuse.
 */
public final class Hub implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final long TIMER_PERIOD_MS = 1_000;
    private static final TypeReference<Map<String, Object>> INFO = new TypeReference<>() {
    };

    private final Path root;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Services services;
    private final CliChannel cli;
    private final HttpServer http;
    private final PaneDeliveries paneDeliveries;
    private final String urlHost;
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("swarm-timers").daemon().factory());
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Instant started = Instant.now();

    private Hub(Path root, FileChannel lockChannel, FileLock lock, CommandRunnerFactory commands, Address address, Tmux tmux)
            throws IOException {
        this.root = root;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.services = Services.open(root);
        this.http = new HttpServer(services, address.bind(), address.port());
        this.urlHost = address.bind().equals("0.0.0.0") ? "127.0.0.1" : address.bind();
        this.cli = new CliChannel(HubFiles.socket(root), commands.forServices(services));
        this.paneDeliveries = new PaneDeliveries(services.messages, services.store, PaneTyper.forUser(tmux), new LocalProcesses().host());
        timers.scheduleWithFixedDelay(this::tick, TIMER_PERIOD_MS, TIMER_PERIOD_MS, TimeUnit.MILLISECONDS);
        writeInfo();
    }

    /** Builds the command runner over the hub's services (the CLI supplies it). */
    @FunctionalInterface
    public interface CommandRunnerFactory {
        CommandRunner forServices(Services services);
    }

    /** Where the HTTP server listens: loopback by default; port 0 picks a free one. */
    public record Address(String bind, int port) {
        public static final Address LOOPBACK = new Address("127.0.0.1", 0);
    }

    /** Starts the hub for the project, or refuses when one already runs; it types messages into panes of {@code tmux}. */
    public static Hub start(Path root, CommandRunnerFactory commands, Address address, Tmux tmux) {
        Path swarm = root.resolve(".swarm");
        FileChannel channel = null;
        try {
            PrivateFiles.directory(swarm);
            channel = PrivateFiles.openForWriting(swarm.resolve("hub.lock"));
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                throw SwarmException.denied("a hub already runs for " + root + describeRunning(root));
            }
            return new Hub(root, channel, lock, commands, address, tmux);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot start the hub: " + e.getMessage(), e);
        }
    }

    /** What .swarm/hub.json says about the running hub, if anything. */
    public static Map<String, Object> readInfo(Path root) {
        try {
            return JSON.readValue(Files.readString(HubFiles.info(root)), INFO);
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
    }

    private static String describeRunning(Path root) {
        Map<String, Object> info = readInfo(root);
        return info.isEmpty() ? "" : " (pid " + info.get("pid") + ")";
    }

    private void writeInfo() throws IOException {
        Map<String, Object> info = OrderedMap.of("pid", ProcessHandle.current().pid(), "socket", HubFiles.socket(root).toString(),
                "port", http.port(), "url", "http://" + urlHost + ":" + http.port() + "/api/v1",
                "started", started.toString(), "root", root.toString());
        Path draft = Files.createTempFile(root.resolve(".swarm"), "hub", ".json");
        Files.writeString(draft, JSON.writeValueAsString(info), StandardCharsets.UTF_8);
        Files.move(draft, HubFiles.info(root), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public int port() {
        return http.port();
    }

    /**
     * The timers: expired leases are removed and recorded; agents move along active → stale → gone;
     * unacked messages are delivered again, then escalated.
     */
    private void tick() {
        try {
            services.leases.cleanup();
            services.messages.retryDue();
        } catch (RuntimeException e) {
            System.err.println("swarm hub: timer failed: " + e.getMessage());
        }
    }

    public Services services() {
        return services;
    }

    public Instant started() {
        return started;
    }

    /** Blocks until {@link #close()} has run. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /** Stops accepting, tells running commands (their waits end), closes the store, releases the lock. */
    @Override
    public synchronized void close() {
        if (stopped.getCount() == 0) {
            return;
        }
        try {
            cli.close();
        } catch (IOException ignored) {
            // the socket file may already be gone
        }
        http.close();
        timers.shutdownNow();
        paneDeliveries.close();
        services.close();
        try {
            Files.deleteIfExists(HubFiles.info(root));
            lock.release();
        } catch (IOException ignored) {
            // the OS releases the lock when the process ends anyway
        }
        closeQuietly(lockChannel);
        stopped.countDown();
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing more to release
            }
        }
    }
}
