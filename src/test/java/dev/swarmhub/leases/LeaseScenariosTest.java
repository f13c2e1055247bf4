package dev.swarmhub.leases;

import static dev.swarmhub.testing.TestGate.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

import dev.swarmhub.host.LocalProcesses;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.EventLog;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.ForwardingStore;
import dev.swarmhub.testing.MutableClock;
import dev.swarmhub.testing.TestGate;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenarios 1-11 of the shared behaviour scenarios (leases), in process, against {@link Leases}
 * over a real SQLite store. Time is the store's clock, a {@link MutableClock} the test moves: a
 * lease expires because the clock passed its expiry, never because the test slept.
 */
class LeaseScenariosTest {

    private static final Duration TTL_1S = Duration.ofSeconds(1);
    private static final Duration TTL_LONG = Duration.ofMinutes(5);
    /** The wait of an acquire a release the test makes will grant: long, so that a loaded machine never times it out. */
    private static final Duration WAIT_FOR_RELEASE = Duration.ofMinutes(2);

    @TempDir
    Path project;

    private MutableClock clock;
    private Store store;
    private Leases leases;
    private EventLog events;
    private ResourceParser parser;
    private ExecutorService waiters;

    @BeforeEach
    void openStore() {
        clock = MutableClock.startingAt2030();
        store = TestStores.open(project, clock);
        leases = new Leases(store, TestGate.OPEN, new LocalProcesses());
        events = new EventLog(store);
        parser = new ResourceParser(project);
        waiters = Executors.newCachedThreadPool();
    }

    @AfterEach
    void closeStore() throws InterruptedException {
        // Waiting acquires still running are interrupted and dequeue themselves before the store closes.
        waiters.shutdownNow();
        assertThat(waiters.awaitTermination(20, TimeUnit.SECONDS)).as("waiting acquires ended").isTrue();
        store.close();
    }

    // ---------------------------------------------------------------- 1. conflict names everything

    @Test
    void scenario01_secondAgentIsDeniedWithHolderPathReasonSinceAndExpiry() {
        long since = clock.millis();
        Lease held = acquire("A", Mode.EXCLUSIVE, TTL_LONG, "first", "test.py").get(0);
        clock.advance(Duration.ofSeconds(7));

        LeaseConflictException denied = deniedConflict(() -> acquire("B", Mode.EXCLUSIVE, TTL_LONG, "mine", "test.py"));

        assertThat(denied.kind()).isEqualTo(SwarmException.Kind.DENIED);
        assertThat(denied.timedOut()).isFalse();
        assertThat(denied.conflicts()).hasSize(1);
        LeaseConflictException.Conflict conflict = denied.conflicts().get(0);
        assertThat(conflict.requested()).isEqualTo(resource("test.py"));
        assertThat(conflict.held().agent()).isEqualTo("A");
        assertThat(conflict.held().resource()).isEqualTo(resource("test.py"));
        assertThat(conflict.held().reason()).isEqualTo("first");
        assertThat(conflict.held().mode()).isEqualTo(Mode.EXCLUSIVE);
        assertThat(conflict.held().acquiredAt()).isEqualTo(since);
        assertThat(conflict.held().expiresAt()).isEqualTo(since + TTL_LONG.toMillis());
        assertThat(conflict.held().token()).isEqualTo(held.token());
        assertThat(denied.getMessage()).contains("test.py", "A", "\"first\"",
                Instant.ofEpochMilli(since).toString(), Instant.ofEpochMilli(since + TTL_LONG.toMillis()).toString());

        assertThat(leases.list("B", true)).as("B holds nothing after the denial").isEmpty();
        assertThat(leases.who(resource("test.py"))).containsExactly(held);
    }

    // ---------------------------------------------------------------- 2. re-acquire renews

    @Test
    void scenario02_reacquireKeepsLeaseAndTokenExtendsExpiryAndNeverLetsAnotherAgentIn() {
        Lease first = acquire("A", Mode.EXCLUSIVE, TTL_1S, "first", "test.py").get(0);
        clock.advance(Duration.ofMillis(400));

        Lease second = acquire("A", Mode.EXCLUSIVE, TTL_1S, "second", "test.py").get(0);

        assertThat(second.id()).isEqualTo(first.id());
        assertThat(second.token()).isEqualTo(first.token());
        assertThat(second.acquiredAt()).isEqualTo(first.acquiredAt());
        assertThat(second.expiresAt()).isEqualTo(clock.millis() + TTL_1S.toMillis()).isGreaterThan(first.expiresAt());
        assertThat(second.reason()).isEqualTo("second");
        assertThat(leases.list("A", false)).containsExactly(second);

        // Each step moves the clock half a TTL: without the renewals the lease would have expired
        // after two steps, and 100 steps span 50 TTLs.
        Lease previous = second;
        for (int i = 0; i < 100; i++) {
            clock.advance(Duration.ofMillis(500));
            Lease renewed = i % 2 == 0
                    ? acquire("A", Mode.EXCLUSIVE, TTL_1S, "renewal " + i, "test.py").get(0)
                    : leases.renew(as("A"), List.of(resource("test.py")), TTL_1S).get(0);
            assertThat(renewed.id()).as("lease id after renewal %d", i).isEqualTo(first.id());
            assertThat(renewed.token()).as("token after renewal %d", i).isEqualTo(first.token());
            assertThat(renewed.expiresAt()).as("expiry after renewal %d", i)
                    .isEqualTo(clock.millis() + TTL_1S.toMillis()).isGreaterThan(previous.expiresAt());
            previous = renewed;

            int round = i;
            LeaseConflictException denied = deniedConflict(() -> acquire("B", Mode.EXCLUSIVE, TTL_1S, "", "test.py"));
            assertThat(denied.conflicts()).as("B's acquire after renewal %d", round)
                    .extracting(c -> c.held().agent(), c -> c.held().token())
                    .containsExactly(tuple("A", first.token()));
        }
        assertThat(leases.list("B", true)).isEmpty();
        assertThat(events.after(0, "A", "lease.acquired", 1000)).as("one lease for all renewals").hasSize(1);
        assertThat(events.after(0, "A", "lease.renewed", 1000)).hasSize(101);
    }

    // ---------------------------------------------------------------- 4. expiry

    @Test
    void scenario04_afterExpiryAnotherAgentGetsALargerTokenAndTheOldHoldersRenewIsDenied() {
        Lease a = acquire("A", Mode.EXCLUSIVE, TTL_1S, "short", "test.py").get(0);
        clock.advance(Duration.ofMillis(400));
        Lease aRenewed = leases.renew(as("A"), List.of(resource("test.py")), TTL_1S).get(0);
        assertThat(aRenewed.token()).isEqualTo(a.token());

        clock.advance(Duration.ofMillis(TTL_1S.toMillis() - 1)); // 1 ms before expiry: still A's
        assertThat(deniedConflict(() -> acquire("B", Mode.EXCLUSIVE, TTL_1S, "", "test.py")).conflicts())
                .extracting(c -> c.held().agent()).containsExactly("A");
        clock.advance(Duration.ofMillis(2)); // 1 ms after expiry

        Lease b = acquire("B", Mode.EXCLUSIVE, TTL_LONG, "after A", "test.py").get(0);

        long largestTokenOfA = events.after(0, "A", null, 1000).stream()
                .filter(e -> e.details().containsKey("token"))
                .mapToLong(e -> ((Number) e.details().get("token")).longValue()).max().orElseThrow();
        assertThat(largestTokenOfA).isEqualTo(a.token());
        assertThat(b.token()).isGreaterThan(largestTokenOfA);
        assertThat(b.id()).isNotEqualTo(a.id());

        SwarmException renew = catchThrowableOfType(SwarmException.class,
                () -> leases.renew(as("A"), List.of(resource("test.py")), TTL_1S));
        assertThat(renew).as("A's late renew").isNotNull();
        assertThat(renew.kind()).isEqualTo(SwarmException.Kind.DENIED);
        assertThat(renew.getMessage()).contains("test.py", "expired", "no longer held", "B");

        assertThat(deniedConflict(() -> acquire("A", Mode.EXCLUSIVE, TTL_1S, "", "test.py")).conflicts())
                .extracting(c -> c.held().agent(), c -> c.held().token())
                .containsExactly(tuple("B", b.token()));
        assertThat(leases.who(resource("test.py"))).containsExactly(b);
    }

    // ---------------------------------------------------------------- 5. release

    @Test
    void scenario05_releasingAnotherAgentsLeaseIsDeniedAndReleasingANeverHeldPathSucceeds() {
        Lease a = acquire("A", Mode.EXCLUSIVE, TTL_LONG, "", "test.py").get(0);
        long mark = lastEventId();

        SwarmException denied = catchThrowableOfType(SwarmException.class,
                () -> leases.release(as("B"), List.of(resource("test.py"))));

        assertThat(denied).as("B releasing A's lease").isNotNull();
        assertThat(denied.kind()).isEqualTo(SwarmException.Kind.DENIED);
        assertThat(denied.getMessage()).contains("test.py", "held by A");
        assertThat(leases.who(resource("test.py"))).containsExactly(a);
        assertThat(lastEventId()).as("a denied release records nothing").isEqualTo(mark);

        assertThat(leases.release(as("A"), List.of(resource("never/held.py")))).isEmpty();
        assertThat(leases.who(resource("test.py"))).containsExactly(a);

        assertThat(leases.release(as("A"), List.of(resource("test.py")))).containsExactly(new Leases.Released(a, false, List.of()));
        assertThat(leases.who(resource("test.py"))).isEmpty();
    }

    @Test
    void scenario05b_releasingOnesOwnExpiredLeaseSaysItHadExpiredAndWhoHoldsTheFileNow() {
        Lease a = acquire("A", Mode.EXCLUSIVE, TTL_1S, "", "test.py").get(0);
        clock.advance(Duration.ofSeconds(2));
        Lease b = acquire("B", Mode.EXCLUSIVE, TTL_LONG, "", "test.py").get(0);

        assertThat(leases.release(as("A"), List.of(resource("test.py"))))
                .as("A's release of its lease that expired before B took the file")
                .containsExactly(new Leases.Released(a, true, List.of("B")));
        assertThat(leases.who(resource("test.py"))).as("B's lease is untouched").containsExactly(b);

        acquire("A", Mode.EXCLUSIVE, TTL_1S, "", "other.py");
        clock.advance(Duration.ofSeconds(2));
        assertThat(leases.releaseAll(as("A"))).extracting(Leases.Released::hadExpired, Leases.Released::heldNowBy)
                .containsExactly(tuple(true, List.of()));
    }

    @Test
    void scenario05c_theAnswerIsTheSameWhenTheSweepRemovedTheExpiredLeaseFirst() {
        Lease a = acquire("A", Mode.EXCLUSIVE, TTL_1S, "", "test.py").get(0);
        clock.advance(Duration.ofSeconds(2));
        Lease b = acquire("B", Mode.EXCLUSIVE, TTL_LONG, "", "test.py").get(0);
        assertThat(leases.sweep().expired()).containsExactly(a);

        assertThat(leases.release(as("A"), List.of(resource("test.py")))).containsExactly(new Leases.Released(a, true, List.of("B")));
        assertThat(leases.who(resource("test.py"))).containsExactly(b);

        acquire("A", Mode.SHARED, TTL_LONG, "", "mine.py");
        leases.release(as("A"), List.of(resource("mine.py")));
        assertThat(leases.release(as("A"), List.of(resource("test.py")))).as("A's latest event on test.py is still that expiry")
                .containsExactly(new Leases.Released(a, true, List.of("B")));
        assertThat(catchThrowableOfType(SwarmException.class, () -> leases.release(as("C"), List.of(resource("test.py")))))
                .as("an agent that never held it is refused as before").hasMessageContaining("do not hold it");

        Lease alone = acquire("A", Mode.EXCLUSIVE, TTL_1S, "", "alone.py").get(0);
        Lease covered = acquire("A", Mode.EXCLUSIVE, TTL_1S, "", "lib/covered.py").get(0);
        clock.advance(Duration.ofSeconds(2));
        acquire("B", Mode.EXCLUSIVE, TTL_LONG, "", "lib/**");
        leases.sweep();
        assertThat(leases.release(as("A"), List.of(resource("alone.py")))).as("nobody holds it since").containsExactly(new Leases.Released(alone, true, List.of()));
        assertThat(leases.release(as("A"), List.of(resource("lib/covered.py")))).as("a glob covers it since")
                .containsExactly(new Leases.Released(covered, true, List.of("B")));
    }

    // ---------------------------------------------------------------- 6. globs

    @Test
    void scenario06_globsConflictWithThePathsTheyCoverAndOnlyThose() {
        acquire("A", Mode.EXCLUSIVE, TTL_LONG, "", "src/*.py");
        assertDeniedBy("B", "src/test.py", "A", "src/*.py");
        leases.releaseAll(as("A"));

        acquire("B", Mode.EXCLUSIVE, TTL_LONG, "", "src/test.py");
        assertDeniedBy("A", "src/*.py", "B", "src/test.py");
        leases.releaseAll(as("B"));

        acquire("A", Mode.EXCLUSIVE, TTL_LONG, "", "src/auth/**");
        assertDeniedBy("B", "src/auth/jwt/token.py", "A", "src/auth/**");
        assertDeniedBy("B", "src/auth", "A", "src/auth/**");
        assertThat(acquire("B", Mode.EXCLUSIVE, TTL_LONG, "", "src/authz.py")).hasSize(1);
        leases.releaseAll(as("A"));
        leases.releaseAll(as("B"));

        acquire("A", Mode.EXCLUSIVE, TTL_LONG, "", "*.py");
        assertThat(acquire("B", Mode.EXCLUSIVE, TTL_LONG, "", "src/a.py")).as("* stays in one segment").hasSize(1);
        assertDeniedBy("C", "setup.py", "A", "*.py");
        leases.releaseAll(as("A"));
        leases.releaseAll(as("B"));

        acquire("A", Mode.EXCLUSIVE, TTL_LONG, "", "**/*.py");
        assertDeniedBy("B", "src/a.py", "A", "**/*.py");
        assertDeniedBy("B", "setup.py", "A", "**/*.py");
        assertDeniedBy("B", "src/deep/er/x.py", "A", "**/*.py");
        assertThat(acquire("B", Mode.EXCLUSIVE, TTL_LONG, "", "src/a.txt")).hasSize(1);
        assertThat(acquire("B", Mode.EXCLUSIVE, TTL_LONG, "", "name:a.py")).as("names are not paths").hasSize(1);
    }

    // ---------------------------------------------------------------- 7. spellings

    @Test
    void scenario07_everySpellingOfAHeldPathIsDeniedAndPathsOutsideTheProjectAreRefused() {
        Lease a = acquire("A", Mode.EXCLUSIVE, TTL_LONG, "", "src/a.py").get(0);

        for (String spelling : List.of("./src/a.py", "src/../src/a.py", project.toAbsolutePath() + "/src/a.py",
                "src//a.py", "src/./a.py")) {
            LeaseConflictException denied = deniedConflict(() -> acquire("B", Mode.EXCLUSIVE, TTL_LONG, "", spelling));
            assertThat(denied.conflicts()).as("B on %s", spelling)
                    .extracting(c -> c.held().agent(), c -> c.held().resource().text(), c -> c.held().token())
                    .containsExactly(tuple("A", "src/a.py", a.token()));
        }
        assertThat(leases.list("B", true)).isEmpty();

        for (String outside : List.of("../etc/passwd", "/etc/passwd", "src/../../etc/passwd")) {
            SwarmException refused = catchThrowableOfType(SwarmException.class, () -> parser.parse(outside));
            assertThat(refused).as("parse(%s)", outside).isNotNull();
            assertThat(refused.kind()).as("parse(%s)", outside).isEqualTo(SwarmException.Kind.BAD_INPUT);
            assertThat(refused.kind().exitCode).isEqualTo(2);
        }
    }

    /**
     * A file at the project root whose name starts with {@code name:} (legal on Linux) is a path,
     * not the named resource: two agents must not both hold it exclusively.
     */
    @Test
    void aRootPathStartingWithNameColonIsRefusedInsteadOfBeingConfusedWithANamedResource() {
        SwarmException refused = catchThrowableOfType(SwarmException.class, () -> resource("./name:build"));
        assertThat(refused).isNotNull();
        assertThat(refused.kind()).isEqualTo(SwarmException.Kind.BAD_INPUT);
        assertThat(refused.getMessage()).contains("./name:build");

        acquire("A", Mode.EXCLUSIVE, TTL_LONG, "", "name:build");
        Lease deeper = acquire("B", Mode.EXCLUSIVE, TTL_LONG, "", "sub/name:build").get(0);
        assertThat(deeper.resource().kind()).isEqualTo(Resource.Kind.PATH);
        assertThat(leases.list("B", false)).extracting(l -> l.resource().kind()).containsExactly(Resource.Kind.PATH);
    }

    // ---------------------------------------------------------------- 8. shared

    @Test
    void scenario08_sharedLeasesCoexistAndExcludeAnExclusiveRequest() {
        Lease a = acquire("A", Mode.SHARED, TTL_LONG, "reading", "docs/api.md").get(0);
        Lease b = acquire("B", Mode.SHARED, TTL_LONG, "reading too", "docs/api.md").get(0);
        assertThat(b.token()).isGreaterThan(a.token());

        LeaseConflictException denied = deniedConflict(() -> acquire("C", Mode.EXCLUSIVE, TTL_LONG, "", "docs/api.md"));
        assertThat(denied.conflicts()).extracting(c -> c.held().agent()).containsExactlyInAnyOrder("A", "B");
        assertThat(denied.conflicts()).extracting(c -> c.held().mode()).containsOnly(Mode.SHARED);
        assertThat(leases.list("C", true)).isEmpty();

        Lease c = acquire("C", Mode.SHARED, TTL_LONG, "", "docs/api.md").get(0);
        assertThat(c.mode()).isEqualTo(Mode.SHARED);
        assertThat(leases.who(resource("docs/api.md"))).extracting(Lease::agent).containsExactlyInAnyOrder("A", "B", "C");

        // an exclusive holder keeps shared requests out as well
        acquire("D", Mode.EXCLUSIVE, TTL_LONG, "", "docs/other.md");
        assertDeniedBy("E", Mode.SHARED, "docs/other.md", "D", "docs/other.md");
    }

    // ---------------------------------------------------------------- 9. all or nothing

    @Test
    void scenario09_aMultiResourceRequestIsGrantedWhollyOrNotAtAll() {
        Lease a = acquire("A", Mode.EXCLUSIVE, TTL_LONG, "", "b.py").get(0);
        long mark = lastEventId();

        LeaseConflictException denied = deniedConflict(() -> acquire("B", Mode.EXCLUSIVE, TTL_LONG, "", "a.py", "b.py", "c.py"));

        assertThat(denied.conflicts()).extracting(c -> c.requested().text(), c -> c.held().agent())
                .containsExactly(tuple("b.py", "A"));
        assertThat(leases.list("B", true)).as("B holds none of a.py b.py c.py").isEmpty();
        assertThat(leases.who(resource("a.py"))).isEmpty();
        assertThat(leases.who(resource("c.py"))).isEmpty();
        assertThat(lastEventId()).as("a denied acquire records nothing").isEqualTo(mark);
        assertThat(leases.who(resource("b.py"))).containsExactly(a);

        assertThat(acquire("C", Mode.EXCLUSIVE, TTL_LONG, "", "a.py", "c.py")).hasSize(2);
    }

    // ---------------------------------------------------------------- 10. waiting

    @Test
    void scenario10_waitersAreGrantedInArrivalOrderWhenTheHolderReleases() throws Exception {
        Lease a = acquire("A", Mode.EXCLUSIVE, TTL_LONG, "", "x.py").get(0);
        long mark = lastEventId();

        Future<List<Lease>> bWaits = waiters.submit(() -> leases.acquire(request("B", Mode.EXCLUSIVE, TTL_LONG, "", "x.py"), WAIT_FOR_RELEASE));
        long bQueued = awaitEvent(mark, "B", "lease.queued").id();
        Future<List<Lease>> cWaits = waiters.submit(() -> leases.acquire(request("C", Mode.EXCLUSIVE, TTL_LONG, "", "x.py"), WAIT_FOR_RELEASE));
        long cQueued = awaitEvent(mark, "C", "lease.queued").id();
        assertThat(cQueued).isGreaterThan(bQueued);
        acquire("F", Mode.SHARED, TTL_LONG, "", "name:db");
        Future<List<Lease>> gWaits = waiters.submit(() -> leases.acquire(request("G", Mode.EXCLUSIVE, TTL_LONG, "", "name:db"), WAIT_FOR_RELEASE));
        awaitEvent(mark, "G", "lease.queued");
        assertThat(leases.waiters()).as("the queues: per resource, in arrival order").extracting(w -> w.resource().text(), Waiter::agent)
                .containsExactly(tuple("name:db", "G"), tuple("x.py", "B"), tuple("x.py", "C"));
        leases.release(as("F"), List.of(resource("name:db")));
        assertThat(Await.done(gWaits)).extracting(Lease::agent).containsExactly("G");
        assertThat(bWaits).isNotDone();
        assertThat(cWaits).isNotDone();

        leases.release(as("A"), List.of(resource("x.py")));
        // x.py is free now, but a newcomer may not jump the queue
        LeaseConflictException newcomer = deniedConflict(() -> acquire("D", Mode.EXCLUSIVE, TTL_LONG, "", "x.py"));
        assertThat(newcomer.conflicts().isEmpty() ? newcomer.queuedAhead().stream().map(Waiter::agent).toList()
                : newcomer.conflicts().stream().map(c -> c.held().agent()).toList())
                .as("what keeps the newcomer out: the queue, or B once granted").contains("B");

        Lease b = Await.done(bWaits).get(0);
        assertThat(b.agent()).isEqualTo("B");
        assertThat(b.token()).isGreaterThan(a.token());
        awaitRefusedPollAfterNow("C", "x.py");
        assertThat(cWaits).as("C while B holds x.py").isNotDone();

        leases.release(as("B"), List.of(resource("x.py")));

        Lease c = Await.done(cWaits).get(0);
        assertThat(c.agent()).isEqualTo("C");
        assertThat(c.token()).isGreaterThan(b.token());
        assertThat(events.after(mark, null, "lease.acquired", 100)).filteredOn(e -> e.resource().equals("x.py")).extracting(Event::agent)
                .containsExactly("B", "C");
        assertThat(queuedOn("x.py")).as("queue after both granted").isEmpty();
    }

    /**
     * On a store whose signals cross processes (PostgreSQL's notifications) a waiter sleeps until
     * a release wakes it, polling once a second only against a lost notification; on one whose
     * signals stay in the process (SQLite) it polls from 5 ms up, to see other processes' releases.
     */
    @Test
    void aWaiterPollsOnceASecondOnlyWhereEveryProcessesReleaseWakesIt() throws Exception {
        for (boolean crossing : new boolean[] {true, false}) {
            String resource = crossing ? "crossing.py" : "local.py";
            List<Long> naps = new CopyOnWriteArrayList<>();
            Leases waiting = new Leases(new NapRecordingStore(store, crossing, naps), TestGate.OPEN, new LocalProcesses());
            acquire("A", Mode.EXCLUSIVE, TTL_LONG, "", resource);
            long mark = lastEventId();
            Future<List<Lease>> bWaits = waiters.submit(() -> waiting.acquire(request("B", Mode.EXCLUSIVE, TTL_LONG, "", resource), WAIT_FOR_RELEASE));
            awaitEvent(mark, "B", "lease.queued");
            Await.until("the waiter's first nap", () -> !naps.isEmpty());
            leases.release(as("A"), List.of(resource(resource)));
            assertThat(Await.done(bWaits)).extracting(Lease::agent).containsExactly("B");
            if (crossing) {
                assertThat(naps).as("naps of a waiter woken by every release").containsOnly(Leases.NOTIFIED_POLL_MS);
            } else {
                assertThat(naps.getFirst()).as("the first nap of a waiter that must poll").isEqualTo(5);
            }
        }
    }

    /** A wait interrupted (its client left, the hub stops) is dequeued and recorded as abandoned, also where an interrupted thread cannot borrow a connection. */
    @Test
    void anInterruptedWaitIsDequeuedEvenWhereAnInterruptedThreadCannotWrite() throws Exception {
        Leases waiting = new Leases(new NapRecordingStore(store, true, new CopyOnWriteArrayList<>(), true), TestGate.OPEN, new LocalProcesses());
        acquire("A", Mode.EXCLUSIVE, TTL_LONG, "", "x.py");
        long mark = lastEventId();
        Future<List<Lease>> bWaits = waiters.submit(() -> waiting.acquire(request("B", Mode.EXCLUSIVE, TTL_LONG, "", "x.py"), WAIT_FOR_RELEASE));
        awaitEvent(mark, "B", "lease.queued");
        bWaits.cancel(true);
        awaitEvent(mark, "B", "lease.wait-abandoned");
        assertThat(queuedOn("x.py")).as("the queue after the interrupted wait").isEmpty();
    }

    /**
     * The test's store, telling whether signals cross processes as asked, recording how long lease
     * waiters wait for one; {@code poolLike}: a write by an interrupted thread fails, as where the
     * store waits for a pooled connection (PostgreSQL's).
     */
    private static final class NapRecordingStore extends ForwardingStore {
        private final boolean crossing;
        private final List<Long> naps;
        private final boolean poolLike;

        NapRecordingStore(Store store, boolean crossing, List<Long> naps, boolean poolLike) {
            super(store);
            this.crossing = crossing;
            this.naps = naps;
            this.poolLike = poolLike;
        }

        NapRecordingStore(Store store, boolean crossing, List<Long> naps) {
            this(store, crossing, naps, false);
        }

        @Override
        public <T> T write(java.util.function.Function<dev.swarmhub.kernel.Tx, T> work) {
            if (poolLike && Thread.currentThread().isInterrupted()) {
                throw new SwarmException(SwarmException.Kind.UNAVAILABLE, "interrupted while waiting for a connection");
            }
            return store.write(work);
        }

        @Override
        public void awaitSignal(Signal signal, long seen, long timeoutMillis) throws InterruptedException {
            if (signal == Signal.FREED) {
                naps.add(timeoutMillis);
            }
            store.awaitSignal(signal, seen, timeoutMillis);
        }

        @Override
        public boolean signalsCrossProcesses() {
            return crossing;
        }
    }

    @Test
    void scenario10_aWaiterThatTimesOutIsNeverGrantedAndLeavesTheQueue() {
        acquire("A", Mode.EXCLUSIVE, TTL_LONG, "", "x.py");
        long mark = lastEventId();

        LeaseConflictException timedOut = deniedConflict(
                () -> leases.acquire(request("D", Mode.EXCLUSIVE, TTL_LONG, "", "x.py"), Duration.ofMillis(300)));

        assertThat(timedOut.timedOut()).isTrue();
        assertThat(timedOut.getMessage()).startsWith("timed out waiting");
        assertThat(timedOut.conflicts()).extracting(c -> c.held().agent()).containsExactly("A");
        assertThat(queuedOn("x.py")).as("queue after the timeout").isEmpty();
        List<Event> dEvents = events.after(mark, "D", null, 100);
        assertThat(dEvents).extracting(Event::kind).containsExactly("lease.queued", "lease.wait-abandoned");
        assertThat(dEvents.get(1).details().get("waiter")).isEqualTo(dEvents.get(0).details().get("waiter"));

        leases.release(as("A"), List.of(resource("x.py")));

        // nobody is queued any more: a plain acquire gets it at once, and D never does
        assertThat(acquire("E", Mode.EXCLUSIVE, TTL_LONG, "", "x.py")).hasSize(1);
        assertThat(leases.list("D", true)).isEmpty();
        assertThat(events.after(mark, "D", "lease.acquired", 100)).isEmpty();
    }

    @Test
    void scenario10_aWaiterThatStopsPollingIsSkippedAndCleanedUp() {
        acquire("A", Mode.EXCLUSIVE, TTL_LONG, "", "x.py");
        // D queued from a process this host cannot see (another host's), then died: it never polls again
        store.write(tx -> LeaseStore.in(tx).insertWaiter("D", List.of(resource("x.py")), Mode.EXCLUSIVE, tx.now() + 60_000, null));
        leases.release(as("A"), List.of(resource("x.py")));

        LeaseConflictException behindD = deniedConflict(() -> acquire("E", Mode.EXCLUSIVE, TTL_LONG, "", "x.py"));
        assertThat(behindD.conflicts()).isEmpty();
        assertThat(behindD.queuedAhead()).extracting(Waiter::agent).containsExactly("D");

        clock.advance(Duration.ofMillis(Leases.WAITER_SILENCE_MS + 1));

        assertThat(acquire("E", Mode.EXCLUSIVE, TTL_LONG, "", "x.py")).hasSize(1);
        assertThat(leases.list("D", true)).isEmpty();
        assertThat(leases.sweep().deadWaiters()).isEqualTo(1);
        assertThat(queuedOn("x.py")).isEmpty();
    }

    /**
     * The CLI documents "re-acquiring renews" (scenario 2), so a holder's re-acquire must not be
     * refused because another agent has queued behind it (scenario 10): the waiter is behind A,
     * not ahead of it. Otherwise A's lease runs out while A is trying to keep it.
     */
    @Test
    void holderCanRenewByReacquiringWhileAnotherAgentWaitsForTheSamePath() throws Exception {
        Lease a = acquire("A", Mode.EXCLUSIVE, TTL_LONG, "", "x.py").get(0);
        long mark = lastEventId();
        Future<List<Lease>> bWaits = waiters.submit(() -> leases.acquire(request("B", Mode.EXCLUSIVE, TTL_LONG, "", "x.py"), WAIT_FOR_RELEASE));
        awaitEvent(mark, "B", "lease.queued");
        clock.advance(Duration.ofSeconds(1));

        List<Lease> renewed = null;
        SwarmException refused = null;
        try {
            renewed = acquire("A", Mode.EXCLUSIVE, TTL_LONG, "still working", "x.py");
        } catch (SwarmException e) {
            refused = e;
        }
        assertThat(refused).as("A's re-acquire (renewal) of its own lease while B waits").isNull();
        assertThat(renewed).extracting(Lease::id, Lease::token)
                .containsExactly(tuple(a.id(), a.token()));
        assertThat(bWaits).isNotDone();

        leases.release(as("A"), List.of(resource("x.py")));
        assertThat(Await.done(bWaits)).extracting(Lease::agent).containsExactly("B");
    }

    // ---------------------------------------------------------------- 11. cleanup, release-agent, list

    @Test
    void scenario11_cleanupRemovesExactlyTheExpiredLeasesAndRecordsEach() {
        Lease a = acquire("A", Mode.EXCLUSIVE, TTL_1S, "", "one.py").get(0);
        Lease b = acquire("B", Mode.SHARED, TTL_1S, "", "two.py").get(0);
        Lease c = acquire("C", Mode.EXCLUSIVE, TTL_1S, "", "src/**").get(0);
        clock.advance(Duration.ofMillis(600));
        Lease live = acquire("D", Mode.EXCLUSIVE, TTL_1S, "", "four.py").get(0);
        clock.advance(Duration.ofMillis(600)); // the first three are past expiry, D's has 400 ms left
        long mark = lastEventId();

        Leases.SweepReport report = leases.sweep();

        assertThat(report.expired()).extracting(Lease::id).containsExactlyInAnyOrder(a.id(), b.id(), c.id());
        assertThat(leases.list(null, true)).containsExactly(live);
        List<Event> expired = events.after(mark, null, null, 100);
        assertThat(expired).extracting(Event::kind).containsOnly("lease.expired");
        assertThat(expired).extracting(Event::agent, Event::resource).containsExactlyInAnyOrder(
                tuple("A", "one.py"),
                tuple("B", "two.py"),
                tuple("C", "src/**"));

        long afterFirst = lastEventId();
        assertThat(leases.sweep().expired()).as("a second sweep").isEmpty();
        assertThat(lastEventId()).isEqualTo(afterFirst);
    }

    @Test
    void scenario11_releaseAgentFreesExactlyThatAgentsLeasesAndRecordsTheReason() {
        Lease a1 = acquire("A", Mode.EXCLUSIVE, TTL_LONG, "", "a1.py").get(0);
        Lease a2 = acquire("A", Mode.SHARED, TTL_LONG, "", "name:db").get(0);
        Lease b = acquire("B", Mode.EXCLUSIVE, TTL_LONG, "", "b.py").get(0);
        long mark = lastEventId();

        List<Lease> freed = leases.releaseAgent(Caller.ofOperator(), "A", null, "agent A crashed");

        assertThat(freed).containsExactlyInAnyOrder(a1, a2);
        assertThat(leases.list("A", true)).isEmpty();
        assertThat(leases.list(null, true)).containsExactly(b);
        List<Event> recorded = events.after(mark, null, null, 100);
        assertThat(recorded).extracting(Event::kind, Event::agent).containsOnly(
                tuple("lease.force-released", "A"));
        assertThat(recorded).extracting(Event::resource).containsExactlyInAnyOrder("a1.py", "name:db");
        assertThat(recorded).extracting(e -> e.details().get("reason")).containsOnly("agent A crashed");
    }

    @Test
    void scenario11_theOperatorReleasesOneLeaseOfAnAgentAndOnlyThat() {
        Lease a1 = acquire("A", Mode.EXCLUSIVE, TTL_LONG, "", "a1.py").get(0);
        Lease a2 = acquire("A", Mode.EXCLUSIVE, TTL_LONG, "", "src/**").get(0);
        long mark = lastEventId();

        assertThat(leases.releaseAgent(Caller.ofOperator(), "A", resource("a1.py"), "stuck")).containsExactly(a1);
        assertThat(leases.list("A", true)).containsExactly(a2);
        assertThat(events.after(mark, null, null, 100)).singleElement().satisfies(event -> {
            assertThat(event.kind()).isEqualTo("lease.force-released");
            assertThat(event.resource()).isEqualTo("a1.py");
            assertThat(event.details()).containsEntry("reason", "stuck").containsEntry("token", a1.token());
        });
        long afterRelease = lastEventId();
        assertThat(leases.releaseAgent(Caller.ofOperator(), "A", resource("src/x.py"), "")).as("a path under a glob is not the glob's lease")
                .isEmpty();
        assertThat(leases.releaseAgent(Caller.ofOperator(), "B", resource("src/**"), "")).as("another agent's lease").isEmpty();
        assertThat(lastEventId()).isEqualTo(afterRelease);
        assertThat(leases.list("A", true)).containsExactly(a2);
        assertThatThrownBy(() -> leases.releaseAgent(as("B"), "A", resource("src/**"), "")).hasMessageContaining("operator");
        assertThat(leases.list("A", true)).containsExactly(a2);
    }

    @Test
    void scenario11_listingHidesExpiredLeasesUnlessAskedAndChangesNothing() {
        Lease expiring = acquire("A", Mode.EXCLUSIVE, TTL_1S, "", "old.py").get(0);
        clock.advance(Duration.ofMillis(1500));
        Lease live = acquire("B", Mode.EXCLUSIVE, TTL_1S, "", "new.py").get(0);
        long mark = lastEventId();

        for (int i = 0; i < 3; i++) {
            assertThat(leases.list(null, false)).containsExactly(live);
            assertThat(leases.list("A", false)).isEmpty();
            assertThat(leases.list(null, true)).containsExactlyInAnyOrder(expiring, live);
            assertThat(leases.list("A", true)).containsExactly(expiring);
            assertThat(leases.who(resource("old.py"))).isEmpty();
        }

        assertThat(lastEventId()).as("listing appends no event").isEqualTo(mark);
        assertThat(leases.list(null, true)).as("listing removes nothing").hasSize(2);
    }

    // ---------------------------------------------------------------- fencing tokens survive a restart

    @Test
    void fencingTokensKeepGrowingAfterTheStoreIsClosedAndReopened() {
        Lease before = acquire("A", Mode.EXCLUSIVE, TTL_LONG, "", "x.py").get(0);
        leases.release(as("A"), List.of(resource("x.py")));
        store.close();

        store = TestStores.open(project, clock);
        leases = new Leases(store, TestGate.OPEN, new LocalProcesses());
        events = new EventLog(store);
        assertThat(leases.list(null, true)).isEmpty();

        Lease after = acquire("B", Mode.EXCLUSIVE, TTL_LONG, "", "x.py").get(0);
        Lease elsewhere = acquire("C", Mode.EXCLUSIVE, TTL_LONG, "", "y.py").get(0);
        assertThat(after.token()).isGreaterThan(before.token());
        assertThat(elsewhere.token()).isGreaterThan(after.token());
    }

    // ---------------------------------------------------------------- helpers

    private Resource resource(String text) {
        return parser.parse(text);
    }

    private Leases.Request request(String agent, Mode mode, Duration ttl, String reason, String... resources) {
        return new Leases.Request(as(agent), List.of(resources).stream().map(this::resource).toList(), mode, ttl, reason);
    }

    private List<Lease> acquire(String agent, Mode mode, Duration ttl, String reason, String... resources) {
        return leases.acquire(request(agent, mode, ttl, reason, resources));
    }

    private static LeaseConflictException deniedConflict(ThrowingCallable call) {
        LeaseConflictException denied = catchThrowableOfType(LeaseConflictException.class, call);
        assertThat(denied).as("expected a LeaseConflictException").isNotNull();
        assertThat(denied.kind()).isEqualTo(SwarmException.Kind.DENIED);
        return denied;
    }

    private void assertDeniedBy(String agent, String wanted, String holder, String held) {
        assertDeniedBy(agent, Mode.EXCLUSIVE, wanted, holder, held);
    }

    private void assertDeniedBy(String agent, Mode mode, String wanted, String holder, String held) {
        LeaseConflictException denied = deniedConflict(() -> acquire(agent, mode, TTL_LONG, "", wanted));
        assertThat(denied.conflicts()).as("%s on %s", agent, wanted)
                .extracting(c -> c.requested().text(), c -> c.held().agent(), c -> c.held().resource().text())
                .containsExactly(tuple(resource(wanted).text(), holder, held));
        assertThat(leases.list(agent, true)).as("%s's leases on %s", agent, wanted)
                .noneMatch(lease -> lease.resource().equals(resource(wanted)));
    }

    /** Every waiter still queued on the path, polling or not. */
    private List<Waiter> queuedOn(String path) {
        Resource wanted = resource(path);
        return store.<List<Waiter>>read(tx -> LeaseStore.in(tx).liveWaitersIn(wanted.scope(), Long.MIN_VALUE));
    }

    private long lastEventId() {
        List<Event> last = events.latest(null, null, 1);
        return last.isEmpty() ? 0 : last.get(0).id();
    }

    /** Follows the event log until the agent's first event of that kind after {@code afterId}. */
    private Event awaitEvent(long afterId, String agent, String kind) {
        Event[] found = new Event[1];
        Await.until("event " + kind + " of " + agent, () -> {
            List<Event> matching = events.after(afterId, agent, kind, 1);
            if (matching.isEmpty()) {
                return false;
            }
            found[0] = matching.get(0);
            return true;
        });
        return found[0];
    }

    /**
     * Waits until the agent's queued acquire has polled again after the current store time and
     * was refused: moving the clock on makes its next refused poll mark the waiter as seen at the
     * new time (a granted poll deletes the waiter instead).
     */
    private void awaitRefusedPollAfterNow(String agent, String path) {
        long since = clock.advance(Duration.ofMillis(1));
        Resource wanted = resource(path);
        Await.until(agent + " polling again after " + since, () -> store.read(tx -> LeaseStore.in(tx).liveWaitersIn(wanted.scope(), since))
                .stream().anyMatch(waiter -> waiter.agent().equals(agent)));
    }
}
