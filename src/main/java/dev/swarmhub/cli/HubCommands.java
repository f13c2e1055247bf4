package dev.swarmhub.cli;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.Agents;
import dev.swarmhub.hub.CliFrames;
import dev.swarmhub.hub.Hub;
import dev.swarmhub.hub.HubFiles;
import dev.swarmhub.hub.HubLog;
import dev.swarmhub.hub.JsonViews;
import dev.swarmhub.hub.LogFileReader;
import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.store.PrivateFiles;
import dev.swarmhub.store.Stores;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import sun.misc.Signal;

/** {@code swarm up | down | status}: the project's hub. */
final class HubCommands {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    /** However busy the machine, a hub that has not answered after this is not starting. */
    private static final Duration START_LIMIT = Duration.ofMinutes(3);
    /** How long after our child exited with no hub named in the lock file the start counts as failed (the winner names itself first). */
    private static final Duration NO_HUB_AFTER_EXIT = Duration.ofSeconds(5);
    /** Longer than a hub's own shutdown (waiting commands and HTTP requests answer first). */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private HubCommands() {
    }

    /**
     * A log file the hub rotates (its own, a process's output): its last {@code lines} (default
     * 50; {@code option} names the count in an error), or those and every line written after,
     * until interrupted.
     */
    static int printLog(Swarm swarm, Path file, Integer lines, String option, boolean follow, String empty) throws IOException {
        int count = lines == null ? Status.LOG_LINES : lines;
        if (count < 0 || count > Status.MOST_LOG_LINES) {
            throw SwarmException.badInput(option + " " + count + ": use 0 to " + Status.MOST_LOG_LINES);
        }
        if (!follow) {
            List<String> last = LogFileReader.last(file, count);
            return swarm.output.result(Output.document("file", file.toString(), "lines", last), last.isEmpty() ? empty : String.join("\n", last));
        }
        try {
            LogFileReader.follow(file, count, line -> swarm.output.stream(JsonViews.json(Output.document("line", line)), line + "\n"));
        } catch (InterruptedException | ClosedByInterruptException stopped) {
            return 0; // following ends when asked to, not with an error
        }
        return 0;
    }

    @ClientSide.RunsInClient
    @Command(name = "up", description = "Start the project's hub (foreground; -d: in the background).")
    static final class Up implements Callable<Integer> {
        @ParentCommand
        Swarm swarm;

        @Option(names = {"-d", "--detach"}, description = "Start it in the background and return once it serves.")
        boolean detach;

        @Option(names = "--port", paramLabel = "PORT", defaultValue = "0", description = "HTTP port (default: a free one, see .swarm/hub.json).")
        int port;

        @Option(names = "--bind", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
                description = "HTTP address (default 127.0.0.1). Another address needs --allow-remote.")
        String bind;

        @Option(names = "--allow-remote", description = "Allow a non-loopback --bind (every call still needs a token).")
        boolean allowRemote;

        @Option(names = "--exit-when-idle", description = "Exit once nothing has needed the hub for the setting hub.idle-exit (default 30m):"
                + " how a hub started by another command runs; one started by hand stays until swarm down. Idle time counts from the"
                + " first command, or from the exit of the process that started the hub if it never sends one.")
        boolean exitWhenIdle;

        @Option(names = "--store", paramLabel = "STORE", description = {"Where the project's state lives, kept in .swarm/config for every later command:",
                "sqlite (the default: .swarm/swarm.db) or postgresql://user@host:port/database, shared by a hub on each machine."})
        String store;

        @Option(names = "--store-password-file", paramLabel = "FILE", description = "The file holding the PostgreSQL password (else: in the address, or PGPASSWORD).")
        String storePasswordFile;

        @Override
        public Integer call() throws Exception {
            Path root = swarm.projectRoot();
            if (store != null) {
                Path passwordFile = storePasswordFile == null ? null : swarm.fileNamed(storePasswordFile);
                Optional<Hub.Running> serving = Hub.running(root);
                if (serving.isPresent() && !Stores.chosen(root, store, passwordFile)) {
                    // the running hub keeps the store it opened: a new choice would split the project, the hub and
                    // its commands on one store, --no-hub and status on the other
                    throw SwarmException.denied("a hub runs for " + root + " (pid " + serving.get().pid() + ") on the store chosen before:"
                            + " stop it (swarm down) before choosing another store");
                }
                Stores.choose(root, store, passwordFile);
            }
            if (bind.equalsIgnoreCase("localhost")) {
                // the address itself: "localhost" may name ::1 too, where another process could listen on the same port and get
                // every request (and a dashboard login code) sent to the printed URL
                bind = "127.0.0.1";
            }
            boolean loopback = bind.equals("127.0.0.1") || bind.equals("::1");
            if (!loopback && !allowRemote) {
                throw SwarmException.badInput("--bind " + bind + " exposes the hub beyond this machine: add --allow-remote to mean it");
            }
            if (port < 0 || port > 65535) {
                throw SwarmException.badInput("--port " + port + " is not a port number");
            }
            if (detach) {
                Optional<Hub.Running> running = Hub.running(root);
                if (running.isPresent()) {
                    if (!SwarmClient.accepts(root)) {
                        startInBackground(root); // it is starting: our child loses the lock to it, and we wait until it serves
                    }
                    return swarm.output.result(Output.document("pid", running.get().pid(), "socket", HubFiles.socket(root).toString(),
                            "alreadyRunning", true), "a hub already runs for " + root + " (pid " + running.get().pid() + ")");
                }
                long pid = startInBackground(root, List.of("--port", Integer.toString(port), "--bind", bind), allowRemote);
                return swarm.output.result(Output.document("pid", pid, "socket", HubFiles.socket(root).toString(), "alreadyRunning", false),
                        "hub started for " + root + " (pid " + pid + ")");
            }
            // TERM and INT close the hub and let up return, so the process exits 0. They are handled
            // before the hub opens its socket: a client may stop it as soon as it answers.
            AtomicReference<Hub> running = new AtomicReference<>();
            AtomicBoolean stopAsked = new AtomicBoolean();
            Runnable stop = () -> {
                stopAsked.set(true);
                Optional.ofNullable(running.get()).ifPresent(Hub::close);
            };
            for (String signal : List.of("TERM", "INT")) {
                Signal.handle(new Signal(signal), received -> Thread.ofPlatform().name("swarm-hub-stop").start(stop));
            }
            // the hub's log: .swarm/hub.log once this process holds the hub lock; a hub in the background
            // (stderr redirected to .swarm/hub.out) writes its warnings there only
            boolean detached = Boolean.getBoolean(HubLog.DETACHED_PROPERTY);
            Hub hub = Hub.start(root, services -> (args, environment, cwd, out, err) -> SwarmClient.belongsToTheClient(args, environment)
                    ? CliFrames.RUN_IN_CLIENT : Swarm.run(args, environment, cwd, out, err, services), new Hub.Address(bind, port), () -> HubLog.toFile(root, !detached));
            running.set(hub);
            if (exitWhenIdle) {
                hub.exitWhenIdle();
            }
            if (stopAsked.get()) {
                hub.close(); // asked while it started (close is idempotent, so a handler closing it too is harmless)
            }
            Runtime.getRuntime().addShutdownHook(new Thread(hub::close, "swarm-hub-shutdown")); // other ways the JVM may end
            swarm.output.line("hub for " + root + " serving http://" + bind + ":" + hub.port() + "/api/v1 and "
                    + HubFiles.socket(root) + " (pid " + ProcessHandle.current().pid() + "); stop with swarm down or Ctrl-C");
            hub.awaitStop();
            return hub.stopReason().isPresent() ? 1 : 0;
        }
    }

    /**
     * The background hub's JVM, sized for a process that mostly waits (idle RSS 221 MB before, 90
     * MB after; docs/PERFORMANCE.md): a heap that starts small and gives memory back (the default
     * took 1/64 of the machine's memory at once), C1 only (the hub waits on the store and the
     * network; C2's compiler memory stayed resident), and the C heap trimmed (JDK 22+).
     */
    static final List<String> HUB_JVM_OPTIONS = hubJvmOptions();

    private static List<String> hubJvmOptions() {
        List<String> options = new ArrayList<>(List.of("-XX:+UseSerialGC", "-Xms8m", "-Xmx512m", "-XX:MinHeapFreeRatio=5",
                "-XX:MaxHeapFreeRatio=20", "-XX:TieredStopAtLevel=1"));
        if (Runtime.version().feature() >= 22) {
            options.add("-XX:TrimNativeHeapInterval=2000");
        }
        return List.copyOf(options);
    }

    /**
     * Starts {@code swarm up} for the root as a detached process and waits until its CLI socket
     * accepts; returns its pid. The hub logs to .swarm/hub.log (rotated by Logback); its stdout and
     * stderr go to .swarm/hub.out (what bypasses the log: a JVM's crash report), a file of their
     * own, so that rotating hub.log never fights a redirected descriptor. A second starter racing
     * this one gets "a hub already runs" from its child and simply waits for the socket too.
     */
    static long startInBackground(Path root) throws IOException, InterruptedException {
        return startInBackground(root, List.of("--exit-when-idle"), false);
    }

    static long startInBackground(Path root, List<String> upOptions, boolean allowRemote) throws IOException, InterruptedException {
        Path output = HubFiles.output(root);
        PrivateFiles.directory(output.getParent());
        PrivateFiles.file(output); // the redirect would create it 0644
        long outputBefore = Files.size(output);
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            command.add("/usr/bin/setsid"); // its own session: the hub outlives the terminal that started it
        }
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(HUB_JVM_OPTIONS);
        command.addAll(List.of("-Xlog:all=warning:stderr", "--enable-native-access=ALL-UNNAMED", "-D" + HubLog.DETACHED_PROPERTY + "=true",
                "-cp", System.getProperty("java.class.path"), Swarm.class.getName(), "up", "--root", root.toString()));
        command.addAll(upOptions);
        if (allowRemote) {
            command.add("--allow-remote");
        }
        Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()))
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        // The hub that will serve is our child, or, when another starter's won the lock, the one the
        // lock file names (at once). It is waited for while it gets CPU time: a loaded machine makes a
        // start slow, not failed; START_TIMEOUT without any is a hung or paused hub.
        ProcessHandle starting = process.toHandle();
        Duration cpuSeen = Duration.ZERO;
        long progressAt = System.nanoTime();
        long limit = progressAt + START_LIMIT.toNanos();
        long childGaveUp = 0;
        while (System.nanoTime() - progressAt < START_TIMEOUT.toNanos() && System.nanoTime() < limit) {
            Optional<Long> serving = servingPid(root);
            if (serving.isPresent()) {
                return serving.get();
            }
            Optional<Long> pid = runningHubPid(root);
            if (!starting.isAlive()) {
                Optional<ProcessHandle> named = pid.flatMap(ProcessHandle::of).filter(ProcessHandle::isAlive);
                if (named.isPresent()) {
                    starting = named.get();
                    cpuSeen = Duration.ZERO;
                } else if (childGaveUp == 0) {
                    childGaveUp = System.nanoTime();
                } else if (System.nanoTime() - childGaveUp > NO_HUB_AFTER_EXIT.toNanos()) {
                    throw new SwarmException(SwarmException.Kind.INTERNAL, "the hub did not start" + childsError(output, outputBefore) + "; see "
                            + output + " and " + HubFiles.log(root));
                }
            }
            Duration cpu = starting.info().totalCpuDuration().orElse(Duration.ZERO);
            if (cpu.compareTo(cpuSeen) > 0) {
                cpuSeen = cpu;
                progressAt = System.nanoTime();
            }
            Thread.sleep(20); // polling for the new process's socket
        }
        throw new SwarmException(SwarmException.Kind.INTERNAL, "the hub did not answer: " + (System.nanoTime() < limit ? "no CPU time for "
                + START_TIMEOUT.toSeconds() + " s (paused or hung)" : "still starting after " + START_LIMIT.toMinutes() + " min") + "; see "
                + HubFiles.log(root) + " and " + output);
    }

    /** ": why" when the hub started in the background printed why it did not start (its last error line in hub.out after {@code from}). */
    private static String childsError(Path output, long from) throws IOException {
        try (SeekableByteChannel file = Files.newByteChannel(output)) {
            String written = new String(Channels.newInputStream(file.position(from)).readNBytes(64 * 1024), StandardCharsets.UTF_8);
            return written.lines().filter(line -> line.startsWith("swarm: ")).reduce((first, last) -> last)
                    .map(line -> ": " + line.substring("swarm: ".length())).orElse("");
        }
    }

    /** The pid of the project's running hub (named in its lock file as soon as it holds it: it may be starting still). */
    static Optional<Long> runningHubPid(Path root) {
        return Hub.running(root).map(Hub.Running::pid);
    }

    /** The pid of the project's hub once it serves: its socket accepts and it wrote hub.json (its address), the last step of its start. */
    static Optional<Long> servingPid(Path root) {
        return runningHubPid(root).filter(pid -> SwarmClient.accepts(root)
                && Hub.readInfo(root).get("pid") instanceof Number named && named.longValue() == pid);
    }

    @ClientSide.RunsInClient
    @Command(name = "down", description = "Stop the project's hub (it finishes in-flight commands first).")
    static final class Down implements Callable<Integer> {
        @ParentCommand
        Swarm swarm;

        @Override
        public Integer call() throws IOException, InterruptedException {
            Path root = swarm.projectRoot();
            Optional<ProcessHandle> hub = runningHubPid(root).flatMap(ProcessHandle::of);
            if (hub.isEmpty()) {
                return swarm.output.result(Output.document("stopped", false), "no hub runs for " + root);
            }
            long pid = hub.get().pid();
            hub.get().destroy(); // SIGTERM: the hub answers running commands, closes the store and exits 0
            // A paused hub (SIGSTOP, a suspended job) handles the SIGTERM only once continued.
            new ProcessBuilder("kill", "-s", "CONT", Long.toString(pid)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
            try {
                hub.get().onExit().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (TimeoutException | ExecutionException stillRunning) {
                throw new SwarmException(SwarmException.Kind.INTERNAL, "the hub (pid " + pid + ") did not stop within "
                        + STOP_TIMEOUT.toSeconds() + " s of SIGTERM: it is hung; kill -9 " + pid
                        + " stops it (committed work is kept)");
            }
            return swarm.output.result(Output.document("stopped", true, "pid", pid), "hub stopped (pid " + pid + ")");
        }
    }

    @ClientSide.RunsInClient
    @Command(name = "status", description = {"Is a hub running? pid, uptime, store and counts.",
            "--log shows the hub's own log instead (.swarm/hub.log: starts and stops, refused and slow requests, failed typings "
                    + "and sweeps, internal errors), from the file, whether a hub runs or not; swarm log shows the event log "
                    + "(every change to leases, agents, messages and tasks)."})
    static final class Status implements Callable<Integer> {
        /** Lines --log shows without -n. */
        private static final int LOG_LINES = 50;
        private static final int MOST_LOG_LINES = 100_000;

        @ParentCommand
        Swarm swarm;

        @Option(names = "--log", description = "Show the last lines of the hub's own log (.swarm/hub.log), not the status.")
        boolean log;

        @Option(names = {"-n", "--lines"}, paramLabel = "N", description = "With --log: how many of the last lines (default " + LOG_LINES + ").")
        Integer lines;

        @Option(names = {"-f", "--follow"}, description = "With --log: keep printing lines as the hub writes them, across rotations, "
                + "until interrupted (one JSON document per line with --json).")
        boolean follow;

        @Override
        public Integer call() throws IOException {
            if (log) {
                return hubLog();
            }
            if (lines != null || follow) {
                throw SwarmException.badInput((follow ? "--follow" : "--lines") + " goes with --log: swarm status --log [-n N] [-f]");
            }
            Path root = swarm.projectRoot();
            Optional<Hub.Running> hub = Hub.running(root);
            Optional<Long> pid = hub.map(Hub.Running::pid);
            Map<String, Object> document = Output.document("running", pid.isPresent(), "pid", pid.orElse(null),
                    "started", hub.map(running -> running.started().toString()).orElse(null), "socket", HubFiles.socket(root).toString());
            String uptime = hub.map(running -> Duration.between(running.started(), Instant.now()).toSeconds() + " s").orElse("-");
            String hubLine = pid.isPresent() ? "hub running, pid " + pid.get() + ", up " + uptime : "no hub running";
            try (CommandServices services = swarm.services()) {
                List<Agents.Listed> agents = services.agents.list(true);
                Map<String, Object> byStatus = OrderedMap.of();
                for (Agent.Status status : Agent.Status.values()) {
                    byStatus.put(status.label(), agents.stream().filter(listed -> listed.agent().status() == status).count());
                }
                int leases = services.leases.list(null, false).size();
                long awaitingAck = services.messages.awaitingAck();
                document.putAll(Output.document("store", services.storeLocation(), "agents", agents.size(), "agentsByStatus", byStatus,
                        "liveLeases", leases, "awaitingAck", awaitingAck));
                return swarm.output.result(document, hubLine + "\nstore " + document.get("store") + "\n" + agents.size() + " agent(s) ("
                        + byStatus.entrySet().stream().map(entry -> entry.getValue() + " " + entry.getKey()).collect(Collectors.joining(", "))
                        + "), " + leases + " live lease(s), " + awaitingAck + " ACK(s) awaited");
            } catch (SwarmException storeUnreadable) {
                return swarm.output.failureAfter(document, hubLine, storeUnreadable); // what is known without the store, then why
            }
        }

        /** The hub's log, read from its file (no store, no hub needed): its last lines, or following it. */
        private int hubLog() throws IOException {
            Path file = HubFiles.log(swarm.projectRoot());
            return printLog(swarm, file, lines, "--lines", follow, "no lines in " + file + (Files.exists(file) ? "" : " (no hub has logged there yet)"));
        }
    }
}
