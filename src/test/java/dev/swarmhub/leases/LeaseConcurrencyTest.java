package dev.swarmhub.leases;

import static dev.swarmhub.testing.TestGate.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.tuple;

import dev.swarmhub.host.LocalProcesses;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.EventLog;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Tx;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.MutableClock;
import dev.swarmhub.testing.TestGate;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many threads of one process against {@link Leases} over one SQLite store: mutual exclusion,
 * fencing-token order, renewals racing acquires and cleanup, and the waiting queue's order.
 */
class LeaseConcurrencyTest {

    private static final Duration TTL_LONG = Duration.ofMinutes(5);
    private static final long SEED = 20_300_101L;

    @TempDir
    Path project;

    private ResourceParser parser;
    private Store store;
    private ExecutorService pool;

    @BeforeEach
    void setUp() {
        parser = new ResourceParser(project);
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(20, TimeUnit.SECONDS)).as("test threads ended").isTrue();
        if (store != null) {
            store.close();
        }
    }

    // ---------------------------------------------------------------- a. mutual exclusion under contention

    /** One acquire request a thread may make: all the resources at once, in one mode. */
    private record Choice(Mode mode, List<Resource> resources) {
    }

    @Test
    void sixteenThreadsNeverHoldOverlappingResourcesAtOnceAndTokensGrowPerResource() throws Exception {
        store = TestStores.open(project, InstantSource.system());
        Leases leases = new Leases(store, TestGate.OPEN, new LocalProcesses());
        List<Choice> menu = List.of(
                choice(Mode.EXCLUSIVE, "hot/a.py"),
                choice(Mode.EXCLUSIVE, "hot/b.py"),
                choice(Mode.EXCLUSIVE, "hot/*.py"),
                choice(Mode.EXCLUSIVE, "hot/**"),
                choice(Mode.EXCLUSIVE, "name:build"),
                choice(Mode.EXCLUSIVE, "./hot/../hot/a.py"),
                choice(Mode.EXCLUSIVE, "hot/b.py", "name:build"),
                choice(Mode.SHARED, "hot/a.py"),
                choice(Mode.SHARED, "hot/**"),
                choice(Mode.SHARED, "name:build"),
                choice(Mode.SHARED, "hot/sub/c.py", "hot/a.py"));
        int threads = 16;
        int attempts = 1_000;
        Ledger ledger = new Ledger();
        ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        CyclicBarrier start = new CyclicBarrier(threads);
        int[] grants = new int[threads];
        int[] denials = new int[threads];
        int[] leasesGranted = new int[threads];
        List<Future<?>> workers = new ArrayList<>();
        AtomicInteger attemptsMade = new AtomicInteger();

        for (int t = 0; t < threads; t++) {
            int index = t;
            String agent = "t" + t;
            Random random = new Random(SEED + t);
            workers.add(pool.submit(() -> {
                try {
                    start.await();
                    for (int i = 0; i < attempts; i++, attemptsMade.incrementAndGet()) {
                        Choice choice = menu.get(random.nextInt(menu.size()));
                        List<Lease> granted;
                        try {
                            granted = leases.acquire(new Leases.Request(as(agent), choice.resources(), choice.mode(), TTL_LONG,
                                    "attempt " + i));
                        } catch (LeaseConflictException denied) {
                            denials[index]++;
                            ledger.checkDenial(agent, choice, denied);
                            continue;
                        }
                        grants[index]++;
                        leasesGranted[index] += granted.size();
                        ledger.enter(agent, choice, granted);
                        ledger.checkStoreView(agent, granted, leases);
                        ledger.leave(agent);
                        List<Leases.Released> released = leases.release(as(agent), choice.resources());
                        if (released.size() != granted.size()) {
                            ledger.violation(agent + " released " + released + " after being granted " + granted);
                        }
                    }
                } catch (Throwable e) {
                    unexpected.add(e);
                }
            }));
        }
        // however slow the machine (PostgreSQL under another suite's load took over 100 s): stuck only when no attempt ends
        Await.untilWhileProgressing("16,000 attempts", attemptsMade::get, () -> workers.stream().allMatch(Future::isDone));
        for (Future<?> worker : workers) {
            worker.get();
        }

        assertThat(unexpected).as("unexpected exceptions").isEmpty();
        assertThat(ledger.violationCount()).as("invariant violations, the first of them: %s", ledger.firstViolations()).isZero();
        for (int t = 0; t < threads; t++) {
            assertThat(grants[t] + denials[t]).as("attempts of t%d", t).isEqualTo(attempts);
            assertThat(grants[t]).as("grants of t%d (contended: expected some)", t).isPositive();
            assertThat(denials[t]).as("denials of t%d (contended: expected some)", t).isPositive();
        }
        int totalLeases = Arrays.stream(leasesGranted).sum();
        assertThat(ledger.tokensSeen()).as("every granted lease had its own fencing token").isEqualTo(totalLeases);
        assertThat(leases.list(null, true)).as("everything was released").isEmpty();
        EventLog events = new EventLog(store);
        assertThat(countEvents(events, "lease.acquired")).isEqualTo(totalLeases);
        assertThat(countEvents(events, "lease.released")).isEqualTo(totalLeases);
        assertThat(countEvents(events, "lease.renewed")).as("no agent ever renewed: it always released first").isZero();
    }

    /**
     * What the threads hold, written only by a thread while it holds a grant: it enters after
     * acquire returns and leaves before it calls release, so its time in the ledger lies inside
     * its time holding the leases in the store. Two conflicting entries at once would mean two
     * conflicting grants at once.
     */
    private static final class Ledger {

        private record Holding(String agent, Lease lease) {
        }

        private final List<Holding> current = new ArrayList<>();
        /** Per resource text: the largest token any holder entered with, and any exclusive holder. */
        private final Map<Resource, Long> lastToken = new HashMap<>();
        private final Map<Resource, Long> lastExclusiveToken = new HashMap<>();
        private final Set<Long> tokens = new HashSet<>();
        /** The first violations found (enough to diagnose), and how many there were in all. */
        private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
        private final AtomicInteger violationCount = new AtomicInteger();

        synchronized void enter(String agent, Choice choice, List<Lease> granted) {
            if (!granted.stream().map(Lease::resource).toList().equals(choice.resources())) {
                violation(agent + " asked for " + choice.resources() + " and was granted " + granted);
            }
            for (Lease lease : granted) {
                if (!lease.agent().equals(agent) || lease.mode() != choice.mode()) {
                    violation(agent + " was granted a lease that is not its own in " + choice.mode() + ": " + lease);
                }
                if (!tokens.add(lease.token())) {
                    violation("token " + lease.token() + " handed out twice, now to " + lease);
                }
                for (Holding other : current) {
                    if (!other.agent().equals(agent) && other.lease().resource().overlaps(lease.resource())
                            && other.lease().mode().conflictsWith(lease.mode())) {
                        violation(agent + " holds " + lease + " while " + other.agent() + " holds " + other.lease());
                    }
                }
                // A conflicting earlier holder released before this grant, so its token is smaller.
                Map<Resource, Long> before = lease.mode() == Mode.EXCLUSIVE ? lastToken : lastExclusiveToken;
                before.forEach((resource, token) -> {
                    if (resource.overlaps(lease.resource()) && token >= lease.token()) {
                        violation(agent + " got " + lease + " after a conflicting holder of " + resource
                                + " had the larger or equal token " + token);
                    }
                });
            }
            for (Lease lease : granted) {
                current.add(new Holding(agent, lease));
                lastToken.merge(lease.resource(), lease.token(), Math::max);
                if (lease.mode() == Mode.EXCLUSIVE) {
                    lastExclusiveToken.merge(lease.resource(), lease.token(), Math::max);
                }
            }
        }

        synchronized void leave(String agent) {
            current.removeIf(holding -> holding.agent().equals(agent));
        }

        /** The store agrees while we hold: our lease is there and nothing conflicting is. */
        void checkStoreView(String agent, List<Lease> granted, Leases leases) {
            for (Lease lease : granted) {
                List<Lease> there = leases.who(lease.resource());
                if (!there.contains(lease)) {
                    violation(agent + " holds " + lease + " but the store shows " + there);
                }
                there.stream().filter(other -> !other.agent().equals(agent) && other.mode().conflictsWith(lease.mode()))
                        .forEach(other -> violation(agent + " holds " + lease + " and the store also shows " + other));
            }
        }

        /** A denial names only other agents' leases that really overlap in a conflicting mode. */
        void checkDenial(String agent, Choice choice, LeaseConflictException denied) {
            if (denied.conflicts().isEmpty() || denied.timedOut()) {
                violation(agent + " was denied without a conflict: " + denied.getMessage());
            }
            for (LeaseConflictException.Conflict conflict : denied.conflicts()) {
                Lease held = conflict.held();
                if (held.agent().equals(agent) || !choice.resources().contains(conflict.requested())
                        || !held.resource().overlaps(conflict.requested()) || !held.mode().conflictsWith(choice.mode())) {
                    violation(agent + " asking for " + choice + " was denied by a non-conflict: " + conflict);
                }
            }
        }

        void violation(String what) {
            if (violationCount.incrementAndGet() <= 20) {
                violations.add(what);
            }
        }

        int violationCount() {
            return violationCount.get();
        }

        List<String> firstViolations() {
            return List.copyOf(violations);
        }

        synchronized int tokensSeen() {
            return tokens.size();
        }
    }

    // ---------------------------------------------------------------- b. scenario 3: renew vs acquire vs cleanup

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void scenario03_renewingHolderKeepsItsLeaseWhileAnotherAgentTriesToAcquireAndCleanupRuns() throws Exception {
        store = TestStores.open(project, InstantSource.system());
        Leases leases = new Leases(store, TestGate.OPEN, new LocalProcesses());
        Resource file = parser.parse("test.py");
        Duration ttl = Duration.ofSeconds(1); // the test runs for 2 s: only renewals keep the lease
        Lease original = leases.acquire(new Leases.Request(as("A"), List.of(file), Mode.EXCLUSIVE, ttl, "renewing")).get(0);
        long runNanos = TimeUnit.SECONDS.toNanos(2);
        CyclicBarrier start = new CyclicBarrier(3);
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();

        // Judged in store time, so a loaded machine that stalls A past its TTL cannot fail it: every
        // lease A was given covers [expiresAt - ttl, expiresAt), and no grant to B may fall inside one.
        ConcurrentLinkedQueue<Lease> heldByA = new ConcurrentLinkedQueue<>(List.of(original));
        ConcurrentLinkedQueue<Lease> grantedToB = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Lease> cleanedUp = new ConcurrentLinkedQueue<>();
        Future<Integer> renewer = pool.submit(() -> loop(start, runNanos, unexpected, round -> {
            try {
                heldByA.addAll(round % 2 == 0
                        ? leases.renew(as("A"), List.of(file), ttl)
                        : leases.acquire(new Leases.Request(as("A"), List.of(file), Mode.EXCLUSIVE, ttl, "renewing")));
            } catch (SwarmException lost) { // A stalled past its TTL and B took it: allowed, checked below
                if (lost.kind() != SwarmException.Kind.DENIED) {
                    throw lost;
                }
            }
        }));
        Future<Integer> acquirer = pool.submit(() -> loop(start, runNanos, unexpected, round -> {
            try {
                grantedToB.addAll(leases.acquire(new Leases.Request(as("B"), List.of(file), Mode.EXCLUSIVE, ttl, "taking over")));
                leases.release(as("B"), List.of(file));
            } catch (LeaseConflictException denied) {
                boolean namesA = !denied.conflicts().isEmpty() && denied.conflicts().stream().allMatch(c -> c.held().agent().equals("A"));
                if (!namesA) {
                    violations.add("B's denial in round " + round + " does not name A's lease: " + denied.getMessage());
                }
            }
        }));
        Future<Integer> cleaner = pool.submit(() -> loop(start, runNanos, unexpected, round -> {
            Leases.SweepReport report = leases.sweep();
            long now = store.read(Tx::now);
            for (Lease expired : report.expired()) {
                cleanedUp.add(expired);
                if (expired.liveAt(now)) {
                    violations.add("cleanup round " + round + " removed the live lease " + expired);
                }
            }
        }));

        assertThat(Await.done(renewer)).as("A's renewals").isPositive();
        assertThat(Await.done(acquirer)).as("B's attempts").isPositive();
        assertThat(Await.done(cleaner)).as("C's cleanups").isPositive();
        assertThat(unexpected).as("unexpected exceptions").isEmpty();
        assertThat(violations).as("violations").isEmpty();
        for (Lease b : grantedToB) {
            for (Lease a : heldByA) {
                assertThat(b.acquiredAt() >= a.expiresAt() - ttl.toMillis() && b.acquiredAt() < a.expiresAt())
                        .as("B granted %s while A held %s", b, a).isFalse();
            }
        }
        for (Lease a : heldByA) {
            assertThat(a.token() == original.token() || a.token() > original.token()).as("A's lease %s", a).isTrue();
            if (a.id() == original.id()) {
                assertThat(a.token()).as("a renewal keeps the token").isEqualTo(original.token());
            }
        }
        if (grantedToB.isEmpty() && cleanedUp.isEmpty()) { // A never lost it: it holds the one lease it began with
            assertThat(leases.who(file)).extracting(Lease::agent, Lease::token).containsExactly(tuple("A", original.token()));
            assertThat(new EventLog(store).after(0, "A", "lease.acquired", 10)).hasSize(1);
        }
    }

    @FunctionalInterface
    private interface Round {
        void run(int round);
    }

    /** Runs rounds from the barrier until the time is up; returns how many ran. */
    private static int loop(CyclicBarrier start, long runNanos, ConcurrentLinkedQueue<Throwable> unexpected, Round body) {
        int rounds = 0;
        try {
            start.await();
            long end = System.nanoTime() + runNanos;
            while (System.nanoTime() < end) {
                body.run(rounds++);
            }
        } catch (Throwable e) {
            unexpected.add(e);
        }
        return rounds;
    }

    // ---------------------------------------------------------------- c. the waiting queue's order

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void exclusiveWaitersAreGrantedInTheOrderTheyQueued() throws Exception {
        MutableClock clock = MutableClock.startingAt2030();
        store = TestStores.open(project, clock);
        Leases leases = new Leases(store, TestGate.OPEN, new LocalProcesses());
        EventLog events = new EventLog(store);
        Resource file = parser.parse("queue.py");
        leases.acquire(new Leases.Request(as("holder"), List.of(file), Mode.EXCLUSIVE, TTL_LONG, ""));
        long mark = lastEventId(events);

        // Each waiter takes the lease, notes its token, and hands it on by releasing.
        List<String> order = List.of("w0", "w1", "w2", "w3", "w4", "w5");
        List<Future<Long>> waiting = new ArrayList<>();
        for (String agent : order) {
            waiting.add(pool.submit(() -> {
                Lease lease = leases.acquire(new Leases.Request(as(agent), List.of(file), Mode.EXCLUSIVE, TTL_LONG, "queued"),
                        Duration.ofSeconds(30)).get(0);
                leases.release(as(agent), List.of(file));
                return lease.token();
            }));
            awaitEvent(events, mark, agent, "lease.queued");
        }
        assertThat(waiting).noneMatch(Future::isDone);

        leases.release(as("holder"), List.of(file));

        List<Long> tokens = new ArrayList<>();
        for (Future<Long> waiter : waiting) {
            tokens.add(Await.done(waiter));
        }
        assertThat(tokens).as("tokens in queue order").isSorted().doesNotHaveDuplicates();
        assertThat(events.after(mark, null, "lease.acquired", 100)).extracting(Event::agent).containsExactlyElementsOf(order);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void mixedSharedAndExclusiveWaitersAreServedInArrivalOrder() throws Exception {
        MutableClock clock = MutableClock.startingAt2030();
        store = TestStores.open(project, clock);
        Leases leases = new Leases(store, TestGate.OPEN, new LocalProcesses());
        EventLog events = new EventLog(store);
        Resource file = parser.parse("q.py");
        leases.acquire(new Leases.Request(as("A"), List.of(file), Mode.EXCLUSIVE, TTL_LONG, ""));
        long mark = lastEventId(events);

        Map<String, Future<List<Lease>>> waiters = new HashMap<>();
        for (String agent : List.of("W1:exclusive", "W2:shared", "W3:shared", "W4:exclusive")) {
            String name = agent.substring(0, 2);
            Mode mode = Mode.parse(agent.substring(3));
            waiters.put(name, pool.submit(() -> leases.acquire(new Leases.Request(as(name), List.of(file), mode, TTL_LONG, ""),
                    Duration.ofSeconds(30))));
            awaitEvent(events, mark, name, "lease.queued");
        }

        leases.release(as("A"), List.of(file));
        Lease w1 = Await.done(waiters.get("W1")).get(0);
        awaitRefusedPollAfterNow(store, clock, file, "W2", "W3", "W4");
        assertThat(List.of("W2", "W3", "W4")).allSatisfy(name -> assertThat(waiters.get(name)).as(name).isNotDone());

        leases.release(as("W1"), List.of(file));
        // the two shared waiters come next, together
        Lease w2 = Await.done(waiters.get("W2")).get(0);
        Lease w3 = Await.done(waiters.get("W3")).get(0);
        assertThat(List.of(w2, w3)).extracting(Lease::mode).containsOnly(Mode.SHARED);
        awaitRefusedPollAfterNow(store, clock, file, "W4");
        assertThat(waiters.get("W4")).isNotDone();
        // W4 waits behind the shared holders; a newcomer's shared request must not overtake it
        LeaseConflictException overtaking = catchThrowableOfType(LeaseConflictException.class,
                () -> leases.acquire(new Leases.Request(as("late"), List.of(file), Mode.SHARED, TTL_LONG, "")));
        assertThat(overtaking).as("a shared newcomer while W4 is queued").isNotNull();
        assertThat(overtaking.queuedAhead()).extracting(Waiter::agent).containsExactly("W4");

        leases.release(as("W2"), List.of(file));
        awaitRefusedPollAfterNow(store, clock, file, "W4");
        assertThat(waiters.get("W4")).as("W4 while W3 still holds").isNotDone();

        leases.release(as("W3"), List.of(file));
        Lease w4 = Await.done(waiters.get("W4")).get(0);

        assertThat(w1.token()).isLessThan(Math.min(w2.token(), w3.token()));
        assertThat(w4.token()).isGreaterThan(Math.max(w2.token(), w3.token()));
        List<String> grantOrder = events.after(mark, null, "lease.acquired", 100).stream().map(Event::agent).toList();
        assertThat(grantOrder).hasSize(4);
        assertThat(grantOrder.get(0)).isEqualTo("W1");
        assertThat(grantOrder.subList(1, 3)).containsExactlyInAnyOrder("W2", "W3");
        assertThat(grantOrder.get(3)).isEqualTo("W4");
    }

    // ---------------------------------------------------------------- helpers

    private Choice choice(Mode mode, String... resources) {
        return new Choice(mode, parser.parseAll(List.of(resources)));
    }

    private static int countEvents(EventLog events, String kind) {
        int count = 0;
        long after = 0;
        while (true) {
            List<Event> page = events.after(after, null, kind, EventLog.MAX_LIMIT);
            if (page.isEmpty()) {
                return count;
            }
            count += page.size();
            after = page.get(page.size() - 1).id();
        }
    }

    private static long lastEventId(EventLog events) {
        List<Event> last = events.latest(null, null, 1);
        return last.isEmpty() ? 0 : last.get(0).id();
    }

    private static void awaitEvent(EventLog events, long afterId, String agent, String kind) {
        Await.until("event " + kind + " of " + agent, () -> !events.after(afterId, agent, kind, 1).isEmpty());
    }

    /**
     * Waits until each agent's queued acquire has polled again after the current store time and
     * was refused: moving the clock on makes a refused poll mark the waiter as seen at the new
     * time (a granted poll deletes the waiter instead).
     */
    private static void awaitRefusedPollAfterNow(Store store, MutableClock clock, Resource resource, String... agents) {
        long since = clock.advance(Duration.ofMillis(1));
        for (String agent : agents) {
            Await.until(agent + " polling again after " + since, () -> store.<List<Waiter>>read(
                    tx -> LeaseStore.in(tx).liveWaitersIn(resource.scope(), since)).stream().anyMatch(w -> w.agent().equals(agent)));
        }
    }
}
