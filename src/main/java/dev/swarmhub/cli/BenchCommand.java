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
 * tasks (each client claims the next ready task and reports it done, on a stocked queue).
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
            description = "disjoint, overlapping, registry (GET /agents), log (GET /log: the newest 50 events), wait, inbox or tasks "
                    + "(default disjoint).")
    String scenario;

    @Option(names = "--stock", defaultValue = "5000", description = "Tasks put in the queue before a tasks run (default 5000).")
    int stock;

    @Option(names = "--via", defaultValue = "http", description = "http (the API) or socket (the CLI's Unix socket; disjoint and overlapping).")
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
        if (!List.of("disjoint", "overlapping", "registry", "log", "wait", "inbox", "tasks").contains(scenario)) {
            throw SwarmException.badInput("unknown scenario '" + scenario + "': use disjoint, overlapping, registry, log, wait, inbox or tasks");
        }
        if (stock < 1 || stock > TaskTransfer.MAX_IMPORTED * 10) {
            throw SwarmException.badInput("--stock must be 1 to " + TaskTransfer.MAX_IMPORTED * 10);
        }
        if (!via.equals("http") && !via.equals("socket")) {
            throw SwarmException.badInput("unknown --via '" + via + "': use http or socket");
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
        long runId = System.currentTimeMillis() % 100_000;
        List<String> ids = new ArrayList<>();
        List<String> tokens = new ArrayList<>();
        try {
            for (int i = 0; i < Math.max(clients, 2); i++) {
                ids.add("bench-" + runId + "-" + i);
                tokens.add((String) call(operator, "POST", "/agents", Map.of("id", ids.get(i), "kind", "other")).get("token"));
            }
            boolean socket = via.equals("socket");
            String label = "bench-" + runId;
            long doneBefore = 0;
            if (scenario.equals("tasks")) {
                refuseBusyQueue(operator);
                doneBefore = doneCount(operator);
                stockQueue(tokens, label);
            }
            Duration hubCpuBefore = cpu(hubProcess);
            Result result = switch (scenario) {
                case "disjoint" -> run(millis, i -> cycle(socket, root, ids.get(i), tokens.get(i), "bench/" + runId + "/" + i + ".py"));
                case "overlapping" -> run(millis, i -> cycle(socket, root, ids.get(i), tokens.get(i), "bench/" + runId + "/shared.py"));
                case "registry" -> run(millis, i -> call(tokens.get(i), "GET", "/agents", null));
                case "log" -> run(millis, i -> call(tokens.get(i), "GET", "/log", null));
                case "inbox" -> inboxWakes(ids.get(0), tokens.get(0), tokens.subList(1, tokens.size()), (int) Math.max(1, millis / 50));
                case "tasks" -> run(millis, i -> claimAndFinish(tokens.get(i), label));
                default -> waitGrants(tokens.get(0), tokens.get(1), "bench/" + runId + "/baton.py", (int) Math.max(1, millis / 50));
            };
            result = result.withHubCpu(cpu(hubProcess).minus(hubCpuBefore));
            if (scenario.equals("tasks")) {
                result = result.checked(checkQueue(operator, result.operations() - starved.get(), doneBefore, label));
            }
            return swarm.output.result(result.document(scenario, clients), result.text(scenario, clients));
        } finally {
            for (String token : tokens) {
                call(token, "POST", "/agents/leave", Map.of()); // releases what an interrupted run still holds
            }
            for (BenchConnection open : connections) {
                open.close();
            }
        }
    }

    /** The hub's CPU time so far (user + system, all threads), or zero where the OS does not tell. */
    private static Duration cpu(Optional<ProcessHandle> process) {
        return process.flatMap(p -> p.info().totalCpuDuration()).orElse(Duration.ZERO);
    }

    @FunctionalInterface
    private interface Operation {
        void run(int client) throws IOException, InterruptedException;
    }

    /** {@code checks}: what the run verified afterwards, or "" (tasks: the queue's counts). */
    private record Result(long operations, long failures, double seconds, long[] latenciesNanos, Duration hubCpu, long starved, String checks) {
        Result(long operations, long failures, double seconds, long[] latenciesNanos, Duration hubCpu) {
            this(operations, failures, seconds, latenciesNanos, hubCpu, 0, "");
        }

        Result withHubCpu(Duration spent) {
            return new Result(operations, failures, seconds, latenciesNanos, spent, starved, checks);
        }

        Result checked(Checked queue) {
            return new Result(operations, failures, seconds, latenciesNanos, hubCpu, queue.starved(), queue.text());
        }

        /** The hub's CPU time per operation: what bounds throughput once the machine's cores are busy. */
        double hubCpuMicrosPerOperation() {
            return operations == 0 ? 0 : hubCpu.toNanos() / 1e3 / operations;
        }

        long percentile(double p) {
            return latenciesNanos.length == 0 ? 0 : latenciesNanos[(int) Math.min(latenciesNanos.length - 1, Math.ceil(p * latenciesNanos.length) - 1)];
        }

        Map<String, Object> document(String scenario, int clients) {
            return Output.document("scenario", scenario, "clients", clients, "operations", operations, "failures", failures,
                    "seconds", seconds, "perSecond", operations / seconds, "p50Ms", percentile(0.50) / 1e6, "p95Ms", percentile(0.95) / 1e6,
                    "p99Ms", percentile(0.99) / 1e6, "maxMs", percentile(1.0) / 1e6, "hubCpuMicrosPerOperation", hubCpuMicrosPerOperation(),
                    "starved", starved, "checks", checks);
        }

        String text(String scenario, int clients) {
            return String.format(Locale.ROOT, "%s, %d client(s): %d operations in %.1f s = %.0f/s, %d failed%n"
                    + "latency ms: p50 %.2f  p95 %.2f  p99 %.2f  max %.2f%n"
                    + "hub CPU: %.0f µs per operation%s", scenario, clients, operations, seconds,
                    operations / seconds, failures, percentile(0.50) / 1e6, percentile(0.95) / 1e6, percentile(0.99) / 1e6, percentile(1.0) / 1e6,
                    hubCpuMicrosPerOperation(), checks.isEmpty() ? "" : String.format(Locale.ROOT, "%n%d claim(s) found no ready task; %s", starved, checks));
        }
    }

    /** Runs the operation in a loop on every client for the duration, with a progress bar on stderr. */
    private Result run(long millis, Operation operation) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        CyclicBarrier start = new CyclicBarrier(clients + 1);
        AtomicLong done = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long[] deadline = new long[1];
        List<Future<long[]>> futures = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            int client = i;
            futures.add(pool.submit(() -> {
                long[] latencies = new long[1024];
                int count = 0;
                start.await();
                while (System.nanoTime() < deadline[0]) {
                    long begin = System.nanoTime();
                    try {
                        operation.run(client);
                    } catch (IOException | SwarmException e) {
                        failed.incrementAndGet();
                    }
                    if (count == latencies.length) {
                        latencies = Arrays.copyOf(latencies, count * 2);
                    }
                    latencies[count++] = System.nanoTime() - begin;
                    done.incrementAndGet();
                }
                return Arrays.copyOf(latencies, count);
            }));
        }
        long began = System.nanoTime();
        deadline[0] = began + millis * 1_000_000;
        start.await();
        while (futures.stream().anyMatch(f -> !f.isDone())) {
            progress((System.nanoTime() - began) / 1e6 / millis, done.get(), (System.nanoTime() - began) / 1e9);
            Thread.sleep(200); // the progress bar's refresh rate
        }
        double seconds = (System.nanoTime() - began) / 1e9;
        pool.shutdown();
        long[] all = new long[0];
        for (Future<long[]> future : futures) {
            long[] part = future.get();
            long[] merged = Arrays.copyOf(all, all.length + part.length);
            System.arraycopy(part, 0, merged, all.length, part.length);
            all = merged;
        }
        Arrays.sort(all);
        progress(1, done.get(), seconds);
        System.err.println();
        return new Result(done.get(), failed.get(), seconds, all, Duration.ZERO);
    }

    private static void progress(double fraction, long operations, double seconds) {
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

    /** Puts {@code stock} tasks with the run's label in the queue, the clients creating them in parallel. */
    private void stockQueue(List<String> tokens, String label) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<Object>> created = new ArrayList<>();
        for (int i = 0; i < stock; i++) {
            String token = tokens.get(i % clients);
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
        Map<?, ?> answer = JsonViews.JSON.readValue(claimed.body(), Map.class);
        String id = (String) ((Map<?, ?>) answer.get("task")).get("id");
        Object fencing = ((Map<?, ?>) answer.get("lease")).get("token");
        call(token, "POST", "/tasks/" + id + "/report", Map.of("outcome", "done", "fencing", fencing));
    }

    private record Checked(long starved, String text) {
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
        for (List<?> left = (List<?>) call(operator, "GET", "/tasks?status=open&label=" + label + "&limit=1000", null).get("tasks");
                !left.isEmpty(); left = (List<?>) call(operator, "GET", "/tasks?status=open&label=" + label + "&limit=1000", null).get("tasks")) {
            for (Object task : left) {
                call(operator, "POST", "/tasks/" + ((Map<?, ?>) task).get("id") + "/cancel", Map.of("reason", "left by swarm bench"));
            }
        }
        return new Checked(starved.get(), "queue checked: " + done + " done (one per cycle), 0 in progress, " + open
                + " left open (cancelled)");
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
        return new Result(rounds, 0, (System.nanoTime() - began) / 1e9, latencies, Duration.ZERO);
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
        return new Result(rounds, 0, (System.nanoTime() - began) / 1e9, latencies, Duration.ZERO);
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

    @SuppressWarnings("unchecked")
    private Map<String, Object> call(String token, String method, String path, Object body) throws IOException {
        BenchConnection.Response response = exchange(token, method, path, body);
        if (response.status() >= 300) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, method + " " + path + " answered " + response.status() + ": " + response.body());
        }
        return JsonViews.JSON.readValue(response.body(), Map.class);
    }

    private BenchConnection.Response exchange(String token, String method, String path, Object body) throws IOException {
        return exchange(token, method, path, body == null ? null : JsonViews.json(body));
    }

    private BenchConnection.Response exchange(String token, String method, String path, String body) throws IOException {
        BenchConnection open = connection.get();
        if (open == null) {
            open = new BenchConnection(url);
            connection.set(open);
            connections.add(open);
        }
        return open.exchange(token, method, path, body);
    }
}
