package dev.swarmhub.faults;

import dev.swarmhub.hub.JsonViews;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;

/**
 * One client of a fault run, in a JVM of its own (so the nemesis can pause it): a seeded random
 * workload over the HTTP API as its own agent, one operation at a time, each recorded as invoke
 * and then ok (done), fail (certainly not done: a 4xx refusal, or the proxy's word that the hub
 * was down) or info (unknown: a timeout, a dropped connection, a 5xx). Every request has a time limit, so a paused hub or a stalled
 * connection yields info instead of a hang. The kinds of operation, their resources, peers and
 * pauses come from the seed alone; which lease, message or task an operation names follows from
 * the answers so far (a renew names the lease this client believes it holds).
 *
 * <p>Arguments: {@code PROCESS API_URL HOST SEED BASE_NANOS TTL_MS TIMEOUT_MS RESOURCES PEERS
 * OUT_DIR} (RESOURCES and PEERS comma-separated); the agent's token in FAULT_TOKEN. Once warmed
 * up the client prints {@value #READY} and waits for the line {@code go END_NANOS} on stdin: it
 * works until System.nanoTime() passes END_NANOS, so every client's window starts when all are
 * ready, however slowly the machine started them. API_URL is the client's proxy; HOST is the hub's own address, sent as the Host
 * header, which the hub checks (the JVM must run with
 * {@code -Djdk.httpclient.allowRestrictedHeaders=host}).
 */
public final class FaultClient {

    /** Operation kinds and their weights in the workload. */
    enum Kind {
        ACQUIRE(20), RENEW(8), RELEASE(10), WRITE(14), SEND(10), READ(10), ACK(10), CLAIM(6), PROGRESS(6), DONE(6);

        final int weight;

        Kind(int weight) {
            this.weight = weight;
        }

        static Kind pick(Random random) {
            int total = 0;
            for (Kind kind : values()) {
                total += kind.weight;
            }
            int draw = random.nextInt(total);
            for (Kind kind : values()) {
                draw -= kind.weight;
                if (draw < 0) {
                    return kind;
                }
            }
            throw new AssertionError(draw);
        }
    }

    /** The seeded draws of one step; a step uses those it needs, so the sequence never depends on answers. */
    private record Draw(Kind kind, int resource, int peer, int choice, int pauseMs) {

        static Draw next(Random random, int resources, int peers) {
            return new Draw(Kind.pick(random), random.nextInt(resources), random.nextInt(peers), random.nextInt(1_000), random.nextInt(30));
        }
    }

    /** A lease this client believes it holds. */
    private record Held(long lease, long token) {
    }

    /** A task this client believes it has claimed. */
    private record Claimed(String task, long token) {
    }

    private record Reply(int status, JsonNode json) {
    }

    /** How an operation ended, with the value its completion records. */
    private record Completion(FaultRecorder.Type type, Map<String, Object> value) {
    }

    /** What the client prints on stdout once warmed up; the runner starts the nemesis when every client said it. */
    static final String READY = "ready";
    /** What the runner answers, followed by the end of the workload (System.nanoTime()). */
    static final String GO = "go ";
    private static final int WARM_UP_CALLS = 5;
    private static final long HUB_DOWN_PAUSE_MS = 250;

    private final String process;
    private final String api;
    private final String host;
    private final String token;
    private final long ttlMs;
    private final Duration timeout;
    private final List<String> resources;
    private final List<String> peers;
    private final FaultRecorder recorder;
    private final HttpClient http;
    private final Map<String, Held> held = new HashMap<>();
    /** The last fencing token held per resource: a write after losing the lease uses it and must be refused. */
    private final Map<String, Long> lastToken = new HashMap<>();
    private final List<String> unacked = new ArrayList<>();
    private final List<Claimed> claimed = new ArrayList<>();
    /** Whether the last operation found the hub down (the proxy's 502). */
    private boolean hubDown;
    private int written;
    private int sent;

    private FaultClient(String process, String api, String host, String token, long ttlMs, long timeoutMs, List<String> resources, List<String> peers,
            FaultRecorder recorder) {
        this.process = process;
        this.api = api;
        this.host = host;
        this.token = token;
        this.ttlMs = ttlMs;
        this.timeout = Duration.ofMillis(timeoutMs);
        this.resources = resources;
        this.peers = peers;
        this.recorder = recorder;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length != 10) {
            throw new IllegalArgumentException("usage: FaultClient PROCESS API_URL HOST SEED BASE_NANOS TTL_MS TIMEOUT_MS RESOURCES PEERS OUT_DIR");
        }
        String token = System.getenv("FAULT_TOKEN");
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("FAULT_TOKEN is not set: the client's agent token");
        }
        try (FaultRecorder recorder = new FaultRecorder(Path.of(args[9]), args[0], Long.parseLong(args[4]))) {
            FaultClient client = new FaultClient(args[0], args[1], args[2], token, Long.parseLong(args[5]), Long.parseLong(args[6]),
                    List.of(args[7].split(",")), List.of(args[8].split(",")), recorder);
            client.warmUp();
            System.out.println(READY);
            String go = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (go == null || !go.startsWith(GO)) {
                throw new IllegalStateException("expected '" + GO + "END_NANOS' on stdin, got " + go);
            }
            client.run(new Random(Long.parseLong(args[3])), Long.parseLong(go.substring(GO.length())));
        }
        System.exit(0); // the HTTP client's threads must not keep the JVM
    }

    /**
     * A few reads, not recorded, before the workload: a JVM's first HTTP call loads and compiles
     * much (seconds on a loaded machine), which would otherwise pass for faults.
     */
    private void warmUp() {
        for (int i = 0; i < WARM_UP_CALLS; i++) {
            try {
                get("/locks?resource=" + resources.getFirst());
            } catch (IOException | RuntimeException ignored) {
                // only warming up: the workload records what the hub answers
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void run(Random random, long end) throws InterruptedException {
        while (System.nanoTime() - end < 0) {
            Draw draw = Draw.next(random, resources.size(), peers.size());
            boolean hubDown = step(draw);
            // the workload's pace, not synchronisation; slower while the hub is down, so a restart is not starved of CPU by clients
            Thread.sleep(hubDown ? HUB_DOWN_PAUSE_MS : draw.pauseMs());
        }
    }

    /** Runs the drawn operation; true when the proxy said the hub was down. */
    private boolean step(Draw draw) {
        hubDown = false;
        String resource = resources.get(draw.resource());
        switch (draw.kind()) {
            case ACQUIRE -> acquire(resource, draw.choice());
            case RENEW -> renew(mostlyHeld(draw));
            case RELEASE -> release(mostlyHeld(draw));
            case WRITE -> write(mostlyHeld(draw));
            case SEND -> send(peers.get(draw.peer()));
            case READ -> read();
            case ACK -> {
                if (unacked.isEmpty()) {
                    read();
                } else {
                    ack(unacked.get(draw.choice() % unacked.size()));
                }
            }
            case CLAIM -> claim();
            case PROGRESS, DONE -> {
                if (claimed.isEmpty()) {
                    claim();
                } else {
                    report(claimed.get(draw.choice() % claimed.size()), draw.kind() == Kind.DONE, draw.choice() % 100);
                }
            }
        }
        return hubDown;
    }

    /** Four times in five a resource this client believes it holds (if any), else the drawn one: most renews, releases and writes then act on a lease. */
    private String mostlyHeld(Draw draw) {
        if (held.isEmpty() || draw.choice() % 5 == 0) {
            return resources.get(draw.resource());
        }
        List<String> mine = held.keySet().stream().sorted().toList();
        return mine.get(draw.resource() % mine.size());
    }

    private void acquire(String resource, int choice) {
        String mode = choice % 7 == 0 ? "shared" : "exclusive";
        long waitMs = choice % 3 == 0 ? ttlMs / 2 : 0; // a third of acquires wait, queued, up to half a TTL
        Map<String, Object> body = new LinkedHashMap<>(Map.of("resources", List.of(resource), "mode", mode, "ttl", ttlMs + "ms"));
        if (waitMs > 0) {
            body.put("wait", waitMs + "ms");
        }
        Map<String, Object> invoked = ordered("resource", resource, "mode", mode, "ttl_ms", ttlMs, "wait_ms", waitMs);
        perform("acquire", invoked, () -> post("/locks", body, waitMs), json -> {
            JsonNode lease = json.get("leases").get(0);
            held.put(resource, new Held(lease.get("id").asLong(), lease.get("token").asLong()));
            lastToken.put(resource, lease.get("token").asLong());
            return leaseValue(lease);
        }, refused -> {
            List<String> holders = new ArrayList<>();
            if (refused.has("conflicts")) {
                refused.get("conflicts").forEach(conflict -> holders.add(conflict.get("holder").asString()));
            }
            return ordered("held_by", holders);
        }, () -> held.remove(resource));
    }

    private void renew(String resource) {
        Held mine = held.get(resource);
        perform("renew", leaseNamed(resource, mine), () -> post("/locks/renew", Map.of("resources", List.of(resource), "ttl", ttlMs + "ms"), 0),
                json -> {
                    JsonNode lease = json.get("renewed").get(0);
                    held.put(resource, new Held(lease.get("id").asLong(), lease.get("token").asLong()));
                    return leaseValue(lease);
                }, refused -> {
                    held.remove(resource);
                    return Map.of();
                }, () -> held.remove(resource));
    }

    private void release(String resource) {
        Held mine = held.remove(resource);
        perform("release", leaseNamed(resource, mine), () -> post("/locks/release", Map.of("resources", List.of(resource)), 0), json -> {
            JsonNode released = json.get("released");
            boolean hadExpired = released.size() > 0 && released.get(0).has("hadExpired") && released.get(0).get("hadExpired").asBoolean();
            return ordered("had_expired", hadExpired, "released", released.size(),
                    "lease", released.size() > 0 ? released.get(0).get("id").asLong() : null);
        }, refused -> Map.of(), () -> { });
    }

    /** A fenced write with the token held, else the last one held (stale: the hub must refuse it), else one never granted. */
    private void write(String path) {
        Held mine = held.get(path);
        long fencing = mine != null ? mine.token() : lastToken.getOrDefault(path, 1L);
        String content = process + "-w" + ++written + " token=" + fencing;
        perform("write", ordered("path", path, "token", fencing, "content", content, "held", mine != null),
                () -> post("/locks/write", Map.of("path", path, "token", fencing, "content", content), 0), json -> Map.of(), refused -> Map.of(),
                () -> { });
    }

    private void send(String peer) {
        String text = process + "-m" + ++sent;
        perform("send", ordered("to", peer, "body", text), () -> post("/messages", Map.of("to", List.of(peer), "type", "info", "text", text), 0),
                json -> ordered("id", json.get("id").asString()), refused -> Map.of(), () -> { });
    }

    private void read() {
        perform("read", Map.of(), () -> get("/messages?unread=true"), json -> {
            List<Map<String, Object>> messages = new ArrayList<>();
            for (JsonNode message : json.get("messages")) {
                String id = message.get("id").asString();
                messages.add(ordered("id", id, "from", message.get("from").asString(), "body", message.get("text").asString()));
                if (!unacked.contains(id)) {
                    unacked.add(id);
                }
            }
            return ordered("messages", messages);
        }, refused -> Map.of(), () -> { });
    }

    private void ack(String id) {
        perform("ack", ordered("id", id), () -> post("/messages/" + id + "/ack", Map.of(), 0), json -> {
            unacked.remove(id);
            return Map.of();
        }, refused -> {
            unacked.remove(id);
            return Map.of();
        }, () -> { });
    }

    private void claim() {
        perform("claim", Map.of(), () -> post("/tasks/claim", Map.of("ttl", ttlMs + "ms"), 0), json -> {
            Claimed task = new Claimed(json.get("task").get("id").asString(), json.get("lease").get("token").asLong());
            claimed.add(task);
            return ordered("task", task.task(), "token", task.token(), "expires_at", millis(json.get("lease"), "expiresAt"));
        }, refused -> refused.path("error").path("message").asString("").startsWith("no task is ready") ? null : Map.of(), () -> { });
    }

    private void report(Claimed task, boolean done, int percent) {
        Map<String, Object> body = new LinkedHashMap<>(Map.of("outcome", done ? "done" : "progress", "fencing", task.token()));
        if (!done) {
            body.put("percent", percent);
        }
        perform(done ? "done" : "progress", ordered("task", task.task(), "token", task.token()),
                () -> post("/tasks/" + task.task() + "/report", body, 0), json -> {
                    if (done) {
                        claimed.remove(task);
                    }
                    return Map.of();
                }, refused -> {
                    claimed.remove(task);
                    return Map.of();
                }, () -> { });
    }

    private interface Request {
        Reply send() throws IOException, InterruptedException;
    }

    /**
     * Runs one operation and records it. {@code done} reads a 2xx answer (and updates what this
     * client believes); {@code refused} reads a 4xx one and returns the fail's extra fields, or
     * null when the refusal means "nothing there" (a claim finding no ready task: ok, task null);
     * {@code unknown} forgets what an unknown outcome makes uncertain.
     */
    private void perform(String f, Map<String, Object> invoked, Request request, Function<JsonNode, Map<String, Object>> done,
            Function<JsonNode, Map<String, Object>> refused, Runnable unknown) {
        long op = recorder.invoke(f, invoked);
        Completion completion;
        try {
            completion = complete(request.send(), done, refused);
        } catch (IOException | RuntimeException e) { // a timeout, a dropped connection, a body cut short
            completion = new Completion(FaultRecorder.Type.INFO, ordered("error", e.getClass().getSimpleName() + ": " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            completion = new Completion(FaultRecorder.Type.INFO, ordered("error", "interrupted"));
        }
        if (completion.type() == FaultRecorder.Type.INFO) {
            unknown.run();
        }
        recorder.record(completion.type(), f, op, completion.value());
    }

    private Completion complete(Reply reply, Function<JsonNode, Map<String, Object>> done, Function<JsonNode, Map<String, Object>> refused) {
        if (reply.status() >= 200 && reply.status() < 300) {
            return new Completion(FaultRecorder.Type.OK, done.apply(reply.json()));
        }
        JsonNode error = reply.json().path("error");
        Map<String, Object> value = ordered("error", error.path("code").asString(""), "status", reply.status(), "message",
                error.path("message").asString(""));
        if (reply.status() == 502 && FaultProxy.UNREACHABLE.equals(value.get("error"))) {
            hubDown = true;
            return new Completion(FaultRecorder.Type.FAIL, value); // the proxy could not reach the hub: nothing was sent
        }
        if (reply.status() >= 500 || reply.status() < 400) {
            return new Completion(FaultRecorder.Type.INFO, value);
        }
        Map<String, Object> extra = refused.apply(reply.json());
        if (extra == null) {
            return new Completion(FaultRecorder.Type.OK, ordered("task", null));
        }
        value.putAll(extra);
        return new Completion(FaultRecorder.Type.FAIL, value);
    }

    private Reply post(String path, Map<String, Object> body, long waitMs) throws IOException, InterruptedException {
        return exchange(request(path, waitMs).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JsonViews.json(body))));
    }

    private Reply get(String path) throws IOException, InterruptedException {
        return exchange(request(path, 0).GET());
    }

    private HttpRequest.Builder request(String path, long waitMs) {
        return HttpRequest.newBuilder(URI.create(api + path)).header("Host", host)
                .header("Authorization", "Bearer " + token).timeout(timeout.plusMillis(waitMs));
    }

    private Reply exchange(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(response.statusCode(), JsonViews.JSON.readTree(response.body()));
    }

    private static Map<String, Object> leaseNamed(String resource, Held mine) {
        return ordered("resource", resource, "lease", mine == null ? null : mine.lease(), "token", mine == null ? null : mine.token());
    }

    private static Map<String, Object> leaseValue(JsonNode lease) {
        return ordered("lease", lease.get("id").asLong(), "token", lease.get("token").asLong(), "mode", lease.get("mode").asString(),
                "acquired_at", millis(lease, "acquiredAt"), "expires_at", millis(lease, "expiresAt"));
    }

    private static long millis(JsonNode node, String field) {
        return Instant.parse(node.get(field).asString()).toEpochMilli();
    }

    /** A map in the order given (nulls allowed): the recorded values read as written. */
    static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }
}
