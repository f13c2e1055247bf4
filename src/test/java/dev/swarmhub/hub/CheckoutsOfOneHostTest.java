package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.host.LocalProcesses;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.processes.Processes;
import dev.swarmhub.processes.Run;
import dev.swarmhub.store.PrivateFiles;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.TestStores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two checkouts of one host whose hubs share one store, each hub its own store object, services
 * and process supervisor with its timer running flat out: every run is started by the hub of the
 * checkout it was spawned from (its SWARM_ROOT is that checkout, its output under that checkout's
 * .swarm/runs), a hub started again adopts only its own checkout's runs, and a kill asked through
 * the other hub is carried out by the run's own. On SQLite the two stores are store objects of one
 * file; -Dswarm.test.store=postgresql runs it on one database.
 */
class CheckoutsOfOneHostTest {

    private static final int THREADS_PER_CHECKOUT = 3;
    private static final int SPAWNS_PER_THREAD = 8;
    private static final List<String> PRINT_ROOT = List.of("sh", "-c", "printf '%s\\n' \"$SWARM_ROOT\"");

    @TempDir
    Path machine;

    private final Caller operator = Caller.ofOperator();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<Hub> hubs = new ArrayList<>();
    private Hub e;
    private Hub b;

    /** One checkout's hub, as far as processes go: its services over its own store object, its supervisor and timers. */
    private static final class Hub {
        final Path root;
        final Services services;
        final ScheduledExecutorService timers = Executors.newScheduledThreadPool(2);
        final ProcessSupervisor supervisor;

        Hub(Path root, Services services) {
            this.root = root;
            this.services = services;
            this.supervisor = new ProcessSupervisor(root, services, timers);
            supervisor.adopt();
            supervisor.start();
            timers.scheduleWithFixedDelay(supervisor::tick, 0, 1, TimeUnit.MILLISECONDS); // the hub's timer, as often as it can
        }

        /** Stops its timers (its processes run on, as when a hub process dies). */
        void stop() throws InterruptedException {
            timers.shutdownNow();
            assertThat(timers.awaitTermination(1, TimeUnit.MINUTES)).as("timers of " + root + " ended").isTrue();
            supervisor.close();
        }
    }

    @BeforeEach
    void startHubs() throws IOException {
        Path rootE = Files.createDirectories(machine.resolve("e"));
        Path rootB = Files.createDirectories(machine.resolve("b"));
        PrivateFiles.directory(rootB.resolve(".swarm"));
        Services servicesE = new Services(rootE, TestStores.open(rootE));
        servicesE.settings.set(operator, Processes.MAX.name(), "1000");
        e = started(rootE, servicesE);
        b = started(rootB, new Services(rootB, TestStores.open(rootE))); // E's database: one store shared
    }

    private Hub started(Path root, Services services) {
        Hub hub = new Hub(root, services);
        hubs.add(hub);
        return hub;
    }

    @AfterEach
    void stopHubs() throws InterruptedException {
        threads.shutdownNow();
        assertThat(threads.awaitTermination(1, TimeUnit.MINUTES)).as("test threads ended").isTrue();
        for (Hub hub : hubs) {
            hub.stop();
        }
        for (Run run : e.services.processes.list(operator, null, false, Processes.MAX_LISTED)) { // a failed test's: ended here
            if (run.pid() != null && run.pidStartedAt() != null
                    && new LocalProcesses().startedAt(run.pid()).equals(java.util.OptionalLong.of(run.pidStartedAt()))) { // not a reused pid
                ProcessHandle.of(run.pid()).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        hubs.forEach(hub -> hub.services.close());
    }

    @Test
    void everySpawnIsStartedByTheHubOfItsCheckoutWhileBothHubsTimersRun() throws Exception {
        CyclicBarrier together = new CyclicBarrier(2 * THREADS_PER_CHECKOUT);
        List<Future<List<Run>>> spawning = new ArrayList<>();
        for (Hub hub : List.of(e, b)) {
            for (int t = 0; t < THREADS_PER_CHECKOUT; t++) {
                String prefix = hub.root.getFileName() + "-" + t + "-";
                spawning.add(threads.submit(() -> {
                    together.await();
                    List<Run> spawned = new ArrayList<>();
                    for (int i = 0; i < SPAWNS_PER_THREAD; i++) {
                        spawned.add(hub.services.processes.spawn(operator, Processes.spec(prefix + i, Run.Kind.COMMAND, null, PRINT_ROOT, null, null,
                                false, false, null)).run());
                    }
                    return spawned;
                }));
            }
        }
        List<Run> spawned = new ArrayList<>();
        for (Future<List<Run>> one : spawning) {
            spawned.addAll(one.get(5, TimeUnit.MINUTES)); // a bound against a hang, not a verdict
        }

        for (Run run : spawned) {
            Hub own = run.agent().startsWith("e-") ? e : b;
            Hub other = own == e ? b : e;
            Await.until(run.agent() + " ended", () -> current(run).state().finished());
            Run ended = current(run);
            assertThat(ended.hubScope()).as(run.agent() + "'s hub").isEqualTo(own.services.hubScope);
            assertThat(ended.state()).as(run.agent() + ": " + ended.endReason()).isEqualTo(Run.State.EXITED);
            assertThat(HubFiles.runOutput(own.root, run.agent())).as(run.agent() + "'s SWARM_ROOT, in its checkout's output file").exists()
                    .content().isEqualTo(own.root + "\n");
            assertThat(HubFiles.runOutput(other.root, run.agent())).as("no output of " + run.agent() + " in the other checkout").doesNotExist();
        }
        assertThat(spawned).hasSize(2 * THREADS_PER_CHECKOUT * SPAWNS_PER_THREAD);
        System.out.println("CheckoutsOfOneHostTest: " + spawned.size() + " spawns from 2 checkouts of one host, each started by its own hub, on "
                + e.services.store.location());
    }

    @Test
    void aHubStartedAgainAdoptsOnlyItsCheckoutsRunsAndAKillThroughItReachesTheOthers() throws Exception {
        Run sleeper = e.services.processes.spawn(operator, Processes.spec("sleeper", Run.Kind.COMMAND, null, List.of("sleep", "300"), null, null,
                false, false, null)).run();
        assertThat(sleeper.state()).isEqualTo(Run.State.RUNNING);

        b.stop();
        Hub again = started(b.root, b.services);
        assertThat(again.supervisor.watchedRuns()).as("B's hub, started again, adopts none of E's runs").doesNotContain(sleeper.id());
        assertThat(current(sleeper).state()).isEqualTo(Run.State.RUNNING);

        List<Run> killed = b.services.processes.kill(operator, "sleeper", false, "KILL", Duration.ZERO, "asked through B");
        assertThat(killed).singleElement().satisfies(run -> {
            assertThat(run.state()).as("stopped by E's hub").isEqualTo(Run.State.KILLED);
            assertThat(run.endReason()).isEqualTo("stopped by operator: asked through B");
        });
        assertThat(ProcessHandle.of(sleeper.pid())).as("its process is gone").isEmpty();
    }

    private Run current(Run run) {
        return e.services.processes.show(operator, run.id());
    }
}
