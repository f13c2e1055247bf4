package dev.swarmhub.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.AgentStore;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.ProcessIdentity;
import dev.swarmhub.kernel.Retention;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.Tx;
import dev.swarmhub.leases.Lease;
import dev.swarmhub.leases.LeaseStore;
import dev.swarmhub.leases.Mode;
import dev.swarmhub.leases.Resource;
import dev.swarmhub.leases.Waiter;
import dev.swarmhub.logins.LoginStore;
import dev.swarmhub.messages.Message;
import dev.swarmhub.messages.MessageStore;
import dev.swarmhub.messages.MessageType;
import dev.swarmhub.messages.SearchWords;
import dev.swarmhub.plan.PlanStore;
import dev.swarmhub.plan.Section;
import dev.swarmhub.tasks.Task;
import dev.swarmhub.tasks.TaskStore;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link Store} promises (the contract in {@code Store}'s and {@code Tx}'s javadoc, and
 * each domain part's): an implementation runs it by extending this class with its factory.
 * Times come from an injected clock that moves only when a test moves it.
 */
public abstract class StoreContractTest {

    @TempDir
    Path directory;

    protected MutableClock clock;
    protected Store store;

    /** An empty store in the directory, on the clock. */
    protected abstract Store openStore(Path directory, InstantSource clock);

    @BeforeEach
    void openEmptyStore() {
        clock = MutableClock.startingAt2030();
        store = openStore(directory, clock);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    // typed reads and writes: AssertJ cannot pick an assertThat for a generic result
    private <T> List<T> readList(Function<Tx, List<T>> work) {
        return store.read(work);
    }

    private <T> List<T> writeList(Function<Tx, List<T>> work) {
        return store.write(work);
    }

    private <T> Optional<T> readOptional(Function<Tx, Optional<T>> work) {
        return store.read(work);
    }

    private <T> Optional<T> writeOptional(Function<Tx, Optional<T>> work) {
        return store.write(work);
    }

    private boolean writeBoolean(Function<Tx, Boolean> work) {
        return store.write(work);
    }

    private long readLong(Function<Tx, ? extends Number> work) {
        return store.read(work).longValue();
    }

    private long writeLong(Function<Tx, ? extends Number> work) {
        return store.write(work).longValue();
    }

    private void inWrite(Consumer<Tx> work) {
        store.write(tx -> {
            work.accept(tx);
            return null;
        });
    }

    // ------------------------------------------------------------------ transactions

    @Test
    void aWriteInsideAWriteJoinsIt() {
        long[] times = new long[2];
        inWrite(outer -> {
            assertThat(outer.setting("outer")).as("read before it is written, in the same transaction").isEmpty();
            outer.putSetting("outer", "1");
            inWrite(inner -> {
                assertThat(inner.setting("outer")).as("the inner write sees the outer one's row").contains("1");
                inner.putSetting("inner", "2");
                times[1] = inner.now();
            });
            Optional<String> innerRow = store.read(read -> read.setting("inner"));
            assertThat(innerRow).as("a read inside the write joins it too").contains("2");
            outer.putSetting("inner", "3");
            assertThat(outer.setting("inner")).as("written again, read again").contains("3");
            times[0] = outer.now();
        });
        assertThat(times[1]).as("one transaction, one time").isEqualTo(times[0]);
        assertThat(readList(tx -> List.of(tx.setting("outer"), tx.setting("inner")))).containsExactly(Optional.of("1"), Optional.of("3"));

        IllegalStateException failure = new IllegalStateException("outer fails after the inner write returned");
        assertThatThrownBy(() -> inWrite(outer -> {
            inWrite(inner -> inner.putSetting("joined", "x"));
            throw failure;
        })).isSameAs(failure);
        assertThat(readOptional(tx -> tx.setting("joined"))).as("the inner write rolled back with the outer one").isEmpty();
    }

    @Test
    void aWriteThatThrowsChangesNothingAndItsCallerGetsTheException() {
        long before = store.write(tx -> LeaseStore.in(tx).nextFencingToken());
        long logged = store.signalCount(Store.Signal.LOGGED);
        RuntimeException failure = new IllegalArgumentException("fail after writing");
        assertThatThrownBy(() -> inWrite(tx -> {
            LeaseStore.in(tx).insertLease(Resource.ofCanonical("a.py"), Mode.EXCLUSIVE, "A", LeaseStore.in(tx).nextFencingToken(), "",
                    tx.now() + 60_000);
            tx.appendEvent("lease.released", "A", "a.py", Map.of());
            tx.putSetting("s", "v");
            throw failure;
        })).isSameAs(failure);
        assertThat(readList(tx -> LeaseStore.in(tx).leases(null, true))).isEmpty();
        assertThat(readList(tx -> tx.events(0, null, null, 10))).isEmpty();
        assertThat(readOptional(tx -> tx.setting("s"))).isEmpty();
        assertThat(store.signalCount(Store.Signal.LOGGED)).as("nothing committed, nobody woken").isEqualTo(logged);
        assertThat(writeLong(tx -> LeaseStore.in(tx).nextFencingToken())).as("the next token").isGreaterThan(before);
    }

    @Test
    void anEffectOutsideTheStoreIsKeptWithItsCommitAndTakenBackWithItsRollback() {
        List<String> settled = new ArrayList<>();
        inWrite(tx -> tx.enlist(committed -> settled.add("committed " + committed)));
        assertThat(settled).containsExactly("committed true");

        settled.clear();
        IllegalStateException failure = new IllegalStateException("fails after its effect");
        assertThatThrownBy(() -> inWrite(tx -> {
            tx.enlist(committed -> settled.add("first " + committed));
            tx.enlist(committed -> settled.add("second " + committed));
            throw failure;
        })).isSameAs(failure);
        assertThat(settled).as("taken back, the latest first").containsExactly("second false", "first false");

        settled.clear();
        assertThatThrownBy(() -> inWrite(outer -> {
            inWrite(inner -> inner.enlist(committed -> settled.add("joined " + committed)));
            assertThat(settled).as("not settled when the joined write returns").isEmpty();
            throw failure;
        })).isSameAs(failure);
        assertThat(settled).containsExactly("joined false");

        settled.clear();
        RuntimeException notTakenBack = new IllegalStateException("cannot take it back");
        assertThatThrownBy(() -> inWrite(tx -> {
            tx.enlist(committed -> {
                throw notTakenBack;
            });
            tx.enlist(committed -> settled.add("other " + committed));
            throw failure;
        })).isSameAs(failure).satisfies(thrown -> assertThat(thrown.getSuppressed()).contains(notTakenBack));
        assertThat(settled).as("one that fails does not stop the others").containsExactly("other false");
    }

    /**
     * Concurrent writes (which a store may commit in batches, and run again after one fails): each
     * write's effects end settled as its caller was answered, kept only with a commit, taken back
     * before any retry, never kept twice.
     */
    @Test
    void concurrentWritesSettleTheirEffectsAsTheirCallersAreAnswered() throws Exception {
        int threads = 8;
        int writesEach = 40;
        Map<String, List<Boolean>> settled = new java.util.concurrent.ConcurrentHashMap<>();
        Map<String, Boolean> answered = new java.util.concurrent.ConcurrentHashMap<>();
        Map<String, Integer> enlisted = new java.util.concurrent.ConcurrentHashMap<>();
        CountDownLatch start = new CountDownLatch(1);
        List<CompletableFuture<Void>> writers = new ArrayList<>();
        try (java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads)) {
            for (int t = 0; t < threads; t++) {
                int thread = t;
                writers.add(CompletableFuture.runAsync(() -> {
                    awaitQuietly(start);
                    for (int i = 0; i < writesEach; i++) {
                        String write = thread + "-" + i;
                        boolean fails = (thread + i) % 3 == 0;
                        try {
                            inWrite(tx -> {
                                tx.putSetting("write-" + write, "done");
                                enlisted.merge(write, 1, Integer::sum);
                                tx.enlist(committed -> settled.computeIfAbsent(write, w -> new java.util.concurrent.CopyOnWriteArrayList<>())
                                        .add(committed));
                                if (fails) {
                                    throw new IllegalStateException("write " + write + " fails");
                                }
                            });
                            answered.put(write, true);
                        } catch (IllegalStateException expected) {
                            answered.put(write, false);
                        }
                    }
                }, pool));
            }
            start.countDown();
            CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
        }
        assertThat(answered).hasSize(threads * writesEach);
        answered.forEach((write, committed) -> {
            List<Boolean> outcomes = settled.get(write);
            assertThat(outcomes).as(write + ": settled once per time its effect was made").hasSize(enlisted.get(write));
            assertThat(outcomes.subList(0, outcomes.size() - 1)).as(write + ": only take-backs before the last").doesNotContain(true);
            assertThat(outcomes.getLast()).as(write + ": settled as answered").isEqualTo(committed);
            assertThat(readOptional(tx -> tx.setting("write-" + write)).isPresent()).as(write + " stored").isEqualTo(committed);
        });
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aReadSeesTheSnapshotItStartedOn() throws Exception {
        inWrite(tx -> tx.putSetting("x", "1"));
        CountDownLatch readLooked = new CountDownLatch(1);
        CountDownLatch writeCommitted = new CountDownLatch(1);
        CompletableFuture<List<Optional<String>>> reading = CompletableFuture.supplyAsync(() -> store.read(tx -> {
            Optional<String> first = tx.setting("x");
            readLooked.countDown();
            await(writeCommitted);
            return List.of(first, tx.setting("x"));
        }));
        Await.open(readLooked);
        inWrite(tx -> tx.putSetting("x", "2"));
        writeCommitted.countDown();
        assertThat(Await.done(reading)).as("before and after a write committed meanwhile")
                .containsExactly(Optional.of("1"), Optional.of("1"));
        assertThat(readOptional(tx -> tx.setting("x"))).as("a later read").contains("2");
    }

    private static void await(CountDownLatch latch) {
        try {
            Await.open(latch);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theClockIsReadOncePerTransactionAndWriteTimesFollowCommitOrder() {
        long[] seen = new long[2];
        long start = clock.millis();
        inWrite(tx -> {
            seen[0] = tx.now();
            clock.advance(Duration.ofSeconds(5));
            seen[1] = tx.now();
        });
        assertThat(seen).containsExactly(start, start);
        long next = store.write(Tx::now);
        assertThat(next).isEqualTo(start + 5_000);
        inWrite(tx -> tx.appendEvent("test.first", null, null, Map.of()));
        clock.advance(Duration.ofMillis(1));
        inWrite(tx -> tx.appendEvent("test.second", null, null, Map.of()));
        List<Event> events = store.read(tx -> tx.events(0, null, null, 10));
        assertThat(events).extracting(Event::kind, Event::at).containsExactly(tuple("test.first", start + 5_000),
                tuple("test.second", start + 5_001));
    }

    // ------------------------------------------------------------------ leases and waiters

    private Lease insertLease(String agent, String resource, Mode mode, long ttlMillis) {
        return store.write(tx -> LeaseStore.in(tx).insertLease(Resource.ofCanonical(resource), mode, agent,
                LeaseStore.in(tx).nextFencingToken(), "why", tx.now() + ttlMillis));
    }

    private List<String> leasesIn(String resource) {
        return store.read(tx -> LeaseStore.in(tx).leasesIn(Resource.ofCanonical(resource).scope())).stream()
                .map(lease -> lease.resource().text()).sorted().toList();
    }

    @Test
    void leasesInAnAnchorScopeAreTheCandidatesForOverlapExpiredOnesToo() {
        insertLease("A", "src/a.py", Mode.EXCLUSIVE, 60_000);
        insertLease("B", "src/**", Mode.SHARED, 60_000);
        insertLease("C", "**/*.md", Mode.EXCLUSIVE, 60_000);
        insertLease("D", "docs/x.md", Mode.EXCLUSIVE, 1);
        insertLease("E", "name:db", Mode.EXCLUSIVE, 60_000);
        clock.advance(Duration.ofSeconds(1)); // D's lease has expired

        assertThat(leasesIn("src/a.py")).containsExactly("**/*.md", "src/**", "src/a.py");
        assertThat(leasesIn("src/lib/**")).as("a glob's range below its anchor").containsExactly("**/*.md", "src/**");
        assertThat(leasesIn("src/**")).containsExactly("**/*.md", "src/**", "src/a.py");
        assertThat(leasesIn("docs/x.md")).as("expired ones come too").containsExactly("**/*.md", "docs/x.md");
        assertThat(leasesIn("name:db")).containsExactly("name:db");
        assertThat(leasesIn("**")).as("a glob at the root: every anchor")
                .containsExactly("**/*.md", "docs/x.md", "name:db", "src/**", "src/a.py");
    }

    @Test
    void anchorRangesCompareTextByCodePointCaseSensitively() {
        for (String resource : List.of("src/B.py", "src/b.py", "src/\u00e9.py", "SRC/a.py", "Src/a.py", "src.py", "src0/a.py", "sr/a.py")) {
            insertLease("A", resource, Mode.EXCLUSIVE, 60_000);
        }
        assertThat(leasesIn("src/**")).containsExactly("src/B.py", "src/b.py", "src/\u00e9.py");
        assertThat(leasesIn("SRC/**")).containsExactly("SRC/a.py");
    }

    @Test
    void expiryIsJudgedByTheStoreClock() {
        Lease lease = insertLease("A", "a.py", Mode.EXCLUSIVE, 1_000);
        clock.advance(Duration.ofMillis(999));
        assertThat(readList(tx -> LeaseStore.in(tx).liveLeasesOn(Resource.ofCanonical("a.py")))).containsExactly(lease);
        assertThat(readList(tx -> LeaseStore.in(tx).leases(null, false))).containsExactly(lease);
        assertThat(readList(tx -> LeaseStore.in(tx).expiredLeases(tx.now()))).isEmpty();
        clock.advance(Duration.ofMillis(1));
        assertThat(readList(tx -> LeaseStore.in(tx).liveLeasesOn(Resource.ofCanonical("a.py")))).as("expires_at > now, strictly").isEmpty();
        assertThat(readList(tx -> LeaseStore.in(tx).leases(null, false))).isEmpty();
        assertThat(readList(tx -> LeaseStore.in(tx).leases("A", true))).containsExactly(lease);
        assertThat(readList(tx -> LeaseStore.in(tx).expiredLeases(tx.now()))).containsExactly(lease);
    }

    @Test
    void leaseRowsAreUpdatedAndRemovedByIdOrByHolderAndResource() {
        Lease a = insertLease("A", "a.py", Mode.EXCLUSIVE, 60_000);
        Lease b = insertLease("B", "b.py", Mode.SHARED, 60_000);
        assertThat(a.acquiredAt()).isEqualTo(clock.millis());
        inWrite(tx -> LeaseStore.in(tx).updateLease(a.id(), Mode.SHARED, "longer", a.expiresAt() + 5_000));
        Lease updated = store.read(tx -> LeaseStore.in(tx).leaseOf("A", Resource.ofCanonical("a.py"))).orElseThrow();
        assertThat(updated).isEqualTo(new Lease(a.id(), a.resource(), Mode.SHARED, "A", a.token(), "longer", a.acquiredAt(), a.expiresAt() + 5_000));
        assertThat(writeOptional(tx -> LeaseStore.in(tx).deleteLeaseOf("B", Resource.ofCanonical("a.py")))).as("not B's").isEmpty();
        assertThat(writeOptional(tx -> LeaseStore.in(tx).deleteLeaseOf("A", Resource.ofCanonical("a.py")))).contains(updated);
        inWrite(tx -> LeaseStore.in(tx).deleteLease(b.id()));
        assertThat(readList(tx -> LeaseStore.in(tx).leases(null, true))).isEmpty();
    }

    @Test
    void fencingTokensGrowStrictlyAndStayAboveTheClockFloor() {
        List<Long> tokens = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            tokens.add(store.write(tx -> LeaseStore.in(tx).nextFencingToken())); // all in one millisecond
        }
        tokens.addAll(store.write(tx -> List.of(LeaseStore.in(tx).nextFencingToken(), LeaseStore.in(tx).nextFencingToken()))); // in one write
        assertThat(tokens).isSorted().doesNotHaveDuplicates();
        assertThat(tokens.get(0)).as("not below the store clock in microseconds").isGreaterThanOrEqualTo(clock.millis() * 1_000);
        long later = clock.advance(Duration.ofSeconds(1));
        long next = store.write(tx -> LeaseStore.in(tx).nextFencingToken());
        assertThat(next).isGreaterThanOrEqualTo(later * 1_000).isGreaterThan(tokens.get(tokens.size() - 1));
    }

    @Test
    void waitersQueueInArrivalOrderAndAreLiveWhileSeenAndBeforeTheirDeadline() {
        long start = clock.millis();
        ProcessIdentity server = new ProcessIdentity("host-1", 42, 7);
        long first = store.write(tx -> LeaseStore.in(tx).insertWaiter("A", List.of(Resource.ofCanonical("src/a.py"),
                Resource.ofCanonical("name:db")), Mode.EXCLUSIVE, tx.now() + 10_000, server));
        long second = store.write(tx -> LeaseStore.in(tx).insertWaiter("B", List.of(Resource.ofCanonical("src/**")), Mode.SHARED,
                tx.now() + 2_000, null));
        assertThat(second).as("arrival order").isGreaterThan(first);

        List<Waiter> inSrc = store.read(tx -> LeaseStore.in(tx).liveWaitersIn(Resource.ofCanonical("src/**").scope(), start));
        assertThat(inSrc).extracting(Waiter::id, Waiter::agent, w -> w.resource().text(), Waiter::mode).containsExactlyInAnyOrder(
                tuple(first, "A", "src/a.py", Mode.EXCLUSIVE), tuple(second, "B", "src/**", Mode.SHARED));
        assertThat(inSrc).filteredOn(w -> w.id() == first).extracting(Waiter::since, Waiter::seenAt, Waiter::deadline, Waiter::servedBy)
                .containsExactly(tuple(start, start, start + 10_000, server));
        assertThat(readList(tx -> LeaseStore.in(tx).liveWaitersIn(Resource.ofCanonical("name:db").scope(), start)))
                .extracting(Waiter::id).containsExactly(first);

        clock.advance(Duration.ofSeconds(3)); // B's deadline passed; neither was seen since the start
        long now = clock.millis();
        assertThat(writeBoolean(tx -> LeaseStore.in(tx).touchWaiter(first))).isTrue();
        assertThat(readList(tx -> LeaseStore.in(tx).liveWaitersIn(Resource.ofCanonical("src/a.py").scope(), now)))
                .extracting(Waiter::id).containsExactly(first);
        assertThat(readList(tx -> LeaseStore.in(tx).silentWaiters(now))).extracting(Waiter::id).containsExactly(second);

        inWrite(tx -> LeaseStore.in(tx).deleteWaiter(first));
        assertThat(writeBoolean(tx -> LeaseStore.in(tx).touchWaiter(first))).as("a dequeued waiter").isFalse();
        assertThat(readList(tx -> LeaseStore.in(tx).liveWaitersIn(Resource.ofCanonical("name:db").scope(), start))).isEmpty();
    }

    // ------------------------------------------------------------------ agents

    private Agent agent(String id, Agent.Status status, String pane, String host) {
        long now = clock.millis();
        return new Agent(id, "claude", status, "label of " + id, pane, pane == null ? null : "/tmp/tmux-1/default",
                pane == null ? null : 100L, pane == null ? null : 5L, 200L, 6L, host, now, now, now, true, null, null, 0, 0);
    }

    @Test
    void agentsAreSavedReplacedAndFoundByIdTokenAndPane() {
        Agent bob = agent("bob", Agent.Status.ACTIVE, "%1", "host-1");
        Agent unclaimed = new Agent("Ann", "other", Agent.Status.ACTIVE, "", null, null, null, null, null, null, "host-2",
                clock.millis(), clock.millis(), clock.millis(), false, null, null, 0, 0);
        inWrite(tx -> {
            AgentStore.in(tx).saveAgent(bob, "hash-of-bob");
            AgentStore.in(tx).saveAgent(unclaimed, null);
        });
        assertThat(readOptional(tx -> AgentStore.in(tx).agent("bob"))).contains(bob);
        assertThat(readOptional(tx -> AgentStore.in(tx).agent("BOB"))).as("ids are case-sensitive").isEmpty();
        assertThat(readList(tx -> AgentStore.in(tx).agents(true))).as("by id, binary order").containsExactly(unclaimed, bob);
        assertThat(readOptional(tx -> AgentStore.in(tx).claimedAgent("bob"))).contains(new AgentStore.Claimed(bob, "hash-of-bob"));
        assertThat(readOptional(tx -> AgentStore.in(tx).claimedAgent("Ann"))).isEmpty();
        assertThat(readOptional(tx -> AgentStore.in(tx).agentWithTokenHash("hash-of-bob"))).contains("bob");
        assertThat(readOptional(tx -> AgentStore.in(tx).liveAgentOnPane("host-1", "/tmp/tmux-1/default", "%1"))).contains(bob);
        assertThat(readOptional(tx -> AgentStore.in(tx).liveAgentOnPane("host-2", "/tmp/tmux-1/default", "%1"))).isEmpty();
        assertThat(readList(tx -> AgentStore.in(tx).liveAgentsInPanes("host-1"))).as("in a pane on host-1").containsExactly(bob);
        assertThat(readList(tx -> AgentStore.in(tx).firstLive(1))).as("the first by id").containsExactly(unclaimed);
        assertThat((int) store.read(tx -> AgentStore.in(tx).liveCount())).isEqualTo(2);
        assertThat(readList(tx -> AgentStore.in(tx).liveAgentsInPanes("host-2"))).as("Ann is in no pane").isEmpty();
        assertThat(readList(tx -> AgentStore.in(tx).liveAgentsOfProcess("host-1", 200))).as("bob's process").containsExactly(bob);
        assertThat(readList(tx -> AgentStore.in(tx).liveAgentsOfProcess("host-2", 200))).as("another host").isEmpty();
        assertThat(readList(tx -> AgentStore.in(tx).liveAgentsOfProcess("host-1", 201))).as("another pid").isEmpty();
        assertThat(readList(tx -> AgentStore.in(tx).idsStartingWith("b"))).containsExactly("bob");
        assertThat(readList(tx -> AgentStore.in(tx).idsStartingWith("A"))).as("binary order: A-Z before a-z").containsExactly("Ann");
        assertThat(readList(tx -> AgentStore.in(tx).idsStartingWith("bo"))).containsExactly("bob");
        assertThat(readList(tx -> AgentStore.in(tx).idsStartingWith("c"))).isEmpty();
        assertThat((String) store.read(tx -> AgentStore.in(tx).sweptThrough())).as("a new store: from the first").isEmpty();
        inWrite(tx -> AgentStore.in(tx).sweptThrough("bob"));
        assertThat((String) store.read(tx -> AgentStore.in(tx).sweptThrough())).isEqualTo("bob");
        inWrite(tx -> AgentStore.in(tx).sweptThrough(""));

        clock.advance(Duration.ofSeconds(10));
        long now = clock.millis();
        inWrite(tx -> {
            AgentStore.in(tx).touchAgent("Ann");
            AgentStore.in(tx).setAgentStatus("bob", Agent.Status.GONE);
            AgentStore.in(tx).setAgentToken("Ann", "hash-of-ann");
        });
        Agent ann = store.read(tx -> AgentStore.in(tx).agent("Ann")).orElseThrow();
        assertThat(ann.lastSeen()).isEqualTo(now);
        assertThat(ann.claimed()).isTrue();
        Agent gone = store.read(tx -> AgentStore.in(tx).agent("bob")).orElseThrow();
        assertThat(gone.status()).isEqualTo(Agent.Status.GONE);
        assertThat(gone.statusSince()).isEqualTo(now);
        assertThat(readList(tx -> AgentStore.in(tx).agents(false))).as("not gone").containsExactly(ann);
        assertThat((boolean) store.read(tx -> AgentStore.in(tx).anyActive())).as("Ann").isTrue();
        assertThat(readList(tx -> AgentStore.in(tx).firstLive(5))).as("not gone").containsExactly(ann);
        assertThat((int) store.read(tx -> AgentStore.in(tx).liveCount())).isEqualTo(1);
        assertThat(readList(tx -> AgentStore.in(tx).liveAgentsInPanes("host-1"))).as("Ann is in no pane, bob is gone").isEmpty();
        assertThat(readList(tx -> AgentStore.in(tx).agents(true))).containsExactly(ann, gone);
        assertThat(readOptional(tx -> AgentStore.in(tx).liveAgentOnPane("host-1", "/tmp/tmux-1/default", "%1"))).as("gone").isEmpty();
        assertThat(readList(tx -> AgentStore.in(tx).sweepCandidates(now - 1, "host-9", Long.MIN_VALUE, "", Integer.MAX_VALUE))).as("not gone, silent since").isEmpty();
        assertThat(readList(tx -> AgentStore.in(tx).sweepCandidates(now - 1, "host-2", now, "", Integer.MAX_VALUE))).as("or live on the host").containsExactly(ann);
        assertThat(readList(tx -> AgentStore.in(tx).sweepCandidates(now, "host-9", now, "", Integer.MAX_VALUE))).as("no hub on its host").containsExactly(ann);
        inWrite(tx -> AgentStore.in(tx).hubSeen("host-2:/repo", "host-2"));
        inWrite(tx -> AgentStore.in(tx).hubSeen("host-9:/repo", "host-9"));
        assertThat(readList(tx -> AgentStore.in(tx).sweepCandidates(now, "host-9", now, "", Integer.MAX_VALUE))).as("its host's hub was seen since").isEmpty();
        assertThat(readList(tx -> AgentStore.in(tx).sweepCandidates(now, "host-9", now + 1, "", Integer.MAX_VALUE))).as("its host's hub silent since").containsExactly(ann);
        inWrite(tx -> AgentStore.in(tx).hubStopped("host-2:/repo"));
        assertThat(readList(tx -> AgentStore.in(tx).sweepCandidates(now, "host-9", now, "", Integer.MAX_VALUE))).as("its host's hub stopped").containsExactly(ann);

        Agent replaced = agent("bob", Agent.Status.ACTIVE, null, "host-3");
        inWrite(tx -> AgentStore.in(tx).saveAgent(replaced, null));
        assertThat(readOptional(tx -> AgentStore.in(tx).agent("bob"))).contains(new Agent("bob", "claude", Agent.Status.ACTIVE,
                "label of bob", null, null, null, null, 200L, 6L, "host-3", now, now, now, false, null, null, 0, 0));
        Agent carl = agent("carl", Agent.Status.ACTIVE, null, "host-3");
        inWrite(tx -> AgentStore.in(tx).saveAgent(carl, null));
        assertThat(readList(tx -> AgentStore.in(tx).sweepCandidates(now, "host-3", now, "", 2)).stream().map(Agent::id)).as("the first by id")
                .containsExactly("Ann", "bob");
        assertThat(readList(tx -> AgentStore.in(tx).sweepCandidates(now, "host-3", now, "bob", 5)).stream().map(Agent::id)).as("after bob")
                .containsExactly("carl");
        Agent ofSession = new Agent("dan", "claude", Agent.Status.ACTIVE, "", null, null, null, null, 300L, 7L, "host-3", now, now, now, false,
                "claude:s-1", null, 0, 0);
        inWrite(tx -> AgentStore.in(tx).saveAgent(ofSession, null));
        assertThat(readList(tx -> AgentStore.in(tx).liveAgentsOfSession("host-3", "claude:s-1"))).containsExactly(ofSession);
        assertThat(readList(tx -> AgentStore.in(tx).liveAgentsOfSession("host-2", "claude:s-1"))).as("another host").isEmpty();
        assertThat(readList(tx -> AgentStore.in(tx).liveAgentsOfSession("host-3", "claude:s-2"))).as("another session").isEmpty();
        inWrite(tx -> AgentStore.in(tx).setAgentStatus("dan", Agent.Status.GONE));
        assertThat(readList(tx -> AgentStore.in(tx).liveAgentsOfSession("host-3", "claude:s-1"))).as("gone").isEmpty();
        inWrite(tx -> AgentStore.in(tx).deleteAgent("dan"));
        inWrite(tx -> AgentStore.in(tx).deleteAgent("carl"));
        inWrite(tx -> AgentStore.in(tx).deleteAgent("bob"));
        assertThat(readList(tx -> AgentStore.in(tx).agents(true))).extracting(Agent::id).containsExactly("Ann");
        inWrite(tx -> AgentStore.in(tx).saveAgent(agent("carol", Agent.Status.STALE, null, "host-1"), null));
        assertThat(readList(tx -> AgentStore.in(tx).agents(false))).as("stale is not gone").extracting(Agent::id).containsExactly("Ann", "carol");
    }

    // ------------------------------------------------------------------ messages

    private Message message(String id, String sender, String thread, String text, long createdAt, String... to) {
        List<Message.Recipient> recipients = new ArrayList<>();
        for (String agent : to) {
            recipients.add(new Message.Recipient(agent, createdAt, null, null, null, 1, null, false, null));
        }
        return new Message(id, sender, MessageType.INFO, "normal", thread == null ? id : thread, null, text, false, createdAt,
                "v2:signature-of-" + id, recipients);
    }

    private void insert(Message... messages) {
        inWrite(tx -> {
            for (Message message : messages) {
                MessageStore.in(tx).insertMessage(message);
            }
        });
    }

    private List<String> inbox(String recipient, boolean unreadOnly) {
        return store.read(tx -> MessageStore.in(tx).inbox(recipient, unreadOnly, 100)).stream().map(Message::id).toList();
    }

    @Test
    void anInboxListsByTimeThenInsertionOrderNotById() {
        long now = clock.millis();
        Message z = message("01ZZZZZZZZZZZZZZZZZZZZZZZZ", "A", null, "first", now, "B");
        Message a = message("01AAAAAAAAAAAAAAAAAAAAAAAA", "A", null, "second", now, "B", "C");
        Message m = message("01MMMMMMMMMMMMMMMMMMMMMMMM", "C", null, "third", now, "B");
        Message earlier = message("01EEEEEEEEEEEEEEEEEEEEEEEE", "A", null, "earlier", now - 1, "B");
        insert(z, a);
        insert(m, earlier);
        assertThat(inbox("B", false)).containsExactly(earlier.id(), z.id(), a.id(), m.id());
        assertThat(readOptional(tx -> MessageStore.in(tx).message(a.id()))).contains(a);

        assertThat(writeBoolean(tx -> MessageStore.in(tx).markReceived(a.id(), "B", true, false))).isTrue();
        assertThat(writeBoolean(tx -> MessageStore.in(tx).markReceived(a.id(), "D", true, false))).as("not a recipient").isFalse();
        assertThat(inbox("B", true)).containsExactly(earlier.id(), z.id(), m.id());
        assertThat(inbox("C", true)).as("per recipient").containsExactly(a.id());
        Message.Recipient read = store.read(tx -> MessageStore.in(tx).message(a.id())).orElseThrow().recipients().get(0);
        assertThat(read.deliveredAt()).isEqualTo(now);
        assertThat(read.readAt()).isEqualTo(now);
        assertThat(read.ackedAt()).isNull();
    }

    @Test
    void aThreadListsItsMessagesInOrderAndIdPrefixesCompareBinary() {
        long now = clock.millis();
        Message start = message("01KKKKKKKKKKKKKKKKKKKKKKKK", "A", null, "start", now, "B");
        Message reply = message("01JJJJJJJJJJJJJJJJJJJJJJJJ", "B", start.id(), "reply", now, "A");
        Message other = message("01KKKKKKKKKKKKKKKKKKKKKKKL", "A", null, "other", now, "B");
        insert(start, reply, other);
        assertThat(readList(tx -> MessageStore.in(tx).thread(start.id()))).extracting(Message::id).containsExactly(start.id(), reply.id());
        assertThat(readList(tx -> MessageStore.in(tx).messageIdsStartingWith("01KKKK", 10))).containsExactly(start.id(), other.id());
        assertThat(readList(tx -> MessageStore.in(tx).messageIdsStartingWith("01KKKK", 1))).containsExactly(start.id());
        assertThat(readList(tx -> MessageStore.in(tx).messageIdsStartingWith("01kkkk", 10))).as("case-sensitive").isEmpty();
        assertThat(readList(tx -> MessageStore.in(tx).messageIdsStartingWith("01J", 10))).containsExactly(reply.id());
    }

    private List<String> search(String words, String visibleTo) {
        return store.read(tx -> MessageStore.in(tx).searchMessages(SearchWords.parse(words), visibleTo, 10)).stream()
                .map(Message::text).sorted().toList();
    }

    @Test
    void searchFindsMessagesHoldingEveryWordNeverReadingQuerySyntax() {
        long now = clock.millis();
        insert(message("01S1SSSSSSSSSSSSSSSSSSSSSS", "A", null, "deploy the auth-service today", now, "B"),
                message("01S2SSSSSSSSSSSSSSSSSSSSSS", "C", null, "Auth tokens rotate", now, "D"),
                message("01S3SSSSSSSSSSSSSSSSSSSSSS", "A", null, "nothing NOT here", now, "B"));
        assertThat(search("auth", null)).as("case-insensitive words").containsExactly("Auth tokens rotate", "deploy the auth-service today");
        assertThat(search("auth tokens", null)).as("every word").containsExactly("Auth tokens rotate");
        assertThat(search("rot*", null)).as("a prefix word").containsExactly("Auth tokens rotate");
        assertThat(search("rot", null)).as("a whole word").isEmpty();
        assertThat(search("auth-service", null)).containsExactly("deploy the auth-service today");
        assertThat(search("auth NOT tokens", null)).as("NOT is a word").isEmpty();
        assertThat(search("owns-auth \"NOT", null)).as("quotes are text").isEmpty();
        assertThat(search("auth", "B")).as("what B sent or received").containsExactly("deploy the auth-service today");
        assertThat(search("auth", "C")).as("what C sent").containsExactly("Auth tokens rotate");
        assertThat(search("auth", "E")).isEmpty();
    }

    @Test
    void prunableRowsAreTheOldAndSettledOnesAndGoWithTheirIndexes() {
        inWrite(tx -> {
            AgentStore.in(tx).saveAgent(agent("B", Agent.Status.ACTIVE, null, "host-1"), "hash-b");
            AgentStore.in(tx).saveAgent(agent("G", Agent.Status.GONE, null, "host-1"), null);
            tx.appendEvent("test.old", null, null, Map.of());
        });
        long then = clock.millis();
        Message unread = message("01P1PPPPPPPPPPPPPPPPPPPPPP", "A", null, "unread prune words", then, "B");
        Message toGone = message("01P2PPPPPPPPPPPPPPPPPPPPPP", "A", null, "to the gone prune words", then, "G");
        Message read = message("01P3PPPPPPPPPPPPPPPPPPPPPP", "A", null, "read prune words", then, "B");
        Message toNobody = message("01P4PPPPPPPPPPPPPPPPPPPPPP", "A", null, "to an unregistered id", then, "X");
        insert(unread, toGone, read, toNobody);
        inWrite(tx -> MessageStore.in(tx).markReceived(read.id(), "B", true, false));
        clock.advance(Duration.ofSeconds(10));
        long now = clock.millis();
        Message recent = message("01P5PPPPPPPPPPPPPPPPPPPPPP", "A", null, "recent prune words", now, "G");
        insert(recent);
        inWrite(tx -> tx.appendEvent("test.recent", null, null, Map.of()));

        assertThat(readList(tx -> MessageStore.in(tx).settledBefore(now, 10))).extracting(Message::id)
                .as("read without an ACK asked, to a gone agent, to no agent; by time").containsExactlyInAnyOrder(toGone.id(), read.id(), toNobody.id());
        assertThat(readList(tx -> MessageStore.in(tx).settledBefore(now, 2))).hasSize(2);
        inWrite(tx -> MessageStore.in(tx).deleteMessages(List.of(toGone.id(), read.id())));
        assertThat(readOptional(tx -> MessageStore.in(tx).message(read.id()))).isEmpty();
        assertThat(inbox("B", false)).containsExactly(unread.id());
        assertThat(search("prune", null)).as("the text index follows").containsExactly("recent prune words", "unread prune words");

        assertThat(readList(tx -> tx.eventsRecordedBefore(now, 10))).extracting(Event::kind).containsExactly("test.old");
        List<Long> old = store.read(tx -> tx.eventsRecordedBefore(now, 10)).stream().map(Event::id).toList();
        inWrite(tx -> tx.deleteEvents(old));
        assertThat(readList(tx -> tx.events(0, null, null, 10))).extracting(Event::kind).containsExactly("test.recent");

        assertThat(readList(tx -> AgentStore.in(tx).goneBefore(now, 10))).extracting(Agent::id).containsExactly("G");
        assertThat(readList(tx -> AgentStore.in(tx).goneBefore(then, 10))).as("gone since then, not before").isEmpty();
    }

    /** Prunes racing each other (the hub's sweep and an operator's, or two hubs'): each old event removed once, and archived first. */
    @Test
    void prunesRacingEachOtherRemoveEachOldEventOnceAndArchiveItBefore() throws Exception {
        int events = 3 * Retention.BATCH + 7;
        inWrite(tx -> {
            for (int i = 0; i < events; i++) {
                tx.appendEvent("test.old", null, null, Map.of());
            }
        });
        Set<Long> old = store.read(tx -> tx.eventsRecordedBefore(clock.millis() + 1, events)).stream().map(Event::id).collect(Collectors.toSet());
        clock.advance(Duration.ofDays(2));
        Retention retention = new Retention(store, List.of(Retention.EVENTS));
        int pruners = 4;
        Set<Long> archived = ConcurrentHashMap.newKeySet();
        CountDownLatch start = new CountDownLatch(1);
        List<CompletableFuture<Long>> removed = new ArrayList<>();
        try (java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(pruners)) {
            for (int p = 0; p < pruners; p++) {
                removed.add(CompletableFuture.supplyAsync(() -> {
                    awaitQuietly(start);
                    List<Long> kept = new ArrayList<>();
                    return retention.prune(Caller.ofOperator(), Duration.ofDays(1), new Retention.Archive() {
                        @Override
                        public void keep(String kind, Object row) {
                            kept.add(((Event) row).id());
                        }

                        @Override
                        public void sync() {
                            archived.addAll(kept); // what the batch's deletes may now remove
                            kept.clear();
                        }
                    }).total();
                }, pool));
            }
            start.countDown();
        }
        assertThat(removed.stream().mapToLong(CompletableFuture::join).sum()).as("removed once each, across the pruners").isEqualTo(events);
        assertThat(archived).as("every removed event archived before its delete").containsAll(old);
        assertThat(readList(tx -> tx.eventsRecordedBefore(clock.millis() + 1, events))).extracting(Event::kind)
                .as("only the pruners' own records").containsOnly("retention.pruned").hasSize(pruners);
    }

    @Test
    void aRetryDeliversAgainAndQueuesTypingForALivePaneOnItsHost() {
        inWrite(tx -> AgentStore.in(tx).saveAgent(agent("B", Agent.Status.ACTIVE, "%1", "host-1"), "hash"));
        long now = clock.millis();
        Message asked = new Message("01RRRRRRRRRRRRRRRRRRRRRRRR", "A", MessageType.BLOCKED, "urgent", "01RRRRRRRRRRRRRRRRRRRRRRRR", null,
                "help", true, now, "v2:x", List.of(new Message.Recipient("B", now, null, null, null, 1, now + 30_000, false, null)));
        insert(asked);
        assertThat(readLong(tx -> MessageStore.in(tx).countAwaitingAck())).isEqualTo(1);
        assertThat(readList(tx -> MessageStore.in(tx).retriesDue(now, null))).isEmpty();
        clock.advance(Duration.ofSeconds(30));
        long later = clock.millis();
        assertThat(readList(tx -> MessageStore.in(tx).retriesDue(later, null)))
                .containsExactly(new MessageStore.RetryDue(asked.id(), "B", 1));
        assertThat(writeBoolean(tx -> MessageStore.in(tx).markReceived(asked.id(), "B", true, false))).isTrue();

        inWrite(tx -> MessageStore.in(tx).redeliver(asked.id(), "B", 2, later + 60_000, true));
        Message.Recipient again = store.read(tx -> MessageStore.in(tx).message(asked.id())).orElseThrow().recipients().get(0);
        assertThat(again).isEqualTo(new Message.Recipient("B", now, later, null, null, 2, later + 60_000, false, Message.Recipient.PANE_PENDING));
        assertThat(inbox("B", true)).as("unread again").containsExactly(asked.id());
        assertThat(readList(tx -> MessageStore.in(tx).pendingTypings("host-1", 10))).as("not idle").isEmpty();
        inWrite(tx -> AgentStore.in(tx).setActivity("B", Agent.Activity.IDLE, later, later));
        assertThat(readList(tx -> MessageStore.in(tx).pendingTypings("host-1", 10)))
                .containsExactly(new MessageStore.PendingTyping(asked.id(), "B", "%1"));
        assertThat(readList(tx -> MessageStore.in(tx).pendingTypings("host-2", 10))).as("another host").isEmpty();

        inWrite(tx -> AgentStore.in(tx).setAgentStatus("B", Agent.Status.GONE));
        assertThat(readList(tx -> MessageStore.in(tx).pendingTypings("host-1", 10))).as("no live pane").isEmpty();
        inWrite(tx -> AgentStore.in(tx).setAgentStatus("B", Agent.Status.ACTIVE));
        inWrite(tx -> MessageStore.in(tx).setPaneOutcome(asked.id(), "B", "delivered", true));
        assertThat(readList(tx -> MessageStore.in(tx).pendingTypings("host-1", 10))).as("typed").isEmpty();

        inWrite(tx -> MessageStore.in(tx).redeliver(asked.id(), "B", 3, later + 120_000, false));
        assertThat(readOptional(tx -> MessageStore.in(tx).message(asked.id())).orElseThrow().recipients().get(0).pane())
                .as("not queued again").isEqualTo("delivered");
        inWrite(tx -> MessageStore.in(tx).markEscalated(asked.id(), "B"));
        assertThat(readList(tx -> MessageStore.in(tx).retriesDue(Long.MAX_VALUE, null))).isEmpty();
        assertThat(writeBoolean(tx -> MessageStore.in(tx).markReceived(asked.id(), "B", false, true))).isTrue();
        assertThat(readLong(tx -> MessageStore.in(tx).countAwaitingAck())).isZero();
    }

    // ------------------------------------------------------------------ events, settings, stored answers

    // -------------------------------------------------------------------------------- tasks

    private Task task(String id, Task.Status status, int priority, long createdAt, String parent, String... labels) {
        return new Task(id, "title of " + id, "", status, priority, parent, "A", null, null, 0, "", null, createdAt, createdAt,
                status.closed() ? createdAt : null, List.of(labels));
    }

    private List<String> taskIds(TaskStore.Filter filter) {
        return store.read(tx -> TaskStore.in(tx).tasks(filter, 100)).stream().map(Task::id).toList();
    }

    private List<TaskStore.Count> counts(Function<TaskStore, List<TaskStore.Count>> count) {
        return store.read(tx -> count.apply(TaskStore.in(tx)));
    }

    @Test
    void tasksListByPriorityThenAgeThenInsertionAndOpenOnesWithABlockerNotDoneAreBlocked() {
        long now = clock.millis();
        Task root = task("01ROOT0000000000000000000R", Task.Status.OPEN, 2, now, null, "epic");
        Task first = task("01BBBB0000000000000000000B", Task.Status.OPEN, 1, now + 5, root.id(), "api", "db");
        Task sameTime = task("01AAAA0000000000000000000A", Task.Status.OPEN, 1, now + 5, root.id());
        Task older = task("01CCCC0000000000000000000C", Task.Status.OPEN, 1, now + 1, null, "api");
        Task failed = task("01DDDD0000000000000000000D", Task.Status.FAILED, 0, now, null);
        Task done = task("01EEEE0000000000000000000E", Task.Status.DONE, 0, now, root.id());
        inWrite(tx -> {
            for (Task task : List.of(root, first, sameTime, older, failed, done)) {
                TaskStore.in(tx).insertTask(task);
            }
            TaskStore.in(tx).insertLink(new TaskStore.Link(failed.id(), first.id(), TaskStore.Kind.BLOCKS));
            TaskStore.in(tx).insertLink(new TaskStore.Link(done.id(), sameTime.id(), TaskStore.Kind.BLOCKS));
            TaskStore.in(tx).insertLink(new TaskStore.Link(older.id(), root.id(), TaskStore.Kind.RELATED));
        });
        assertThat(readOptional(tx -> TaskStore.in(tx).task(first.id()))).contains(first);
        assertThat(taskIds(TaskStore.Filter.ALL)).containsExactly(failed.id(), done.id(), older.id(), first.id(), sameTime.id(), root.id());
        assertThat(taskIds(new TaskStore.Filter(Task.Status.OPEN, null, null, null, true))).as("ready: a done blocker frees, a failed one does not")
                .containsExactly(older.id(), sameTime.id(), root.id());
        assertThat(taskIds(new TaskStore.Filter(Task.Status.BLOCKED, null, null, null, true))).containsExactly(first.id());
        assertThat(taskIds(new TaskStore.Filter(null, "api", null, null, true))).containsExactly(older.id(), first.id());
        assertThat(taskIds(new TaskStore.Filter(Task.Status.OPEN, null, null, root.id(), true))).containsExactly(sameTime.id());
        assertThat(taskIds(new TaskStore.Filter(Task.Status.FAILED, null, null, null, true))).containsExactly(failed.id());
        assertThat(taskIds(new TaskStore.Filter(null, null, null, null, false))).as("unfinished only")
                .containsExactly(older.id(), first.id(), sameTime.id(), root.id());
        assertThat(taskIds(new TaskStore.Filter(Task.Status.FAILED, null, null, null, false))).as("a status asked for").containsExactly(failed.id());
        assertThat(readList(tx -> TaskStore.in(tx).unfinishedBlockers(List.of(first.id(), sameTime.id(), root.id()))))
                .containsExactly(new TaskStore.Blocker(first.id(), failed.id(), Task.Status.FAILED));
        assertThat(readList(tx -> TaskStore.in(tx).links(List.of(root.id(), older.id())))).as("either end, once")
                .containsExactly(new TaskStore.Link(older.id(), root.id(), TaskStore.Kind.RELATED));
        assertThat(readList(tx -> TaskStore.in(tx).subtasks(List.of(root.id())))).extracting(Task::id)
                .containsExactly(done.id(), first.id(), sameTime.id());
        assertThat(counts(rows -> rows.countByStatus(List.of(Task.Status.OPEN, Task.Status.IN_PROGRESS))))
                .containsExactly(new TaskStore.Count("blocked", null, 1), new TaskStore.Count("open", null, 3));
        assertThat(counts(rows -> rows.countByParent(List.of(root.id(), older.id()))))
                .containsExactly(new TaskStore.Count(root.id(), "done", 1), new TaskStore.Count(root.id(), "total", 3));
        assertThat(counts(rows -> rows.countByParent(null))).isEqualTo(counts(rows -> rows.countByParent(List.of(root.id()))));
        assertThat(readList(tx -> TaskStore.in(tx).taskIdsStartingWith("01AAAA", 10))).containsExactly(sameTime.id());
    }

    @Test
    void aClaimHasLapsedWithoutALiveLeaseOfItsHolderWithItsToken() {
        long now = clock.millis();
        Task held = task("01HELD0000000000000000000H", Task.Status.OPEN, 2, now, null);
        Task stale = task("01STAL0000000000000000000S", Task.Status.OPEN, 2, now, null);
        Task brief = task("01BRIE0000000000000000000B", Task.Status.OPEN, 2, now, null);
        inWrite(tx -> List.of(held, stale, brief).forEach(TaskStore.in(tx)::insertTask));
        Lease heldLease = insertLease("A", "task:" + held.id(), Mode.EXCLUSIVE, 60_000);
        Lease staleLease = insertLease("A", "task:" + stale.id(), Mode.EXCLUSIVE, 60_000);
        Lease briefLease = insertLease("B", "task:" + brief.id(), Mode.EXCLUSIVE, 1_000);
        inWrite(tx -> {
            AgentStore.in(tx).saveAgent(agent("A", Agent.Status.ACTIVE, null, "host-1"), "hash-a");
            AgentStore.in(tx).saveAgent(agent("B", Agent.Status.ACTIVE, null, "host-1"), "hash-b");
            TaskStore.in(tx).updateTask(new Task(held.id(), held.title(), "", Task.Status.IN_PROGRESS, 2, null, "A", "A", heldLease.token(), 40,
                    "half", null, now, now + 1, null, List.of()));
            TaskStore.in(tx).updateTask(new Task(stale.id(), stale.title(), "", Task.Status.IN_PROGRESS, 2, null, "A", "A",
                    staleLease.token() + 1, 0, "", null, now, now, null, List.of()));
            TaskStore.in(tx).updateTask(new Task(brief.id(), brief.title(), "", Task.Status.IN_PROGRESS, 2, null, "A", "B", briefLease.token(),
                    0, "", null, now, now, null, List.of()));
        });
        Task updated = store.read(tx -> TaskStore.in(tx).task(held.id())).orElseThrow();
        assertThat(updated.progress()).isEqualTo(40);
        assertThat(updated.note()).isEqualTo("half");
        assertThat(updated.title()).as("not changeable").isEqualTo(held.title());
        assertThat(readList(tx -> TaskStore.in(tx).lapsedClaims())).as("another claim's token").extracting(Task::id).containsExactly(stale.id());
        assertThat(counts(rows -> rows.countActiveAgents(null)))
                .containsExactly(new TaskStore.Count(brief.id(), null, 1), new TaskStore.Count(held.id(), null, 1),
                        new TaskStore.Count(stale.id(), null, 1));
        clock.advance(Duration.ofSeconds(1));
        assertThat(readList(tx -> TaskStore.in(tx).lapsedClaims())).as("expired by the store clock").extracting(Task::id)
                .containsExactly(brief.id(), stale.id());
        assertThat(counts(rows -> rows.countActiveAgents(List.of(held.id(), brief.id())))).containsExactly(new TaskStore.Count(held.id(), null, 1));
        inWrite(tx -> AgentStore.in(tx).saveAgent(agent("A", Agent.Status.GONE, null, "host-1"), "hash-a"));
        assertThat(counts(rows -> rows.countActiveAgents(null))).as("a gone agent is not active").isEmpty();
    }

    @Test
    void aClaimsLastLeaseEndIsTheNewestEndOfTheLeaseWithItsToken() {
        String claim = "task:01TASK0000000000000000000T";
        inWrite(tx -> {
            tx.appendEvent("lease.released", "A", claim, Map.of("token", 7L));
            tx.appendEvent("lease.expired", "A", claim, Map.of("token", 9L, "expiresAt", 5L));
            tx.appendEvent("lease.released", "B", claim, Map.of("token", 7L));
            tx.appendEvent("lease.acquired", "A", claim, Map.of("token", 7L));
            tx.appendEvent("lease.released", "A", "task:01OTHER000000000000000000", Map.of("token", 7L));
        });
        assertThat(readOptional(tx -> TaskStore.in(tx).lastLeaseEnd("A", claim, 7L))).get().extracting(Event::kind).isEqualTo("lease.released");
        assertThat(readOptional(tx -> TaskStore.in(tx).lastLeaseEnd("A", claim, 9L))).get().extracting(Event::kind).isEqualTo("lease.expired");
        assertThat(readOptional(tx -> TaskStore.in(tx).lastLeaseEnd("A", claim, 8L))).as("another claim's end").isEmpty();
        assertThat(readOptional(tx -> TaskStore.in(tx).lastLeaseEnd("C", claim, 7L))).isEmpty();
    }

    @Test
    void loginRowsAreTakenOnceByKindAndScopeUntilTheirExpiry() {
        store.write(tx -> {
            LoginStore.in(tx).insert("link-hash", LoginStore.Kind.LINK, 1_000, "hub-a");
            LoginStore.in(tx).insert("session-hash", LoginStore.Kind.SESSION, 2_000, "hub-a");
            return null;
        });
        assertThat((boolean) store.read(tx -> LoginStore.in(tx).holds("link-hash", LoginStore.Kind.SESSION, 0, "hub-a"))).as("of another kind").isFalse();
        assertThat((boolean) store.read(tx -> LoginStore.in(tx).holds("session-hash", LoginStore.Kind.SESSION, 1_999, "hub-a"))).isTrue();
        assertThat((boolean) store.read(tx -> LoginStore.in(tx).holds("session-hash", LoginStore.Kind.SESSION, 0, "hub-b"))).as("another hub's").isFalse();
        assertThat((boolean) store.write(tx -> LoginStore.in(tx).take("session-hash", LoginStore.Kind.SESSION, 0, "hub-b"))).as("another hub's").isFalse();
        assertThat((int) store.write(tx -> LoginStore.in(tx).deleteAll(LoginStore.Kind.SESSION, "hub-b"))).as("another hub's").isZero();
        assertThat((boolean) store.read(tx -> LoginStore.in(tx).holds("session-hash", LoginStore.Kind.SESSION, 2_000, "hub-a"))).as("at its expiry").isFalse();
        assertThat((boolean) store.write(tx -> LoginStore.in(tx).take("link-hash", LoginStore.Kind.SESSION, 0, "hub-a"))).as("of another kind").isFalse();
        assertThat((boolean) store.write(tx -> LoginStore.in(tx).take("link-hash", LoginStore.Kind.LINK, 1_000, "hub-a"))).as("at its expiry").isFalse();
        assertThat((boolean) store.write(tx -> LoginStore.in(tx).take("link-hash", LoginStore.Kind.LINK, 999, "hub-a"))).isTrue();
        assertThat((boolean) store.write(tx -> LoginStore.in(tx).take("link-hash", LoginStore.Kind.LINK, 999, "hub-a"))).as("once").isFalse();
        store.write(tx -> {
            LoginStore.in(tx).insert("late-link-hash", LoginStore.Kind.LINK, 1_500, "hub-a");
            return null;
        });
        assertThat((boolean) store.read(tx -> LoginStore.in(tx).anyExpired(1_499))).isFalse();
        assertThat((boolean) store.read(tx -> LoginStore.in(tx).anyExpired(1_500))).isTrue();
        assertThat((int) store.write(tx -> LoginStore.in(tx).deleteExpired(LoginStore.Kind.SESSION, 1_999))).isZero();
        assertThat((int) store.write(tx -> LoginStore.in(tx).deleteExpired(LoginStore.Kind.SESSION, 2_000))).as("the session only").isEqualTo(1);
        assertThat((boolean) store.read(tx -> LoginStore.in(tx).holds("late-link-hash", LoginStore.Kind.LINK, 0, "hub-a"))).isTrue();
        assertThat((int) store.write(tx -> LoginStore.in(tx).deleteExpired(LoginStore.Kind.LINK, 2_000))).isEqualTo(1);
        assertThat((boolean) store.read(tx -> LoginStore.in(tx).anyExpired(Long.MAX_VALUE))).as("nothing left").isFalse();
        assertThat((boolean) store.read(tx -> LoginStore.in(tx).holds("session-hash", LoginStore.Kind.SESSION, 0, "hub-a"))).isFalse();
    }

    @Test
    void planSectionsAreKeptInOrderWithTheRevisionAndTheirHistoryIsTheirEvents() {
        assertThat(store.read(tx -> PlanStore.in(tx).revision()).isPresent()).as("no plan yet").isFalse();
        Section first = new Section("01SEC0000000000000000000A", "Goals", 1, 1, "", 5, "swarm");
        Section second = new Section("01SEC0000000000000000000B", "Work", 0, 1, "- a", 6, "A");
        inWrite(tx -> {
            PlanStore.in(tx).insertSection(first);
            PlanStore.in(tx).insertSection(second);
            PlanStore.in(tx).setRevision(1);
            tx.appendEvent("doc.started", null, "doc:", Map.of());
            tx.appendEvent("doc.appended", "A", "doc:" + second.id(), Map.of("text", "- a"));
            tx.appendEvent("task.created", "A", "task:x", Map.of());
            tx.appendEvent("doc.set", "B", "doc:" + first.id(), Map.of("text", "ship"));
        });
        assertThat(readList(tx -> PlanStore.in(tx).sections())).as("by position").containsExactly(second, first);
        Section renamed = new Section(first.id(), "Sprint Goals", 0, 2, "ship\nnow", 9, "B");
        Section moved = new Section(second.id(), "Work", 1, 1, "- a", 6, "A");
        inWrite(tx -> {
            PlanStore.in(tx).updateSection(renamed);
            PlanStore.in(tx).updateSection(moved);
            PlanStore.in(tx).setRevision(2);
        });
        assertThat(readList(tx -> PlanStore.in(tx).sections())).containsExactly(renamed, moved);
        assertThat(store.read(tx -> PlanStore.in(tx).revision()).getAsLong()).isEqualTo(2);
        assertThat(readList(tx -> PlanStore.in(tx).history(null, 10))).extracting(Event::kind).containsExactly("doc.started", "doc.appended",
                "doc.set");
        assertThat(readList(tx -> PlanStore.in(tx).history(null, 1))).extracting(Event::kind).containsExactly("doc.set");
        assertThat(readList(tx -> PlanStore.in(tx).history(second.id(), 10))).extracting(Event::agent).containsExactly("A");
        inWrite(tx -> PlanStore.in(tx).deleteSection(second.id()));
        assertThat(readList(tx -> PlanStore.in(tx).sections())).containsExactly(renamed);
        assertThat(readList(tx -> PlanStore.in(tx).history(second.id(), 10))).as("its history stays").hasSize(1);
    }

    @Test
    void eventsAreReadAfterAnIdOrNewestFirstWithFilters() {
        inWrite(tx -> {
            tx.appendEvent("lease.acquired", "A", "a.py", Map.of("token", 7L, "shared", false, "to", List.of("x", "y")));
            tx.appendEvent("lease.acquired", "B", "b.py", Map.of());
            tx.appendEvent("agent.stale", "A", null, Map.of());
            tx.appendEvent("lease.released", "A", "a.py", Map.of());
        });
        List<Event> all = store.read(tx -> tx.events(0, null, null, 100));
        assertThat(all).extracting(Event::kind, Event::agent, Event::resource).containsExactly(
                tuple("lease.acquired", "A", "a.py"), tuple("lease.acquired", "B", "b.py"), tuple("agent.stale", "A", null),
                tuple("lease.released", "A", "a.py"));
        assertThat(all).extracting(Event::id).isSorted().doesNotHaveDuplicates();
        assertThat(all.get(0).at()).isEqualTo(clock.millis());
        assertThat(all.get(0).details()).isEqualTo(Map.of("token", 7, "shared", false, "to", List.of("x", "y")));

        long second = all.get(1).id();
        assertThat(readList(tx -> tx.events(second, null, null, 100))).extracting(Event::kind).containsExactly("agent.stale", "lease.released");
        assertThat(readList(tx -> tx.events(0, "A", null, 100))).extracting(Event::kind)
                .containsExactly("lease.acquired", "agent.stale", "lease.released");
        assertThat(readList(tx -> tx.events(0, null, "lease.acquired", 100))).extracting(Event::agent).containsExactly("A", "B");
        assertThat(readList(tx -> tx.events(0, "A", "lease.acquired", 1))).extracting(Event::resource).containsExactly("a.py");
        assertThat(readList(tx -> tx.latestEvents(null, null, 2))).extracting(Event::kind).as("the newest, oldest first")
                .containsExactly("agent.stale", "lease.released");
        assertThat(readList(tx -> tx.latestEvents("A", "lease.acquired", 5))).extracting(Event::resource).containsExactly("a.py");
    }

    @Test
    void settingsAreReplaced() {
        inWrite(tx -> tx.putSetting("a.b", "1"));
        inWrite(tx -> tx.putSetting("a.b", "2"));
        assertThat(readList(tx -> List.of(tx.setting("a.b"), tx.setting("A.B")))).containsExactly(Optional.of("2"), Optional.empty());
    }

    @Test
    void storedAnswersAreKeptPerCallerAndKeyAndExpire() {
        Tx.StoredAnswer first = new Tx.StoredAnswer("POST /locks {}", 200, "{\"ok\":1}");
        long storedAt = clock.millis();
        inWrite(tx -> tx.storeAnswer("A", "key-1", first));
        assertThat(readOptional(tx -> tx.storedAnswer("A", "key-1", storedAt - 1))).contains(first);
        assertThat(readOptional(tx -> tx.storedAnswer("A", "key-1", storedAt))).as("only answers stored after").isEmpty();
        assertThat(readOptional(tx -> tx.storedAnswer("B", "key-1", 0))).as("per caller").isEmpty();
        assertThat(readOptional(tx -> tx.storedAnswer("A", "KEY-1", 0))).as("keys are case-sensitive").isEmpty();

        clock.advance(Duration.ofSeconds(1));
        Tx.StoredAnswer second = new Tx.StoredAnswer("POST /locks {\"x\":1}", 409, "{}");
        inWrite(tx -> tx.storeAnswer("A", "key-1", second));
        assertThat(readOptional(tx -> tx.storedAnswer("A", "key-1", storedAt))).as("replaced").contains(second);
        inWrite(tx -> tx.storeAnswer("B", "key-1", first));
        assertThat(writeLong(tx -> tx.forgetAnswersStoredBefore(storedAt + 999))).isZero();
        assertThat(writeLong(tx -> tx.forgetAnswersStoredBefore(storedAt + 1_000))).isEqualTo(2);
        assertThat(readOptional(tx -> tx.storedAnswer("A", "key-1", 0))).isEmpty();
    }

    @Test
    void anAnswerStoredInsideTheWriteItAnswersCommitsOrRollsBackWithIt() {
        Tx.StoredAnswer answer = new Tx.StoredAnswer("req", 200, "{}");
        assertThatThrownBy(() -> inWrite(tx -> {
            LeaseStore.in(tx).insertLease(Resource.ofCanonical("a.py"), Mode.EXCLUSIVE, "A", 1, "", tx.now() + 1);
            inWrite(inner -> inner.storeAnswer("A", "k", answer)); // as the API stores it, from inside the operation's write
            throw new IllegalStateException("the operation fails after");
        })).hasMessage("the operation fails after");
        assertThat(readOptional(tx -> tx.storedAnswer("A", "k", 0))).isEmpty();
        inWrite(tx -> {
            LeaseStore.in(tx).insertLease(Resource.ofCanonical("a.py"), Mode.EXCLUSIVE, "A", 1, "", tx.now() + 1);
            inWrite(inner -> inner.storeAnswer("A", "k", answer));
        });
        assertThat(readOptional(tx -> tx.storedAnswer("A", "k", 0))).contains(answer);
    }

    // ------------------------------------------------------------------ signals

    private long[] signalCounts() {
        return Arrays.stream(Store.Signal.values()).mapToLong(store::signalCount).toArray();
    }

    /** Which signals a committed write that appends events of these kinds raises. */
    private List<Store.Signal> raisedBy(String... eventKinds) {
        return raisedBy(Map.of(), eventKinds);
    }

    /** Which signals a committed write that appends events of these kinds, each with these details, raises. */
    private List<Store.Signal> raisedBy(Map<String, Object> details, String... eventKinds) {
        long[] before = signalCounts();
        inWrite(tx -> {
            for (String kind : eventKinds) {
                tx.appendEvent(kind, "A", null, details);
            }
        });
        long[] after = signalCounts();
        List<Store.Signal> raised = new ArrayList<>();
        for (Store.Signal signal : Store.Signal.values()) {
            if (after[signal.ordinal()] > before[signal.ordinal()]) {
                raised.add(signal);
            }
        }
        return raised;
    }

    @Test
    void signalsFollowTheKindsOfTheCommittedEvents() {
        assertThat(raisedBy()).as("no event").isEmpty();
        assertThat(raisedBy("lease.renewed", "lease.queued", "agent.gone", "message.read", "task.claimed", "documented"))
                .containsExactly(Store.Signal.LOGGED);
        for (String planned : List.of("doc.set", "doc.appended", "doc.hand-edit", "setting.changed")) {
            assertThat(raisedBy(planned)).as(planned).containsExactly(Store.Signal.LOGGED, Store.Signal.PLANNED);
        }
        for (String freeing : List.of("lease.released", "lease.force-released", "lease.expired", "lease.wait-abandoned", "lease.acquired")) {
            assertThat(raisedBy(freeing)).as(freeing).containsExactly(Store.Signal.FREED, Store.Signal.LOGGED);
        }
        for (String mail : List.of("message.sent", "message.retried")) {
            assertThat(raisedBy(mail)).as(mail).containsExactly(Store.Signal.MAIL, Store.Signal.LOGGED);
            assertThat(raisedBy(Map.of(Store.QUEUED_FOR_PANE, List.of()), mail)).as(mail + ", no pane").containsExactly(Store.Signal.MAIL,
                    Store.Signal.LOGGED);
            assertThat(raisedBy(Map.of(Store.QUEUED_FOR_PANE, List.of("B")), mail)).as(mail + " queued for B's pane")
                    .containsExactly(Store.Signal.MAIL, Store.Signal.TYPING, Store.Signal.LOGGED);
        }
        assertThat(raisedBy(Map.of(Store.QUEUED_FOR_PANE, List.of("B")), "message.read")).as("only a stored message is typed")
                .containsExactly(Store.Signal.LOGGED);
        assertThat(raisedBy(Map.of(Store.QUEUED_FOR_PANE, List.of("B")), "message.sent", "lease.released", "doc.set"))
                .containsExactly(Store.Signal.values());
    }

    @Test
    void aWaiterWakesWhenACommitRaisesItsSignal() throws Exception {
        long seen = store.signalCount(Store.Signal.MAIL);
        long timeout = 60_000;
        CompletableFuture<Long> waited = CompletableFuture.supplyAsync(() -> {
            long start = System.nanoTime();
            try {
                store.awaitSignal(Store.Signal.MAIL, seen, timeout);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return (System.nanoTime() - start) / 1_000_000;
        });
        inWrite(tx -> tx.appendEvent("message.sent", "A", null, Map.of())); // before or after the wait began: either way it returns
        assertThat(Await.done(waited)).as("ms waited").isLessThan(timeout);
        assertThat(store.signalCount(Store.Signal.MAIL)).isGreaterThan(seen);

        long freed = store.signalCount(Store.Signal.FREED);
        long start = System.nanoTime();
        store.awaitSignal(Store.Signal.FREED, freed, 20);
        assertThat(System.nanoTime() - start).as("no FREED: the wait ran out").isGreaterThanOrEqualTo(20_000_000L);
    }
}
