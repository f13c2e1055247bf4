package dev.swarmhub.faults;

import dev.swarmhub.faults.HistoryBuilder.Call;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * A correct lease service and its clients, simulated in virtual time to write histories in the
 * runner's format: each request takes effect atomically at a moment inside its call (the store
 * time is that moment), leases expire by store time, fenced writes check the token. Requests are
 * slow at times (past a lease's ttl), lost before they take effect, or lose their answer after;
 * a client may die with a request in flight. {@code grantWhileHeld} makes the service grant one
 * exclusive acquire while another client's lease is live: the one mutation the checker must find.
 */
final class LockSimulation {

    private static final long STORE = 1_700_000_000_000L;
    private static final long TTL = 400;

    private record Lease(String id, String holder, boolean exclusive, long token, long acquiredAt, long expiresAt) {

        boolean liveAt(long now) {
            return expiresAt > now;
        }
    }

    /** What a client believes it holds on a resource. */
    private record Belief(String lease, long token) {
    }

    private record Step(long atMs, long order, Runnable action) {
    }

    private final Random random;
    private final boolean grantWhileHeld;
    private final List<String> resources;
    private final HistoryBuilder history = new HistoryBuilder();
    private final PriorityQueue<Step> steps = new PriorityQueue<>((a, b) -> a.atMs() != b.atMs() ? Long.compare(a.atMs(), b.atMs())
            : Long.compare(a.order(), b.order()));
    private final Map<String, Map<String, Lease>> leases = new HashMap<>();
    private final Map<String, String> files = new HashMap<>();
    private final Map<String, Map<String, Belief>> beliefs = new HashMap<>();
    private final Map<String, Boolean> inFlight = new HashMap<>();
    /** The moment the running step happens (ms of virtual time). */
    private long currentTime;
    /** The answer the effect just computed, recorded when it arrives. */
    private Runnable answer;
    private long order;
    private long lastToken;
    private long lastLease;
    private long writes;
    private int operationsLeft;
    /** The mutated grant, once made. */
    private Call mutated;

    private LockSimulation(long seed, int clients, int resourceCount, int operations, boolean grantWhileHeld) {
        this.random = new Random(seed);
        this.grantWhileHeld = grantWhileHeld;
        this.operationsLeft = operations;
        this.resources = new ArrayList<>();
        for (int i = 1; i <= resourceCount; i++) {
            resources.add("f" + i + ".txt");
            leases.put("f" + i + ".txt", new HashMap<>());
        }
        for (int i = 1; i <= clients; i++) {
            String client = "c" + i;
            beliefs.put(client, new HashMap<>());
            schedule(random.nextInt(20), () -> next(client));
        }
    }

    /** The history of one simulated run, and the mutated grant (null unless asked for and made). */
    record Run(History history, Call mutated) {
    }

    static Run run(long seed, int clients, int resources, int operations, boolean grantWhileHeld) {
        LockSimulation simulation = new LockSimulation(seed, clients, resources, operations, grantWhileHeld);
        long end = 0;
        while (!simulation.steps.isEmpty()) {
            Step step = simulation.steps.poll();
            end = step.atMs();
            simulation.currentTime = end;
            step.action().run();
        }
        var files = HistoryBuilder.json();
        simulation.files.forEach(files::put);
        simulation.history.finalRead(end + 5000, HistoryBuilder.json("files", files, "messages", Map.of(), "tasks", Map.of(),
                "leases", List.of(), "counts", Map.of()));
        return new Run(simulation.history.history(), simulation.mutated);
    }

    private void schedule(long atMs, Runnable action) {
        steps.add(new Step(atMs, order++, action));
    }

    /** The client's next request, sent after a pause; one in flight at a time. */
    private void next(String client) {
        if (operationsLeft-- <= 0) {
            return;
        }
        long now = currentTime;
        Map<String, Belief> held = beliefs.get(client);
        String resource = held.isEmpty() || random.nextInt(10) == 0 ? resources.get(random.nextInt(resources.size()))
                : held.keySet().stream().sorted().toList().get(random.nextInt(held.size()));
        Belief belief = held.get(resource);
        int choice = random.nextInt(100);
        Call call;
        Runnable effect;

        if (belief == null || choice < 10) {
            boolean exclusive = random.nextInt(100) < 85;
            call = history.call(client, "acquire", now, "resource", resource, "mode", exclusive ? "exclusive" : "shared", "ttl_ms", TTL);
            effect = () -> acquire(call, client, resource, exclusive);
        } else if (choice < 50) {
            String content = client + "-" + ++writes;
            call = history.call(client, "write", now, "path", resource, "token", belief.token(), "content", content);
            effect = () -> write(call, client, resource, belief.token(), content);
        } else if (choice < 75) {
            call = random.nextBoolean() // the format's optional ttl_ms in a renew's invoke, or not (the same ttl then)
                    ? history.call(client, "renew", now, "resource", resource, "lease", belief.lease(), "token", belief.token(), "ttl_ms", TTL)
                    : history.call(client, "renew", now, "resource", resource, "lease", belief.lease(), "token", belief.token());
            effect = () -> renew(call, client, resource);
        } else {
            call = history.call(client, "release", now, "resource", resource, "lease", belief.lease(), "token", belief.token());
            effect = () -> release(call, client, resource);
        }
        inFlight.put(client, true);
        if (random.nextInt(2000) == 0) {
            return; // the client dies with its request in flight, before it takes effect
        }
        int fate = random.nextInt(1000);
        if (fate < 40) { // lost before taking effect: a timeout
            schedule(now + 300, () -> {
                history.info(call, currentTime);
                answered(client, resource, null);
            });
            return;
        }
        schedule(now + delay(), () -> {
            answer = null;
            effect.run();
            Runnable outcome = answer;
            if (mutated == call) { // answered at once, so that the holder's next request cannot overlap it
                outcome.run();
            } else if (fate < 80) { // took effect, its answer lost
                schedule(currentTime + 300, () -> {
                    history.info(call, currentTime);
                    answered(client, resource, null);
                });
            } else {
                schedule(currentTime + delay(), outcome);
            }
        });
    }

    /** Mostly a few ms; at times far past the ttl (a paused hub, a slow disk). */
    private long delay() {
        return random.nextInt(100) < 3 ? 200 + random.nextInt(600) : 1 + random.nextInt(15);
    }

    private void acquire(Call call, String client, String resource, boolean exclusive) {
        long now = STORE + currentTime;
        Map<String, Lease> onResource = leases.get(resource);
        Lease own = onResource.get(client);
        List<Lease> conflicts = onResource.values().stream().filter(other -> !other.holder().equals(client) && other.liveAt(now)
                && (exclusive || other.exclusive())).toList();
        boolean mutate = false;
        if (!conflicts.isEmpty()) {
            mutate = grantWhileHeld && mutated == null && exclusive && conflicts.stream().allMatch(held -> held.expiresAt() - now > 100
                    && !inFlight.getOrDefault(held.holder(), false));
            if (!mutate) {
                answer = () -> {
                    history.fail(call, currentTime, "conflict");
                    answered(client, resource, null);
                };
                return;
            }
        }
        Lease granted;
        if (own != null && own.liveAt(now)) {
            granted = new Lease(own.id(), client, exclusive, own.token(), own.acquiredAt(), now + TTL);
        } else {
            granted = new Lease("L" + ++lastLease, client, exclusive, ++lastToken, now, now + TTL);
        }
        onResource.put(client, granted);
        if (mutate) {
            mutated = call;
        }
        answer = () -> {
            history.ok(call, currentTime, "lease", granted.id(), "token", granted.token(), "acquired_at",
                    granted.acquiredAt(), "expires_at", granted.expiresAt());
            answered(client, resource, new Belief(granted.id(), granted.token()));
        };
    }

    private void renew(Call call, String client, String resource) {
        long now = STORE + currentTime;
        Lease own = leases.get(resource).get(client);
        if (own == null || !own.liveAt(now)) {
            answer = () -> {
                history.fail(call, currentTime, "not_held");
                answered(client, resource, null);
            };
            return;
        }
        Lease renewed = new Lease(own.id(), client, own.exclusive(), own.token(), own.acquiredAt(), now + TTL);
        leases.get(resource).put(client, renewed);
        int names = random.nextInt(3); // the format's optional "lease" and "token" in the answer: both, the lease alone, or neither
        answer = () -> {
            switch (names) {
                case 0 -> history.ok(call, currentTime, "expires_at", renewed.expiresAt(), "lease", renewed.id(), "token", renewed.token());
                case 1 -> history.ok(call, currentTime, "expires_at", renewed.expiresAt(), "lease", renewed.id());
                default -> history.ok(call, currentTime, "expires_at", renewed.expiresAt());
            }
            answered(client, resource, new Belief(renewed.id(), renewed.token()));
        };
    }

    private void release(Call call, String client, String resource) {
        long now = STORE + currentTime;
        Lease own = leases.get(resource).remove(client);
        answer = () -> {
            if (own == null) { // as the runner records a release that ended nothing
                history.ok(call, currentTime, "had_expired", false, "released", 0, "lease", null);
            } else {
                history.ok(call, currentTime, "had_expired", !own.liveAt(now), "released", 1, "lease", own.id());
            }
            answered(client, resource, null);
        };
    }

    private void write(Call call, String client, String resource, long token, String content) {
        long now = STORE + currentTime;
        Lease own = leases.get(resource).get(client);
        boolean accepted = own != null && own.token() == token && own.exclusive() && own.liveAt(now);
        if (accepted) {
            files.put(resource, content);
        }
        answer = () -> {
            if (accepted) {
                history.ok(call, currentTime);
            } else {
                history.fail(call, currentTime, "stale_token");
            }
            answered(client, resource, accepted ? beliefs.get(client).get(resource) : null);
        };
    }

    /** The client takes in the answer (null: it no longer believes it holds the resource) and sends its next request. */
    private void answered(String client, String resource, Belief belief) {
        inFlight.put(client, false);
        if (belief == null) {
            beliefs.get(client).remove(resource);
        } else {
            beliefs.get(client).put(resource, belief);
        }
        schedule(currentTime + 1 + random.nextInt(30), () -> next(client));
    }
}
