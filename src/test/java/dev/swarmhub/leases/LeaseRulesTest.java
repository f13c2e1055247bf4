package dev.swarmhub.leases;

import static dev.swarmhub.testing.TestGate.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.EventLog;
import dev.swarmhub.kernel.Gate;
import dev.swarmhub.kernel.ProcessIdentity;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Tx;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.FakeProcesses;
import dev.swarmhub.testing.MutableClock;
import dev.swarmhub.testing.TestGate;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lease rules at their edges, on a {@link MutableClock}: expiry at the exact millisecond, what
 * conflicts and refusals say, the events releases record, waiters of other processes, and that
 * every write passes the gate.
 */
class LeaseRulesTest {

    private static final Duration HOUR = Duration.ofHours(1);

    @TempDir
    Path project;

    private MutableClock clock;
    private Store store;
    private FakeProcesses processes;
    private Leases leases;
    private EventLog log;
    private ResourceParser parser;
    private ExecutorService threads;

    @BeforeEach
    void openStore() {
        clock = MutableClock.startingAt2030();
        store = TestStores.open(project, clock);
        processes = new FakeProcesses();
        leases = new Leases(store, TestGate.OPEN, processes);
        log = new EventLog(store);
        parser = new ResourceParser(project);
        threads = Executors.newCachedThreadPool();
    }

    @AfterEach
    void closeStore() throws InterruptedException {
        threads.shutdownNow();
        assertThat(threads.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
        store.close();
    }

    /** The switch the fault runner's own test breaks acquires with: it does break them (and only while set). */
    @Test
    void theTestSwitchThatChecksBeforeTheWriteLetsTwoAgentsHoldOneFile() throws Exception {
        System.setProperty(Leases.CHECK_BEFORE_THE_WRITE, "true");
        try {
            java.util.concurrent.CountDownLatch bothChecked = new java.util.concurrent.CountDownLatch(2);
            Store racing = new dev.swarmhub.testing.ForwardingStore(store) { // both look before either writes, as two hub threads may
                @Override
                public <T> T write(java.util.function.Function<Tx, T> work) {
                    bothChecked.countDown();
                    try {
                        bothChecked.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return store.write(work);
                }
            };
            Leases broken = new Leases(racing, TestGate.OPEN, processes);
            List<Future<List<Lease>>> grants = new ArrayList<>();
            for (String agent : List.of("agent-a", "agent-b")) {
                grants.add(threads.submit(() -> broken.acquire(new Leases.Request(as(agent), List.of(parser.parse("src/a.py")), Mode.EXCLUSIVE,
                        HOUR, null))));
            }
            for (Future<List<Lease>> grant : grants) {
                assertThat(Await.done(grant)).hasSize(1);
            }
            assertThat(leases.who(parser.parse("src/a.py"))).extracting(Lease::agent).containsExactlyInAnyOrder("agent-a", "agent-b");
        } finally {
            System.clearProperty(Leases.CHECK_BEFORE_THE_WRITE);
        }
        assertThat(catchThrowableOfType(LeaseConflictException.class, () -> acquire("agent-c", HOUR, "src/a.py"))).as("unset: checked in the write")
                .isNotNull();
    }

    @Test
    void aLeaseIsHeldUntilTheMillisecondItExpiresAndNotAtIt() {
        Lease held = acquire("agent-a", Duration.ofSeconds(1), "src/a.py").get(0);
        clock.advance(Duration.ofMillis(999));
        assertThat(leases.who(parser.parse("src/a.py"))).containsExactly(held);
        assertThat(catchThrowableOfType(LeaseConflictException.class, () -> acquire("agent-b", HOUR, "src/a.py"))).isNotNull();
        clock.advance(Duration.ofMillis(1));
        assertThat(leases.who(parser.parse("src/a.py"))).isEmpty();
        assertThat(acquire("agent-b", HOUR, "src/a.py")).extracting(Lease::agent).containsExactly("agent-b");
    }

    @Test
    void aConflictSaysWhetherTheHeldResourceIsTheOneAskedForOrOverlapsIt() {
        clock.advance(Duration.ofMillis(123));
        acquire("agent-a", HOUR, "src/**");
        String since = Instant.ofEpochMilli(clock.millis()).toString();
        String expires = Instant.ofEpochMilli(clock.millis() + HOUR.toMillis()).toString();
        assertThat(catchThrowableOfType(LeaseConflictException.class, () -> acquire("agent-b", HOUR, "src/a.py")).getMessage())
                .isEqualTo("src/a.py overlaps src/**, held by agent-a, exclusive, since " + since + ", expires " + expires);
        assertThat(catchThrowableOfType(LeaseConflictException.class, () -> acquire("agent-b", HOUR, "src/**")).getMessage())
                .isEqualTo("src/** is held by agent-a, exclusive, since " + since + ", expires " + expires);
    }

    @Test
    void aWaiterQueuedAheadIsNamedWithItsArrival() {
        processes.start(7001, 1_000);
        long since = clock.millis();
        queueRow("agent-q", "src/b.py", since + 60_000, new ProcessIdentity(FakeProcesses.HOST, 7001, 1_000));
        clock.advance(Duration.ofSeconds(2));
        assertThat(catchThrowableOfType(LeaseConflictException.class, () -> acquire("agent-c", HOUR, "src/b.py")).getMessage())
                .isEqualTo("src/b.py is queued for by agent-q (waiting since " + Instant.ofEpochMilli(since) + ")");
    }

    @Test
    void aQueuedRequestIsLoggedWithItsResourcesAndNeverAbandonedOnceGranted() throws Exception {
        acquire("agent-a", HOUR, "src/a.py");
        Future<List<Lease>> waiting = threads.submit(() -> leases.acquire(request("agent-b", HOUR, "src/a.py", "src/b.py"), Duration.ofSeconds(30)));
        Await.until("agent-b queued", () -> !log.latest("agent-b", "lease.queued", 1).isEmpty());
        Event queued = log.latest("agent-b", "lease.queued", 1).get(0);
        assertThat(queued.details()).containsEntry("resources", List.of("src/a.py", "src/b.py")).containsEntry("mode", "exclusive");

        leases.release(as("agent-a"), List.of(parser.parse("src/a.py")));
        assertThat(Await.done(waiting)).extracting(lease -> lease.resource().text()).containsExactly("src/a.py", "src/b.py");
        assertThat(log.latest("agent-b", "lease.wait-abandoned", 10)).isEmpty();
    }

    @Test
    void aWaitRefusedBeforeItQueuedLeavesNothingBehind() {
        Leases refusing = new Leases(store, new Gate() {
            @Override
            public void admit(Tx tx, Caller caller) {
                throw SwarmException.unauthenticated("wrong token for agent " + caller.agent());
            }

            @Override
            public void sweep(Tx tx) {
            }
        }, processes);
        SwarmException refused = catchThrowableOfType(SwarmException.class,
                () -> refusing.acquire(request("agent-x", HOUR, "src/a.py"), Duration.ofSeconds(5)));
        assertThat(refused.getMessage()).isEqualTo("wrong token for agent agent-x");
        assertThat(log.latest(null, null, 10)).isEmpty();
    }

    @Test
    void aWaitingRowOfThisProcessStaysQueuedHoweverLongItsPollsAreApartInStoreTime() throws Exception {
        acquire("agent-a", HOUR, "src/a.py");
        Future<List<Lease>> waiting = threads.submit(() -> leases.acquire(request("agent-b", HOUR, "src/a.py"), Duration.ofSeconds(60)));
        Await.until("agent-b queued", () -> !log.latest("agent-b", "lease.queued", 1).isEmpty());
        clock.advance(Duration.ofSeconds(10)); // its row was not seen for 10 s of store time

        assertThat(leases.sweep().deadWaiters()).as("a wait running in this process is live").isZero();
        leases.release(as("agent-a"), List.of(parser.parse("src/a.py")));
        assertThat(Await.done(waiting)).extracting(Lease::agent).containsExactly("agent-b");
    }

    @Test
    void aSilentWaiterOfAnotherProcessLivesWhileThatProcessRunsOnThisHostAndUntilItsDeadline() {
        processes.start(7001, 1_000);
        ProcessIdentity running = new ProcessIdentity(FakeProcesses.HOST, 7001, 1_000);
        ProcessIdentity elsewhere = new ProcessIdentity("another-host", 7001, 1_000);
        long now = clock.millis();
        long served = queueRow("agent-p", "src/p.py", now + 60_000, running);
        long remote = queueRow("agent-r", "src/r.py", now + 60_000, elsewhere);
        long unknown = queueRow("agent-u", "src/u.py", now + 60_000, null);

        clock.advance(Duration.ofMillis(Leases.WAITER_SILENCE_MS));
        assertThat(leases.sweep().deadWaiters()).as("silent exactly 3 s: still waiting").isZero();
        assertThat(catchThrowableOfType(LeaseConflictException.class, () -> acquire("agent-x", HOUR, "src/u.py")).queuedAhead())
                .extracting(Waiter::id).containsExactly(unknown);

        clock.advance(Duration.ofMillis(1));
        assertThat(leases.sweep().deadWaiters()).as("the remote and the unknown process's waiters").isEqualTo(2);
        assertThat(acquire("agent-x", HOUR, "src/r.py", "src/u.py")).hasSize(2);
        assertThat(catchThrowableOfType(LeaseConflictException.class, () -> acquire("agent-x", HOUR, "src/p.py")).queuedAhead())
                .extracting(Waiter::id).containsExactly(served);
        assertThat(remote).isNotEqualTo(served);

        processes.end(7001);
        assertThat(leases.sweep().deadWaiters()).as("its process ended").isEqualTo(1);
        assertThat(acquire("agent-x", HOUR, "src/p.py")).hasSize(1);

        processes.start(7002, 2_000);
        queueRow("agent-q", "src/q.py", clock.millis() + 1_000, new ProcessIdentity(FakeProcesses.HOST, 7002, 2_000));
        clock.advance(Duration.ofMillis(1_000));
        assertThat(leases.sweep().deadWaiters()).as("past its deadline, though its process runs").isEqualTo(1);
    }

    @Test
    void reacquiringOnesOwnExpiredLeaseReplacesItWithANewTokenAndRecordsTheExpiry() {
        Lease first = acquire("agent-a", Duration.ofSeconds(1), "src/a.py").get(0);
        clock.advance(Duration.ofSeconds(2));
        Lease second = acquire("agent-a", HOUR, "src/a.py").get(0);
        assertThat(second.id()).isNotEqualTo(first.id());
        assertThat(second.token()).isGreaterThan(first.token());
        assertThat(log.latest("agent-a", "lease.expired", 10)).extracting(event -> ((Number) event.details().get("lease")).longValue()).containsExactly(first.id());
        assertThat(leases.list("agent-a", true)).containsExactly(second);
    }

    @Test
    void renewingWhatOneDoesNotHoldNamesWhoDoesAndReleasesRecordWhetherTheLeaseHadExpired() {
        acquire("agent-b", HOUR, "src/a.py");
        SwarmException notHeld = catchThrowableOfType(SwarmException.class,
                () -> leases.renew(as("agent-a"), List.of(parser.parse("src/a.py")), HOUR));
        assertThat(notHeld.kind()).isEqualTo(SwarmException.Kind.DENIED);
        assertThat(notHeld.getMessage()).isEqualTo("cannot renew src/a.py: you (agent-a) do not hold it; it is held by agent-b");

        acquire("agent-a", Duration.ofSeconds(1), "name:short");
        acquire("agent-a", HOUR, "name:long");
        clock.advance(Duration.ofSeconds(1));
        leases.releaseAll(as("agent-a"));
        assertThat(log.latest("agent-a", "lease.released", 10)).extracting(Event::resource, event -> event.details().get("wasExpired"))
                .containsExactlyInAnyOrder(org.assertj.core.api.Assertions.tuple("name:short", true),
                        org.assertj.core.api.Assertions.tuple("name:long", null));
    }

    @Test
    void everyLeaseWritePassesTheGateWithItsCallerAndReadsOfHoldersSweepFirst() {
        List<String> gate = new ArrayList<>();
        Leases watched = new Leases(store, new Gate() {
            @Override
            public void admit(Tx tx, Caller caller) {
                gate.add("admit " + caller);
            }

            @Override
            public void sweep(Tx tx) {
                gate.add("sweep");
            }

            @Override
            public void sweepBeforeRead() {
                gate.add("sweep before read");
            }
        }, processes);
        Resource a = parser.parse("src/a.py");
        watched.acquire(request("agent-a", HOUR, "src/a.py"));
        watched.renew(as("agent-a"), List.of(a), HOUR);
        watched.renewAll(as("agent-a"), HOUR);
        watched.release(as("agent-a"), List.of(a));
        watched.releaseAll(as("agent-a"));
        watched.releaseAgent(Caller.ofOperator(), "agent-a", null, null);
        assertThat(gate).containsExactly("admit agent agent-a", "admit agent agent-a", "admit agent agent-a", "admit agent agent-a",
                "admit agent agent-a", "admit operator");
        gate.clear();
        watched.who(a);
        watched.list(null, false);
        watched.sweep();
        assertThat(gate).containsExactly("sweep before read", "sweep before read", "sweep");
    }

    @Test
    void pathsNamingTheRootOrLeavingItAreRefusedSayingWhich() {
        assertThat(catchThrowableOfType(SwarmException.class, () -> parser.parse(project.toString())).getMessage())
                .isEqualTo("resource names the project root itself, not a file: " + project);
        assertThat(catchThrowableOfType(SwarmException.class, () -> parser.parse("../x")).getMessage()).isEqualTo("path leaves the project root: ../x");
        assertThat(catchThrowableOfType(SwarmException.class, () -> parser.parse("/../x")).getMessage()).isEqualTo("path is outside the project root: /../x");
    }

    private long queueRow(String agent, String path, long deadline, ProcessIdentity servedBy) {
        return store.write(tx -> LeaseStore.in(tx).insertWaiter(agent, List.of(parser.parse(path)), Mode.EXCLUSIVE, deadline, servedBy));
    }

    private Leases.Request request(String agent, Duration ttl, String... paths) {
        return new Leases.Request(as(agent), parser.parseAll(List.of(paths)), Mode.EXCLUSIVE, ttl, null);
    }

    private List<Lease> acquire(String agent, Duration ttl, String... paths) {
        return leases.acquire(request(agent, ttl, paths));
    }
}
