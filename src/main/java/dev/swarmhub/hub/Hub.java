package dev.swarmhub.hub;

import dev.swarmhub.agents.Agents;
import dev.swarmhub.host.LocalProcesses;
import dev.swarmhub.host.PaneTyper;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Durations;
import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.kernel.ProcessIdentity;
import dev.swarmhub.kernel.Setting;
import dev.swarmhub.kernel.Sweep;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.store.FileIdentity;
import dev.swarmhub.store.PrivateFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * One long-running process per project: holds the store open, serves the CLI channel (and the
 * HTTP API), and runs the timers (lease expiry, agent liveness). A file lock on .swarm/hub.lock,
 * held for the hub's life and released by the OS when it dies, makes a second hub refuse; the
 * lock file names the hub's process. A hub whose lock file, store or .swarm/ directory is
 * deleted or replaced (a second hub could then start) stops.
 */
public final class Hub implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final long TIMER_PERIOD_MS = 1_000;
    /**
     * How long a hub started by a command (not by hand with swarm up) stays once nothing needs it
     * ({@link #needs}); 0 keeps it until swarm down.
     */
    public static final Setting<Duration> IDLE_EXIT = Setting.duration("hub.idle-exit", Duration.ofMinutes(30));
    private static final long WATCH_PERIOD_MS = 250;
    /** Hubs running in this process, by root: this process must never open their lock files (closing any descriptor of a file drops the process's locks on it). */
    private static final Map<Path, Hub> IN_THIS_PROCESS = new ConcurrentHashMap<>();
    private static final LocalProcesses PROCESSES = new LocalProcesses();
    private static final TypeReference<Map<String, Object>> INFO = new TypeReference<>() {
    };

    private final Path root;
    private final FileChannel lockChannel;
    private final Services services;
    private final CliChannel cli;
    private final HttpServer http;
    private final PaneTypist paneTypist;
    private final PaneWatcher paneWatcher;
    private final ProcessSupervisor supervisor;
    private final Thread planFile;
    private final String urlHost;
    /** The timers and the watch of the hub's files, on their own threads: a slow store does not delay the watch. */
    private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(2,
            Thread.ofPlatform().name("swarm-timers-", 0).daemon().factory());
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Instant started;
    private final Map<Path, Object> openedFiles;
    private final RepeatedFailures sweepFailures = new RepeatedFailures(Log.LOG);
    private Object infoFileKey;
    private volatile String stopReason;
    /** Since when (nanoTime) nothing has needed this hub, for {@link #exitWhenIdle}. */
    private volatile long idleSince = System.nanoTime();
    /** The process that started this hub for a command, until that command comes: see {@link #awaitFirstCommandFrom}. */
    private volatile ProcessHandle starter;

    /** The hub's logger, created only when a hub runs: the lean client reads {@link #running} without loading Logback. */
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger(Hub.class);
    }

    private Hub(Path root, FileChannel lockChannel, CommandRunnerFactory commands, Address address, Instant started)
            throws IOException {
        this.root = root;
        this.started = started;
        this.lockChannel = lockChannel;
        this.services = Services.open(root);
        Path swarm = root.resolve(".swarm");
        Map<Path, Object> opened = new HashMap<>(Map.of(swarm, FileIdentity.of(swarm), swarm.resolve("hub.lock"), FileIdentity.of(swarm.resolve("hub.lock"))));
        if (Files.exists(swarm.resolve("swarm.db"))) { // the embedded store's file (a shared store has none here)
            opened.put(swarm.resolve("swarm.db"), FileIdentity.of(swarm.resolve("swarm.db")));
        }
        this.openedFiles = Map.copyOf(opened);
        services.logins.endAllSessions(Caller.ofOperator(), "a hub started"); // before serving: no page's session outlives the hub that opened it
        services.agents.adoptRecordedUnderHostName(); // rows an older version recorded under the host name alone
        services.processes.adoptRecordedUnderHostName();
        this.supervisor = new ProcessSupervisor(root, services, timers);
        supervisor.adopt(); // before serving: a command answered right after the start sees the runs adopted, and a spawn has its supervisor
        this.http = new HttpServer(services, address.bind(), address.port());
        this.urlHost = address.bind().equals("0.0.0.0") ? "127.0.0.1" : address.bind();
        this.cli = new CliChannel(root, commands.forServices(services));
        this.paneWatcher = new PaneWatcher(services.agents);
        this.paneTypist = new PaneTypist(services.paneTypings, services.store, PaneTyper.forUser()::type, PROCESSES.host(),
                typing -> paneWatcher.stillQuiet(typing.recipient(), typing.binding()));
        services.typeWith(paneTypist);
        writeInfo();
        supervisor.start();
        this.planFile = new PlanFile(root, services).start();
        timers.scheduleWithFixedDelay(this::sweep, TIMER_PERIOD_MS, TIMER_PERIOD_MS, TimeUnit.MILLISECONDS);
        timers.scheduleWithFixedDelay(supervisor::tick, TIMER_PERIOD_MS, TIMER_PERIOD_MS, TimeUnit.MILLISECONDS);
        timers.scheduleWithFixedDelay(this::watchFiles, WATCH_PERIOD_MS, WATCH_PERIOD_MS, TimeUnit.MILLISECONDS);
        Log.LOG.info("hub started for {}: pid {}, http://{}:{}/api/v1, socket {}, store {}", root, ProcessHandle.current().pid(),
                urlHost, http.port(), HubFiles.socket(root), services.store.location());
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

    /** Starts the hub for the project, or refuses when one already runs; it types messages into the panes agents are bound to. */
    public static Hub start(Path root, CommandRunnerFactory commands, Address address) {
        return start(root, commands, address, () -> { });
    }

    /**
     * As {@link #start(Path, CommandRunnerFactory, Address)}; {@code onceLocked} runs as soon as
     * this process holds the hub lock, before the hub opens anything (swarm up sends its log to
     * .swarm/hub.log there: only the hub that won the lock writes and rotates it).
     */
    public static Hub start(Path root, CommandRunnerFactory commands, Address address, Runnable onceLocked) {
        FileChannel channel = null;
        try {
            channel = lockedHubFile(root);
            if (channel == null) {
                throw SwarmException.denied("a hub already runs for " + root
                        + running(root).map(hub -> " (pid " + hub.pid() + ")").orElse(""));
            }
            Instant started = Instant.now();
            // named at once: a starter whose own hub lost the lock race waits on this one while it opens the store
            writeLockOwner(channel, started);
            onceLocked.run();
            try {
                Hub hub = new Hub(root, channel, commands, address, started);
                IN_THIS_PROCESS.put(root, hub);
                return hub;
            } catch (SwarmException refused) {
                if (refused.kind() == SwarmException.Kind.INTERNAL) {
                    Log.LOG.error("the hub for {} did not start", root, refused);
                } else { // a refusal that says what is wrong (the store's schema, address, rights): its stack says nothing more
                    Log.LOG.error("the hub for {} did not start: {}", root, refused.getMessage());
                }
                throw refused;
            } catch (IOException | RuntimeException failed) {
                Log.LOG.error("the hub for {} did not start", root, failed);
                throw failed;
            }
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

    /** A running hub: its process and when it started serving. */
    public record Running(long pid, Instant started) {
    }

    /**
     * The hub running for the project, found by its lock file (hub.json is only its published
     * address): the process named there, if it still runs with the same start time.
     */
    public static Optional<Running> running(Path root) {
        Hub here = IN_THIS_PROCESS.get(root);
        if (here != null) {
            return Optional.of(new Running(ProcessHandle.current().pid(), here.started));
        }
        try {
            Map<String, Object> owner = JSON.readValue(Files.readString(root.resolve(".swarm").resolve("hub.lock")), INFO);
            if (!(owner.get("processStart") instanceof Number processStart)) {
                return Optional.empty(); // a hub whose start time is unknown cannot be told from a later process with its pid
            }
            ProcessIdentity hub = new ProcessIdentity((String) owner.get("host"), ((Number) owner.get("pid")).longValue(),
                    processStart.longValue());
            return PROCESSES.runs(hub) ? Optional.of(new Running(hub.pid(), Instant.parse((String) owner.get("started")))) : Optional.empty();
        } catch (IOException | RuntimeException noHub) {
            return Optional.empty(); // no lock file, or one no hub has written yet
        }
    }

    /** Held by {@link #keepHubsOut}: closing it lets hubs start again. */
    public interface HubsKeptOut extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Holds the hub lock without being a hub, so that no hub starts for the project until closed
     * (swarm restore replaces the store under it); refused while a hub runs or is starting. The
     * lock file's content, which names a hub, is left as it is: the process it names is gone.
     */
    public static HubsKeptOut keepHubsOut(Path root, String why) {
        running(root).ifPresent(hub -> {
            throw SwarmException.denied("a hub serves " + root + " (pid " + hub.pid() + "): stop it first (swarm down), then " + why);
        });
        FileChannel locked;
        try {
            locked = lockedHubFile(root);
        } catch (IOException e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot lock " + root.resolve(".swarm").resolve("hub.lock") + ": " + e.getMessage(), e);
        }
        if (locked == null) {
            throw SwarmException.denied("a hub is starting for " + root + ": stop it (swarm down), then " + why);
        }
        return () -> closeQuietly(locked); // closing the channel releases its lock
    }

    /** The project's hub.lock opened and locked by this process, or null (and nothing left open) when another process holds it. */
    private static FileChannel lockedHubFile(Path root) throws IOException {
        Path swarm = PrivateFiles.directory(root.resolve(".swarm"));
        FileChannel channel = PrivateFiles.openForWriting(swarm.resolve("hub.lock"));
        try {
            if (channel.tryLock() != null) {
                return channel;
            }
        } catch (IOException | RuntimeException failed) {
            closeQuietly(channel);
            throw failed;
        }
        channel.close();
        return null;
    }

    /** Names this process in the lock file, through the locked channel (any other descriptor's close would drop the lock). */
    private static void writeLockOwner(FileChannel lockChannel, Instant started) throws IOException {
        long pid = ProcessHandle.current().pid();
        Map<String, Object> owner = OrderedMap.of("host", PROCESSES.host(), "pid", pid,
                "processStart", PROCESSES.startedAt(pid).stream().boxed().findFirst().orElse(null), "started", started.toString());
        lockChannel.truncate(0);
        lockChannel.write(ByteBuffer.wrap(JSON.writeValueAsBytes(owner)), 0);
    }

    /**
     * Stops the hub when its lock file, store or .swarm/ directory is no longer the one it
     * opened (deleted or replaced, e.g. by git clean -fdX): a second hub can then lock a new lock
     * file, and two hubs would serve one project from two stores.
     */
    private void watchFiles() {
        for (Map.Entry<Path, Object> file : openedFiles.entrySet()) {
            if (!file.getValue().equals(FileIdentity.of(file.getKey()))) {
                stopReason = file.getKey() + " was deleted or replaced after the hub opened it: stopping, so that one hub "
                        + "serves the project (a new one starts on the next command)";
                Log.LOG.warn(stopReason);
                Thread.ofPlatform().name("swarm-hub-stop").start(this::close);
                return;
            }
        }
        restoreInfo();
    }

    /** Writes hub.json again when it was deleted by hand: this hub still serves, and clients find its address there. */
    private synchronized void restoreInfo() {
        if (stopped.getCount() == 0 || infoFileKey.equals(FileIdentity.of(HubFiles.info(root)))) {
            return; // closed (close holds this monitor, and removes hub.json), or still in place
        }
        try {
            writeInfo();
        } catch (IOException e) {
            Log.LOG.warn("cannot write {}: {}", HubFiles.info(root), e.toString());
        }
    }

    /** Makes this hub exit by itself once nothing has needed it for {@link #IDLE_EXIT}: how a hub a command started runs. */
    public void exitWhenIdle() {
        ProcessHandle.current().parent().ifPresent(this::awaitFirstCommandFrom);
        timers.scheduleWithFixedDelay(() -> exitIfIdle(System.nanoTime()), TIMER_PERIOD_MS, TIMER_PERIOD_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * Counts idle time only once the command of the process that started this hub has come, or that
     * process has ended without sending it: a loaded machine may take longer than hub.idle-exit
     * between the hub's socket accepting and the command arriving.
     */
    void awaitFirstCommandFrom(ProcessHandle starter) {
        this.starter = starter;
    }

    /**
     * What needs this hub now: the command that started it, not yet come; an active agent, a lease
     * waiter, a message retry ahead, a supervised process, a command running or an open HTTP
     * connection (an event stream, an MCP session). Empty when nothing does.
     */
    List<String> needs() {
        List<String> needs = new ArrayList<>();
        ProcessHandle awaited = starter;
        if (awaited != null && !cli.anyCommandServed() && awaited.isAlive()) {
            needs.add("the command of process " + awaited.pid() + ", which started the hub");
        }
        if (cli.commandsRunning() > 0) {
            needs.add(cli.commandsRunning() + " command(s) running");
        }
        if (http.openConnections() > 0) {
            needs.add(http.openConnections() + " HTTP connection(s) open");
        }
        if (supervisor.supervising() > 0) {
            needs.add(supervisor.supervising() + " supervised process(es)");
        }
        if (services.agents.anyActive()) {
            needs.add("an active agent");
        }
        if (!services.leases.waiters().isEmpty()) {
            needs.add("a lease waiter");
        }
        if (services.messageRetries.anyPending()) {
            needs.add("a message retry ahead");
        }
        return needs;
    }

    /**
     * Stops the hub when nothing has needed it, nor any command come, for {@link #IDLE_EXIT} up to
     * {@code now} (nanoTime); returns whether it stops.
     */
    boolean exitIfIdle(long now) {
        try {
            if (!needs().isEmpty()) {
                idleSince = now;
                return false;
            }
            Duration limit = services.settings.value(IDLE_EXIT);
            long idleFor = now - Math.max(idleSince, cli.lastCommandNanos());
            if (!limit.isZero() && idleFor >= limit.toNanos()) {
                Log.LOG.info("nothing has needed the hub for {} (no active agent, waiter, message retry, supervised process, command or"
                        + " connection): it exits, as a hub started by a command does (setting {}; the next command starts one)",
                        Durations.format(limit), IDLE_EXIT.name());
                Thread.ofPlatform().name("swarm-hub-stop").start(this::close);
                return true;
            }
            return false;
        } catch (RuntimeException storeFailed) { // needed or not is unknown: stay
            idleSince = now;
            return false;
        }
    }

    /** Why the hub stopped by itself, if it did. */
    public Optional<String> stopReason() {
        return Optional.ofNullable(stopReason);
    }

    private void writeInfo() throws IOException {
        Map<String, Object> info = OrderedMap.of("pid", ProcessHandle.current().pid(), "socket", HubFiles.socket(root).toString(),
                "port", http.port(), "url", "http://" + urlHost + ":" + http.port() + "/api/v1",
                "dashboard", "http://" + urlHost + ":" + http.port() + "/",
                "started", started.toString(), "root", root.toString(), HubFiles.KEEPALIVE_FIELD, CliFrames.KEEPALIVE_MS,
                HubFiles.RELAY_FIELD, HubFiles.RELAY_VERSION);
        Path draft = Files.createTempFile(root.resolve(".swarm"), "hub", ".json");
        Files.writeString(draft, JSON.writeValueAsString(info), StandardCharsets.UTF_8);
        Files.move(draft, HubFiles.info(root), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        infoFileKey = FileIdentity.of(HubFiles.info(root));
    }

    public int port() {
        return http.port();
    }

    /** The timer: runs every domain's sweep (Services#sweeps); one that fails delays no other, and is logged (a lasting failure once a minute). */
    private void sweep() {
        Set<Sweep> failed = new HashSet<>();
        Sweep.runAll(services.sweeps, (sweep, e) -> {
            failed.add(sweep);
            sweepFailures.failed("the sweep of " + sweep.name(), e);
        });
        for (Sweep sweep : services.sweeps) {
            if (!failed.contains(sweep)) {
                sweepFailures.succeeded("the sweep of " + sweep.name());
            }
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

    /**
     * Stops accepting, tells running commands (their waits end), closes the store, releases the
     * lock. It removes only the files it created itself: after losing .swarm/, those at the same
     * names may be another hub's.
     */
    @Override
    public synchronized void close() {
        if (stopped.getCount() == 0) {
            return;
        }
        IN_THIS_PROCESS.remove(root, this);
        Log.LOG.info("hub stopping (pid {}){}", ProcessHandle.current().pid(), stopReason == null ? "" : ": " + stopReason);
        try {
            cli.close();
        } catch (IOException ignored) {
            // the socket file may already be gone
        }
        http.close();
        timers.shutdownNow();
        supervisor.close();
        BackgroundLoop.stop(planFile);
        paneWatcher.close();
        paneTypist.close();
        try { // an open page goes on sending its session to this port, where another process may listen once the hub is gone
            services.logins.endAllSessions(Caller.ofOperator(), "the hub stopped");
        } catch (RuntimeException storeFailed) {
            Log.LOG.warn("cannot end the dashboard's sessions as the hub stops (the next start ends them): {}", storeFailed.toString());
        }
        try {
            services.agents.hubStopped(services.hubScope);
        } catch (RuntimeException storeFailed) {
            Log.LOG.warn("cannot record that the hub stopped (hubs elsewhere take over its host's agents {} s after its last presence): {}",
                    Agents.HUB_SILENCE.toSeconds(), storeFailed.toString());
        }
        services.close();
        try {
            if (infoFileKey != null && infoFileKey.equals(FileIdentity.of(HubFiles.info(root)))) {
                Files.deleteIfExists(HubFiles.info(root));
            }
            // the lock file names a hub only while one holds it: this process may live on (a test, a command that ran a hub)
            // and would otherwise go on being taken for this project's hub, refusing swarm restore
            lockChannel.truncate(0);
        } catch (IOException ignored) {
            // the OS releases the lock when the process ends anyway
        }
        closeQuietly(lockChannel); // releases the lock
        Log.LOG.info("hub stopped (pid {}, served {} s)", ProcessHandle.current().pid(), Duration.between(started, Instant.now()).toSeconds());
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
