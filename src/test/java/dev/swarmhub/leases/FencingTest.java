package dev.swarmhub.leases;

import static dev.swarmhub.testing.TestGate.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.EventLog;
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
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fencing tokens checked where the write happens: a token is valid only while its lease is live
 * and covers the resource, a write is put in place only inside the transaction that finds the
 * caller's token valid, and never after the lease went to another agent.
 */
class FencingTest {

    private static final Resource FILE = Resource.ofCanonical("src/app.py");

    @TempDir
    Path project;

    private MutableClock clock;
    private Store store;
    private Leases leases;
    private Fencing fencing;
    private final StagedFiles files = new StagedFiles();
    private ExecutorService threads;

    @BeforeEach
    void openStore() {
        clock = MutableClock.startingAt2030();
        store = TestStores.open(project, clock);
        leases = new Leases(store, TestGate.OPEN, new FakeProcesses());
        fencing = new Fencing(store, TestGate.OPEN, files);
        threads = Executors.newCachedThreadPool();
    }

    @AfterEach
    void closeStore() throws InterruptedException {
        threads.shutdownNow();
        assertThat(threads.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        store.close();
    }

    @Test
    void aTokenIsValidWhileItsLeaseIsLiveAndCoversTheResource() {
        long token = acquire("alice", "src/**", Duration.ofSeconds(10)).token();

        assertThat(fencing.check(FILE, token).agent()).as("a glob lease covers the path").isEqualTo("alice");
        assertThat(fencing.check(Resource.ofCanonical("src/**"), token).token()).as("the glob as leased").isEqualTo(token);
        assertThat(denied(() -> fencing.check(Resource.ofCanonical("src/*.py"), token)))
                .as("a glob inside the leased one is not the lease's own").startsWith("fencing token " + token + " holds no live lease covering src/*.py");
        assertThat(denied(() -> fencing.check(Resource.ofCanonical("docs/a.md"), token)))
                .isEqualTo("fencing token " + token + " holds no live lease covering docs/a.md: none covers it now");
        assertThat(denied(() -> fencing.check(FILE, token + 1)))
                .isEqualTo("fencing token " + (token + 1) + " holds no live lease covering src/app.py: it is covered by alice's lease on src/** (token "
                        + token + ")");

        clock.advance(Duration.ofSeconds(10));
        assertThat(denied(() -> fencing.check(FILE, token))).as("expired at its expiry instant, though not yet removed")
                .endsWith(": none covers it now");
    }

    @Test
    void aWriteIsPutInPlaceAndRecordedOnlyWithTheCallersLiveToken() {
        long token = acquire("alice", "src/app.py", Duration.ofSeconds(10)).token();

        Lease used = fencing.write(as("alice"), FILE, token, "v1");
        assertThat(used.token()).isEqualTo(token);
        assertThat(files.inPlace).containsExactly("src/app.py=v1");
        assertThat(files.open).as("nothing staged is left behind").isEmpty();
        Event written = new EventLog(store).latest(null, "lease.fenced-write", 10).getLast();
        assertThat(written.agent()).isEqualTo("alice");
        assertThat(written.resource()).isEqualTo("src/app.py");
        assertThat(written.details()).containsEntry("token", token).containsEntry("lease", (int) used.id()).containsEntry("bytes", 2);

        assertThat(denied(() -> fencing.write(as("bob"), FILE, token, "bob's")))
                .isEqualTo("fencing token " + token + " is alice's lease on src/app.py, not yours (bob)");
        assertThat(denied(() -> fencing.write(as("alice"), FILE, token - 1, "stale")))
                .startsWith("fencing token " + (token - 1) + " holds no live lease covering src/app.py");
        clock.advance(Duration.ofSeconds(10));
        assertThat(denied(() -> fencing.write(as("alice"), FILE, token, "late"))).endsWith(": none covers it now");
        assertThat(files.inPlace).as("no refused write reached the file").containsExactly("src/app.py=v1");
        assertThat(files.open).as("each refused write's draft was dropped").isEmpty();
        assertThat(files.staged).isEqualTo(4);
    }

    /** With the registry as the gate: a forged token writes nothing, and a dead holder's lease fences nothing once swept. */
    @Test
    void theCallerMustProveWhoItIsAndADeadHoldersTokenIsValidNoMore() {
        FakeProcesses machine = new FakeProcesses();
        dev.swarmhub.agents.Agents agents = new dev.swarmhub.agents.Agents(store, machine);
        Fencing gated = new Fencing(store, agents, files);
        machine.start(4242, clock.millis() - 1_000);
        String secret = agents.register(new dev.swarmhub.agents.Agents.Registration("alice", "claude", null, 4242L, null)).token();
        dev.swarmhub.kernel.Caller alice = dev.swarmhub.kernel.Caller.ofAgent("alice", secret);
        long token = new Leases(store, agents, machine).acquire(new Leases.Request(alice, List.of(FILE), Mode.EXCLUSIVE, Duration.ofMinutes(10), null))
                .getFirst().token();

        SwarmException forged = catchThrowableOfType(SwarmException.class,
                () -> gated.write(dev.swarmhub.kernel.Caller.ofAgent("alice", "not-her-token"), FILE, token, "forged"));
        assertThat(forged.kind()).isEqualTo(SwarmException.Kind.UNAUTHENTICATED);
        assertThat(files.inPlace).isEmpty();
        assertThat(gated.write(alice, FILE, token, "hers").agent()).isEqualTo("alice");

        machine.end(4242);
        clock.advance(Duration.ofSeconds(1));
        assertThat(denied(() -> gated.check(FILE, token))).as("her process ended: swept before the check").endsWith(": none covers it now");
    }

    @Test
    void aSharedLeasesTokenWritesNothing() {
        long token = leases.acquire(new Leases.Request(as("reader"), List.of(FILE), Mode.SHARED, Duration.ofMinutes(1), null)).getFirst().token();
        assertThat(fencing.check(FILE, token).mode()).isEqualTo(Mode.SHARED);
        assertThat(denied(() -> fencing.write(as("reader"), FILE, token, "x")))
                .isEqualTo("fencing token " + token + " is a shared lease on src/app.py: a fenced write needs an exclusive one (others may hold the file too)");
        assertThat(files.inPlace).isEmpty();
    }

    @Test
    void aFencedWriteNamesOneFile() {
        for (String named : List.of("src/**", "name:db")) {
            SwarmException refused = catchThrowableOfType(SwarmException.class,
                    () -> fencing.write(as("alice"), Resource.ofCanonical(named), 1, "x"));
            assertThat(refused.kind()).isEqualTo(SwarmException.Kind.BAD_INPUT);
            assertThat(refused.getMessage()).isEqualTo("a fenced write names one file, not " + named);
        }
        assertThat(files.staged).as("nothing staged for a refused request").isZero();
    }

    /**
     * The holder keeps writing with its token while its lease expires and another agent takes the
     * file, round after round: in commit order, no write with the old token follows the new grant.
     */
    @Test
    void noWriteWithAnOldTokenLandsAfterTheLeaseWentToAnother() throws Exception {
        for (int round = 0; round < 30; round++) {
            String holder = "holder-" + round;
            String next = "next-" + round;
            long old = acquire(holder, "src/app.py", Duration.ofSeconds(1)).token();
            CyclicBarrier start = new CyclicBarrier(5);
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int writer = w;
                writers.add(threads.submit(() -> {
                    start.await();
                    for (int i = 0; i < 20; i++) {
                        try {
                            fencing.write(as(holder), FILE, old, holder + "/" + writer + "/" + i);
                        } catch (SwarmException refused) {
                            assertThat(refused.kind()).isEqualTo(SwarmException.Kind.DENIED);
                        }
                    }
                    return null;
                }));
            }
            start.await();
            clock.advance(Duration.ofSeconds(1));
            long taken = acquire(next, "src/app.py", Duration.ofMinutes(1)).token();
            for (Future<?> writer : writers) {
                Await.done(writer);
            }
            assertThat(taken).isGreaterThan(old);
            EventLog log = new EventLog(store);
            List<Event> events = java.util.stream.Stream.concat(log.latest(holder, null, EventLog.MAX_LIMIT).stream(),
                    log.latest(next, null, EventLog.MAX_LIMIT).stream()).sorted(java.util.Comparator.comparingLong(Event::id)).toList();
            int granted = indexOf(events, "lease.acquired", next);
            assertThat(events.subList(granted, events.size())).as("round " + round + ": writes after " + next + "'s grant")
                    .noneMatch(event -> event.kind().equals("lease.fenced-write"));
            assertThat(files.inPlace.stream().filter(write -> write.startsWith("src/app.py=" + holder + "/")).count())
                    .as("every write put in place was recorded").isEqualTo(events.stream().filter(e -> e.kind().equals("lease.fenced-write")).count());
            leases.releaseAll(as(next));
        }
        assertThat(files.open).isEmpty();
    }

    private static int indexOf(List<Event> events, String kind, String agent) {
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i).kind().equals(kind) && agent.equals(events.get(i).agent())) {
                return i;
            }
        }
        throw new AssertionError("no " + kind + " of " + agent);
    }

    /**
     * A write run inside a store write (an HTTP request's Idempotency-Key joins it to the stored
     * answer) holds the store's lock that the file's current writer may be waiting for: it must
     * not wait for that writer. A write on its own may.
     */
    @Test
    void aWriteInsideAStoreWriteDoesNotWaitForTheFilesOtherWriters() {
        long token = acquire("alice", "src/app.py", Duration.ofSeconds(10)).token();
        fencing.write(as("alice"), FILE, token, "alone");
        store.write(tx -> fencing.write(as("alice"), FILE, token, "joined"));
        assertThat(files.waited).containsExactly(Fencing.Turn.WAIT, Fencing.Turn.NO_WAIT);

        dev.swarmhub.kernel.Caller alice = as("alice");
        try (Fencing.FileHold hold = fencing.holdFile(alice, FILE)) { // what the API takes before such a store write
            assertThat(files.held).containsExactly("src/app.py");
            store.write(tx -> fencing.write(alice, FILE, token, "in the hold")); // on whatever thread the store runs it
            store.write(tx -> fencing.write(as("alice"), FILE, token, "another request's"));
        }
        assertThat(files.waited).containsExactly(Fencing.Turn.WAIT, Fencing.Turn.NO_WAIT, Fencing.Turn.HELD, Fencing.Turn.NO_WAIT);
        assertThat(files.held).isEmpty();
        SwarmException glob = catchThrowableOfType(SwarmException.class, () -> fencing.holdFile(alice, Resource.ofCanonical("src/**")));
        assertThat(glob.kind()).isEqualTo(SwarmException.Kind.BAD_INPUT);
        assertThat(glob).hasMessageContaining("one file");
    }

    private Lease acquire(String agent, String resource, Duration ttl) {
        return leases.acquire(new Leases.Request(as(agent), List.of(Resource.ofCanonical(resource)), Mode.EXCLUSIVE, ttl, null)).getFirst();
    }

    private static String denied(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        SwarmException refused = catchThrowableOfType(SwarmException.class, call);
        assertThat(refused).as("refused").isNotNull();
        assertThat(refused.kind()).isEqualTo(SwarmException.Kind.DENIED);
        return refused.getMessage();
    }

    /** A file system that records what was staged, what was put in place (in order) and what is still open. */
    private static final class StagedFiles implements Fencing.Stager {
        final List<String> inPlace = Collections.synchronizedList(new ArrayList<>());
        final Map<Integer, String> open = new ConcurrentHashMap<>();
        final List<String> held = Collections.synchronizedList(new ArrayList<>());
        /** Each staging's turn, in order. */
        final List<Fencing.Turn> waited = Collections.synchronizedList(new ArrayList<>());
        volatile int staged;

        @Override
        public Fencing.FileHold hold(Resource path) {
            held.add(path.text());
            return () -> held.remove(path.text());
        }

        @Override
        public synchronized Fencing.StagedWrite stage(Resource path, String content, Fencing.Turn turn) {
            waited.add(turn);
            int id = staged++;
            open.put(id, path.text());
            return new Fencing.StagedWrite() {
                private boolean done;

                @Override
                public void putInPlace(Tx tx) {
                    if (!done) { // as the real one: taken back if the transaction does not commit, put in place again if it runs again
                        inPlace.add(path.text() + "=" + content);
                        done = true;
                        tx.enlist(committed -> {
                            if (!committed) {
                                inPlace.remove(path.text() + "=" + content);
                                done = false;
                            }
                        });
                    }
                }

                @Override
                public long size() {
                    return content.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
                }

                @Override
                public void close() {
                    open.remove(id);
                }
            };
        }
    }
}
