package dev.swarmhub.cli;

import dev.swarmhub.kernel.SwarmException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * {@code swarm bench --scenario swarm}: a realistic mixed load of simulated agents, each on its
 * own virtual thread with its own keep-alive connection ({@link SwarmBenchAgent}, {@link #MODEL}).
 * Before the run (not timed) each agent registers as Claude Code's SessionStart hook does, with a
 * stand-in process as its client's, MCP agents open their session, and the queue is stocked with
 * tasks labelled for the run; after it, each agent leaves as its session's end does, and the
 * bench checks that nothing of the run is left (agents, leases, open tasks) and that no hook
 * failed (a hook never fails its client: it notes why in .swarm/hooks.log).
 */
final class SwarmBench {

    static final int MOST_AGENTS = 5_000;
    /** The simulated agent, as the bench's help states it (no percent signs: picocli formats descriptions). */
    static final String MODEL = "simulated agents (--agents) at an agent's pace: an agent like Claude Code makes a tool call every few seconds "
            + "and its hook tells the hub on each, so each agent takes a turn every --turn on average (exponential gaps from random starts, "
            + "--seed). Every turn: the PostToolUse hook over the CLI socket (activity; unread messages handed over). Each agent counting from "
            + "its own place: 1 turn in 5 an edit, "
            + "an exclusive lease on one of its 10 files or, 1 edit in 10, on one of 20 shared files waiting up to 2s, released on its next "
            + "turn. 1 in 20: a message to another agent. 1 in 50: a task of the run claimed, then progress and done on its next turns. "
            + "Half the agents call over MCP, half over the API with 1 call in 10 by the CLI; 1 agent in 20 follows the event stream";
    /** One agent in this many follows the event stream for the whole run (at least one). */
    private static final int FOLLOWER_EVERY = 20;
    /** Registering and leaving run this many at a time: registrations take turns on the hub's registration lock anyway. */
    private static final int SETUP_THREADS = 8;
    /** Registering or leaving, this long without an agent done means the hub stopped answering. */
    private static final Duration STALL = Duration.ofSeconds(60);
    /** Stocking the task queue: this many agents create tasks in parallel. */
    private static final int STOCKING_AGENTS = 16;

    /** The run's outcome, its document (Result's, with the swarm's fields added) and its text. */
    record Report(BenchCommand.Result result, Map<String, Object> document, String text) {
    }

    private final BenchCommand bench;
    private final Path root;
    private final String url;
    private final String operator;
    private final Optional<ProcessHandle> hub;
    private final String label;

    SwarmBench(BenchCommand bench, Path root, String url, String operator, Optional<ProcessHandle> hub, String label) {
        this.bench = bench;
        this.root = root;
        this.url = url;
        this.operator = operator;
        this.hub = hub;
        this.label = label;
    }

    Report run(int count, Duration turn, long seed, Duration warmUp, long millis) throws Exception {
        Path hooksLog = root.resolve(".swarm").resolve("hooks.log");
        long hooksLogBefore = Files.exists(hooksLog) ? Files.size(hooksLog) : 0;
        AtomicLong operations = new AtomicLong();
        List<SwarmBenchAgent> agents = new ArrayList<>();
        ExecutorService socketThreads = Executors.newCachedThreadPool();
        SwarmBenchAgent.Run run = new SwarmBenchAgent.Run(root, label, agents, turn.toNanos(), operations, socketThreads);
        SplittableRandom seeds = new SplittableRandom(seed);
        BenchCommand.Tally byKind = new BenchCommand.Tally();
        BenchCommand.Tally byVia = new BenchCommand.Tally();
        long began = System.nanoTime();
        int stock = (int) Math.ceil(2.0 * count * (millis + warmUp.toMillis()) / turn.toMillis() / SwarmBenchAgent.TASK_EVERY) + count; // twice the claims expected, and the first turns' claims
        List<SwarmBenchAgent> followers = new ArrayList<>();
        double seconds;
        Duration hubCpu;
        long rssAtStart;
        long rssAtEnd;
        long eventsReceived;
        long ownPausesMs;
        Duration hubCpuBefore;
        long pausedBefore;
        try (socketThreads; StandIns standIns = StandIns.start(count)) {
            for (int i = 0; i < count; i++) {
                agents.add(new SwarmBenchAgent(run, i, standIns.pids().get(i), i % 2 == 0, seeds.split(), url));
                if (i % FOLLOWER_EVERY == 0) {
                    followers.add(agents.get(i));
                }
            }
            try {
                List<Exception> setup = onEach(agents, 1, agent -> { // one agent that cannot join fails the run
                    agent.register();
                    agent.join();
                });
                if (!setup.isEmpty()) {
                    throw new SwarmException(SwarmException.Kind.INTERNAL, setup.size() + " agent(s) could not join; the first: " + setup.get(0).getMessage(),
                            setup.get(0));
                }
                bench.stockQueue(agents.stream().limit(STOCKING_AGENTS).map(SwarmBenchAgent::token).toList(), label, stock);
                System.err.printf(Locale.ROOT, "%d agents joined, %d tasks stocked in %.1f s%n", count, stock, (System.nanoTime() - began) / 1e9);
                try (EventFollowers events = new EventFollowers(followers, url)) {
                    long turnsBegin = System.nanoTime();
                    long start = turnsBegin + warmUp.toNanos();
                    long deadline = start + millis * 1_000_000;
                    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                        List<Future<Void>> running = new ArrayList<>();
                        for (SwarmBenchAgent agent : agents) {
                            running.add(threads.submit(() -> {
                                agent.run(turnsBegin, start, deadline);
                                return null;
                            }));
                        }
                        if (!warmUp.isZero()) {
                            System.err.printf(Locale.ROOT, "warming up for %d s%n", warmUp.toSeconds());
                            Thread.sleep(warmUp); // the run's pace: the agents take turns meanwhile, uncounted
                        }
                        rssAtStart = hubRssKb();
                        hubCpuBefore = BenchCommand.cpu(hub);
                        pausedBefore = ownCollectorPausesMs();
                        operations.set(0);
                        seconds = BenchCommand.awaitRun(running, start, millis, operations);
                        for (Future<Void> agent : running) {
                            agent.get();
                        }
                    }
                    hubCpu = BenchCommand.cpu(hub).minus(hubCpuBefore);
                    ownPausesMs = ownCollectorPausesMs() - pausedBefore;
                    rssAtEnd = hubRssKb();
                    eventsReceived = events.stop(byKind);
                }
            } finally {
                for (Exception failure : onEach(agents.stream().filter(agent -> agent.id() != null).toList(), SETUP_THREADS, SwarmBenchAgent::leave)) {
                    byKind.fail("leave", failure);
                }
            }
        }
        for (SwarmBenchAgent agent : agents) {
            byKind.addAll(agent.byKind);
            byVia.addAll(agent.byVia);
        }
        for (String line : newLines(hooksLog, hooksLogBefore)) {
            byKind.fail("hook", new IOException(line));
        }
        long cancelled = 0;
        List<String> left;
        try {
            cancelled = bench.cancelOpen(operator, label);
            left = leftBehind(agents);
        } catch (IOException | SwarmException unanswered) {
            left = List.of("what the run left could not be checked: " + unanswered.getMessage());
        }
        for (String problem : left) {
            byKind.fail("left behind", new IOException(problem));
        }
        long starved = agents.stream().mapToLong(agent -> agent.claimsStarved).sum();
        BenchCommand.Result result = byKind.result(seconds).withHubCpu(hubCpu).checked(new BenchCommand.Checked(starved, (left.isEmpty()
                ? "checked: every agent of the run gone, no lease of theirs left, no task of the run claimed"
                : "left behind: " + left.size() + " thing(s) (failures of kind 'left behind')") + "; " + cancelled + " open task(s) of the run cancelled"));
        return report(result, byVia, agents, followers.size(), eventsReceived, stock, turn, warmUp, seed, rssAtStart, rssAtEnd, ownPausesMs);
    }

    /**
     * How long this process's garbage collector has stopped it, in ms (its concurrent work is no
     * pause): the agents are simulated here, so an operation in flight during a pause counts it
     * in its latency although the hub had no part in it.
     */
    private static long ownCollectorPausesMs() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .filter(collector -> !collector.getName().contains("Concurrent") && !collector.getName().contains("Cycles"))
                .mapToLong(GarbageCollectorMXBean::getCollectionTime).sum();
    }

    private Report report(BenchCommand.Result result, BenchCommand.Tally byVia, List<SwarmBenchAgent> agents, int followers, long eventsReceived,
            int stock, Duration turn, Duration warmUp, long seed, long rssAtStart, long rssAtEnd, long ownPausesMs) {
        int count = agents.size();
        int overMcp = (count + 1) / 2;
        long sent = agents.stream().mapToLong(agent -> agent.messagesSent).sum();
        long handedOver = agents.stream().mapToLong(agent -> agent.messagesHandedOver).sum();
        long hotRefused = agents.stream().mapToLong(agent -> agent.hotEditsRefused).sum();
        long tasksDone = agents.stream().mapToLong(agent -> agent.tasksDone).sum();
        Map<String, Object> document = result.document("swarm", count);
        document.put("agents", count);
        document.put("turnMs", turn.toMillis());
        document.put("warmUpMs", warmUp.toMillis());
        document.put("seed", seed);
        document.put("mix", Output.document("mcpAgents", overMcp, "apiAgents", count - overMcp, "cliShareOfApiAgentCalls", 1.0 / SwarmBenchAgent.CLI_CALL_EVERY,
                "hooks", "every agent's, PostToolUse over the CLI socket", "eventFollowers", followers));
        document.put("byVia", BenchCommand.Result.kindDocuments(byVia.sortedByKind(), Map.of()));
        document.put("hubRssKb", Output.document("start", rssAtStart, "end", rssAtEnd));
        document.put("benchGcPausesMs", ownPausesMs);
        document.put("events", Output.document("streams", followers, "received", eventsReceived));
        document.put("messages", Output.document("sent", sent, "handedOverByHooks", handedOver));
        document.put("edits", Output.document("hotRefusedAfterWait", hotRefused));
        document.put("tasks", Output.document("stocked", stock, "done", tasksDone));
        String text = result.text("swarm", count) + String.format(Locale.ROOT,
                "%nagents: %d (%d over MCP, %d over the API with 1 call in 10 by the CLI; every hook over the CLI socket), %d following events;"
                        + " turn %d ms, warm-up %d ms (uncounted), seed %d%nby transport:%s%nhub RSS: %d MB at the start, %d MB at the end;"
                        + " this process's garbage collector paused the simulated agents for %d ms in all%n"
                        + "events received: %d; messages sent %d, handed over by hooks %d; hot edits refused after the wait: %d; tasks done: %d",
                count, overMcp, count - overMcp, followers, turn.toMillis(), warmUp.toMillis(), seed, BenchCommand.Result.kindLines(byVia.sortedByKind(), Map.of()),
                rssAtStart / 1024, rssAtEnd / 1024, ownPausesMs, eventsReceived, sent, handedOver, hotRefused, tasksDone);
        return new Report(result, document, text);
    }

    @FunctionalInterface
    private interface AgentStep {
        void run(SwarmBenchAgent agent) throws IOException;
    }

    /**
     * Runs the step for every agent, {@link #SETUP_THREADS} at a time; returns the failures. After
     * {@code failuresInARow} failures in a row, or when no step ends for {@link #STALL}, the hub is
     * not answering (each failed only after its client's timeout): the rest are given up as one
     * failure, so the bench ends.
     */
    private static List<Exception> onEach(List<SwarmBenchAgent> agents, int failuresInARow, AgentStep step) throws InterruptedException {
        ExecutorService threads = Executors.newFixedThreadPool(SETUP_THREADS);
        List<Future<Void>> steps = new ArrayList<>();
        for (SwarmBenchAgent agent : agents) {
            steps.add(threads.submit(() -> {
                step.run(agent);
                return null;
            }));
        }
        List<Exception> failures = new ArrayList<>();
        int givenUpFrom = steps.size();
        int inARow = 0;
        for (int i = 0; i < givenUpFrom; i++) {
            try {
                steps.get(i).get(STALL.toSeconds(), TimeUnit.SECONDS);
                inARow = 0;
            } catch (ExecutionException failed) {
                failures.add(failed.getCause() instanceof Exception cause ? cause : failed);
                givenUpFrom = ++inARow == failuresInARow ? i + 1 : givenUpFrom;
            } catch (TimeoutException stalled) {
                givenUpFrom = i;
            }
        }
        List<Future<Void>> rest = steps.subList(givenUpFrom, steps.size());
        if (!rest.isEmpty()) {
            rest.forEach(late -> late.cancel(true));
            failures.add(new IOException(rest.size() + " of " + steps.size() + " agents given up: the hub does not answer ("
                    + failuresInARow + " failed in a row, or none done in " + STALL.toSeconds() + " s)"));
        }
        threads.shutdownNow();
        return failures;
    }

    /** What the run left in the hub: its agents not gone (or more of them than it registered), their leases, its tasks still claimed. */
    private List<String> leftBehind(List<SwarmBenchAgent> agents) throws IOException {
        List<String> left = new ArrayList<>();
        Set<String> sessions = agents.stream().map(SwarmBenchAgent::recordedSession).collect(Collectors.toSet());
        List<Map<?, ?>> ofTheRun = listed(bench.call(operator, "GET", "/agents?all=true", null), "agents").stream()
                .filter(agent -> sessions.contains(agent.get("session"))).toList();
        if (ofTheRun.size() != agents.size()) {
            left.add(ofTheRun.size() + " agents ran as the run's sessions, not " + agents.size() + " (a hook registered one again)");
        }
        ofTheRun.stream().filter(agent -> !"gone".equals(agent.get("status")))
                .forEach(agent -> left.add("agent " + agent.get("id") + " is " + agent.get("status") + " after its session ended"));
        Set<Object> ids = ofTheRun.stream().map(agent -> agent.get("id")).collect(Collectors.toSet());
        listed(bench.call(operator, "GET", "/locks?all=true", null), "leases").stream().filter(lease -> ids.contains(lease.get("agent")))
                .forEach(lease -> left.add("lease on " + lease.get("resource") + " of " + lease.get("agent") + " left"));
        listed(bench.call(operator, "GET", "/tasks?label=" + label, null), "tasks")
                .forEach(task -> left.add("task " + task.get("id") + " left " + task.get("status")));
        return left;
    }

    private static List<Map<?, ?>> listed(Map<String, Object> document, String field) {
        return ((List<?>) document.get(field)).stream().<Map<?, ?>>map(item -> (Map<?, ?>) item).toList();
    }

    /** The lines appended to the file since it had {@code size} bytes. */
    private static List<String> newLines(Path file, long size) throws IOException {
        if (!Files.exists(file) || Files.size(file) <= size) {
            return List.of(); // none, or rotated (then its lines are in the rotated file: none of this run's can be lost, only not shown)
        }
        byte[] bytes = Files.readAllBytes(file);
        return new String(bytes, (int) size, bytes.length - (int) size, StandardCharsets.UTF_8).lines().toList();
    }

    /** The hub's resident memory in kB (VmRSS in /proc/PID/status), or 0 where the OS does not tell. */
    private long hubRssKb() {
        Optional<Path> status = hub.map(process -> Path.of("/proc", Long.toString(process.pid()), "status")).filter(Files::isReadable);
        try {
            for (String line : status.isPresent() ? Files.readAllLines(status.get()) : List.<String>of()) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).replace("kB", "").strip());
                }
            }
        } catch (IOException gone) {
            // the hub ended meanwhile: the run reports its failures
        }
        return 0;
    }

    /**
     * Live processes standing for the agents' Claude Code processes: the hub ties a hook's session
     * to its client's process (CLAUDE_PID) and checks that it runs. One shell starts them (sleeps),
     * prints their pids, and kills them when its standard input closes: when the bench is done
     * with them, or ends otherwise.
     */
    private static final class StandIns implements AutoCloseable {
        private final Process shell;
        private final List<Long> pids = new ArrayList<>();

        private StandIns(Process shell) {
            this.shell = shell;
        }

        static StandIns start(int count) throws IOException {
            Process shell = new ProcessBuilder("sh", "-c", "i=0; pids=; while [ $i -lt $1 ]; do sleep 86400 >/dev/null & echo $!; "
                    + "pids=\"$pids $!\"; i=$((i+1)); done; read _; kill $pids", "sh", Integer.toString(count))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            StandIns standIns = new StandIns(shell);
            BufferedReader started = new BufferedReader(new InputStreamReader(shell.getInputStream(), StandardCharsets.UTF_8));
            for (int i = 0; i < count; i++) {
                String pid = started.readLine();
                if (pid == null) {
                    standIns.close();
                    throw new IOException("started " + i + " of " + count + " stand-in processes");
                }
                standIns.pids.add(Long.parseLong(pid.strip()));
            }
            return standIns;
        }

        List<Long> pids() {
            return pids;
        }

        @Override
        public void close() throws IOException {
            shell.getOutputStream().close(); // the shell kills them and ends
            try {
                if (!shell.waitFor(10, TimeUnit.SECONDS)) {
                    shell.destroy();
                }
            } catch (InterruptedException e) {
                shell.destroy();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Event streams (GET /events) some agents hold for the whole run, as a dashboard does; counts the events they receive. */
    private static final class EventFollowers implements AutoCloseable {
        private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        private final List<BenchConnection> connections = new ArrayList<>();
        private final List<Future<Void>> following = new ArrayList<>();
        private final AtomicLong received = new AtomicLong();
        private volatile boolean stopping;

        /** Opens a stream for each agent; returns once the hub answered every one. */
        EventFollowers(List<SwarmBenchAgent> agents, String url) throws IOException, InterruptedException {
            List<CompletableFuture<Void>> opened = new ArrayList<>();
            for (SwarmBenchAgent agent : agents) {
                BenchConnection connection = new BenchConnection(url);
                CompletableFuture<Void> open = new CompletableFuture<>();
                connections.add(connection);
                opened.add(open);
                following.add(threads.submit(() -> {
                    try {
                        connection.followEvents(agent.token(), "/events", () -> open.complete(null), received::incrementAndGet);
                    } catch (IOException ended) {
                        open.completeExceptionally(ended);
                        if (stopping) {
                            return null; // closed by stop()
                        }
                        throw ended;
                    }
                    if (!stopping) {
                        throw new IOException("the hub ended the event stream during the run");
                    }
                    return null;
                }));
            }
            for (CompletableFuture<Void> open : opened) {
                try {
                    open.get();
                } catch (ExecutionException refused) {
                    close();
                    throw new IOException("an event stream did not open: " + refused.getCause().getMessage(), refused.getCause());
                }
            }
        }

        /** Ends the streams; returns how many events they received, counting a stream that ended before as a failure. */
        long stop(BenchCommand.Tally failures) throws IOException, InterruptedException {
            close();
            for (Future<Void> stream : following) {
                try {
                    stream.get();
                } catch (ExecutionException ended) {
                    failures.fail("events", ended.getCause() instanceof Exception cause ? cause : ended);
                }
            }
            return received.get();
        }

        @Override
        public void close() throws IOException {
            stopping = true;
            for (BenchConnection connection : connections) {
                connection.close();
            }
            threads.shutdown();
        }
    }
}
