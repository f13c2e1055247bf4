package dev.swarmhub.cli;

import dev.swarmhub.core.SwarmException;
import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.hub.Hub;
import dev.swarmhub.hub.HubFiles;
import dev.swarmhub.hub.JsonViews;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
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
 * reads), wait (one holder releases, one waiter is granted: release-to-grant latency).
 */
@Command(name = "bench", description = "Measure the hub: throughput and latency percentiles of concurrent clients.")
final class BenchCommand implements Callable<Integer> {

    @ParentCommand
    Swarm swarm;

    @Option(names = "--clients", defaultValue = "16", description = "Concurrent clients (default 16).")
    int clients;

    @Option(names = "--duration", defaultValue = "10s", description = "How long to run (default 10s; wait: rounds x 50 ms).")
    String duration;

    @Option(names = "--scenario", defaultValue = "disjoint", description = "disjoint, overlapping, registry or wait (default disjoint).")
    String scenario;

    @Option(names = "--via", defaultValue = "http", description = "http (the API) or socket (the CLI's Unix socket; disjoint and overlapping).")
    String via;

    private HttpClient http;
    private String url;

    @Override
    public Integer call() throws Exception {
        Path root = swarm.projectRoot();
        if (clients < 1 || clients > 512) {
            throw SwarmException.badInput("--clients must be 1 to 512");
        }
        if (HubCommands.runningHubPid(root).isEmpty()) {
            HubCommands.startInBackground(root);
        }
        url = String.valueOf(Hub.readInfo(root).get("url"));
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        String operator = OperatorToken.readOrCreate(root);
        long runId = System.currentTimeMillis() % 100_000;
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < Math.max(clients, 2); i++) {
            Map<String, Object> registered = call(operator, "POST", "/agents", Map.of("id", "bench-" + runId + "-" + i, "kind", "other"));
            tokens.add((String) registered.get("token"));
        }
        long millis = LockCommand.duration(duration).toMillis();
        if (!via.equals("http") && !via.equals("socket")) {
            throw SwarmException.badInput("unknown --via '" + via + "': use http or socket");
        }
        boolean socket = via.equals("socket");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            ids.add("bench-" + runId + "-" + i);
        }
        Result result = switch (scenario) {
            case "disjoint" -> run(millis, i -> cycle(socket, root, ids.get(i), tokens.get(i), "bench/" + runId + "/" + i + ".py"));
            case "overlapping" -> run(millis, i -> cycle(socket, root, ids.get(i), tokens.get(i), "bench/" + runId + "/shared.py"));
            case "registry" -> run(millis, i -> call(tokens.get(i), "GET", "/agents", null));
            case "wait" -> waitGrants(tokens.get(0), tokens.get(1), "bench/" + runId + "/baton.py", (int) Math.max(1, millis / 50));
            default -> throw SwarmException.badInput("unknown scenario '" + scenario + "': use disjoint, overlapping, registry or wait");
        };
        for (String token : tokens) {
            call(token, "POST", "/agents/leave", Map.of());
        }
        return swarm.output.result(result.document(scenario, clients), result.text(scenario, clients));
    }

    @FunctionalInterface
    private interface Operation {
        void run(int client) throws IOException, InterruptedException;
    }

    private record Result(long operations, long failures, double seconds, long[] latenciesNanos) {
        long percentile(double p) {
            return latenciesNanos.length == 0 ? 0 : latenciesNanos[(int) Math.min(latenciesNanos.length - 1, Math.ceil(p * latenciesNanos.length) - 1)];
        }

        Map<String, Object> document(String scenario, int clients) {
            return Output.document("scenario", scenario, "clients", clients, "operations", operations, "failures", failures,
                    "seconds", seconds, "perSecond", operations / seconds, "p50Ms", percentile(0.50) / 1e6, "p95Ms", percentile(0.95) / 1e6,
                    "p99Ms", percentile(0.99) / 1e6, "maxMs", percentile(1.0) / 1e6);
        }

        String text(String scenario, int clients) {
            return String.format(Locale.ROOT, "%s, %d client(s): %d operations in %.1f s = %.0f/s, %d failed%n"
                    + "latency ms: p50 %.2f  p95 %.2f  p99 %.2f  max %.2f", scenario, clients, operations, seconds,
                    operations / seconds, failures, percentile(0.50) / 1e6, percentile(0.95) / 1e6, percentile(0.99) / 1e6, percentile(1.0) / 1e6);
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
        return new Result(done.get(), failed.get(), seconds, all);
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
            int code = SwarmClient.exchange(HubFiles.socket(root), new String[] {"lock", "acquire", resource, "--ttl", "60s"}, identity, root)
                    .exitCode();
            if (code == 0) {
                SwarmClient.exchange(HubFiles.socket(root), new String[] {"lock", "release", resource}, identity, root);
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
            waitUntilQueued(waiter);
            send(holder, "POST", "/locks/release", Map.of("resources", List.of(resource)));
            long released = System.nanoTime();
            latencies[round] = Math.max(0, granted.get() - released);
            send(waiter, "POST", "/locks/release", Map.of("resources", List.of(resource)));
            progress((round + 1.0) / rounds, round + 1, (System.nanoTime() - began) / 1e9);
        }
        pool.shutdown();
        System.err.println();
        Arrays.sort(latencies);
        return new Result(rounds, 0, (System.nanoTime() - began) / 1e9, latencies);
    }

    private final AtomicLong lastQueuedEvent = new AtomicLong();

    /** Follows the log until the waiter's next lease.queued event: then the release is contended. */
    private void waitUntilQueued(String waiterToken) throws IOException, InterruptedException {
        while (true) {
            Map<String, Object> log = call(waiterToken, "GET", "/log?kind=lease.queued&after=" + lastQueuedEvent.get(), null);
            List<?> events = (List<?>) log.get("events");
            if (!events.isEmpty()) {
                lastQueuedEvent.set(((Number) ((Map<?, ?>) events.get(events.size() - 1)).get("id")).longValue());
                return;
            }
            Thread.sleep(1); // polling the log for the queue entry
        }
    }

    private int send(String token, String method, String path, Object body) throws IOException, InterruptedException {
        return exchange(token, method, path, body).statusCode();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> call(String token, String method, String path, Object body) throws IOException, InterruptedException {
        HttpResponse<String> response = exchange(token, method, path, body);
        if (response.statusCode() >= 300) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, method + " " + path + " answered " + response.statusCode() + ": " + response.body());
        }
        return JsonViews.JSON.readValue(response.body(), Map.class);
    }

    private HttpResponse<String> exchange(String token, String method, String path, Object body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(30));
        if (body == null) {
            request.GET();
        } else {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(JsonViews.json(body)));
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
