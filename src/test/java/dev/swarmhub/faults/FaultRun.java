package dev.swarmhub.faults;

import static dev.swarmhub.faults.FaultClient.ordered;

import dev.swarmhub.hub.JsonViews;
import dev.swarmhub.kernel.Durations;
import dev.swarmhub.testing.JavaProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;

/**
 * A Jepsen-style fault run (issue 18): starts the hub(s) as real processes, one agent and one
 * client JVM ({@link FaultClient}) per client, each talking to its hub through its own
 * {@link FaultProxy}; runs the {@link Nemesis} on the seeded schedule; heals everything, takes
 * the final read and merges every process's events into {@code history.jsonl} beside
 * {@code run.json} (the format of the checker, {@code CheckHistory}).
 *
 * <p>Options: {@code --seed N --duration 2m --clients 5 --ttl 3s --request-timeout 5s --store
 * sqlite|postgresql --hubs N (PostgreSQL) --nemesis a,b,... (default: all this machine supports)
 * --out DIR}. Exit 0 when the run completed (the checker judges the history), 1 on bad options, 3
 * when the run itself failed (a hub that did not come back is reported so).
 */
public final class FaultRun {

    static final List<String> RESOURCES = List.of("f1.txt", "f2.txt", "f3.txt", "f4.txt");
    /**
     * The one client whose wall clock the nemesis steps (c1). libfaketime slows a JVM's timed waits
     * badly (an HTTP call on loopback: ~7 ms without, 100-800 ms with it, measured here with
     * libfaketime 0.9.10), so only this client runs under it and the others keep their pace.
     */
    static final int CLOCK_STEPPED = 0;
    private static final int TASKS_PER_CLIENT = 12;
    private static final String LIBFAKETIME = "faketime/libfaketime.so.1";
    private static final Duration CLIENT_EXIT = Duration.ofMinutes(2);

    /** What a run is asked to do. */
    record Options(long seed, Duration duration, int clients, Duration ttl, Duration requestTimeout, String store, int hubs,
            List<Nemesis.Fault> nemeses, Path out, Path cSource, boolean brokenLeases) {

        static Options parse(String[] args) {
            Map<String, String> given = new LinkedHashMap<>();
            for (int i = 0; i < args.length; i++) {
                if (!args[i].startsWith("--") || i + 1 == args.length) {
                    throw new IllegalArgumentException("expected --option VALUE, got '" + args[i] + "'");
                }
                given.put(args[i].substring(2), args[++i]);
            }
            long seed = given.containsKey("seed") ? number(given, "seed", "0") : new Random().nextLong() & Long.MAX_VALUE;
            Duration duration = duration(given, "duration", "2m");
            int clients = (int) number(given, "clients", "5");
            Duration ttl = duration(given, "ttl", "3s");
            Duration timeout = duration(given, "request-timeout", "5s");
            String store = given.getOrDefault("store", "sqlite");
            if (!store.equals("sqlite") && !store.equals("postgresql")) {
                throw new IllegalArgumentException("--store must be sqlite or postgresql, not '" + store + "'");
            }
            int hubs = (int) number(given, "hubs", store.equals("sqlite") ? "1" : "2");
            if (hubs < 1 || store.equals("sqlite") && hubs != 1) {
                throw new IllegalArgumentException("--hubs " + hubs + ": SQLite runs one hub; PostgreSQL 1 or more");
            }
            if (clients < 1) {
                throw new IllegalArgumentException("--clients must be at least 1, not " + clients);
            }
            List<Nemesis.Fault> nemeses = !given.containsKey("nemesis") ? List.of(Nemesis.Fault.values())
                    : given.get("nemesis").isBlank() || given.get("nemesis").equals("none") ? List.of()
                    : Stream.of(given.get("nemesis").split(",")).map(String::strip).map(Nemesis.Fault::named).toList();
            Path out = Path.of(given.getOrDefault("out", "target/fault-runs/" + Instant.now().toString().replace(':', '-') + "-" + seed));
            Path cSource = Path.of(given.getOrDefault("c-source", "src/test/c/slow_fsync.c"));
            // --broken leases: the hubs run with the test switch that checks leases before the write (the checker must catch it)
            String broken = given.getOrDefault("broken", "nothing");
            if (!broken.equals("nothing") && !broken.equals("leases")) {
                throw new IllegalArgumentException("--broken must be leases (or nothing), not '" + broken + "'");
            }
            List<String> known = List.of("seed", "duration", "clients", "ttl", "request-timeout", "store", "hubs", "nemesis", "out", "c-source",
                    "broken");
            given.keySet().stream().filter(option -> !known.contains(option)).findFirst().ifPresent(option -> {
                throw new IllegalArgumentException("unknown option --" + option + " (known: --" + String.join(", --", known) + ")");
            });
            return new Options(seed, duration, clients, ttl, timeout, store, hubs, nemeses, out, cSource, broken.equals("leases"));
        }

        private static long number(Map<String, String> given, String option, String otherwise) {
            String text = given.getOrDefault(option, otherwise);
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--" + option + " must be a whole number, not '" + text + "'");
            }
        }

        private static Duration duration(Map<String, String> given, String option, String otherwise) {
            String text = given.getOrDefault(option, otherwise);
            try {
                return Durations.parse(text);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("--" + option + ": " + e.getMessage());
            }
        }
    }

    /** What a run did: where its files are, its outcome counts, the faults it injected, and what the hubs logged amiss. */
    record Result(Path out, Map<String, Long> outcomes, Map<String, Long> faults, Map<String, String> skipped, List<String> hubProblems,
            Map<String, Integer> hubExits, List<Nemesis.Planned> schedule) {
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException bad) {
            System.err.println("fault-run: " + bad.getMessage());
            System.exit(1);
            return;
        }
        System.out.println("fault-run seed " + options.seed() + " (again: --seed " + options.seed() + ")");
        try {
            Result result = run(options, System.out::println);
            System.out.println("fault-run: history in " + result.out().resolve("history.jsonl"));
            System.exit(0);
        } catch (RunFailed failed) {
            System.out.println("fault-run FAILED: " + failed.getMessage());
            System.exit(3);
        }
    }

    /** The run could not complete (a hub that never served again); the histories so far are merged all the same. */
    static final class RunFailed extends Exception {
        RunFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    interface Say {
        void line(String text);
    }

    /** The faults this machine can run, the shims they need, and why the others were skipped. */
    private record Faults(List<Nemesis.Fault> enabled, Map<String, String> skipped, Path fsyncShim, Path libfaketime) {

        static Faults supported(Options options, Path out, Say say) {
            List<Nemesis.Fault> enabled = new ArrayList<>();
            Map<String, String> skipped = new TreeMap<>();
            Path shim = out.resolve("slow_fsync.so");
            Path faketime = installedLibfaketime();
            for (Nemesis.Fault fault : options.nemeses()) {
                String unsupported = switch (fault) {
                    case DISK_FULL -> FaultHubs.tmpfsUnsupported(out);
                    case SLOW_DISK -> compile(options.cSource(), shim);
                    case CLOCK_STEP -> faketime == null ? "libfaketime is not installed (apt-get install -y libfaketime)" : null;
                    default -> null;
                };
                if (unsupported == null) {
                    enabled.add(fault);
                } else {
                    skipped.put(fault.option, unsupported);
                    say.line("fault-run: nemesis " + fault.option + " skipped: " + unsupported);
                }
            }
            return new Faults(enabled, skipped, enabled.contains(Nemesis.Fault.SLOW_DISK) ? shim : null,
                    enabled.contains(Nemesis.Fault.CLOCK_STEP) ? faketime : null);
        }
    }

    static Result run(Options options, Say say) throws IOException, InterruptedException, RunFailed {
        Path out = Files.createDirectories(options.out().toAbsolutePath());
        Faults faults = Faults.supported(options, out, say);
        List<Nemesis.Fault> enabled = faults.enabled();
        Map<String, String> skipped = faults.skipped();
        say.line("fault-run: " + options.store() + ", " + options.hubs() + " hub(s), " + options.clients() + " clients, ttl "
                + options.ttl().toMillis() + " ms, " + options.duration().toSeconds() + " s; nemesis: "
                + enabled.stream().map(fault -> fault.option).collect(Collectors.joining(", ")) + "; out " + out);
        String database = options.store().equals("postgresql") ? FaultHubs.newPostgresDatabase() : null;
        List<Nemesis.Planned> schedule = Nemesis.schedule(options.seed(), enabled, options.hubs(), options.clients(), options.ttl().toMillis(),
                options.duration().toMillis());
        List<Process> clients = new CopyOnWriteArrayList<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> clients.forEach(Process::destroyForcibly), "fault-run: kill the clients"));
        List<FaultProxy> proxies = new ArrayList<>();
        RunFailed failed = null;
        Map<String, Integer> hubExits = Map.of();
        long base;
        long startedAt;
        try (FaultHubs hubs = new FaultHubs(out, options.hubs(), database, enabled.contains(Nemesis.Fault.DISK_FULL), faults.fsyncShim(),
                options.brokenLeases())) {
            hubs.all().forEach(hubs::start);
            configure(hubs.get(0));
            List<String> agents = IntStream.rangeClosed(1, options.clients()).mapToObj(i -> "c" + i).toList();
            List<String> tokens = new ArrayList<>();
            for (int i = 0; i < agents.size(); i++) {
                FaultHubs.Hub hub = hubs.get(i % options.hubs());
                tokens.add(post(hub, "/agents", ordered("id", agents.get(i), "kind", "codex")).get("token").asString());
            }
            for (int i = 0; i < options.clients() * TASKS_PER_CLIENT; i++) {
                post(hubs.get(0), "/tasks", ordered("title", "fault-run task " + (i + 1), "priority", (long) (i % 5)));
            }
            base = System.nanoTime();
            startedAt = System.currentTimeMillis();
            List<Path> clocks = new ArrayList<>();
            for (int i = 0; i < agents.size(); i++) {
                FaultProxy proxy = new FaultProxy(hubs.get(i % options.hubs()).port);
                proxies.add(proxy);
                Path clock = out.resolve("clock-" + agents.get(i));
                Nemesis.writeClock(clock, 0);
                clocks.add(clock);
                clients.add(startClient(options, out, agents, i, tokens.get(i), proxy, base, faults.libfaketime(), clock));
            }
            awaitReady(clients);
            long end = System.nanoTime() + options.duration().toNanos();
            for (Process client : clients) {
                client.outputWriter(StandardCharsets.UTF_8).append(FaultClient.GO).append(Long.toString(end)).append('\n').flush();
            }
            FaultRecorder nemesisLog = new FaultRecorder(out, "nemesis", base);
            Nemesis nemesis = new Nemesis(schedule, new Nemesis.Targets() {
                public FaultHubs hubs() {
                    return hubs;
                }

                public List<Process> clients() {
                    return clients;
                }

                public List<FaultProxy> proxies() {
                    return proxies;
                }

                public Path clock(int index) {
                    return clocks.get(index);
                }
            }, nemesisLog);
            try {
                nemesis.run(end);
            } catch (RuntimeException | AssertionError | IOException broken) {
                say.line("fault-run: the nemesis stopped: " + broken);
                failed = new RunFailed("the nemesis stopped: " + broken.getMessage(), broken);
            }
            nemesisLog.close();
            for (Process client : clients) {
                if (client.isAlive()) {
                    Nemesis.signal(client, "CONT"); // a client paused when the nemesis stopped early
                }
            }
            proxies.forEach(proxy -> proxy.set(FaultProxy.Mode.PASS, 0));
            for (Path clock : clocks) {
                Nemesis.writeClock(clock, 0);
            }
            awaitClients(clients, say);
            try {
                for (FaultHubs.Hub hub : hubs.all()) {
                    hubs.heal(hub);
                }
                Map<String, Object> state = FinalRead.read(hubs, RESOURCES);
                try (FaultRecorder finalLog = new FaultRecorder(out, "final", base)) {
                    finalLog.record(FaultRecorder.Type.OK, "final-read", 1, state);
                }
            } catch (RuntimeException | AssertionError | IOException unreachable) {
                failed = new RunFailed("no final read: " + unreachable.getMessage(), unreachable);
            }
            hubExits = hubs.stop();
        } finally {
            proxies.forEach(FaultProxy::close);
            clients.forEach(Process::destroyForcibly);
        }
        writeRunJson(out, options, enabled, skipped, startedAt);
        merge(out);
        Result result = new Result(out, count(out, false), count(out, true), skipped, hubProblems(out), hubExits, schedule);
        report(result, say);
        if (failed != null) {
            throw failed;
        }
        return result;
    }

    /** The store's settings for a run: a rate limit that does not turn the workload's sends into refusals. */
    private static void configure(FaultHubs.Hub hub) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(JavaProcess.javaBinary(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xlog:all=warning:stderr",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.swarmhub.cli.Swarm",
                "--root", hub.checkout.toString(), "config", "messages.rate-limit", "100000/1m").redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("SWARM_"));
        builder.environment().put("SWARM_TOKEN", hub.operatorToken());
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IOException("swarm config messages.rate-limit failed: " + output);
        }
    }

    private static Process startClient(Options options, Path out, List<String> agents, int index, String token, FaultProxy proxy, long base,
            Path faketime, Path clock) throws IOException {
        String agent = agents.get(index);
        List<String> peers = agents.size() == 1 ? agents : agents.stream().filter(other -> !other.equals(agent)).toList();
        List<String> command = List.of(JavaProcess.javaBinary(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx256m",
                "-Xlog:all=warning:stderr", "-XX:-UsePerfData", "-Djdk.httpclient.allowRestrictedHeaders=host", "-cp",
                System.getProperty("java.class.path"), FaultClient.class.getName(), agent, "http://127.0.0.1:" + proxy.port() + "/api/v1",
                "127.0.0.1:" + proxy.targetPort(), Long.toString(options.seed() * 1_000 + index + 1), Long.toString(base),
                Long.toString(options.ttl().toMillis()),
                Long.toString(options.requestTimeout().toMillis()), String.join(",", RESOURCES), String.join(",", peers), out.toString());
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(out.resolve("client-" + agent + ".err").toFile()));
        builder.environment().keySet().removeIf(name -> name.startsWith("SWARM_"));
        builder.environment().put("FAULT_TOKEN", token);
        if (faketime != null && index == CLOCK_STEPPED) { // the client's wall clock follows its control file; CLOCK_MONOTONIC (the history's times) stays true
            builder.environment().put("LD_PRELOAD", faketime.toString());
            builder.environment().put("FAKETIME_TIMESTAMP_FILE", clock.toString());
            builder.environment().put("FAKETIME_DONT_FAKE_MONOTONIC", "1");
            builder.environment().put("FAKETIME_CACHE_DURATION", "1");
        }
        return builder.start();
    }

    /** Waits for every client's warm-up (its "ready" line); one that exits instead fails the run. */
    private static void awaitReady(List<Process> clients) throws IOException {
        for (int i = 0; i < clients.size(); i++) {
            BufferedReader said = clients.get(i).inputReader(StandardCharsets.UTF_8);
            String line = said.readLine();
            if (!FaultClient.READY.equals(line)) {
                throw new IOException("client c" + (i + 1) + " did not start (said " + line + "; see client-c" + (i + 1) + ".err)");
            }
        }
    }

    /** Waits for the clients to finish their last operation (each bounded by its request timeout) and exit. */
    private static void awaitClients(List<Process> clients, Say say) throws InterruptedException {
        for (int i = 0; i < clients.size(); i++) {
            Process client = clients.get(i);
            if (!client.waitFor(CLIENT_EXIT.toMillis(), TimeUnit.MILLISECONDS)) {
                say.line("fault-run: client c" + (i + 1) + " did not exit within " + CLIENT_EXIT.toSeconds() + " s: killed");
                client.destroyForcibly().waitFor();
            } else if (client.exitValue() != 0) {
                say.line("fault-run: client c" + (i + 1) + " exited with " + client.exitValue() + " (see client-c" + (i + 1) + ".err)");
            }
        }
    }

    private static JsonNode post(FaultHubs.Hub hub, String path, Map<String, Object> body) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(hub.url() + path))
                .header("Authorization", "Bearer " + hub.operatorToken()).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(JsonViews.json(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IOException("POST " + path + " to " + hub.name + " answered " + response.statusCode() + ": " + response.body());
        }
        return JsonViews.JSON.readTree(response.body());
    }

    /** Compiles the slow-fsync shim; null when it worked, else why not. */
    private static String compile(Path source, Path library) {
        if (!Files.isRegularFile(source)) {
            return "no source " + source.toAbsolutePath() + " (run from the repository, or give --c-source)";
        }
        try {
            Process gcc = new ProcessBuilder("gcc", "-shared", "-fPIC", "-O2", "-o", library.toString(), source.toString(), "-ldl")
                    .redirectErrorStream(true).start();
            String output = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return gcc.waitFor() == 0 ? null : "gcc could not build the fsync shim: " + output.strip();
        } catch (IOException e) {
            return "no C compiler to build the fsync shim (apt-get install -y gcc): " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private static Path installedLibfaketime() {
        try (Stream<Path> libraries = Files.list(Path.of("/usr/lib"))) {
            return libraries.map(directory -> directory.resolve(LIBFAKETIME)).filter(Files::isRegularFile).findFirst().orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    private static void writeRunJson(Path out, Options options, List<Nemesis.Fault> enabled, Map<String, String> skipped, long startedAt)
            throws IOException {
        Map<String, Object> run = ordered("seed", options.seed(), "store", options.store(), "hubs", options.hubs(), "clients", options.clients(),
                "ttl_ms", options.ttl().toMillis(), "duration_ms", options.duration().toMillis(), "resources", RESOURCES,
                "nemeses", enabled.stream().map(fault -> fault.option).toList(), "started_at_ms", startedAt,
                "request_timeout_ms", options.requestTimeout().toMillis(), "broken_leases", options.brokenLeases(), "skipped_nemeses", skipped,
                "connections", "each client through its own loopback TCP proxy in the runner (drop: reset; stall: held until healed; delay)");
        Files.writeString(out.resolve("run.json"), JsonViews.json(run) + "\n");
    }

    /** Merges every process's history-*.jsonl into history.jsonl, by time (ties keep each process's order). */
    static void merge(Path out) throws IOException {
        record Line(long time, String text) {
        }
        List<Line> lines = new ArrayList<>();
        try (Stream<Path> files = Files.list(out)) {
            for (Path file : files.filter(path -> path.getFileName().toString().matches("history-.+\\.jsonl")).sorted().toList()) {
                for (String text : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (!text.isBlank()) {
                        lines.add(new Line(JsonViews.JSON.readTree(text).get("time").asLong(), text));
                    }
                }
            }
        }
        lines.sort(Comparator.comparingLong(Line::time));
        Files.write(out.resolve("history.jsonl"), lines.stream().map(Line::text).toList(), StandardCharsets.UTF_8);
    }

    /** Counts of the merged history: client completions by "f type" (an invoke never completed counts as "f unanswered"), or faults by f. */
    static Map<String, Long> count(Path out, boolean faults) throws IOException {
        Map<String, Long> counts = new TreeMap<>();
        Map<String, String> open = new LinkedHashMap<>();
        for (String text : Files.readAllLines(out.resolve("history.jsonl"), StandardCharsets.UTF_8)) {
            JsonNode event = JsonViews.JSON.readTree(text);
            String process = event.get("process").asString();
            String f = event.get("f").asString();
            String type = event.get("type").asString();
            if (process.equals("final") || faults != process.equals("nemesis")) {
                continue;
            }
            if (faults) {
                counts.merge(f, 1L, Long::sum);
            } else if (type.equals("invoke")) {
                open.put(process, f);
            } else {
                open.remove(process);
                counts.merge(f + " " + type, 1L, Long::sum);
            }
        }
        open.values().forEach(f -> counts.merge(f + " unanswered", 1L, Long::sum));
        return counts;
    }

    /** The hubs' own log lines at WARN or ERROR, for the report; slow requests (the machine's load, and the faults' aim) only counted. */
    private static List<String> hubProblems(Path out) throws IOException {
        List<String> problems = new ArrayList<>();
        long slow = 0;
        try (Stream<Path> files = Files.walk(out.resolve("hubs"))) {
            for (Path log : files.filter(path -> path.getFileName().toString().startsWith("hub.log") && path.toString().contains("/kept/"))
                    .sorted().toList()) {
                for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                    if (line.contains("RequestLog: slow request")) {
                        slow++;
                    } else if (line.contains(" WARN ") || line.contains(" ERROR ")) {
                        problems.add(out.relativize(log) + ": " + line);
                    }
                }
            }
        }
        if (slow > 0) {
            problems.add(slow + " slow requests (RequestLog)");
        }
        return problems;
    }

    private static void report(Result result, Say say) {
        say.line("fault-run: operations " + result.outcomes());
        say.line("fault-run: faults " + result.faults());
        say.line("fault-run: hubs stopped with " + result.hubExits() + "; " + result.hubProblems().size() + " WARN/ERROR lines in hub.log");
        result.hubProblems().stream().limit(20).forEach(line -> say.line("  " + line));
    }
}
