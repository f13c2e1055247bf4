package dev.swarmhub.leases;

import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Gate;
import dev.swarmhub.kernel.Limits;
import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.kernel.ProcessIdentity;
import dev.swarmhub.kernel.ProcessProbe;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.Sweep;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Tx;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Leased locks on paths, globs and named resources. Every operation is one store transaction, so
 * the conflict check and the grant cannot be separated by another writer, in this process or any
 * other. Expiry is judged by the store's clock only.
 */
public final class Leases {

    /**
     * A waiter that has not polled for this long has given up (its process died or hung), unless
     * the process serving it is known to run: see {@link #live}.
     */
    static final long WAITER_SILENCE_MS = 3_000;
    private static final long FIRST_POLL_MS = 5;
    private static final long MAX_POLL_MS = 100;
    /**
     * A waiter's poll when every process's release wakes it ({@link Store#signalsCrossProcesses}):
     * it only guards against a lost notification, and spares a shared store writes.
     */
    public static final long NOTIFIED_POLL_MS = 1_000;
    /** What {@link #releaseAgent} does, in the refusal to anyone but the operator. */
    public static final String RELEASE_OTHERS = "release another agent's leases";

    private final Store store;
    private final Gate gate;
    private final ProcessProbe processes;
    /** This process, recorded in the waiter rows it queues (null when its start time is unknown). */
    private final ProcessIdentity self;
    /**
     * The waiter rows of waits running in this process (the hub's, for every client it serves).
     * They wait as long as their thread does: when this process was paused (SIGSTOP, a long GC),
     * their silence was its own; this process's sweep refreshes them.
     */
    private final Set<Long> waitingHere = ConcurrentHashMap.newKeySet();
    /** The hub runs {@link #sweep} every second. */
    public final Sweep housekeeping = new Sweep("expired leases and dead waiters", this::sweep);

    public Leases(Store store, Gate gate, ProcessProbe processes) {
        this.store = store;
        this.gate = gate;
        this.processes = processes;
        this.self = processes.current().orElse(null);
    }

    /** What to acquire, and who asks; validated on construction. */
    public record Request(Caller caller, List<Resource> resources, Mode mode, Duration ttl, String reason) {
        public Request {
            caller.agentId();
            if (resources == null || resources.isEmpty()) {
                throw SwarmException.badInput("nothing to acquire: give at least one resource");
            }
            resources = List.copyOf(resources);
            mode = mode == null ? Mode.EXCLUSIVE : mode;
            ttl = Limits.ttl(ttl);
            reason = Limits.reason(reason);
        }

        public String agent() {
            return caller.agent();
        }
    }

    /** What a sweep removed. */
    public record SweepReport(List<Lease> expired, int deadWaiters) {
    }

    private record Attempt(List<Lease> granted, List<LeaseConflictException.Conflict> conflicts,
                           List<Waiter> queuedAhead, long waiterId, long at) {

        /** Store-clock milliseconds from the attempt until the first conflicting lease expires. */
        long untilFirstExpiry() {
            return conflicts.stream().mapToLong(c -> c.held().expiresAt() - at).min().orElse(Long.MAX_VALUE);
        }
    }

    /**
     * The test switch that breaks acquires on purpose, for the fault runner's own test (never set
     * in use): conflicts are looked for in a read before the write, as tools without one write
     * lock did, so two agents can both be granted one file. The fault checker must catch it.
     */
    public static final String CHECK_BEFORE_THE_WRITE = "swarm.test.checkLeasesBeforeTheWrite";

    /** With {@link #CHECK_BEFORE_THE_WRITE} set: the conflicts a read sees now; else null (they are looked for in the write). */
    private List<LeaseConflictException.Conflict> checkedBeforeTheWrite(Request request) {
        return Boolean.getBoolean(CHECK_BEFORE_THE_WRITE) ? store.read(tx -> conflicts(tx, request, new HashMap<>())) : null;
    }

    /** Grants all resources or none; throws {@link LeaseConflictException} when something is in the way. */
    public List<Lease> acquire(Request request) {
        refuseTaskClaims(request);
        List<LeaseConflictException.Conflict> checked = checkedBeforeTheWrite(request);
        Attempt attempt = store.write(tx -> attempt(tx, request, 0, 0, null, checked));
        if (attempt.granted() != null) {
            return attempt.granted();
        }
        throw new LeaseConflictException(attempt.conflicts(), attempt.queuedAhead(), false);
    }

    /**
     * Like {@link #acquire(Request)}, but queues behind earlier requests for the same resources and
     * keeps trying until granted or the wait passes. Waiters are served in arrival order; one
     * that gives up is dequeued and never granted.
     */
    public List<Lease> acquire(Request request, Duration wait) {
        Duration waitTime = Limits.waitTime(wait);
        if (waitTime.isZero()) {
            return acquire(request);
        }
        refuseTaskClaims(request);
        long deadline = System.nanoTime() + waitTime.toNanos();
        long waiterId = 0;
        boolean notified = store.signalsCrossProcesses();
        long pause = notified ? NOTIFIED_POLL_MS : FIRST_POLL_MS;
        boolean granted = false;
        QueuedWait queued = new QueuedWait();
        try {
            while (true) {
                long queuedId = waiterId;
                long remainingMs = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                long freedBefore = store.signalCount(Store.Signal.FREED);
                List<LeaseConflictException.Conflict> checked = checkedBeforeTheWrite(request);
                Attempt attempt = store.write(tx -> attempt(tx, request, queuedId, tx.now() + remainingMs, queued, checked));
                if (attempt.granted() != null) {
                    granted = true;
                    return attempt.granted();
                }
                waiterId = attempt.waiterId();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new LeaseConflictException(attempt.conflicts(), attempt.queuedAhead(), true);
                }
                // Woken at once by a release in this process (the hub) or, when the store tells,
                // in any; by polling for other processes' releases; right after the blocking lease expires.
                long nap = Math.min(Math.min(pause, Math.max(1, left / 1_000_000)), Math.max(1, attempt.untilFirstExpiry() + 1));
                store.awaitSignal(Store.Signal.FREED, freedBefore, nap);
                pause = notified ? NOTIFIED_POLL_MS : Math.min(MAX_POLL_MS, pause * 2);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SwarmException(SwarmException.Kind.UNAVAILABLE, "the wait for " + texts(request.resources())
                    + " was interrupted (the hub is stopping, or the client left); nothing was granted: retry");
        } finally {
            queued.ended(); // its row, if left behind by a failure here, is judged by its silence again
            if (!granted && waiterId != 0) {
                long abandoned = waiterId;
                // an interrupted thread's write fails where the store waits for a connection (PostgreSQL's pool):
                // the dequeue is written with the interrupt set aside, then the interrupt is kept
                boolean interrupted = Thread.interrupted();
                try {
                    store.write(tx -> {
                        LeaseStore.in(tx).deleteWaiter(abandoned);
                        tx.appendEvent("lease.wait-abandoned", request.agent(), request.resources().get(0).text(),
                                OrderedMap.of("waiter", abandoned, "resources", texts(request.resources())));
                        return null;
                    });
                } finally {
                    if (interrupted) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        }
    }

    /** A task's claim is the task queue's to grant: a lease taken beside it would hold the task without claiming it. */
    private static void refuseTaskClaims(Request request) {
        request.resources().stream().filter(resource -> resource.kind() == Resource.Kind.TASK).findFirst().ifPresent(task -> {
            throw SwarmException.badInput(task + " is a task's claim: claim the task instead (swarm task claim "
                    + task.text().substring(Resource.TASK_PREFIX.length()) + ")");
        });
    }

    /**
     * Inside a transaction: grants the request at once or throws {@link LeaseConflictException}
     * (nobody queues for it), the lease kept while its holder is active: each call of the holder
     * extends it to {@code keptFor} from then. For the task queue's claims.
     */
    public static Lease claim(Tx tx, Request request, Duration keptFor) {
        Map<Resource, Lease> own = new HashMap<>();
        List<LeaseConflictException.Conflict> conflicts = conflicts(tx, request, own);
        if (!conflicts.isEmpty()) {
            throw new LeaseConflictException(conflicts, List.of(), false);
        }
        Lease lease = grant(tx, request, own).get(0);
        LeaseStore.in(tx).keepWhileActive(lease.id(), keptFor.toMillis());
        return lease;
    }

    /** The waiter row one wait of this process has queued, kept in {@link #waitingHere} until the wait ends. */
    private final class QueuedWait {
        private long waiterId;

        /** Set inside the queuing transaction (a rolled-back row is replaced when its batch runs again). */
        void is(long id) {
            waitingHere.remove(waiterId);
            waiterId = id;
            waitingHere.add(id);
        }

        void ended() {
            waitingHere.remove(waiterId);
        }
    }

    /**
     * One try inside one transaction; {@code waitDeadline > 0} queues the request when blocked,
     * as {@code queued} (a row queued here counts as live in this process from its transaction on).
     * {@code checked}: conflicts found before the transaction, with the test switch only.
     */
    private Attempt attempt(Tx tx, Request request, long waiterId, long waitDeadline, QueuedWait queued,
                            List<LeaseConflictException.Conflict> checked) {
        gate.admit(tx, request.caller());
        Map<Resource, Lease> own = new HashMap<>();
        List<LeaseConflictException.Conflict> found = conflicts(tx, request, own);
        if (!found.isEmpty() && gate.checkNow(tx, found.stream().map(conflict -> conflict.held().agent()).collect(Collectors.toSet()))) {
            own.clear();
            found = conflicts(tx, request, own); // a holder was found gone here: its leases are released
        }
        List<LeaseConflictException.Conflict> conflicts = checked != null ? checked : found;
        List<Waiter> ahead = conflicts.isEmpty() ? waitersAhead(tx, request, waiterId, own) : List.of();
        if (conflicts.isEmpty() && ahead.isEmpty()) {
            if (waiterId != 0) {
                LeaseStore.in(tx).deleteWaiter(waiterId);
            }
            return new Attempt(grant(tx, request, own), null, null, 0, tx.now());
        }
        long queuedId = waiterId;
        if (waitDeadline > 0 && (waiterId == 0 || !LeaseStore.in(tx).touchWaiter(waiterId))) {
            queuedId = LeaseStore.in(tx).insertWaiter(request.agent(), request.resources(), request.mode(), waitDeadline, self);
            queued.is(queuedId);
            tx.appendEvent("lease.queued", request.agent(), request.resources().get(0).text(),
                    OrderedMap.of("waiter", queuedId, "resources", texts(request.resources()), "mode", request.mode().label()));
        }
        return new Attempt(null, conflicts, ahead, queuedId, tx.now());
    }

    /**
     * Other agents' live leases in the way; collects the requester's own lease (live or expired)
     * on each wanted resource into {@code own}.
     */
    private static List<LeaseConflictException.Conflict> conflicts(Tx tx, Request request, Map<Resource, Lease> own) {
        List<LeaseConflictException.Conflict> conflicts = new ArrayList<>();
        for (Resource wanted : request.resources()) {
            LeaseStore.in(tx).leaseOf(request.agent(), wanted).ifPresent(held -> own.put(wanted, held));
            for (Lease held : liveLeasesOverlapping(tx, wanted)) {
                if (!held.agent().equals(request.agent()) && held.mode().conflictsWith(request.mode())) {
                    conflicts.add(new LeaseConflictException.Conflict(wanted, held));
                }
            }
        }
        return conflicts;
    }

    /**
     * The leases live now whose resource overlaps this one (a glob covering the path, the path
     * under a glob, the same path): who holds the resource now, as an acquire would see them.
     */
    public static List<Lease> liveLeasesOverlapping(Tx tx, Resource resource) {
        return LeaseStore.in(tx).leasesIn(resource.scope()).stream()
                .filter(lease -> lease.liveAt(tx.now()) && lease.resource().overlaps(resource)).toList();
    }

    /**
     * Live waiters of other agents that arrived before this request and want an overlapping
     * resource. A resource the agent already holds is a renewal: nobody queues ahead of it.
     */
    private List<Waiter> waitersAhead(Tx tx, Request request, long waiterId, Map<Resource, Lease> own) {
        long seenSince = tx.now() - WAITER_SILENCE_MS;
        List<Waiter> ahead = new ArrayList<>();
        for (Resource wanted : request.resources()) {
            if (own.containsKey(wanted) && own.get(wanted).liveAt(tx.now())) {
                continue;
            }
            for (Waiter waiter : LeaseStore.in(tx).liveWaitersIn(wanted.scope(), Long.MIN_VALUE)) {
                if (live(waiter, seenSince) && (waiterId == 0 || waiter.id() < waiterId) && !waiter.agent().equals(request.agent())
                        && waiter.mode().conflictsWith(request.mode()) && waiter.resource().overlaps(wanted)) {
                    ahead.add(waiter);
                }
            }
        }
        return ahead;
    }

    /**
     * Whether a waiter (not past its deadline) still waits. Its process knows: this process by its
     * running waits; any other process of this host by whether the serving process runs, however
     * long its waiters were silent (it may have been paused). Silence only counts for waiters served
     * on another host or by an unknown process, which may be hung, and for a row this process left
     * behind (its wait ended but could not dequeue it).
     */
    private boolean live(Waiter waiter, long seenSince) {
        if (waitingHere.contains(waiter.id()) || waiter.seenAt() >= seenSince) {
            return true;
        }
        ProcessIdentity server = waiter.servedBy();
        return server != null && !server.equals(self) && processes.runs(server);
    }

    private static List<Lease> grant(Tx tx, Request request, Map<Resource, Lease> own) {
        long expiresAt = tx.now() + request.ttl().toMillis();
        List<Lease> granted = new ArrayList<>();
        for (Resource resource : request.resources()) {
            Lease held = own.get(resource);
            if (held != null && held.liveAt(tx.now())) {
                LeaseStore.in(tx).updateLease(held.id(), request.mode(), request.reason(), expiresAt);
                Lease renewed = new Lease(held.id(), resource, request.mode(), held.agent(), held.token(),
                        request.reason(), held.acquiredAt(), expiresAt);
                tx.appendEvent("lease.renewed", request.agent(), resource.text(), leaseDetails(renewed));
                granted.add(renewed);
                continue;
            }
            if (held != null) {
                removeExpired(tx, held); // its row would block the insert
            }
            Lease lease = LeaseStore.in(tx).insertLease(resource, request.mode(), request.agent(), LeaseStore.in(tx).nextFencingToken(),
                    request.reason(), expiresAt);
            tx.appendEvent("lease.acquired", request.agent(), resource.text(), leaseDetails(lease));
            granted.add(lease);
        }
        return granted;
    }

    /** Extends the agent's leases on these resources; denied (and nothing renewed) if any is not held. */
    public List<Lease> renew(Caller caller, List<Resource> resources, Duration ttl) {
        String agent = caller.agentId();
        Duration validTtl = Limits.ttl(ttl);
        return store.write(tx -> {
            gate.admit(tx, caller);
            List<Lease> renewed = new ArrayList<>();
            for (Resource resource : resources) {
                Lease held = LeaseStore.in(tx).leaseOf(agent, resource)
                        .orElseThrow(() -> SwarmException.denied("cannot renew " + resource + ": you (" + agent
                                + ") do not hold it" + heldBy(tx, agent, resource)));
                if (!held.liveAt(tx.now())) {
                    throw SwarmException.denied("cannot renew " + resource + ": your lease expired at "
                            + Instant.ofEpochMilli(held.expiresAt()) + " and is no longer held"
                            + heldBy(tx, agent, resource) + "; acquire it again");
                }
                renewed.add(renewLease(tx, held, validTtl));
            }
            return renewed;
        });
    }

    /** Extends every live lease of the agent. */
    public List<Lease> renewAll(Caller caller, Duration ttl) {
        String agent = caller.agentId();
        Duration validTtl = Limits.ttl(ttl);
        return store.write(tx -> {
            gate.admit(tx, caller);
            return LeaseStore.in(tx).leases(agent, false).stream().map(held -> renewLease(tx, held, validTtl)).toList();
        });
    }

    private static Lease renewLease(Tx tx, Lease held, Duration ttl) {
        long expiresAt = tx.now() + ttl.toMillis();
        LeaseStore.in(tx).updateLease(held.id(), held.mode(), held.reason(), expiresAt);
        Lease renewed = new Lease(held.id(), held.resource(), held.mode(), held.agent(), held.token(), held.reason(),
                held.acquiredAt(), expiresAt);
        tx.appendEvent("lease.renewed", held.agent(), held.resource().text(), leaseDetails(renewed));
        return renewed;
    }

    /**
     * A lease the caller released. One that had expired before says so, with the agents that
     * hold its resource now: the caller lost it earlier, and another may be editing the file.
     */
    public record Released(Lease lease, boolean hadExpired, List<String> heldNowBy) {
    }

    /**
     * Releases the agent's leases on these resources. A resource the agent does not hold is
     * skipped quietly, unless its own lease there expired and was swept (answered as released,
     * having expired) or another agent holds exactly it: then nothing is released and the holder
     * is named.
     */

    public List<Released> release(Caller caller, List<Resource> resources) {
        String agent = caller.agentId();
        return store.write(tx -> {
            gate.admit(tx, caller);
            List<Released> released = new ArrayList<>();
            for (Resource resource : resources) {
                Optional<Lease> own = LeaseStore.in(tx).deleteLeaseOf(agent, resource);
                if (own.isEmpty()) {
                    Optional<Lease> expired = sweptAfterExpiry(tx, agent, resource);
                    if (expired.isPresent()) {
                        released.add(released(tx, expired.get()));
                        continue;
                    }
                    String holders = heldBy(tx, agent, resource);
                    if (!holders.isEmpty()) {
                        throw SwarmException.denied("cannot release " + resource + ": you (" + agent + ") do not hold it" + holders);
                    }
                    continue;
                }
                recordRelease(tx, own.get(), "lease.released", null);
                released.add(released(tx, own.get()));
            }
            return released;
        });
    }

    public List<Released> releaseAll(Caller caller) {
        String agent = caller.agentId();
        return store.write(tx -> {
            gate.admit(tx, caller);
            List<Lease> held = LeaseStore.in(tx).leases(agent, true);
            held.forEach(lease -> releaseLease(tx, lease, "lease.released", null));
            return held.stream().map(lease -> released(tx, lease)).toList();
        });
    }

    /**
     * The agent's own lease on exactly this resource, when the agent's latest event on it is that
     * lease's expiry: the sweep removed the row. Its release then gets the same answer as before the
     * sweep ran (it had expired, held now by …), whenever the hub's timer happened to sweep.
     */
    private static Optional<Lease> sweptAfterExpiry(Tx tx, String agent, Resource resource) {
        List<Event> latest = tx.latestEvents(agent, null, ENDINGS_LOOKED_AT);
        for (int i = latest.size() - 1; i >= 0; i--) {
            Event ended = latest.get(i);
            if (!resource.text().equals(ended.resource())) {
                continue;
            }
            if (!ended.kind().equals("lease.expired")) {
                return Optional.empty();
            }
            long id = ((Number) ended.details().get("lease")).longValue();
            for (int j = i - 1; j >= 0; j--) {
                Event acquired = latest.get(j);
                if (acquired.kind().equals("lease.acquired") && ((Number) acquired.details().get("lease")).longValue() == id) {
                    return Optional.of(new Lease(id, resource, Mode.parse((String) ended.details().get("mode")), agent,
                            ((Number) ended.details().get("token")).longValue(), (String) ended.details().get("reason"), acquired.at(),
                            ((Number) ended.details().get("expiresAt")).longValue()));
                }
            }
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static Released released(Tx tx, Lease lease) {
        boolean hadExpired = !lease.liveAt(tx.now());
        List<String> holders = hadExpired ? holdersNow(tx, lease.resource()) : List.of();
        return new Released(lease, hadExpired, holders);
    }

    /** The agents whose live leases overlap the resource now, each once. */
    public static List<String> holdersNow(Tx tx, Resource resource) {
        return liveLeasesOverlapping(tx, resource).stream().map(Lease::agent).distinct().toList();
    }

    /** Operator action: removes every lease of the agent, or its lease on one resource (non-null), recording why. */
    public List<Lease> releaseAgent(Caller operator, String agent, Resource resource, String reason) {
        operator.requireOperator(RELEASE_OTHERS);
        Limits.agentId(agent);
        String why = Limits.reason(reason);
        return store.write(tx -> {
            gate.admit(tx, operator);
            String recorded = why.isEmpty() ? "released by operator" : why;
            if (resource == null) {
                return forceReleaseAll(tx, agent, recorded);
            }
            Optional<Lease> held = LeaseStore.in(tx).deleteLeaseOf(agent, resource);
            held.ifPresent(lease -> recordRelease(tx, lease, "lease.force-released", recorded));
            return held.stream().toList();
        });
    }

    /** Inside a transaction: removes the agent's lease on the resource (expired or not), recording why; the lease, if there was one. */
    public static Optional<Lease> releaseIn(Tx tx, String agent, Resource resource, String reason) {
        Optional<Lease> own = LeaseStore.in(tx).deleteLeaseOf(agent, resource);
        own.ifPresent(lease -> recordRelease(tx, lease, "lease.released", reason));
        return own;
    }

    /** Inside a transaction: removes every lease of the agent (expired ones too), recording why. */
    public static List<Lease> forceReleaseAll(Tx tx, String agent, String reason) {
        List<Lease> held = LeaseStore.in(tx).leases(agent, true);
        held.forEach(lease -> releaseLease(tx, lease, "lease.force-released", reason));
        return held;
    }

    /** Removes expired leases and waiters that gave up; reports what went. */
    public SweepReport sweep() {
        return store.write(tx -> {
            gate.sweep(tx);
            List<Lease> expired = LeaseStore.in(tx).expiredLeases(tx.now());
            expired.forEach(lease -> removeExpired(tx, lease));
            waitingHere.forEach(LeaseStore.in(tx)::touchWaiter);
            long seenSince = tx.now() - WAITER_SILENCE_MS;
            Set<Long> dead = LeaseStore.in(tx).silentWaiters(seenSince).stream()
                    .filter(waiter -> waiter.deadline() <= tx.now() || !live(waiter, seenSince))
                    .map(Waiter::id).collect(Collectors.toSet());
            dead.forEach(LeaseStore.in(tx)::deleteWaiter);
            return new SweepReport(expired, dead.size());
        });
    }

    /** Live leases overlapping the resource, including globs that cover a path; no dead agent's. */
    public List<Lease> who(Resource resource) {
        gate.sweepBeforeRead();
        return store.read(tx -> liveLeasesOverlapping(tx, resource));
    }

    /** A lease its holder did not let go of while it was live: it expired, or another released it (the operator, the sweep of a dead agent). */
    public record LostLease(Resource resource, long token, String how, long at) {
    }

    /** How many of an agent's latest lease endings of each kind {@link #lostLease} looks through. */
    static final int ENDINGS_LOOKED_AT = 500;

    /**
     * The agent's latest lease overlapping {@code path} when it was lost rather than let go, and
     * the agent holds no live lease there now: a commit of the path by that agent may undo the
     * work of whoever held it since. Empty when its latest one is live or was released in time.
     */
    public Optional<LostLease> lostLease(String agent, Resource path) {
        gate.sweepBeforeRead();
        return store.read(tx -> {
            List<Lease> rows = LeaseStore.in(tx).leasesIn(path.scope()).stream()
                    .filter(lease -> lease.agent().equals(agent) && lease.resource().overlaps(path)).toList();
            if (rows.stream().anyMatch(lease -> lease.liveAt(tx.now()))) {
                return Optional.empty();
            }
            long latestAt = Long.MIN_VALUE;
            Optional<LostLease> latest = Optional.empty();
            for (Lease expired : rows) { // expired, not yet cleaned up
                if (expired.expiresAt() > latestAt) {
                    latestAt = expired.expiresAt();
                    latest = Optional.of(new LostLease(expired.resource(), expired.token(), "expired", expired.expiresAt()));
                }
            }
            for (String kind : List.of("lease.released", "lease.force-released", "lease.expired")) {
                for (Event ended : tx.latestEvents(agent, kind, ENDINGS_LOOKED_AT)) {
                    Resource resource = Resource.ofCanonical(ended.resource());
                    if (ended.at() <= latestAt || !resource.overlaps(path)) {
                        continue;
                    }
                    latestAt = ended.at();
                    long token = ((Number) ended.details().get("token")).longValue();
                    long expiredAt = ((Number) ended.details().get("expiresAt")).longValue();
                    latest = switch (kind) {
                        case "lease.released" -> Boolean.TRUE.equals(ended.details().get("wasExpired"))
                                ? Optional.of(new LostLease(resource, token, "expired before it was released", expiredAt)) : Optional.empty();
                        case "lease.force-released" -> Optional.of(new LostLease(resource, token, "was force-released", ended.at()));
                        default -> Optional.of(new LostLease(resource, token, "expired", expiredAt));
                    };
                }
            }
            return latest;
        });
    }

    /** Live waiters, per resource in arrival order (the order they are served in); no dead agent's. */
    public List<Waiter> waiters() {
        gate.sweepBeforeRead();
        return store.read(tx -> LeaseStore.in(tx).liveWaiters(tx.now() - WAITER_SILENCE_MS));
    }

    /** Leases (of one agent: non-null), live ones unless {@code includeExpired}; no dead agent's. */
    public List<Lease> list(String agent, boolean includeExpired) {
        if (agent != null) {
            Limits.agentId(agent);
        }
        gate.sweepBeforeRead();
        return store.read(tx -> LeaseStore.in(tx).leases(agent, includeExpired));
    }

    private static void releaseLease(Tx tx, Lease lease, String kind, String reason) {
        LeaseStore.in(tx).deleteLease(lease.id());
        recordRelease(tx, lease, kind, reason);
    }

    /** The event of a lease that was removed: released, force-released (with the reason), or found expired. */
    private static void recordRelease(Tx tx, Lease lease, String kind, String reason) {
        Map<String, Object> details = leaseDetails(lease);
        if (!lease.liveAt(tx.now())) {
            details.put("wasExpired", true);
        }
        if (reason != null) {
            details.put("reason", reason);
        }
        tx.appendEvent(kind, lease.agent(), lease.resource().text(), details);
    }

    private static void removeExpired(Tx tx, Lease lease) {
        LeaseStore.in(tx).deleteLease(lease.id());
        tx.appendEvent("lease.expired", lease.agent(), lease.resource().text(), leaseDetails(lease));
    }

    /** ", it is held by X" naming other agents' live leases on exactly this resource, or "". */
    private static String heldBy(Tx tx, String agent, Resource resource) {
        String holders = LeaseStore.in(tx).liveLeasesOn(resource).stream().map(Lease::agent).filter(a -> !a.equals(agent))
                .collect(Collectors.joining(", "));
        return holders.isEmpty() ? "" : "; it is held by " + holders;
    }

    private static Map<String, Object> leaseDetails(Lease lease) {
        return OrderedMap.of("lease", lease.id(), "token", lease.token(), "mode", lease.mode().label(),
                "expiresAt", lease.expiresAt(), "reason", lease.reason());
    }

    private static List<String> texts(List<Resource> resources) {
        return resources.stream().map(Resource::text).toList();
    }

}
