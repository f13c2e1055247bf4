package dev.swarmhub.cli;

import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.hub.Hub;
import dev.swarmhub.hub.HubFiles;
import dev.swarmhub.hub.JsonViews;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.messages.Messages;
import dev.swarmhub.tasks.TaskTransfer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code swarm bench}: drives concurrent HTTP clients against the project's hub and reports
 * throughput and latency percentiles. Scenarios: disjoint (each client cycles acquire+release
 * on its own file), overlapping (all clients on one file; denials count), registry (agent list
 * reads), wait (one holder releases, one waiter is granted: release-to-grant latency), inbox
 * (a reader waits on its inbox, another agent sends: send-answered to reader-answered latency),
 * tasks (each client claims the next ready task and reports it done, on a stocked queue),
 * messages (each client sends to the next, fetches its unread messages and marks each read; over
 * the API, or {@code --via mcp} each client in its own MCP session; percentiles per call), swarm
 * (a mixed load of simulated agents at an agent's pace: {@link SwarmBench}). A run with failed
 * operations exits 1, naming the first.
 */
@ClientSide.RunsInClient
@Command(name = "bench", description = "Measure the hub: throughput and latency percentiles of concurrent clients.")
final class BenchCommand implements Callable<Integer> {

    @ParentCommand
    Swarm swarm;

    @Option(names = "--clients", defaultValue = "16", description = "Concurrent clients (default 16).")
    int clients;

    @Option(names = "--duration", defaultValue = "10s", description = "How long to run (default 10s; wait and inbox: rounds x 50 ms).")
    String duration;

    @Option(names = "--scenario", defaultValue = "disjoint",
            description = "disjoint, overlapping, registry (GET /agents), log (GET /log: the newest 50 events), wait, inbox, tasks, "
                    + "messages (send, fetch unread, mark read; raises messages.rate-limit for the run) "
                    + "or swarm (" + SwarmBench.MODEL + ") (default disjoint).")
    String scenario;

    @Option(names = "--agents", defaultValue = "100", description = "Simulated agents of a swarm run (default 100).")
    int agents;

    @Option(names = "--turn", defaultValue = "10s", description = "A swarm run's mean time between an agent's turns (tool calls; default 10s).")
    String turn;

    @Option(names = "--warm-up", paramLabel = "DURATION", description = "A swarm run's time before --duration in which the agents take their turns"
            + " uncounted (their failures count): the hub and the agents compile and reach every path once (default: one --turn).")
    String warmUp;

    @Option(names = "--seed", defaultValue = "1", description = "Seeds a swarm run's random gaps and choices (default 1).")
    long seed;

    @Option(names = "--stock", defaultValue = "5000", description = "Tasks put in the queue before a tasks run (default 5000).")
    int stock;

    @Option(names = "--via", defaultValue = "http", description = "http (the API), socket (the CLI's Unix socket; disjoint and overlapping) "
            + "or mcp (an MCP session per client; messages).")
    String via;

    private String url;
    /** Each client thread's own keep-alive connection, as a real agent would have; new for each run (picocli reuses this object). */
    private ThreadLocal<BenchConnection> connection;
    private ConcurrentLinkedQueue<BenchConnection> connections;

    @Override
    public Integer call() throws Exception {
        Path root = swarm.projectRoot();
        if (clients < 1 || clients > 512) {
            throw SwarmException.badInput("--clients must be 1 to 512");
        }
        if (!List.of("disjoint", "overlapping", "registry", "log", "wait", "inbox", "tasks", "messages", "swarm").contains(scenario)) {
            throw SwarmException.badInput("unknown scenario '" + scenario
                    + "': use disjoint, overlapping, registry, log, wait, inbox, tasks, messages or swarm");
        }
        if (agents < 2 || agents > SwarmBench.MOST_AGENTS) {
            throw SwarmException.badInput("--agents must be 2 to " + SwarmBench.MOST_AGENTS);
        }
        Duration turnMean = LockCommand.duration("--turn", turn);
        if (turnMean.toMillis() < 10 || turnMean.toHours() >= 1) {
            throw SwarmException.badInput("--turn must be 10ms to 1h");
        }
        Duration warmUpTime = warmUp == null ? turnMean : LockCommand.duration("--warm-up", warmUp);
        if (warmUpTime.isNegative() || warmUpTime.toHours() >= 1) {
            throw SwarmException.badInput("--warm-up must be 0s to 1h");
        }
        if (stock < 1 || stock > TaskTransfer.MAX_IMPORTED * 10) {
            throw SwarmException.badInput("--stock must be 1 to " + TaskTransfer.MAX_IMPORTED * 10);
        }
        if (!List.of("http", "socket", "mcp").contains(via)) {
            throw SwarmException.badInput("unknown --via '" + via + "': use http, socket or mcp");
        }
        long millis = LockCommand.duration("--duration", duration).toMillis();
        if (HubCommands.servingPid(root).isEmpty()) {
            HubCommands.startInBackground(root);
        }
        Map<String, Object> hub = Hub.readInfo(root);
        url = String.valueOf(hub.get("url"));
        Optional<ProcessHandle> hubProcess = ProcessHandle.of(((Number) hub.get("pid")).longValue());
        connection = new ThreadLocal<>();
        connections = new ConcurrentLinkedQueue<>();
        starved.set(0);
        String operator = OperatorToken.readOrCreate(root);
        // random, not from the clock: benches on several hubs of one database start at once (scripts/bench-hubs)
        String runId = UUID.randomUUID().toString().substring(0, 8);
        List<String> ids = new ArrayList<>();
        List<String> tokens = new ArrayList<>();
        String rateLimitBefore = null;
        try {
            int benchAgents = scenario.equals("swarm") ? 0 : Math.max(clients, 2); // a swarm run's agents register as their hooks do
            for (int i = 0; i < benchAgents; i++) {
                ids.add("bench-" + runId + "-" + i);
                tokens.add((String) call(operator, "POST", "/agents", Map.of("id", ids.get(i), "kind", "other")).get("token"));
            }
            boolean socket = via.equals("socket");
            String label = "bench-" + runId;
            long doneBefore = 0;
            if (scenario.equals("tasks")) {
                refuseBusyQueue(operator);
                doneBefore = doneCount(operator);
                stockQueue(tokens.subList(0, clients), label, stock);
            }
            rateLimitBefore = scenario.equals("messages") || scenario.equals("swarm") ? setRateLimit(RUN_RATE_LIMIT) : null;
            if (scenario.equals("swarm")) {
                SwarmBench.Report swarmRun = new SwarmBench(this, root, url, operator, hubProcess, label).run(agents, turnMean, seed, warmUpTime, millis);
                return report(swarmRun.result(), swarmRun.document(), swarmRun.text());
            }
            Duration hubCpuBefore = cpu(hubProcess);
            Result result = switch (scenario) {
                case "disjoint" -> run(millis, i -> cycle(socket, root, ids.get(i), tokens.get(i), "bench/" + runId + "/" + i + ".py"));
                case "overlapping" -> run(millis, i -> cycle(socket, root, ids.get(i), tokens.get(i), "bench/" + runId + "/shared.py"));
                case "registry" -> run(millis, i -> call(tokens.get(i), "GET", "/agents", null));
                case "log" -> run(millis, i -> call(tokens.get(i), "GET", "/log", null));
                case "inbox" -> inboxWakes(ids.get(0), tokens.get(0), tokens.subList(1, tokens.size()), (int) Math.max(1, millis / 50));
                case "tasks" -> run(millis, i -> claimAndFinish(tokens.get(i), label));
                case "messages" -> runKinds(millis, new MessageRounds(ids, tokens, via.equals("mcp"))::next);
                default -> waitGrants(tokens.get(0), tokens.get(1), "bench/" + runId + "/baton.py", (int) Math.max(1, millis / 50));
            };
            result = result.withHubCpu(cpu(hubProcess).minus(hubCpuBefore));
            if (scenario.equals("tasks")) {
                result = result.checked(checkQueue(operator, result.operations() - starved.get(), doneBefore, label));
            }
            return report(result, result.document(scenario, clients), result.text(scenario, clients));
        } finally {
            if (rateLimitBefore != null) {
                restoreRateLimit(rateLimitBefore);
            }
            for (String token : tokens) {
                call(token, "POST", "/agents/leave", Map.of()); // releases what an interrupted run still holds
            }
            for (BenchConnection open : connections) {
                open.close();
            }
        }
    }

    /** Prints the run's document; a run with failed operations exits 1, naming the first. */
    private int report(Result result, Map<String, Object> document, String text) {
        swarm.output.result(document, text);
        if (result.failures() == 0) {
            return 0;
        }
        swarm.output.warning("swarm bench: " + result.failures() + " operation(s) failed; the first: " + result.firstFailure());
        return 1;
    }

    /** The messages and swarm scenarios' senders send faster than an agent may by default. */
    private static final String RUN_RATE_LIMIT = "999999/1s";

    /** Puts the rate limit back; a store that refuses (a hub stuck in a write) is told, not thrown over the run's own outcome. */
    private void restoreRateLimit(String before) {
        try {
            setRateLimit(before);
        } catch (SwarmException refused) {
            swarm.output.warning("swarm bench: could not put " + Messages.RATE_LIMIT.name() + " back to " + before + " (" + refused.getMessage()
                    + "): swarm config " + Messages.RATE_LIMIT.name() + " " + before);
        }
    }

    /** Sets the project's messages.rate-limit; returns the one before. */
    private String setRateLimit(String limit) {
        try (CommandServices services = swarm.services()) {
            String before = services.settings.all().get(Messages.RATE_LIMIT.name());
            services.settings.set(swarm.operatorCaller(), Messages.RATE_LIMIT.name(), limit);
            System.err.println(Messages.RATE_LIMIT.name() + " set to " + limit + (limit.equals(RUN_RATE_LIMIT) ? " for the run" : " again"));
            return before;
        }
    }

    /**
     * Each client's round of messages: send to the next client, fetch its unread messages, mark
     * each one fetched read; one call per operation, over the API or in the client's MCP session
     * (streamable HTTP, opened before the run: the run measures tool calls only).
     */
    private final class MessageRounds {
        private final List<String> ids;
        private final List<String> tokens;
        private final boolean mcp;
        private final String[] sessions;
        private final boolean[] sentLast;
        private final List<java.util.ArrayDeque<String>> toRead = new ArrayList<>();

        MessageRounds(List<String> ids, List<String> tokens, boolean mcp) throws IOException {
            this.ids = ids;
            this.tokens = tokens;
            this.mcp = mcp;
            sessions = new String[clients];
            sentLast = new boolean[clients];
            for (int i = 0; i < clients; i++) {
                toRead.add(new java.util.ArrayDeque<>());
                if (mcp) {
                    sessions[i] = connection().openMcpSession(tokens.get(i)); // a session belongs to its id, whichever connection carries it
                }
            }
        }

        /** Runs the client's next call; returns its kind, named as the MCP tool. */
        String next(int client) throws IOException {
            String token = tokens.get(client);
            String unread = toRead.get(client).poll();
            if (unread != null) {
                if (mcp) {
                    tool(client, "read_message", Map.of("message", unread));
                } else {
                    call(token, "POST", "/messages/" + unread + "/read", Map.of());
                }
                return "read_message";
            }
            if (sentLast[client]) {
                sentLast[client] = false;
                if (mcp) {
                    for (tools.jackson.databind.JsonNode message : tool(client, "fetch_inbox", Map.of("unread", true)).path("messages")) {
                        toRead.get(client).add(message.path("id").asString());
                    }
                } else {
                    for (Object message : (List<?>) call(token, "GET", "/messages?unread=true", null).get("messages")) {
                        toRead.get(client).add((String) ((Map<?, ?>) message).get("id"));
                    }
                }
                return "fetch_inbox";
            }
            sentLast[client] = true;
            Map<String, Object> message = Map.of("to", List.of(ids.get((client + 1) % ids.size())), "type", "info", "text", "bench");
            if (mcp) {
                tool(client, "send_message", message);
            } else {
                call(token, "POST", "/messages", message);
            }
            return "send_message";
        }

        /** Calls a tool in the client's session; returns its structured result, or fails naming the error. */
        private tools.jackson.databind.JsonNode tool(int client, String name, Map<String, Object> arguments) throws IOException {
            BenchConnection.ToolAnswer answer = connection().callTool(tokens.get(client), sessions[client], name, arguments);
            if (answer.failed()) {
                throw new IOException(name + " failed: " + answer.content());
            }
            return answer.content();
        }
    }

    /** The hub's CPU time so far (user + system, all threads), or zero where the OS does not tell. */
    static Duration cpu(Optional<ProcessHandle> process) {
        return process.flatMap(p -> p.info().totalCpuDuration()).orElse(Duration.ZERO);
    }

    @FunctionalInterface
    private interface Operation {
        void run(int client) throws IOException, InterruptedException;
    }

    /**
     * A run's outcome. Failed operations have no latency: they are counted by kind, and the first
     * one's message kept ({@code firstFailure}, null when none failed). {@code checks}: what the
     * run verified afterwards, or "" (tasks: the queue's counts).
     */
    record Result(long operations, long failures, double seconds, long[] latenciesNanos, Map<String, long[]> byKind,
                  Map<String, Long> failuresByKind, String firstFailure, Duration hubCpu, long starved, String checks) {
        /** A run of one kind of operation that stops at its first failure (wait, inbox). */
        Result(long operations, double seconds, long[] latenciesNanos) {
            this(operations, 0, seconds, latenciesNanos, Map.of(), Map.of(), null, Duration.ZERO, 0, "");
        }

        Result withHubCpu(Duration spent) {
            return new Result(operations, failures, seconds, latenciesNanos, byKind, failuresByKind, firstFailure, spent, starved, checks);
        }

        Result checked(Checked run) {
            return new Result(operations, failures, seconds, latenciesNanos, byKind, failuresByKind, firstFailure, hubCpu, run.starved(), run.text());
        }

        /** The same run without its split by kind (a scenario of one kind). */
        Result withoutKinds() {
            return new Result(operations, failures, seconds, latenciesNanos, Map.of(), Map.of(), firstFailure, hubCpu, starved, checks);
        }

        /** The hub's CPU time per operation: what bounds throughput once the machine's cores are busy. */
        double hubCpuMicrosPerOperation() {
            return operations == 0 ? 0 : hubCpu.toNanos() / 1e3 / operations;
        }

        long percentile(double p) {
            return percentile(latenciesNanos, p);
        }

        static long percentile(long[] sorted, double p) {
            return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
        }

        Map<String, Object> document(String scenario, int clients) {
            return Output.document("scenario", scenario, "clients", clients, "operations", operations, "failures", failures,
                    "seconds", seconds, "perSecond", operations / seconds, "p50Ms", percentile(0.50) / 1e6, "p95Ms", percentile(0.95) / 1e6,
                    "p99Ms", percentile(0.99) / 1e6, "maxMs", percentile(1.0) / 1e6, "byKind", kindDocuments(byKind, failuresByKind),
                    "hubCpuMicrosPerOperation", hubCpuMicrosPerOperation(), "starved", starved, "checks", checks, "firstFailure", firstFailure);
        }

        /** Each kind's count, failures and percentiles; a kind whose every operation failed is listed too. */
        static Map<String, Object> kindDocuments(Map<String, long[]> byKind, Map<String, Long> failuresByKind) {
            Map<String, Object> kinds = new java.util.TreeMap<>();
            kinds(byKind, failuresByKind).forEach((kind, sorted) -> kinds.put(kind, Output.document("operations", sorted.length,
                    "failures", failuresByKind.getOrDefault(kind, 0L), "p50Ms", percentile(sorted, 0.50) / 1e6,
                    "p95Ms", percentile(sorted, 0.95) / 1e6, "p99Ms", percentile(sorted, 0.99) / 1e6, "maxMs", percentile(sorted, 1.0) / 1e6)));
            return kinds;
        }

        /** One line per kind, as {@link #text} shows them. */
        static String kindLines(Map<String, long[]> byKind, Map<String, Long> failuresByKind) {
            StringBuilder lines = new StringBuilder();
            kinds(byKind, failuresByKind).forEach((kind, sorted) -> lines.append(String.format(Locale.ROOT,
                    "%n  %-18s %7d ops  p50 %.2f  p95 %.2f  p99 %.2f  max %.2f%s", kind, sorted.length, percentile(sorted, 0.50) / 1e6,
                    percentile(sorted, 0.95) / 1e6, percentile(sorted, 0.99) / 1e6, percentile(sorted, 1.0) / 1e6,
                    failuresByKind.containsKey(kind) ? "  " + failuresByKind.get(kind) + " FAILED" : "")));
            return lines.toString();
        }

        private static Map<String, long[]> kinds(Map<String, long[]> byKind, Map<String, Long> failuresByKind) {
            Map<String, long[]> kinds = new java.util.TreeMap<>(byKind);
            failuresByKind.keySet().forEach(kind -> kinds.putIfAbsent(kind, new long[0]));
            return kinds;
        }

        String text(String scenario, int clients) {
            return String.format(Locale.ROOT, "%s, %d client(s): %d operations in %.1f s = %.0f/s, %d failed%n"
                    + "latency ms: p50 %.2f  p95 %.2f  p99 %.2f  max %.2f%s%n"
                    + "hub CPU: %.0f µs per operation%s%s", scenario, clients, operations, seconds,
                    operations / seconds, failures, percentile(0.50) / 1e6, percentile(0.95) / 1e6, percentile(0.99) / 1e6, percentile(1.0) / 1e6,
                    kindLines(byKind, failuresByKind), hubCpuMicrosPerOperation(),
                    checks.isEmpty() ? "" : String.format(Locale.ROOT, "%n%d claim(s) found no ready task; %s", starved, checks),
                    firstFailure == null ? "" : "\nfirst failure: " + firstFailure);
        }
    }

    /** An operation of several kinds: runs one, returns its kind (the percentiles are also given per kind). */
    @FunctionalInterface
    private interface KindedOperation {
        String run(int client) throws IOException, InterruptedException;
    }

    /** Runs the operation in a loop on every client for the duration, with a progress bar on stderr. */
    private Result run(long millis, Operation operation) throws Exception {
        return runKinds(millis, client -> {
            operation.run(client);
            return scenario;
        }).withoutKinds();
    }

    /** Runs the operation in a loop on every client for the duration, with a progress bar on stderr; latencies also by kind. */
    private Result runKinds(long millis, KindedOperation operation) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        CyclicBarrier start = new CyclicBarrier(clients + 1);
        AtomicLong done = new AtomicLong();
        long[] deadline = new long[1];
        List<Future<Tally>> futures = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            int client = i;
            futures.add(pool.submit(() -> {
                Tally tally = new Tally();
                start.await();
                while (System.nanoTime() < deadline[0]) {
                    long begin = System.nanoTime();
                    try {
                        tally.add(operation.run(client), System.nanoTime() - begin);
                    } catch (IOException | SwarmException e) {
                        tally.fail("failed", e); // the kind is what the operation returns: a failed one has none
                    }
                    done.incrementAndGet();
                }
                return tally;
            }));
        }
        long began = System.nanoTime();
        deadline[0] = began + millis * 1_000_000;
        start.await();
        double seconds = awaitRun(futures, began, millis, done);
        pool.shutdown();
        Tally all = new Tally();
        for (Future<Tally> future : futures) {
            all.addAll(future.get());
        }
        return all.result(seconds);
    }

    /** Waits for a run's threads, with a progress bar on stderr meanwhile; returns the run's seconds. */
    static double awaitRun(List<? extends Future<?>> threads, long began, long millis, AtomicLong done) throws InterruptedException {
        while (threads.stream().anyMatch(f -> !f.isDone())) {
            progress((System.nanoTime() - began) / 1e6 / millis, done.get(), (System.nanoTime() - began) / 1e9);
            Thread.sleep(200); // the progress bar's refresh rate
        }
        double seconds = (System.nanoTime() - began) / 1e9;
        progress(1, done.get(), seconds);
        System.err.println();
        return seconds;
    }

    /** What one thread of a run measured: latencies and failures by kind, and the first failure; merged after the run. */
    static final class Tally {
        private final Map<String, Latencies> byKind = new java.util.HashMap<>();
        private final Map<String, Long> failuresByKind = new java.util.HashMap<>();
        private String firstFailure;
        private long firstFailureNanos;

        void add(String kind, long nanos) {
            byKind.computeIfAbsent(kind, k -> new Latencies()).add(nanos);
        }

        void fail(String kind, Exception failure) {
            failuresByKind.merge(kind, 1L, Long::sum);
            if (firstFailure == null) {
                firstFailure = kind + ": " + failure.getMessage();
                firstFailureNanos = System.nanoTime();
            }
        }

        void addAll(Tally other) {
            other.byKind.forEach((kind, part) -> byKind.computeIfAbsent(kind, k -> new Latencies()).addAll(part));
            other.failuresByKind.forEach((kind, count) -> failuresByKind.merge(kind, count, Long::sum));
            if (other.firstFailure != null && (firstFailure == null || other.firstFailureNanos - firstFailureNanos < 0)) {
                firstFailure = other.firstFailure;
                firstFailureNanos = other.firstFailureNanos;
            }
        }

        Map<String, long[]> sortedByKind() {
            Map<String, long[]> sorted = new java.util.TreeMap<>();
            byKind.forEach((kind, latencies) -> sorted.put(kind, latencies.sorted()));
            return sorted;
        }

        Map<String, Long> failuresByKind() {
            return new java.util.TreeMap<>(failuresByKind);
        }

        Result result(double seconds) {
            Latencies all = new Latencies();
            byKind.values().forEach(all::addAll);
            long failures = failuresByKind.values().stream().mapToLong(Long::longValue).sum();
            return new Result(all.count + failures, failures, seconds, all.sorted(), sortedByKind(), failuresByKind(), firstFailure,
                    Duration.ZERO, 0, "");
        }
    }

    /** A growing list of latencies in nanoseconds. */
    private static final class Latencies {
        private long[] values = new long[1024];
        private int count;

        void add(long nanos) {
            if (count == values.length) {
                values = Arrays.copyOf(values, count * 2);
            }
            values[count++] = nanos;
        }

        void addAll(Latencies other) {
            for (int i = 0; i < other.count; i++) {
                add(other.values[i]);
            }
        }

        long[] sorted() {
            long[] sorted = Arrays.copyOf(values, count);
            Arrays.sort(sorted);
            return sorted;
        }
    }

    static void progress(double fraction, long operations, double seconds) {
        int width = 30;
        int filled = (int) Math.min(width, Math.round(fraction * width));
        System.err.printf(Locale.ROOT, "\r[%s%s] %3.0f%%  %d ops  %.0f/s ", "#".repeat(filled), ".".repeat(width - filled),
                Math.min(100, fraction * 100), operations, seconds > 0 ? operations / seconds : 0);
        System.err.flush();
    }

    /** One acquire + release; a denial counts as a completed operation, as the store answered. */
    private void cycle(boolean socket, Path root, String agent, String token, String resource) throws IOException, InterruptedException {
        if (socket) {
            Map<String, String> identity = Map.of("SWARM_AGENT", agent, "SWARM_TOKEN", token, "SWARM_ROOT", root.toString());
            int code = SwarmClient.exchange(root, new String[] {"lock", "acquire", resource, "--ttl", "60s"}, identity, root)
                    .exitCode();
            if (code == 0) {
                SwarmClient.exchange(root, new String[] {"lock", "release", resource}, identity, root);
            } else if (code != 3) {
                throw new IOException("acquire exited " + code);
            }
            return;
        }
        int status = send(token, "POST", "/locks", Map.of("resources", List.of(resource), "ttl", "60s"));
        if (status == 200) {
            send(token, "POST", "/locks/release", Map.of("resources", List.of(resource)));
        } else if (status != 409) {
            throw new IOException("acquire answered " + status);
        }
    }

    private final AtomicLong starved = new AtomicLong();

    /** The tasks scenario would take real work if there were any: it runs where no task is open or in progress. */
    private void refuseBusyQueue(String operator) throws IOException {
        List<?> unfinished = (List<?>) call(operator, "GET", "/tasks?limit=1", null).get("tasks");
        if (!unfinished.isEmpty()) {
            throw SwarmException.badInput("the tasks scenario needs a queue with no open or claimed task (it would claim real work): "
                    + "this project has some");
        }
    }

    private long doneCount(String operator) throws IOException {
        return ((Number) ((Map<?, ?>) call(operator, "GET", "/tasks/stats", null).get("byStatus")).get("done")).longValue();
    }

    /** Puts {@code count} tasks with the run's label in the queue, created in parallel by the agents of {@code tokens}, one thread each. */
    void stockQueue(List<String> tokens, String label, int count) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(tokens.size());
        List<Future<Object>> created = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String token = tokens.get(i % tokens.size());
            int number = i;
            created.add(pool.submit(() -> call(token, "POST", "/tasks", Map.of("title", "bench task " + number, "label", List.of(label)))));
        }
        for (Future<Object> task : created) {
            task.get();
        }
        pool.shutdown();
    }

    /** Claims the next ready task of the run and reports it done with its fencing token; none ready counts as starved. */
    private void claimAndFinish(String token, String label) throws IOException {
        BenchConnection.Response claimed = exchange(token, "POST", "/tasks/claim", JsonViews.json(Map.of("label", label)));
        if (claimed.status() == 409) {
            starved.incrementAndGet();
            return;
        }
        if (claimed.status() != 200) {
            throw new IOException("claim answered " + claimed.status() + ": " + claimed.body());
        }
        ClaimedTask task = ClaimedTask.of(JsonViews.JSON.readTree(claimed.body()));
        call(token, "POST", "/tasks/" + task.id() + "/report", Map.of("outcome", "done", "fencing", task.fencing()));
    }

    /** A claimed task: its id and its claim's fencing token, from a claim's answer (the API's, an MCP tool's or the CLI's JSON). */
    record ClaimedTask(String id, long fencing) {
        static ClaimedTask of(tools.jackson.databind.JsonNode claimed) {
            return new ClaimedTask(claimed.path("task").path("id").asString(), claimed.path("lease").path("token").asLong());
        }
    }

    /** What a run verified afterwards: claims that found no ready task, and the checks' account. */
    record Checked(long starved, String text) {
    }

    /**
     * Checks the queue against the run: every cycle finished one task (done grew by the cycles),
     * nothing is left in progress, and done + open is the stock; fails the bench when not. Then
     * cancels what is left, so the queue holds no open work of the bench.
     */
    private Checked checkQueue(String operator, long cycles, long doneBefore, String label) throws IOException {
        Map<?, ?> counts = (Map<?, ?>) call(operator, "GET", "/tasks/stats", null).get("byStatus");
        long done = ((Number) counts.get("done")).longValue() - doneBefore;
        long open = ((Number) counts.get("open")).longValue();
        long inProgress = ((Number) counts.get("inProgress")).longValue();
        if (done != cycles || inProgress != 0 || done + open != stock) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "the task queue disagrees with the run: " + cycles + " claim+done cycles, but "
                    + done + " done, " + inProgress + " in progress, " + open + " open of " + stock);
        }
        cancelOpen(operator, label);
        return new Checked(starved.get(), "queue checked: " + done + " done (one per cycle), 0 in progress, " + open
                + " left open (cancelled)");
    }

    /** Cancels the open tasks of the run's label, so the queue holds no open work of the bench; returns how many. */
    long cancelOpen(String operator, String label) throws IOException {
        long cancelled = 0;
        for (List<?> left = openTasks(operator, label); !left.isEmpty(); left = openTasks(operator, label)) {
            for (Object task : left) {
                call(operator, "POST", "/tasks/" + ((Map<?, ?>) task).get("id") + "/cancel", Map.of("reason", "left by swarm bench"));
                cancelled++;
            }
        }
        return cancelled;
    }

    private List<?> openTasks(String operator, String label) throws IOException {
        return (List<?>) call(operator, "GET", "/tasks?status=open&label=" + label + "&limit=1000", null).get("tasks");
    }

    /** Holder and waiter pass a lease back and forth; measures release-answered to grant-answered. */
    private Result waitGrants(String holder, String waiter, String resource, int rounds) throws Exception {
        long[] latencies = new long[rounds];
        long began = System.nanoTime();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        for (int round = 0; round < rounds; round++) {
            send(holder, "POST", "/locks", Map.of("resources", List.of(resource)));
            Future<Long> granted = pool.submit(() -> {
                send(waiter, "POST", "/locks", Map.of("resources", List.of(resource), "wait", "10s"));
                return System.nanoTime();
            });
            waitUntilQueued(waiter, granted);
            send(holder, "POST", "/locks/release", Map.of("resources", List.of(resource)));
            long released = System.nanoTime();
            latencies[round] = Math.max(0, granted.get() - released);
            send(waiter, "POST", "/locks/release", Map.of("resources", List.of(resource)));
            progress((round + 1.0) / rounds, round + 1, (System.nanoTime() - began) / 1e9);
        }
        pool.shutdown();
        System.err.println();
        Arrays.sort(latencies);
        return new Result(rounds, (System.nanoTime() - began) / 1e9, latencies);
    }

    /**
     * A reader waits on its inbox; the senders take turns sending it one message (each stays under
     * its rate limit, so rounds are capped at 10 per sender); measures send-answered to
     * inbox-answered. The reader marks each message read, so the next wait waits.
     */
    private Result inboxWakes(String reader, String readerToken, List<String> senders, int wantedRounds) throws Exception {
        int rounds = Math.min(wantedRounds, senders.size() * Messages.RATE_LIMIT.defaultValue().count());
        long[] latencies = new long[rounds];
        long began = System.nanoTime();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        for (int round = 0; round < rounds; round++) {
            Future<Long> woken = pool.submit(() -> {
                call(readerToken, "GET", "/messages?unread=true&wait=10s", null);
                return System.nanoTime();
            });
            Map<String, Object> sent = call(senders.get(round % senders.size()), "POST", "/messages",
                    Map.of("to", List.of(reader), "type", "info", "text", "bench round " + round));
            long answered = System.nanoTime();
            latencies[round] = Math.max(0, woken.get() - answered);
            call(readerToken, "POST", "/messages/" + sent.get("id") + "/read", Map.of());
            progress((round + 1.0) / rounds, round + 1, (System.nanoTime() - began) / 1e9);
        }
        pool.shutdown();
        System.err.println();
        Arrays.sort(latencies);
        return new Result(rounds, (System.nanoTime() - began) / 1e9, latencies);
    }

    private final AtomicLong lastQueuedEvent = new AtomicLong();

    /** Follows the log until the waiter's next lease.queued event (then the release is contended), or its request ended. */
    private void waitUntilQueued(String waiterToken, Future<?> waiting) throws IOException, InterruptedException {
        while (!waiting.isDone()) {
            Map<String, Object> log = call(waiterToken, "GET", "/log?kind=lease.queued&after=" + lastQueuedEvent.get(), null);
            List<?> events = (List<?>) log.get("events");
            if (!events.isEmpty()) {
                lastQueuedEvent.set(((Number) ((Map<?, ?>) events.get(events.size() - 1)).get("id")).longValue());
                return;
            }
            Thread.sleep(1); // polling the log for the queue entry
        }
    }

    private int send(String token, String method, String path, Object body) throws IOException {
        return exchange(token, method, path, body).status();
    }

    /** One API call on this thread's connection, its JSON answer; fails on any status but success. */
    Map<String, Object> call(String token, String method, String path, Object body) throws IOException {
        return connection().call(token, method, path, body);
    }

    private BenchConnection.Response exchange(String token, String method, String path, Object body) throws IOException {
        return exchange(token, method, path, body == null ? null : JsonViews.json(body));
    }

    private BenchConnection.Response exchange(String token, String method, String path, String body) throws IOException {
        return connection().exchange(token, method, path, body);
    }

    /** This thread's connection: each client runs on its own thread. */
    private BenchConnection connection() {
        BenchConnection open = connection.get();
        if (open == null) {
            open = new BenchConnection(url);
            connection.set(open);
            connections.add(open);
        }
        return open;
    }
}
