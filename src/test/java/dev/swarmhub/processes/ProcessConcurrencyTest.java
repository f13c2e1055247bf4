package dev.swarmhub.processes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.ProcessIdentity;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.FakeProcesses;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Races over one store, as several hubs' threads and callers make them: many threads ending and
 * killing the same runs at once, and several threads starting queued runs under a small
 * {@code processes.max}. Whatever the interleaving: each run ends exactly once (one final event,
 * one {@code ended} that says so), no more than the maximum are ever live, the queue starts in
 * FIFO order, and the counts recount from the events.
 */
class ProcessConcurrencyTest extends ProcessFixture {

    private final ExecutorService pool = Executors.newCachedThreadPool(); // a thread per call: they all start together

    @AfterEach
    void stopPool() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }

    private <T> List<T> allAtOnce(List<Callable<T>> calls) throws Exception {
        CountDownLatch ready = new CountDownLatch(calls.size());
        CountDownLatch go = new CountDownLatch(1);
        List<Future<T>> futures = new ArrayList<>();
        for (Callable<T> call : calls) {
            futures.add(pool.submit(() -> {
                ready.countDown();
                go.await();
                return call.call();
            }));
        }
        assertThat(ready.await(60, TimeUnit.SECONDS)).as("every caller is ready").isTrue();
        go.countDown();
        List<T> results = new ArrayList<>();
        for (Future<T> future : futures) {
            results.add(Await.done(future));
        }
        return results;
    }

    @Test
    void runsEndedAndKilledByManyThreadsAtOnceEndExactlyOnce() throws Exception {
        maxProcesses(12);
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            runs.add(spawn(operator, "w" + i));
        }
        hub.starts = false;
        hub.stops = false; // the enders below are the processes' ends

        Map<String, AtomicInteger> endedTrue = new ConcurrentHashMap<>();
        List<Callable<Object>> calls = new ArrayList<>();
        for (Run run : runs) {
            endedTrue.put(run.id(), new AtomicInteger());
            for (int k = 0; k < 3; k++) {
                boolean signalled = k % 2 == 0;
                int code = k;
                calls.add(() -> {
                    if (processes.ended(run.id(), code, signalled, null)) {
                        endedTrue.get(run.id()).incrementAndGet();
                    }
                    return null;
                });
                calls.add(() -> processes.kill(operator, run.id(), false, "TERM", Duration.ZERO, "race"));
            }
        }
        java.util.Collections.shuffle(calls, new java.util.Random(7));
        List<Object> answers = allAtOnce(calls);

        for (Run run : runs) {
            assertThat(endedTrue.get(run.id())).as("one ended() says it ended " + run.agent()).hasValue(1);
            assertThat(kindsOf(run).stream().filter(FINAL::contains)).as("one final event of " + run.agent()).hasSize(1);
            assertThat(kindsOf(run).stream().filter("process.stopping"::equals)).as("asked to stop at most once").hasSizeLessThanOrEqualTo(1);
            assertThat(state(run).finished()).isTrue();
        }
        for (Object answer : answers) {
            if (answer instanceof List<?> killed) {
                assertThat(killed).singleElement().satisfies(run -> assertThat(((Run) run).state().finished()).isTrue());
            }
        }
        assertThat(log.latest(null, "agent.gone", 100)).extracting(Event::agent).doesNotHaveDuplicates().hasSize(12);
        Processes.Stats stats = processes.stats(operator);
        assertThat(stats.live()).isZero();
        statsMatchEvents(stats);
    }

    @Test
    void treeKillsFromSeveralCallersAndEndsRacingThemEndEachRunOnce() throws Exception {
        maxProcesses(20);
        Run root = spawn(operator, "root");
        List<Run> all = new ArrayList<>(List.of(root));
        for (int i = 0; i < 3; i++) {
            Run child = spawn(as(root), "c" + i);
            all.add(child);
            for (int j = 0; j < 2; j++) {
                all.add(spawn(as(child), "g" + i + j));
            }
        }
        hub.starts = false;
        hub.stops = false;
        List<Callable<Object>> calls = new ArrayList<>();
        Caller rootAgent = as(root);
        for (int i = 0; i < 4; i++) {
            calls.add(() -> processes.kill(operator, "root", true, "KILL", Duration.ZERO, null));
            calls.add(() -> {
                try {
                    return processes.kill(rootAgent, "c1", true, null, null, null);
                } catch (SwarmException refused) { // root ended first: its agent is gone
                    assertThat(refused.kind()).isEqualTo(SwarmException.Kind.UNAUTHENTICATED);
                    return refused;
                }
            });
        }
        for (Run run : all) {
            calls.add(() -> processes.ended(run.id(), null, true, null));
            calls.add(() -> processes.ended(run.id(), 0, false, null));
        }
        java.util.Collections.shuffle(calls, new java.util.Random(11));
        allAtOnce(calls);

        for (Run run : all) {
            assertThat(kindsOf(run).stream().filter(FINAL::contains)).as(run.agent()).hasSize(1);
            // c1's tree may be asked with TERM first, then by root's KILL, which replaces it as sooner: at most twice
            assertThat(kindsOf(run).stream().filter("process.stopping"::equals)).as(run.agent()).hasSizeLessThanOrEqualTo(2);
        }
        statsMatchEvents(processes.stats(operator));
    }

    @Test
    void severalThreadsStartingTheQueueNeverExceedTheMaximumAndStartItInOrder() throws Exception {
        maxProcesses(1);
        Run first = spawn(operator, "first");
        hub.starts = false;
        List<Run> queued = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            clock.advance(Duration.ofMillis(1));
            queued.add(spawn(operator, "q" + i));
        }
        hub.exit(first, 0);
        maxProcesses(3);

        AtomicLong pids = new AtomicLong(10_000);
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger finished = new AtomicInteger();
        List<Long> liveSeen = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Callable<Object>> calls = new ArrayList<>();
        for (int t = 0; t < 6; t++) { // hub threads: start what is due, run it briefly, end it
            calls.add(() -> {
                while (finished.get() < queued.size()) {
                    var starting = processes.startNext(hub);
                    if (starting.isEmpty()) {
                        Thread.onSpinWait();
                        continue;
                    }
                    Run run = starting.get().run();
                    long pid = pids.incrementAndGet();
                    processes.started(run.id(), new ProcessIdentity(FakeProcesses.HOST, pid, clock.millis()), "/w", null);
                    liveSeen.add(processes.stats(operator).live());
                    processes.ended(run.id(), 0, false, null);
                    finished.incrementAndGet();
                }
                return null;
            });
        }
        List<Processes.Stats> snapshots = new java.util.concurrent.CopyOnWriteArrayList<>();
        Future<?> watcher = pool.submit(() -> {
            while (!done.get()) {
                snapshots.add(processes.stats(operator));
            }
            return null;
        });
        allAtOnce(calls);
        done.set(true);
        Await.done(watcher);

        assertThat(liveSeen).isNotEmpty().allSatisfy(live -> assertThat(live).isBetween(1L, 3L));
        assertThat(snapshots).allSatisfy(stats -> assertThat(stats.live()).isLessThanOrEqualTo(3));
        for (Processes.Stats stats : snapshots.subList(0, Math.min(40, snapshots.size()))) {
            statsMatchEvents(stats);
        }

        List<Event> events = events();
        List<String> startOrder = events.stream().filter(event -> event.kind().equals("process.starting")).map(Event::agent)
                .filter(agent -> agent.startsWith("q")).toList();
        assertThat(startOrder).as("first in, first out").containsExactlyElementsOf(queued.stream().map(Run::agent).toList());
        Set<String> live = new HashSet<>();
        int most = 0;
        for (Event event : events) {
            String run = (String) event.details().get("run");
            if (event.kind().equals("process.starting")) {
                live.add(run);
            } else if (FINAL.contains(event.kind())) {
                live.remove(run);
            }
            most = Math.max(most, live.size());
        }
        assertThat(most).as("live at once, replayed from the events").isBetween(1, 3);
        Map<String, Integer> finals = new HashMap<>();
        events.stream().filter(event -> FINAL.contains(event.kind())).forEach(event -> finals.merge((String) event.details().get("run"), 1, Integer::sum));
        assertThat(finals).hasSize(31).allSatisfy((run, count) -> assertThat(count).isEqualTo(1));
        Processes.Stats end = processes.stats(operator);
        assertThat(end.live()).isZero();
        assertThat(end.queued()).isZero();
        statsMatchEvents(end);
    }
}
