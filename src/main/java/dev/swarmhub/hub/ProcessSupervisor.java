package dev.swarmhub.hub;

import dev.swarmhub.host.AgentOutput;
import dev.swarmhub.host.Launcher;
import dev.swarmhub.agents.PaneBinding;
import dev.swarmhub.host.LocalProcesses;
import dev.swarmhub.host.Tmux;
import dev.swarmhub.host.Worktrees;
import dev.swarmhub.kernel.ProcessIdentity;
import dev.swarmhub.kernel.Setting;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Tx;
import dev.swarmhub.processes.ProcessControl;
import dev.swarmhub.processes.Processes;
import dev.swarmhub.processes.Run;
import dev.swarmhub.store.PrivateFiles;
import dev.swarmhub.store.Stores;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's side of the processes domain for its checkout: of the runs spawned through it (another
 * checkout's hub on this host has its own), starts those the rows say are due, in its checkout
 * (SWARM_ROOT, the output file), signals those asked to stop (TERM to the process group, KILL
 * after the grace), records each process's end, and follows its output file (size, last output,
 * and for Claude Code and Codex the tokens and cost their JSON events report). On the hub's start
 * it adopts its processes still running from before (same pid and start time) and the rows of the
 * others say lost.
 */
final class ProcessSupervisor implements ProcessControl {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessSupervisor.class);
    /** The size at which a run's output file is rotated (kept: the file and {@value #KEPT_FILES} older ones). */
    static final Setting<Integer> LOG_MAX_MB = Setting.count("processes.log-max-mb", 10, 10_000, "MB");
    private static final int KEPT_FILES = 3;
    /**
     * How fast a run may write output on average; a burst of one output file's size passes. A run
     * writing faster is killed before it fills the disk the store lives on (rotation alone bounds
     * the files only as often as the hub looks at them).
     */
    static final Setting<Integer> OUTPUT_RATE = Setting.count("processes.output-mb-per-s", 4, 10_000, "MB per second");
    /** How often the output guard looks at the size of each run's output file (a stat, no read). */
    private static final long GUARD_PERIOD_MS = 50;
    /** How long past its grace a run's end waits for what its stop signalled to be gone. */
    private static final long STOPPED_TREE_WAIT_MS = 10_000;
    /** The project's tmux session for spawn --tmux: this prefix and the project directory's name. */
    static final String TMUX_SESSION_PREFIX = "swarm-";
    /**
     * What a pane runs first, always this line (the program and its arguments follow as arguments,
     * never as text): it waits (up to 30 s) for its environment file, which the hub writes once
     * the pane's output is copied, reads and deletes it, and becomes the program.
     */
    private static final String PANE_START = "i=0; while [ ! -e \"$0\" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; "
            + ". \"$0\" && rm -f -- \"$0\" && exec \"$@\"";
    private static final int READ_CHUNK = 1 << 20;
    /** The hub's environment as the processes it starts get it: without the store's credentials. */
    private static final Map<String, String> INHERITED = Stores.withoutCredentials(System.getenv());

    private final Path root;
    private final Services services;
    private final Processes processes;
    private final LocalProcesses probe = new LocalProcesses();
    private final ScheduledExecutorService timers;
    private final Map<String, Watched> watched = new ConcurrentHashMap<>();
    private final AtomicBoolean tickQueued = new AtomicBoolean();
    private volatile OutputLimit outputLimit = new OutputLimit(OUTPUT_RATE.defaultValue(), LOG_MAX_MB.defaultValue());
    /** Its own thread: a tick busy starting or reading never delays it. */
    private final ScheduledExecutorService guard = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("swarm-output-guard").daemon().factory());

    /** A process this hub watches: its run, its output file and how far it was read, and whether the hub signalled it. */
    private static final class Watched {
        final Run run;
        final ProcessHandle process;
        final Path output;
        final AgentOutput parser;
        /** The output file's identity when it was watched: a file put in its place (a link to another) is not read, nor truncated. */
        final Object fileKey;
        final java.io.ByteArrayOutputStream partialLine = new java.io.ByteArrayOutputStream();
        long offset;
        long bytes;
        /** The bytes the store was told of last. */
        long recordedBytes;
        volatile boolean signalled;
        /** Why the output guard killed it, or found at its end that it wrote too fast. */
        volatile String runaway;
        /** Set when its process ended. */
        volatile Exit exit;
        /** The output guard's look: the file's size then, when, and the bytes it may still write at once. */
        long guardedSize;
        long guardedAtNanos = System.nanoTime();
        double credit = Double.POSITIVE_INFINITY; // full until the first look
        /** The stop request acted on last: a later one (that hastens the end) is acted on too. */
        volatile Run.StopRequest stopping;
        /**
         * What a stop signalled (its process group and descendants then) and what its group still held
         * when the run's process ended: the run ends when they are all gone.
         */
        final Set<ProcessHandle> stopped = ConcurrentHashMap.newKeySet();

        Watched(Run run, ProcessHandle process, Path output) {
            this.run = run;
            this.process = process;
            this.output = output;
            this.parser = new AgentOutput(AgentOutput.forKind(run.spec().kind().label()));
            this.fileKey = identity(output);
            // the file is read (and parsed) from its start again: what of it was counted before (by a hub
            // that died, this run adopted) is not counted twice; exact while the file was not rotated
            this.bytes = run.outputBytes() - Math.min(run.outputBytes(), sizeOf(output));
            this.recordedBytes = bytes;
            this.guardedSize = sizeOf(output);
        }
    }

    /** How a watched process ended: its exit code, null when unknown (not the hub's child). */
    private record Exit(Integer code) {
    }

    ProcessSupervisor(Path root, Services services, ScheduledExecutorService timers) {
        this.root = root;
        this.services = services;
        this.processes = services.processes;
        this.timers = timers;
    }

    /**
     * Adopts the processes still running from before and marks the others lost: the hub does it
     * before it serves, so that no answer shows a run as the last hub left it.
     */
    void adopt() {
        for (Run run : processes.startingWithoutProcess(this)) { // the last hub died between starting it and recording its pid
            Launcher.startedFor(run.agent(), root, run.queuedAt()).ifPresent(process -> probe.startedAt(process.pid()).ifPresent(startedAt ->
                    processes.started(run.id(), new ProcessIdentity(host(), process.pid(), startedAt), run.spec().cwd(), null))); // gone meanwhile: lost below
        }
        for (Run run : processes.reconcile(this)) {
            ProcessHandle.of(run.pid()).ifPresentOrElse(process -> watch(new Watched(run, process, outputOf(run.agent())), null),
                    () -> processes.ended(run.id(), null, false, "process " + run.pid() + " ended while the hub started"));
        }
        processes.superviseWith(this);
    }

    /** Starts what is due, and guards the output, once the hub serves (a started process may call it). */
    void start() {
        readOutputLimit();
        guard.scheduleWithFixedDelay(this::guardOutput, GUARD_PERIOD_MS, GUARD_PERIOD_MS, TimeUnit.MILLISECONDS);
        wake();
    }

    void close() {
        guard.shutdownNow();
    }

    /** How many processes this hub watches now. */
    int supervising() {
        return watched.size();
    }

    @Override
    public String host() {
        return probe.host();
    }

    @Override
    public String hubScope() {
        return services.hubScope;
    }

    @Override
    public Run.Spec prepare(Run.Spec spec) {
        Path cwd = spec.cwd() == null ? root : root.resolve(spec.cwd()).normalize();
        if (!Files.isDirectory(cwd)) {
            throw SwarmException.badInput("working directory " + cwd + " is not a directory");
        }
        if (spec.worktree()) {
            new Worktrees(root).requireCreatable(spec.name()); // before its agent is registered
        }
        String path = spec.environment().getOrDefault("PATH", System.getenv("PATH"));
        if (Launcher.find(spec.command().getFirst(), cwd, path).isEmpty()) {
            throw SwarmException.badInput("program " + spec.command().getFirst() + " not found" + (spec.command().getFirst().contains("/")
                    ? " or not executable (from " + cwd + ")" : " in PATH"));
        }
        return new Run.Spec(spec.name(), spec.kind(), spec.task(), spec.command(), spec.environment(), cwd.toString(), spec.worktree(),
                spec.tmux(), spec.maxCostUsd());
    }

    @Override
    public void wake() {
        if (tickQueued.compareAndSet(false, true)) {
            timers.execute(this::tick);
        }
    }

    /** Every second and on each wake: starts what is due, stops what was asked to stop, reads new output. */
    synchronized void tick() {
        tickQueued.set(false);
        try {
            readOutputLimit();
            for (var starting = processes.startNext(this); starting.isPresent(); starting = processes.startNext(this)) {
                launch(starting.get());
            }
            List<Run> toStop = processes.toStop(this);
            long now = toStop.isEmpty() ? 0 : services.store.read(Tx::now);
            for (Run run : toStop) {
                Watched process = watched.get(run.id());
                if (process != null && !run.stop().equals(process.stopping)) {
                    stop(process, run.stop(), now);
                }
            }
            for (Watched entry : watched.values()) {
                if (entry.exit != null) {
                    finish(entry); // its end could not be recorded before
                } else {
                    readOutput(entry);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("supervising processes failed: {}", e.toString()); // the next tick tries again
        }
    }

    private void launch(Processes.Starting starting) {
        Run run = starting.run();
        Path output = outputOf(run.agent());
        try {
            Path cwd = run.spec().worktree() ? inWorktree(run) : Path.of(run.spec().cwd());
            PrivateFiles.directory(output.getParent());
            if (Files.exists(output)) { // a new run's output starts empty; the last run's is kept as .1
                shiftRotated(output);
                Files.move(output, numbered(output, 1));
            }
            PrivateFiles.newFile(output);
            Map<String, String> environment = new HashMap<>(run.spec().environment());
            environment.put("SWARM_AGENT", run.agent());
            environment.put("SWARM_TOKEN", starting.token());
            environment.put("SWARM_ROOT", root.toString());
            if (run.spec().tmux()) {
                launchInPane(run, cwd, environment, output);
                return;
            }
            Map<String, String> inherited = new HashMap<>(INHERITED);
            inherited.putAll(environment);
            Process process = Launcher.start(run.spec().command(), cwd, inherited, output);
            long startedAt = process.info().startInstant().map(java.time.Instant::toEpochMilli).orElseGet(System::currentTimeMillis);
            Run running = processes.started(run.id(), new ProcessIdentity(host(), process.pid(), startedAt), cwd.toString(), null);
            watch(new Watched(running, process.toHandle(), output), process);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot start process {} for agent {}: {}", run.id(), run.agent(), e.toString());
            processes.ended(run.id(), null, false, "cannot start: " + (e instanceof IOException ? e.getMessage() : e.toString()));
        }
    }

    /**
     * Starts the run in a new window of the project's tmux session (on the hub's tmux server), bound
     * to its agent: an interactive agent, whose messages are typed into its pane. Its environment
     * reaches it through a 0600 file that a fixed shell line reads and deletes before it runs the
     * program (never through tmux's command line, which other users may read); what the pane shows
     * is copied to its output file. Its exit code is not known (it is not the hub's child).
     */
    private void launchInPane(Run run, Path cwd, Map<String, String> environment, Path output) throws IOException {
        Path variables = output.resolveSibling(run.agent() + "." + run.id() + ".env");
        List<String> command = new java.util.ArrayList<>(List.of("sh", "-c", PANE_START, variables.toString()));
        command.addAll(run.spec().command());
        Tmux tmux = new Tmux(Tmux.socketPath(null, System.getenv(), root));
        Tmux.Pane pane = tmux.newWindow(TMUX_SESSION_PREFIX + root.getFileName().toString().replaceAll("[^A-Za-z0-9_-]", "-"), cwd, command);
        try {
            tmux.copyOutput(pane.id(), output);
            // the pane starts with the tmux server's environment, which may be the hub's (when the hub started that server)
            StringBuilder exports = new StringBuilder("unset " + String.join(" ", new java.util.TreeSet<>(Stores.PASSWORD_VARIABLES)) + "\n");
            Map<String, String> given = new HashMap<>(environment);
            if (INHERITED.containsKey("SWARM_STORE")) {
                given.putIfAbsent("SWARM_STORE", INHERITED.get("SWARM_STORE"));
            }
            given.forEach((name, value) -> exports.append("export ").append(name).append("='").append(value.replace("'", "'\\''"))
                    .append("'\n"));
            Path draft = PrivateFiles.newFile(output.resolveSibling(variables.getFileName() + ".draft"));
            Files.writeString(draft, exports);
            Files.move(draft, variables, StandardCopyOption.ATOMIC_MOVE); // the program starts now, with its output copied
        } catch (IOException | RuntimeException failed) {
            Launcher.signal(pane.pid(), Launcher.tree(pane.pid()), "KILL");
            throw failed;
        }
        long startedAt = probe.startedAt(pane.pid()).orElseGet(System::currentTimeMillis);
        PaneBinding binding = new PaneBinding(tmux.socket(), pane.id(), pane.pid(), startedAt, pane.pid(), startedAt);
        Run running = processes.started(run.id(), new ProcessIdentity(host(), pane.pid(), startedAt), cwd.toString(), binding);
        ProcessHandle.of(pane.pid()).ifPresentOrElse(process -> watch(new Watched(running, process, output), null),
                () -> processes.ended(run.id(), null, false, null));
    }

    /**
     * The run's directory in its own worktree (named after its agent; one kept from an earlier run
     * of that agent is used again): its cwd's place there.
     */
    private Path inWorktree(Run run) {
        Worktrees worktrees = new Worktrees(root);
        Path tree = worktrees.list().stream().filter(existing -> existing.name().equals(run.agent())).map(Worktrees.Worktree::path).findFirst()
                .orElseGet(() -> worktrees.create(run.agent()));
        Path relative = root.relativize(Path.of(run.spec().cwd()));
        return relative.startsWith("..") ? tree : tree.resolve(relative).normalize();
    }

    /** Follows the process until it ends: then its last output, and its end (exit code only from a process this hub started). */
    private void watch(Watched entry, Process child) {
        watched.put(entry.run.id(), entry);
        var exited = child != null ? child.onExit().thenApply(process -> (Integer) process.exitValue())
                : entry.process.onExit().thenApply(process -> (Integer) null);
        exited.thenCompose(exitCode -> stoppedTreeGone(entry).thenApply(gone -> exitCode)).thenAcceptAsync(exitCode -> {
            entry.exit = new Exit(exitCode);
            finish(entry);
        }, timers);
    }

    /**
     * Done when every process a stop signalled, and every one left in the run's group, has exited:
     * "killed" then means gone, the whole tree. A process forked after the stop looked (by a TERM
     * handler) is in the group, and the grace's KILL reaches it; a KILL is delivered at once, but a
     * process ends when it is next scheduled. Bounded, so that a process stuck in the kernel never
     * keeps a run from ending.
     */
    private static CompletableFuture<Void> stoppedTreeGone(Watched entry) {
        Run.StopRequest request = entry.stopping;
        if (request == null) {
            return CompletableFuture.completedFuture(null);
        }
        return treeGone(entry).completeOnTimeout(null, request.graceMs() + STOPPED_TREE_WAIT_MS, TimeUnit.MILLISECONDS);
    }

    /** Records what the run's group holds now and waits for every recorded process; looks again once they are gone (they may have forked). */
    private static CompletableFuture<Void> treeGone(Watched entry) {
        if (groupIsTheRuns(entry)) {
            entry.stopped.addAll(Launcher.tree(entry.run.pid()));
        }
        CompletableFuture<?>[] exits = entry.stopped.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::onExit)
                .toArray(CompletableFuture[]::new);
        return exits.length == 0 ? CompletableFuture.completedFuture(null) : CompletableFuture.allOf(exits).thenCompose(gone -> treeGone(entry));
    }

    /**
     * Records the end of a run whose process ended, after its last output (and a last look at its
     * output rate: a run that filled the disk and died of it is named). When the store cannot take
     * it (a full disk), the run stays watched and each tick tries again: no end is lost.
     */
    private void finish(Watched entry) {
        synchronized (this) {
            if (watched.get(entry.run.id()) != entry) {
                return; // recorded already
            }
            OutputLimit limit = outputLimit;
            if (entry.runaway == null && overRate(entry, limit)) {
                discardRunaway(entry, limit);
            }
            readOutput(entry);
            Integer code = entry.exit.code();
            String reason = entry.runaway == null ? null : entry.signalled ? "stopped by the hub: " + entry.runaway
                    : "exited" + (code == null ? "" : " with code " + code) + " after " + entry.runaway;
            try {
                processes.ended(entry.run.id(), code, entry.signalled, reason);
            } catch (RuntimeException e) {
                LOG.warn("cannot record the end of process {} yet: {}", entry.run.id(), e.toString());
                return;
            }
            watched.remove(entry.run.id());
        }
        wake(); // a slot is free
    }

    /**
     * TERM (or KILL) to the process group and what it started, KILL to what is left after the grace
     * (counted from the request by the store's clock: a hub started again meanwhile waits only the
     * rest): what the stop signalled, what those started, and the group, whose members may have been
     * forked since, even after its leader ended.
     */
    private void stop(Watched entry, Run.StopRequest request, long now) {
        entry.signalled = true;
        entry.stopping = request; // before the signal: from now on the run's end waits for its tree
        signal(entry, Set.of(), request.signal());
        if (!request.signal().equals("KILL")) {
            timers.schedule(() -> {
                Set<ProcessHandle> left = new LinkedHashSet<>();
                entry.stopped.stream().filter(ProcessHandle::isAlive).forEach(process -> {
                    left.add(process);
                    process.descendants().forEach(left::add);
                });
                signal(entry, left, "KILL");
            }, Math.max(0, request.at() + request.graceMs() - now), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Signals {@code processes} and, while the run's pid still names its group, the group and what
     * its leader started, each recorded as stopped before the signal, and the group's members again
     * after it (forked meanwhile, the group's signal reached them): the run's end waits for them all.
     */
    private static void signal(Watched entry, Set<ProcessHandle> processes, String signal) {
        long group = entry.run.pid();
        boolean groupIsTheRuns = groupIsTheRuns(entry);
        Set<ProcessHandle> targets = new LinkedHashSet<>(processes);
        if (groupIsTheRuns) {
            targets.addAll(Launcher.tree(group));
        }
        if (targets.isEmpty()) {
            return; // nothing left
        }
        entry.stopped.addAll(targets);
        if (groupIsTheRuns) {
            Launcher.signal(group, targets, signal);
            entry.stopped.addAll(Launcher.tree(group));
        } else {
            Launcher.signal(targets, signal);
        }
    }

    /**
     * Whether the run's pid still names its process group: its leader runs, or no process has that
     * pid (a group outlives its leader, and its number is not given to another process while it
     * has members). Once another process has it, the run's group is gone and that pid is not the run's.
     */
    private static boolean groupIsTheRuns(Watched entry) {
        return ProcessHandle.of(entry.run.pid()).map(entry.process::equals).orElse(true);
    }

    /**
     * Kills each run that writes output faster than {@link #OUTPUT_RATE} allows (a token bucket
     * holding one output file's size), and discards what it wrote past one burst beyond what was
     * read: a run printing in a loop must not fill the disk, which would stop every store write.
     */
    private void guardOutput() {
        try {
            if (watched.isEmpty()) {
                return;
            }
            OutputLimit limit = outputLimit;
            for (Watched entry : watched.values()) {
                if (entry.runaway == null && entry.exit == null && overRate(entry, limit)) {
                    entry.signalled = true;
                    long group = entry.run.pid();
                    Launcher.signal(group, Launcher.tree(group), "KILL");
                    discardRunaway(entry, limit);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("guarding the output of processes failed: {}", e.toString()); // the next look tries again
        }
    }

    /** Takes what the run wrote since the last look from its credit (refilled at the allowed rate, up to one burst): whether it is spent. */
    private static boolean overRate(Watched entry, OutputLimit limit) {
        synchronized (entry) {
            long now = System.nanoTime();
            long size = sizeOf(entry.output);
            long grown = size >= entry.guardedSize ? size - entry.guardedSize : size; // rotated meanwhile: all of it is new
            entry.credit = Math.min(limit.burstBytes(), entry.credit + (now - entry.guardedAtNanos) * limit.bytesPerNano()) - grown;
            entry.guardedSize = size;
            entry.guardedAtNanos = now;
            return entry.credit < 0;
        }
    }

    /** How fast a run may write its output, in bursts of how many bytes. */
    private record OutputLimit(int megabytesPerSecond, int burstMegabytes) {
        long burstBytes() {
            return (long) burstMegabytes * 1024 * 1024;
        }

        double bytesPerNano() {
            return megabytesPerSecond * 1024.0 * 1024 / 1e9;
        }

        String exceeded() {
            return "its output passed " + megabytesPerSecond + " MB/s (processes.output-mb-per-s) beyond a burst of " + burstMegabytes
                    + " MB (processes.log-max-mb)";
        }
    }

    /** Reads the limit in force for the guard and the rotation, which go on with the last one read while the store cannot answer (a full disk). */
    private void readOutputLimit() {
        try {
            outputLimit = new OutputLimit(services.settings.value(OUTPUT_RATE), services.settings.value(LOG_MAX_MB));
        } catch (RuntimeException e) {
            LOG.warn("cannot read the output limits, the last ones apply: {}", e.toString());
        }
    }

    /**
     * Keeps the first burst of the runaway's output file and a line saying what was discarded and
     * why (what was read of it already stays counted): the disk it filled has room again.
     */
    private void discardRunaway(Watched entry, OutputLimit limit) {
        String why = limit.exceeded();
        entry.runaway = why;
        LOG.warn("process {} of agent {}: {}", entry.run.id(), entry.run.agent(), why);
        synchronized (this) { // not while a read rotates the file
            try (FileChannel file = FileChannel.open(entry.output, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                long size = file.size();
                long keep = Math.min(limit.burstBytes(), size); // a rotation may just have emptied it: the note is written still
                if (entry.fileKey.equals(identity(entry.output))) {
                    file.truncate(keep);
                    byte[] note = ("\n[swarm] " + (size > keep ? size - keep + " bytes of output discarded: " : "output stopped: ") + why + "\n")
                            .getBytes(StandardCharsets.UTF_8);
                    file.write(ByteBuffer.wrap(note), keep);
                    entry.offset = Math.min(entry.offset, keep);
                    entry.partialLine.reset();
                }
            } catch (IOException e) {
                LOG.warn("cannot discard the runaway output of process {}: {}", entry.run.id(), e.toString());
            }
        }
    }

    /**
     * Reads what the process wrote since the last read; past the cap, copies the file to .1 and
     * truncates it (the process writes on at the new end). What it writes while the copy is made
     * is read, counted and copied too, up to the truncation itself: only a write in the few
     * microseconds between the last look and the truncation could be lost (as with logrotate's
     * copytruncate; a file the process holds open cannot be renamed under it).
     */
    private void readOutput(Watched entry) {
        try (FileChannel file = FileChannel.open(entry.output, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            if (!entry.fileKey.equals(identity(entry.output))) {
                return; // replaced by hand: not the file the process writes
            }
            if (file.size() < entry.offset) {
                entry.offset = 0; // truncated by hand: read it again from the start
                entry.partialLine.reset();
            }
            consume(entry, file, file.size());
            if (entry.offset > outputLimit.burstBytes()) {
                shiftRotated(entry.output);
                Path older = numbered(entry.output, 1);
                try (FileChannel rotated = FileChannel.open(PrivateFiles.newFile(older), StandardOpenOption.WRITE)) {
                    long copied = 0;
                    for (long end = entry.offset; copied < end; end = file.size()) {
                        consume(entry, file, end);
                        copied += file.transferTo(copied, end - copied, rotated);
                    }
                    file.truncate(0);
                    entry.offset = 0;
                } catch (IOException full) {
                    Files.deleteIfExists(older); // a part copy (the disk is full): the output stays whole in its file
                    throw full;
                }
            }
        } catch (NoSuchFileException gone) {
            // removed by hand: nothing to read
        } catch (java.nio.file.FileSystemException link) {
            if (!Files.isSymbolicLink(entry.output)) {
                LOG.warn("cannot read the output of process {}: {}", entry.run.id(), link.toString());
            } // replaced by a link: never followed
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read the output of process {}: {}", entry.run.id(), e.toString());
        }
        if (entry.bytes != entry.recordedBytes) {
            AgentOutput.Summary summary = entry.parser.summary();
            try {
                processes.output(entry.run.id(), entry.bytes, new Run.Usage(summary.inputTokens(), summary.outputTokens(), summary.costUsd(),
                        summary.outcome(), summary.lastStep()));
                entry.recordedBytes = entry.bytes;
            } catch (RuntimeException e) {
                LOG.warn("cannot record the output of process {} yet: {}", entry.run.id(), e.toString()); // the next read records it
            }
        }
    }

    /** Reads the file from where the last read ended to {@code end}: counts the bytes and gives each whole line to the parser, if it reads them. */
    private static void consume(Watched entry, FileChannel file, long end) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(READ_CHUNK);
        while (entry.offset < end) {
            buffer.clear().limit((int) Math.min(READ_CHUNK, end - entry.offset));
            int read = file.read(buffer, entry.offset);
            if (read <= 0) {
                return;
            }
            entry.offset += read;
            entry.bytes += read;
            if (!entry.parser.readsLines()) {
                continue;
            }
            byte[] bytes = buffer.array();
            int start = 0;
            for (int i = 0; i < read; i++) {
                if (bytes[i] == '\n') {
                    keepOfLine(entry, bytes, start, i);
                    entry.parser.accept(entry.partialLine.toString(StandardCharsets.UTF_8));
                    entry.partialLine.reset();
                    start = i + 1;
                }
            }
            keepOfLine(entry, bytes, start, read);
        }
    }

    /** Adds the bytes to the line being read, up to one past what the parser reads (a longer line is only counted: the parser skips it). */
    private static void keepOfLine(Watched entry, byte[] bytes, int from, int to) {
        int room = AgentOutput.MAX_PARSED_CHARS + 1 - entry.partialLine.size();
        entry.partialLine.write(bytes, from, Math.max(0, Math.min(room, to - from)));
    }

    /** Makes room for a new .1: shifts the older files up (the oldest beyond .{@value #KEPT_FILES} is dropped). */
    private static void shiftRotated(Path output) throws IOException {
        for (int i = KEPT_FILES - 1; i >= 1; i--) {
            Path older = numbered(output, i);
            if (Files.exists(older)) {
                Files.move(older, numbered(output, i + 1), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.deleteIfExists(numbered(output, 1));
    }

    /** The file's own size (a link put in its place is not followed). */
    private static long sizeOf(Path file) {
        try {
            return Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).size();
        } catch (IOException gone) {
            return 0;
        }
    }

    /** The file's identity (device and inode), its own even when it is a link; a fresh object, equal to nothing, when it is gone. */
    private static Object identity(Path file) {
        try {
            Object key = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            return key == null ? new Object() : key;
        } catch (IOException gone) {
            return new Object();
        }
    }

    private static Path numbered(Path output, int number) {
        return output.resolveSibling(output.getFileName() + "." + number);
    }

    Path outputOf(String agent) {
        return HubFiles.runOutput(root, agent);
    }

    List<String> watchedRuns() {
        return List.copyOf(watched.keySet());
    }
}
