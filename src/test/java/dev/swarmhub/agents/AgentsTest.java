package dev.swarmhub.agents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.EventLog;
import dev.swarmhub.kernel.ProcessIdentity;
import dev.swarmhub.kernel.Settings;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Sweep;
import dev.swarmhub.kernel.Tokens;
import dev.swarmhub.leases.Lease;
import dev.swarmhub.leases.LeaseStore;
import dev.swarmhub.leases.Leases;
import dev.swarmhub.leases.Mode;
import dev.swarmhub.leases.Resource;
import dev.swarmhub.leases.ResourceParser;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.FakeProcesses;
import dev.swarmhub.testing.MutableClock;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent registry in process: ids, tokens, authentication of every agent operation, the
 * sweep (by store time and by process), leave/remove/issueToken, tmux reconciliation
 * bookkeeping and concurrent registration. Time is a {@link MutableClock} the test moves and
 * processes are {@link FakeProcesses}: nothing sleeps.
 */
class AgentsTest {

    private static final Duration LONG_TTL = Duration.ofHours(1);
    private static final int ALL = EventLog.MAX_LIMIT;

    @TempDir
    Path project;

    private MutableClock clock;
    private FakeProcesses processes;
    private Store store;
    private Agents agents;
    private Leases leases;
    private Settings settings;
    private EventLog log;
    private ResourceParser parser;
    private ExecutorService threads;

    @BeforeEach
    void openStore() {
        clock = MutableClock.startingAt2030();
        processes = new FakeProcesses();
        store = TestStores.open(project, clock);
        agents = new Agents(store, processes);
        leases = new Leases(store, agents, processes);
        settings = new Settings(store, agents, Agents.SETTINGS);
        log = new EventLog(store);
        parser = new ResourceParser(project);
        threads = Executors.newCachedThreadPool();
    }

    @AfterEach
    void closeStore() throws InterruptedException {
        threads.shutdownNow();
        assertThat(threads.awaitTermination(10, TimeUnit.SECONDS)).as("test threads ended").isTrue();
        store.close();
    }

    // ------------------------------------------------------------------ ids and tokens

    @Test
    void registeringWithoutIdTakesTheNextNumberAfterTheHighestAgentNumber() {
        assertThat(register(null).agent().id()).isEqualTo("agent-1");
        assertThat(register(null).agent().id()).isEqualTo("agent-2");
        assertThat(register("agent-7").agent().id()).isEqualTo("agent-7");
        assertThat(register(null).agent().id()).isEqualTo("agent-8");
        assertThat(register("alice").agent().id()).isEqualTo("alice");
        assertThat(register(null).agent().id()).as("a non-numbered id does not change the numbering").isEqualTo("agent-9");
    }

    @Test
    void tokensAreDistinctLongRandomAndStoredOnlyAsTheirHash() throws SQLException {
        org.junit.jupiter.api.Assumptions.assumeFalse(TestStores.onPostgres(), "reads the SQLite file itself");
        List<Agents.Registered> registered = List.of(register("a1"), register("a2"), register("a3"), register(null));
        List<String> tokens = registered.stream().map(Agents.Registered::token).toList();

        assertThat(tokens).doesNotHaveDuplicates();
        int commonPrefix = commonPrefixLength(tokens);
        for (String token : tokens) {
            assertThat(token).as("shell-safe token").matches("[A-Za-z0-9_-]+");
            // Whatever fixed prefix a token has, the varying part needs >= 22 base64 characters for 128 bits.
            assertThat(token.length() - commonPrefix).as("random characters in " + token.length() + "-character token")
                    .isGreaterThanOrEqualTo(22);
        }
        for (Agents.Registered one : registered) {
            assertThat(one.agent().toString()).as("the agent record carries no token").doesNotContain(one.token());
            assertThat(tokenHashInDatabase(one.agent().id())).isEqualTo(Tokens.hash(one.token()));
        }
        List<String> cells = everyCellOfEveryTable();
        assertThat(cells).as("database cells").isNotEmpty();
        for (String token : tokens) {
            assertThat(cells).as("no table cell holds the token itself").noneMatch(cell -> cell.contains(token));
        }
    }

    @Test
    void registeringAnIdThatIsActiveOrStaleIsDeniedNamingIt() {
        register("agent-a");

        SwarmException active = denied(() -> register("agent-a"));
        assertThat(active.getMessage()).contains("agent-a").contains("active");

        clock.advance(Duration.ofSeconds(61));
        agents.sweep();
        assertThat(status("agent-a")).isEqualTo(Agent.Status.STALE);
        SwarmException stale = denied(() -> register("agent-a"));
        assertThat(stale.getMessage()).contains("agent-a").contains("stale");
        assertThat(events("agent.registered")).hasSize(1);
    }

    @Test
    void anIdThatLeftCanBeRegisteredAgainAndOnlyTheNewTokenWorks() {
        Agents.Registered first = register("agent-a");
        agents.leave(as(first));

        Agents.Registered second = register("agent-a");

        assertThat(second.token()).isNotEqualTo(first.token());
        assertThat(agents.heartbeat(as(second)).status()).isEqualTo(Agent.Status.ACTIVE);
        assertThat(unauthenticated(() -> agents.heartbeat(as(first))).getMessage()).contains("agent-a");
        assertThat(unauthenticated(() -> acquire(as(first), "name:build")).getMessage()).contains("agent-a");
    }

    @Test
    void anIdThatWasReapedCanBeRegisteredAgainAndOnlyTheNewTokenWorks() {
        Agents.Registered first = register("agent-a");
        clock.advance(Duration.ofSeconds(301));
        agents.sweep();
        assertThat(status("agent-a")).isEqualTo(Agent.Status.GONE);

        Agents.Registered second = register("agent-a");

        assertThat(status("agent-a")).isEqualTo(Agent.Status.ACTIVE);
        assertThat(agents.heartbeat(as(second)).id()).isEqualTo("agent-a");
        unauthenticated(() -> agents.heartbeat(as(first)));
        unauthenticated(() -> acquire(as(first), "name:build"));
    }

    // ------------------------------------------------------------------ authentication

    @Test
    void everyAgentOperationWithAWrongMissingOrForeignTokenIsUnauthenticatedAndChangesNothing() {
        Agents.Registered a = register("agent-a");
        Agents.Registered b = register("agent-b");
        acquire(as(a), "name:held", "src/held.py");
        acquire(as(b), "name:b-held");
        clock.advance(Duration.ofSeconds(5)); // any accepted call would now move lastSeen and lease expiries

        List<Caller> impostors = List.of(
                Caller.ofAgent("agent-a", b.token()),
                Caller.ofAgent("agent-a", null),
                Caller.ofAgent("agent-a", ""),
                Caller.ofAgent("agent-a", "swt_" + "x".repeat(43)),
                Caller.ofAgent("agent-a", a.token() + "x"),
                Caller.ofAgent("nobody", a.token()),
                Caller.ofAgent("nobody", "garbage"));
        List<Named> operations = List.of(
                new Named("heartbeat", agents::heartbeat),
                new Named("leave", agents::leave),
                new Named("acquire new", caller -> acquire(caller, "name:new")),
                new Named("acquire held (renewal)", caller -> acquire(caller, "name:held")),
                new Named("acquire with wait", caller -> leases.acquire(request(caller, "name:new"), Duration.ofMillis(300))),
                new Named("renew", caller -> leases.renew(caller, resources("name:held"), LONG_TTL)),
                new Named("renew all", caller -> leases.renewAll(caller, LONG_TTL)),
                new Named("release", caller -> leases.release(caller, resources("name:held"))),
                new Named("release all", leases::releaseAll));

        State before = state();
        for (Named operation : operations) {
            for (int i = 0; i < impostors.size(); i++) {
                Caller impostor = impostors.get(i);
                String attempt = operation.name() + " by impostor #" + i + " (" + impostor + ")";
                SwarmException refused = catchThrowableOfType(SwarmException.class, () -> operation.run().accept(impostor));
                assertThat(refused).as(attempt).isNotNull();
                assertThat(refused.kind()).as(attempt + ": " + refused.getMessage()).isEqualTo(SwarmException.Kind.UNAUTHENTICATED);
                assertThat(refused.getMessage()).as(attempt).contains(impostor.agent());
                assertThat(state()).as("store after " + attempt).isEqualTo(before);
            }
        }
        // The same operations with the right token do change the store: the check above can fail.
        leases.renew(as(a), resources("name:held"), LONG_TTL);
        assertThat(state()).isNotEqualTo(before);
    }

    // ------------------------------------------------------------------ the sweep by store time

    @Test
    void byDefaultAnAgentTurnsStaleAfterSixtySecondsOnceAndGoneAfterFiveMinutesReleasingItsLeases() {
        Agents.Registered a = register("agent-a");
        acquire(as(a), "name:build", "src/a.py");
        Agents.Registered other = register("agent-other");

        clock.advance(Duration.ofSeconds(59));
        agents.sweep();
        assertThat(status("agent-a")).isEqualTo(Agent.Status.ACTIVE);

        clock.advance(Duration.ofSeconds(2));
        for (int i = 0; i < 5; i++) {
            agents.sweep();
        }
        assertThat(status("agent-a")).isEqualTo(Agent.Status.STALE);
        assertThat(events("agent.stale", "agent-a")).as("one transition, one event, however many sweeps").hasSize(1);

        agents.heartbeat(as(a)); // any authenticated call brings it back
        assertThat(status("agent-a")).isEqualTo(Agent.Status.ACTIVE);
        assertThat(events("agent.active", "agent-a")).hasSize(1);
        assertThat(events("agent.gone")).isEmpty();

        agents.heartbeat(as(other));
        clock.advance(Duration.ofSeconds(299));
        agents.heartbeat(as(other));
        agents.sweep();
        assertThat(status("agent-a")).isEqualTo(Agent.Status.STALE);
        assertThat(events("agent.stale", "agent-a")).hasSize(2);

        clock.advance(Duration.ofSeconds(2));
        for (int i = 0; i < 5; i++) {
            agents.sweep();
        }
        assertThat(status("agent-a")).isEqualTo(Agent.Status.GONE);
        List<Event> gone = events("agent.gone", "agent-a");
        assertThat(gone).as("exactly one agent.gone").hasSize(1);
        assertThat(String.valueOf(gone.get(0).details().get("reason"))).contains("no activity");
        assertThat(leases.list("agent-a", true)).as("its leases are released").isEmpty();
        List<Event> released = events("lease.force-released", "agent-a");
        assertThat(released).extracting(Event::resource).containsExactlyInAnyOrder("name:build", "src/a.py");
        assertThat(released).allSatisfy(event -> assertThat(String.valueOf(event.details().get("reason")))
                .contains("agent gone").contains("no activity"));
        assertThat(status("agent-other")).as("the agent that kept calling").isEqualTo(Agent.Status.ACTIVE);

        unauthenticated(() -> agents.heartbeat(as(a)));
        unauthenticated(() -> acquire(as(a), "name:build"));
        unauthenticated(() -> leases.releaseAll(as(a)));
        assertThat(events("agent.active", "agent-a")).hasSize(1);
    }

    @Test
    void thresholdsSetThroughSettingsApplyToTheReaper() {
        settings.set(Caller.ofOperator(), Agents.STALE_AFTER.name(), "10s");
        settings.set(Caller.ofOperator(), Agents.GONE_AFTER.name(), "30s");
        assertThat(settings.all()).containsEntry(Agents.STALE_AFTER.name(), "10s").containsEntry(Agents.GONE_AFTER.name(), "30s");
        Agents.Registered a = register("agent-a");
        acquire(as(a), "name:build");

        clock.advance(Duration.ofSeconds(9));
        agents.sweep();
        assertThat(status("agent-a")).isEqualTo(Agent.Status.ACTIVE);
        clock.advance(Duration.ofSeconds(2));
        agents.sweep();
        assertThat(status("agent-a")).isEqualTo(Agent.Status.STALE);
        clock.advance(Duration.ofSeconds(18));
        agents.sweep();
        assertThat(status("agent-a")).as("29 s silent").isEqualTo(Agent.Status.STALE);
        clock.advance(Duration.ofSeconds(2));
        agents.sweep();
        assertThat(status("agent-a")).as("31 s silent").isEqualTo(Agent.Status.GONE);
        assertThat(events("lease.force-released", "agent-a")).singleElement()
                .satisfies(event -> assertThat(String.valueOf(event.details().get("reason"))).contains("30s"));
    }

    @Test
    void onlyTheOperatorChangesSettings() {
        Agents.Registered a = register("agent-a");
        long lastEvent = lastEventId();

        unauthenticated(() -> settings.set(as(a), Agents.STALE_AFTER.name(), "10s"));

        assertThat(settings.all()).containsEntry(Agents.STALE_AFTER.name(), "1m");
        assertThat(lastEventId()).isEqualTo(lastEvent);
    }

    /**
     * Time alone decides that an agent silent past the gone threshold is gone: its own call must
     * not revive it just because no sweep happened to run since. Its old leases must not
     * survive and it must not be granted new ones.
     */
    @Test
    void anAgentSilentPastTheGoneThresholdIsRefusedEvenWhenItsCallIsTheFirstStoreUseSince() {
        Agents.Registered a = register("agent-a");
        acquire(as(a), "name:old");
        clock.advance(Duration.ofSeconds(301)); // no sweep runs in between

        SwarmException refused = catchThrowableOfType(SwarmException.class, () -> acquire(as(a), "name:new"));

        assertThat(leases.list("agent-a", true)).extracting(lease -> lease.resource().text())
                .as("no lease granted to an agent that is gone by time").doesNotContain("name:new");
        assertThat(refused).as("acquire by an agent silent for 301 s").isNotNull();
        assertThat(refused.kind()).isEqualTo(SwarmException.Kind.UNAUTHENTICATED);
        agents.sweep();
        assertThat(status("agent-a")).isEqualTo(Agent.Status.GONE);
        assertThat(leases.list("agent-a", true)).isEmpty();
        assertThat(events("agent.gone", "agent-a")).hasSize(1);
    }

    // ------------------------------------------------------------------ the sweep by process

    @Test
    void anAgentWhoseProcessEndedIsGoneAtTheNextReapWithAReasonNamingThePid() {
        processes.start(4242, clock.millis() - 5_000);
        Agents.Registered a = registerWithPid("agent-a", 4242);
        acquire(as(a), "name:build");
        processes.end(4242);

        agents.sweep(); // no time passed

        assertThat(status("agent-a")).isEqualTo(Agent.Status.GONE);
        assertThat(events("agent.gone", "agent-a")).singleElement()
                .satisfies(event -> assertThat(String.valueOf(event.details().get("reason"))).contains("4242"));
        assertThat(events("lease.force-released", "agent-a")).singleElement()
                .satisfies(event -> assertThat(String.valueOf(event.details().get("reason"))).contains("4242"));
        assertThat(leases.list("agent-a", true)).isEmpty();
        unauthenticated(() -> agents.heartbeat(as(a)));
    }

    /** Registers {@code count} agents, agent-0000 on, each with a live process of its own (pid 10,000 + its number). */
    private List<Agents.Registered> registerNumbered(int count) {
        List<Agents.Registered> registered = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            processes.start(10_000 + i, clock.millis() - 5_000);
            registered.add(registerWithPid(String.format("agent-%04d", i), 10_000 + i));
        }
        return registered;
    }

    @Test
    void aSweepChecksABatchOfProcessesGoingOnFromWhereTheLastOneStoppedAndFromTheFirstAfterTheLast() {
        int count = 2 * Agents.SWEEP_BATCH + 10;
        registerNumbered(count);
        for (int i = Agents.SWEEP_BATCH; i < count; i++) {
            processes.end(10_000 + i); // all but the first batch's
        }

        agents.sweep();
        assertThat(goneIds()).as("the first batch: all alive").isEmpty();
        agents.sweep();
        assertThat(goneIds()).as("the second batch").hasSize(Agents.SWEEP_BATCH).first().isEqualTo(String.format("agent-%04d", Agents.SWEEP_BATCH));
        agents.sweep();
        assertThat(goneIds()).as("the rest, to the last").hasSize(count - Agents.SWEEP_BATCH);

        processes.end(10_000);
        agents.sweep();
        assertThat(goneIds()).as("from the first again").contains("agent-0000").hasSize(count - Agents.SWEEP_BATCH + 1);
    }

    @Test
    void registeringTheIdOfADeadAgentNoSweepReachedYetTakesItOver() {
        int count = Agents.SWEEP_BATCH + 10;
        registerNumbered(count);
        String last = String.format("agent-%04d", count - 1);
        processes.end(10_000 + count - 1);
        agents.sweep(); // the first batch: it is not in it

        processes.start(99_999, clock.millis());
        assertThat(registerWithPid(last, 99_999).agent().pid()).as("registered as the new process").isEqualTo(99_999L);
        assertThat(events("agent.gone", last)).as("the dead one was marked gone first").singleElement();
        assertThat(goneIds()).as("no other agent was").isEmpty();
    }

    @Test
    void aDeadHolderNoSweepReachedYetDoesNotBlockAnAcquire() {
        int count = Agents.SWEEP_BATCH + 10;
        List<Agents.Registered> registered = registerNumbered(count);
        acquire(as(registered.get(count - 1)), "name:build");
        processes.end(10_000 + count - 1);
        agents.sweep(); // the first batch: the holder is not in it

        assertThat(acquire(as(registered.get(0)), "name:build")).singleElement().satisfies(lease -> assertThat(lease.agent()).isEqualTo("agent-0000"));
        assertThat(goneIds()).containsExactly(String.format("agent-%04d", count - 1));
    }

    private List<String> goneIds() {
        return store.read(tx -> AgentStore.in(tx).agents(true)).stream().filter(agent -> agent.status() == Agent.Status.GONE).map(Agent::id).toList();
    }

    @Test
    void theRosterListsTheFirstOthersWithTheirLeasesCountsTheRestAndSaysWhatTheCallerHolds() {
        List<Agents.Registered> registered = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            registered.add(register(String.format("a%02d", i)));
        }
        acquire(as(registered.get(1)), "name:one");
        acquire(as(registered.get(3)), "name:mine", "name:also-mine");
        agents.leave(as(registered.get(0)));

        Agents.Roster roster = agents.roster("a03", 5);

        assertThat(roster.others()).extracting(listed -> listed.agent().id()).as("not gone, not me, by id").containsExactly("a01", "a02", "a04", "a05", "a06");
        assertThat(roster.others().get(0).leases()).containsExactly("name:one");
        assertThat(roster.others().get(1).leases()).isEmpty();
        assertThat(roster.otherCount()).as("24 not gone, less me").isEqualTo(23);
        assertThat(roster.held()).containsExactly("name:also-mine", "name:mine");
        assertThat(agents.roster("a00", 5).otherCount()).as("a gone caller is not counted out").isEqualTo(24);
        assertThat(agents.roster("a24", 30).others()).hasSize(23);
    }

    @Test
    void aPidReusedByAProcessWithAnotherStartTimeCountsAsEnded() {
        long started = clock.millis() - 60_000;
        processes.start(4343, started);
        Agents.Registered a = registerWithPid("agent-a", 4343);
        acquire(as(a), "name:build");
        processes.replace(4343, started + 30_000);

        agents.sweep();

        assertThat(status("agent-a")).isEqualTo(Agent.Status.GONE);
        assertThat(events("agent.gone", "agent-a")).singleElement()
                .satisfies(event -> assertThat(String.valueOf(event.details().get("reason"))).contains("4343"));
        assertThat(leases.list("agent-a", true)).isEmpty();
    }

    @Test
    void anAgentWhoseProcessLivesIsNeitherStaleNorGoneHoweverLongItIsSilent() {
        processes.start(4444, clock.millis() - 1_000);
        Agents.Registered a = registerWithPid("agent-a", 4444);
        acquire(as(a), "src/a.py");
        register("agent-silent"); // no process: the silence rules still apply to it

        clock.advance(Duration.ofMinutes(59)); // an LLM agent thinking, far past stale-after and gone-after (within the lease TTL)
        agents.sweep();
        assertThat(status("agent-a")).isEqualTo(Agent.Status.ACTIVE);
        assertThat(events("agent.stale", "agent-a")).isEmpty();
        assertThat(leases.list("agent-a", false)).extracting(lease -> lease.resource().text()).containsExactly("src/a.py");
        assertThat(status("agent-silent")).as("the same silence without a process").isEqualTo(Agent.Status.GONE);

        processes.end(4444);
        agents.sweep();
        assertThat(status("agent-a")).isEqualTo(Agent.Status.GONE);
        assertThat(events("agent.gone", "agent-a")).singleElement()
                .satisfies(event -> assertThat(String.valueOf(event.details().get("reason"))).contains("process 4444 exited"));
    }

    /**
     * Another host's agents are its hub's to judge (it sees their processes) while that hub is
     * seen, by a sweep here or by a registration of the same id; once it falls silent (killed) or stops, this host judges them by their silence, by
     * store time.
     */
    @Test
    void anotherHostsAgentsAreItsHubsToJudgeUntilThatHubIsSilentOrStopped() {
        FakeProcesses hostB = new FakeProcesses("host-b");
        Agents onHostB = new Agents(store, hostB);
        Sweep presenceOfHubB = onHostB.presence("host-b:/repo");
        hostB.start(5151, clock.millis() - 1_000);
        onHostB.register(new Agents.Registration("thinker", "claude", null, 5151L, null));
        presenceOfHubB.work().run();

        for (int second = 5; second <= 600; second += 5) { // ten minutes of silence, hub B present every 5 s
            clock.advance(Duration.ofSeconds(5));
            presenceOfHubB.work().run();
            agents.sweep();
        }
        assertThat(status("thinker")).as("hub B vouches for it").isEqualTo(Agent.Status.ACTIVE);
        assertThat(events("agent.stale", "thinker")).isEmpty();
        denied(() -> register("thinker")); // a registration here judges only this host's agents
        assertThat(status("thinker")).as("its id not taken over").isEqualTo(Agent.Status.ACTIVE);

        clock.advance(Agents.HUB_SILENCE); // hub B killed right after its last presence: still seen at the threshold
        agents.sweep();
        assertThat(status("thinker")).isEqualTo(Agent.Status.ACTIVE);
        clock.advance(Duration.ofSeconds(1)); // a sweep a second later (sooner, this store's sweep is skipped)
        agents.sweep();
        assertThat(status("thinker")).as("hub B silent: judged by its silence here").isEqualTo(Agent.Status.GONE);
        assertThat(events("agent.gone", "thinker")).singleElement()
                .satisfies(event -> assertThat(String.valueOf(event.details().get("reason"))).isEqualTo("no activity for 5m"));

        hostB.start(5252, clock.millis() - 1_000);
        Agents.Registered back = onHostB.register(new Agents.Registration("late", "claude", null, 5252L, null));
        presenceOfHubB.work().run(); // hub B restarted
        clock.advance(Duration.ofSeconds(61));
        presenceOfHubB.work().run();
        agents.sweep();
        assertThat(status("late")).isEqualTo(Agent.Status.ACTIVE);
        onHostB.hubStopped("host-b:/repo");
        agents.sweep();
        assertThat(status("late")).as("hub B stopped: judged here at once").isEqualTo(Agent.Status.STALE);
        assertThat(back.agent().host()).isEqualTo("host-b");
    }

    @Test
    void agentsRecordedUnderTheHostNameAloneAreAdoptedOnlyWhenTheirProcessRunsHere() {
        FakeProcesses olderVersion = new FakeProcesses("box"); // recorded the host name alone, which a same-named machine shares
        Agents recordedByOlder = new Agents(store, olderVersion);
        long started = clock.millis() - 1_000;
        for (long pid : List.of(7001L, 7002L, 7003L)) {
            olderVersion.start(pid, started);
            recordedByOlder.register(new Agents.Registration("agent-" + pid, "claude", null, pid, null));
        }
        FakeProcesses otherMachine = new FakeProcesses("other");
        otherMachine.start(7001, started);
        new Agents(store, otherMachine).register(new Agents.Registration("elsewhere", "claude", null, 7001L, null));
        FakeProcesses upgraded = new FakeProcesses("box/1a2b3c4d", "box");
        upgraded.start(7001, started);
        upgraded.start(7003, started + 5_000); // pid 7003 here is another process
        Agents here = new Agents(store, upgraded);

        here.adoptRecordedUnderHostName();
        here.adoptRecordedUnderHostName(); // a second hub start changes nothing

        assertThat(hostOf("agent-7001")).as("its process runs here").isEqualTo("box/1a2b3c4d");
        assertThat(hostOf("agent-7002")).as("no such process here: maybe the same-named machine's").isEqualTo("box");
        assertThat(hostOf("agent-7003")).as("its pid is another process's here").isEqualTo("box");
        assertThat(hostOf("elsewhere")).isEqualTo("other");
        clock.advance(Duration.ofSeconds(30));
        here.sweep();
        assertThat(List.of("agent-7001", "agent-7002", "agent-7003", "elsewhere")).as("none judged by a pid this host does not have")
                .allSatisfy(id -> assertThat(status(id)).isEqualTo(Agent.Status.ACTIVE));
        upgraded.end(7001);
        clock.advance(Duration.ofSeconds(1));
        here.sweep();
        assertThat(status("agent-7001")).as("adopted: judged by its process here").isEqualTo(Agent.Status.GONE);
    }

    @Test
    void aProcessRecordedUnderThisHostsNameAloneRunsWhenItsPidAndStartMatch() {
        FakeProcesses upgraded = new FakeProcesses("box/1a2b3c4d", "box");
        upgraded.start(7001, 50_000);
        assertThat(upgraded.runs(new ProcessIdentity("box/1a2b3c4d", 7001, 50_000))).isTrue();
        assertThat(upgraded.runs(new ProcessIdentity("box", 7001, 50_000))).as("recorded by an older version here").isTrue();
        assertThat(upgraded.runs(new ProcessIdentity("box", 7001, 90_000))).as("its pid taken by another process").isFalse();
        assertThat(upgraded.runs(new ProcessIdentity("box/99999999", 7001, 50_000))).as("the same-named machine's").isFalse();
        assertThat(upgraded.runs(new ProcessIdentity("other", 7001, 50_000))).isFalse();
    }

    @Test
    void aSilentAgentWhoseProcessLivesIsAdmittedAndItsCallsCount() {
        processes.start(4545, clock.millis() - 1_000);
        Agents.Registered a = registerWithPid("agent-a", 4545);

        clock.advance(Duration.ofMinutes(61));
        acquire(as(a), "src/a.py");
        assertThat(agents.find("agent-a")).get().extracting(Agent::lastSeen).isEqualTo(clock.millis());
    }

    @Test
    void aReadWithTheAgentsBearerTokenIsAHeartbeatWrittenAtMostOncePerSecond() {
        Agents.Registered a = register("agent-a");
        clock.advance(Duration.ofSeconds(61));
        agents.sweep();
        assertThat(status("agent-a")).isEqualTo(Agent.Status.STALE);

        assertThat(agents.bearer(a.token()).agent()).isEqualTo("agent-a");
        assertThat(status("agent-a")).as("a read brings a stale agent back").isEqualTo(Agent.Status.ACTIVE);
        assertThat(agents.find("agent-a")).get().extracting(Agent::lastSeen).isEqualTo(clock.millis());

        long seen = clock.millis();
        clock.advance(Duration.ofMillis(999));
        agents.bearer(a.token());
        assertThat(agents.find("agent-a")).get().extracting(Agent::lastSeen).as("within a second: no write").isEqualTo(seen);
        clock.advance(Duration.ofMillis(1));
        agents.bearer(a.token());
        assertThat(agents.find("agent-a")).get().extracting(Agent::lastSeen).isEqualTo(clock.millis());

        clock.advance(Duration.ofMinutes(10));
        agents.sweep();
        unauthenticated(() -> agents.bearer(a.token()));
    }

    @Test
    void reservedIdsAreRefusedInAnyCase() {
        for (String reserved : List.of("operator", "swarm", "Operator", "SWARM", "sWaRm")) {
            SwarmException refused = catchThrowableOfType(SwarmException.class, () -> register(reserved));
            assertThat(refused.kind()).as(reserved).isEqualTo(SwarmException.Kind.BAD_INPUT);
            assertThat(refused.getMessage()).contains("'" + reserved + "' is reserved");
        }
        assertThat(agents.list(true)).isEmpty();
        assertThat(register("operators").agent().id()).as("only the ids themselves").isEqualTo("operators");
    }

    @Test
    void anAgentRegisteredUnderAReservedIdBeforeTheyWereReservedCannotAct() {
        store.write(tx -> {
            AgentStore.in(tx).saveAgent(new Agent("swarm", "other", Agent.Status.ACTIVE, "", null, null, null, null, null, null, FakeProcesses.HOST,
                    tx.now(), tx.now(), tx.now(), true, null, null, 0, 0), Tokens.hash("old-token"));
            return null;
        });
        SwarmException refused = catchThrowableOfType(SwarmException.class, () -> agents.heartbeat(Caller.ofAgent("swarm", "old-token")));
        assertThat(refused.kind()).isEqualTo(SwarmException.Kind.UNAUTHENTICATED);
        assertThat(refused.getMessage()).contains("reserved");
    }

    @Test
    void labelsWithControlInvisibleOrHalfCharactersAreRefusedNamingTheCharacter() {
        for (String label : List.of("a\nb", "rtl\u202Eexe", "zero\u200Bwidth", "half\uD800")) {
            SwarmException refused = catchThrowableOfType(SwarmException.class,
                    () -> agents.register(new Agents.Registration("agent-a", null, null, null, label)));
            assertThat(refused.kind()).as(label).isEqualTo(SwarmException.Kind.BAD_INPUT);
            assertThat(refused.getMessage()).startsWith("label contains U+");
        }
        assertThat(agents.list(true)).isEmpty();
    }

    @Test
    void registeringWithAPidThatDoesNotRunIsBadInput() {
        SwarmException refused = catchThrowableOfType(SwarmException.class, () -> registerWithPid("agent-a", 999));
        assertThat(refused.kind()).isEqualTo(SwarmException.Kind.BAD_INPUT);
        assertThat(refused.getMessage()).contains("999");
        assertThat(agents.find("agent-a")).isEmpty();
    }

    /** A call by an agent whose process is over must not be granted anything, sweep or not. */
    @Test
    void anAgentWhoseProcessEndedIsNotGrantedALeaseByItsNextCall() {
        processes.start(4646, clock.millis() - 5_000);
        Agents.Registered a = registerWithPid("agent-a", 4646);
        processes.end(4646); // no sweep runs in between

        SwarmException refused = catchThrowableOfType(SwarmException.class, () -> acquire(as(a), "name:build"));

        assertThat(leases.list("agent-a", true)).as("leases of an agent whose process ended").isEmpty();
        assertThat(leases.who(resource("name:build"))).as("name:build is free").isEmpty();
        assertThat(refused).as("acquire by an agent whose process ended").isNotNull();
        assertThat(refused.kind()).isEqualTo(SwarmException.Kind.UNAUTHENTICATED);
    }

    // ------------------------------------------------------------------ heartbeats against sweepers

    @Test
    void anAgentThatHeartbeatsWithinTheStaleThresholdIsNeverStaleWhileReapsRun() {
        settings.set(Caller.ofOperator(), Agents.STALE_AFTER.name(), "10s");
        settings.set(Caller.ofOperator(), Agents.GONE_AFTER.name(), "30s");
        Agents.Registered busy = register("busy");
        register("idle");

        for (int i = 0; i < 50; i++) {
            clock.advance(Duration.ofMillis(9_999));
            agents.sweep();
            agents.sweep();
            agents.heartbeat(as(busy));
        }

        assertThat(status("busy")).isEqualTo(Agent.Status.ACTIVE);
        assertThat(events(null, "busy")).extracting(Event::kind).doesNotContain("agent.stale", "agent.gone");
        assertThat(status("idle")).as("the control agent that never heartbeats").isEqualTo(Agent.Status.GONE);
    }

    @Test
    void concurrentReapersNeverReapAnAgentThatHeartbeatsWithinTheThreshold() throws Exception {
        settings.set(Caller.ofOperator(), Agents.STALE_AFTER.name(), "10s");
        settings.set(Caller.ofOperator(), Agents.GONE_AFTER.name(), "30s");
        Agents.Registered busy = register("busy");
        acquire(as(busy), "name:build");
        register("idle");

        int sweepers = 4;
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong sweeps = new AtomicLong();
        CountDownLatch everySweeperRan = new CountDownLatch(sweepers);
        List<Future<?>> running = new ArrayList<>();
        for (int r = 0; r < sweepers; r++) {
            running.add(threads.submit(() -> {
                agents.sweep();
                everySweeperRan.countDown();
                while (!stop.get()) {
                    agents.sweep();
                    sweeps.incrementAndGet();
                }
                return null;
            }));
        }
        Future<Integer> heartbeats = threads.submit(() -> {
            Await.open(everySweeperRan);
            int beats = 0;
            for (; beats < 200; beats++) {
                agents.heartbeat(as(busy));
                clock.advance(Duration.ofSeconds(9));
            }
            return beats;
        });
        try {
            assertThat(Await.done(heartbeats)).isEqualTo(200);
        } finally {
            stop.set(true);
        }
        for (Future<?> sweep : running) {
            Await.done(sweep);
        }

        assertThat(sweeps.get()).as("sweeps that ran while the agent heartbeated").isPositive();
        assertThat(events(null, "busy")).extracting(Event::kind).doesNotContain("agent.stale", "agent.gone", "lease.force-released");
        assertThat(status("busy")).isEqualTo(Agent.Status.ACTIVE);
        assertThat(leases.list("busy", true)).hasSize(1);
        assertThat(events("agent.gone", "idle")).as("the silent control agent was marked gone once").hasSize(1);
        assertThat(events("agent.stale", "idle")).hasSize(1);
    }

    // ------------------------------------------------------------------ leave, remove, issueToken

    @Test
    void leaveReleasesTheLeasesWithARecordedReasonAndTheAgentIsGone() {
        Agents.Registered a = register("agent-a");
        acquire(as(a), "name:build", "src/**");

        List<Lease> released = agents.leave(as(a));

        assertThat(released).extracting(lease -> lease.resource().text()).containsExactlyInAnyOrder("name:build", "src/**");
        assertThat(status("agent-a")).isEqualTo(Agent.Status.GONE);
        assertThat(leases.list("agent-a", true)).isEmpty();
        assertThat(events("lease.force-released", "agent-a")).hasSize(2)
                .allSatisfy(event -> assertThat(String.valueOf(event.details().get("reason"))).contains("left"));
        assertThat(events("agent.gone", "agent-a")).singleElement()
                .satisfies(event -> assertThat(String.valueOf(event.details().get("reason"))).contains("left"));
        unauthenticated(() -> agents.leave(as(a)));
        assertThat(events("agent.gone", "agent-a")).hasSize(1);
    }

    @Test
    void removeIssueTokenAndReleaseAgentRequireTheOperator() {
        Agents.Registered a = register("agent-a");
        Agents.Registered b = register("agent-b");
        acquire(as(b), "name:build");
        State before = state();

        assertThat(unauthenticated(() -> agents.remove(as(a), "agent-b", "mine now")).getMessage()).contains("operator");
        assertThat(unauthenticated(() -> agents.remove(as(b), "agent-b", null)).getMessage()).contains("operator");
        assertThat(unauthenticated(() -> agents.issueToken(as(a), "agent-b")).getMessage()).contains("operator");
        assertThat(unauthenticated(() -> agents.issueToken(as(b), "agent-b")).getMessage()).contains("operator");
        assertThat(unauthenticated(() -> leases.releaseAgent(as(a), "agent-b", null, null)).getMessage()).contains("operator");
        assertThat(state()).isEqualTo(before);

        List<Lease> released = agents.remove(Caller.ofOperator(), "agent-b", "crashed");

        assertThat(released).extracting(lease -> lease.resource().text()).containsExactly("name:build");
        assertThat(agents.find("agent-b")).isEmpty();
        assertThat(events("lease.force-released", "agent-b")).singleElement()
                .satisfies(event -> assertThat(event.details()).containsEntry("reason", "crashed"));
        assertThat(events("agent.removed", "agent-b")).hasSize(1);
        unauthenticated(() -> agents.heartbeat(as(b)));
        assertThat(register("agent-b").agent().id()).as("a removed id is free again").isEqualTo("agent-b");
    }

    @Test
    void issuingATokenMakesTheOldTokenStopWorking() {
        Agents.Registered a = register("agent-a");

        String fresh = agents.issueToken(Caller.ofOperator(), "agent-a");

        assertThat(fresh).isNotEqualTo(a.token());
        unauthenticated(() -> agents.heartbeat(as(a)));
        assertThat(agents.heartbeat(Caller.ofAgent("agent-a", fresh)).id()).isEqualTo("agent-a");
        assertThat(events("agent.token-issued", "agent-a")).hasSize(1);
    }

    // ------------------------------------------------------------------ discovery bookkeeping

    @Test
    void reconcileRegistersSeesAgainReplacesAndMarksVanishedPanesGone() {
        long started = clock.millis() - 10_000;
        processes.start(1003, started);

        Agents.Discovery first = agents.reconcile(SERVER, List.of(sighting(SERVER, "%3", 1003, started)), Set.of("%3"));

        assertThat(first.registered()).extracting(Agent::id).containsExactly("claude-pane3");
        Agent discovered = agents.find("claude-pane3").orElseThrow();
        assertThat(discovered.claimed()).as("discovered agents start unclaimed").isFalse();
        assertThat(discovered.pid()).isEqualTo(1003L);
        assertThat(discovered.status()).isEqualTo(Agent.Status.ACTIVE);
        unauthenticated(() -> agents.heartbeat(Caller.ofAgent("claude-pane3", "guess")));

        clock.advance(Duration.ofSeconds(5));
        Agents.Discovery second = agents.reconcile(SERVER, List.of(sighting(SERVER, "%3", 1003, started)), Set.of("%3"));

        assertThat(second.registered()).isEmpty();
        assertThat(second.seenAgain()).extracting(Agent::id).containsExactly("claude-pane3");
        assertThat(second.gone()).isEmpty();
        assertThat(agents.list(true)).hasSize(1);
        assertThat(agents.find("claude-pane3").orElseThrow().lastSeen()).as("seen again counts as activity").isEqualTo(clock.millis());
        assertThat(events("agent.discovered")).hasSize(1);

        long restarted = clock.millis();
        processes.end(1003); // the agent exited and another one started in its pane
        processes.start(2003, restarted);
        Agents.Discovery third = agents.reconcile(SERVER, List.of(sighting(SERVER, "%3", 2003, restarted)), Set.of("%3"));

        assertThat(third.gone()).containsExactly("claude-pane3");
        assertThat(third.registered()).singleElement().satisfies(agent -> {
            assertThat(agent.pid()).isEqualTo(2003L);
            assertThat(agent.pane()).isEqualTo("%3");
        });
        assertThat(events("agent.gone")).singleElement()
                .satisfies(event -> assertThat(String.valueOf(event.details().get("reason"))).contains("1003"));
        assertThat(agents.onPane(SERVER, "%3")).get().extracting(Agent::pid).isEqualTo(2003L);
        assertThat(agents.list(true)).filteredOn(listed -> listed.agent().status() != Agent.Status.GONE).hasSize(1);
        String replacement = third.registered().get(0).id();

        Agents.Discovery fourth = agents.reconcile(SERVER, List.of(), Set.of());

        assertThat(fourth.gone()).containsExactly(replacement);
        assertThat(status(replacement)).isEqualTo(Agent.Status.GONE);
        assertThat(agents.onPane(SERVER, "%3")).isEmpty();
        List<Event> replacementGone = events("agent.gone", replacement);
        assertThat(String.valueOf(replacementGone.get(replacementGone.size() - 1).details().get("reason"))).contains("%3");
    }

    @Test
    void registeringOnAPaneClaimsItsUnclaimedAgentButNotAClaimedOne() {
        long started = clock.millis() - 10_000;
        processes.start(1005, started);
        agents.reconcile(SERVER, List.of(sighting(SERVER, "%5", 1005, started)), Set.of("%5"));

        Agents.Registered claimed = agents.register(new Agents.Registration(null, "claude", "%5", null, null, binding(SERVER, "%5", 1005, started)));

        assertThat(claimed.agent().id()).isEqualTo("claude-pane5");
        assertThat(claimed.agent().claimed()).isTrue();
        assertThat(agents.find("claude-pane5").orElseThrow().claimed()).isTrue();
        assertThat(agents.heartbeat(as(claimed)).id()).isEqualTo("claude-pane5");
        assertThat(agents.list(true)).hasSize(1);

        SwarmException second = denied(() -> agents.register(new Agents.Registration(null, "codex", "%5", null, null, binding(SERVER, "%5", 1005, started))));
        assertThat(second.getMessage()).contains("%5").contains("claude-pane5");
        SwarmException named = denied(() -> agents.register(new Agents.Registration("intruder", "codex", "%5", null, null, binding(SERVER, "%5", 1005, started))));
        assertThat(named.getMessage()).contains("claude-pane5");
        SwarmException sameId = denied(() -> agents.register(new Agents.Registration("claude-pane5", "claude", "%5", null, null, binding(SERVER, "%5", 1005, started))));
        assertThat(sameId.getMessage()).contains("claude-pane5");
        assertThat(agents.heartbeat(as(claimed)).id()).as("the claimer's token still works").isEqualTo("claude-pane5");
        assertThat(agents.list(true)).extracting(listed -> listed.agent().id()).containsExactly("claude-pane5");
    }

    @Test
    void aDiscoveryOfOneTmuxServerLeavesTheAgentsOfAnotherAloneAndOnePaneIdNamesTwoPanes() {
        long started = clock.millis() - 10_000;
        processes.start(1003, started);
        processes.start(2003, started);
        Agents.Registered mine = agents.register(new Agents.Registration("mine", "claude", "%3", null, null, binding(SERVER, "%3", 1003, started)));
        Agents.Registered theirs = agents.register(new Agents.Registration("theirs", "claude", "%3", null, null,
                binding(OTHER_SERVER, "%3", 2003, started)));
        assertThat(agents.onPane(SERVER, "%3")).get().extracting(Agent::id).isEqualTo("mine");
        assertThat(agents.onPane(OTHER_SERVER, "%3")).get().extracting(Agent::id).isEqualTo("theirs");

        Agents.Discovery other = agents.reconcile(OTHER_SERVER, List.of(), Set.of());

        assertThat(other.gone()).containsExactly("theirs");
        assertThat(status(mine.agent().id())).as("an agent of a server the discovery did not list").isEqualTo(Agent.Status.ACTIVE);
        assertThat(status(theirs.agent().id())).isEqualTo(Agent.Status.GONE);
    }

    @Test
    void aDiscoverySeeingAnotherProcessInTheTreeOfARegisteredLiveAgentKeepsIt() {
        long started = clock.millis() - 10_000;
        processes.start(1007, started); // the pane's foreground program, bound at registration (say npx)
        processes.start(1008, started); // its child that discovery recognises (say claude's node process)
        Agents.Registered registered = agents.register(new Agents.Registration("wrapped", "claude", "%7", null, null,
                binding(SERVER, "%7", 1007, started)));

        Agents.Discovery seen = agents.reconcile(SERVER, List.of(sighting(SERVER, "%7", 1008, started)), Set.of("%7"));

        assertThat(seen.gone()).isEmpty();
        assertThat(seen.registered()).isEmpty();
        assertThat(seen.seenAgain()).extracting(Agent::id).containsExactly("wrapped");
        assertThat(agents.heartbeat(as(registered)).status()).isEqualTo(Agent.Status.ACTIVE);
    }

    private static final String SERVER = "/run/tmux-test/default";
    private static final String OTHER_SERVER = "/run/tmux-test/work";

    private static PaneBinding binding(String socket, String pane, long pid, long started) {
        return new PaneBinding(socket, pane, pid, started, pid, started);
    }

    private static Agents.Sighting sighting(String socket, String pane, long pid, long started) {
        return new Agents.Sighting(binding(socket, pane, pid, started), "claude");
    }

    // ------------------------------------------------------------------ concurrent registration

    @Test
    void sixteenThreadsRegisteringAtOnceGetSixteenDistinctNumberedIds() throws Exception {
        int count = 16;
        CyclicBarrier start = new CyclicBarrier(count);
        List<Future<Agents.Registered>> registrations = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            registrations.add(threads.submit((Callable<Agents.Registered>) () -> {
                start.await(); // a thread that never comes fails the test in Await.done
                return register(null);
            }));
        }
        List<String> ids = new ArrayList<>();
        for (Future<Agents.Registered> registration : registrations) {
            ids.add(Await.done(registration).agent().id());
        }

        assertThat(ids).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, count).mapToObj(n -> "agent-" + n).toList());
        assertThat(agents.list(true)).hasSize(count);
        assertThat(events("agent.registered")).hasSize(count);
    }

    // ------------------------------------------------------------------ the sweep inside every call

    @Test
    void anotherAgentsCallSweepsADeadAgentSoItsLeasesAreFree() {
        Agents.Registered dead = register("agent-dead");
        acquire(as(dead), "name:build"); // the last sweep: now
        clock.advance(Duration.ofSeconds(200));
        Agents.Registered alive = register("agent-alive");
        clock.advance(Duration.ofMillis(99_750)); // dead was silent 299.75 s: not gone yet
        denied(() -> acquire(as(alive), "name:build"));
        clock.advance(Duration.ofMillis(250)); // silent exactly the gone threshold, 250 ms after the last sweep

        assertThat(acquire(as(alive), "name:build")).as("the admit's sweep released the dead agent's lease").hasSize(1);
        assertThat(agents.find("agent-dead").orElseThrow().status()).isEqualTo(Agent.Status.GONE);
    }

    @Test
    void anAgentThatPassesTheGoneThresholdBetweenTwoSweepsIsRefusedByItsOwnNextCall() {
        Agents.Registered quiet = register("agent-quiet");
        acquire(as(quiet), "name:build");
        clock.advance(Duration.ofMillis(299_900));
        Agents.Registered other = register("agent-other");
        agents.heartbeat(as(other)); // sweeps: agent-quiet was silent 299.9 s
        assertThat(status("agent-quiet")).isEqualTo(Agent.Status.STALE);
        clock.advance(Duration.ofMillis(100)); // silent exactly 300 s; the next sweep is not due yet

        SwarmException refused = unauthenticated(() -> acquire(as(quiet), "name:other"));

        assertThat(refused.getMessage()).isEqualTo("agent agent-quiet is gone (no activity for 5m): register again");
        assertThat(leases.list("agent-quiet", true)).extracting(lease -> lease.resource().text()).doesNotContain("name:other");
        clock.advance(Duration.ofMillis(250));
        agents.sweep();
        assertThat(status("agent-quiet")).isEqualTo(Agent.Status.GONE);
        assertThat(leases.list("agent-quiet", true)).isEmpty();
    }

    @Test
    void anAgentWhoseProcessEndsBetweenTwoSweepsIsRefusedByItsOwnNextCallNamingThePid() {
        processes.start(4747, clock.millis() - 5_000);
        Agents.Registered a = registerWithPid("agent-a", 4747);
        String bearerToken = a.token();
        assertThat(agents.bearer(bearerToken).agent()).isEqualTo("agent-a");
        acquire(as(a), "name:build"); // the last sweep: now
        processes.end(4747);

        SwarmException refused = unauthenticated(() -> acquire(as(a), "name:other"));

        assertThat(refused.getMessage()).isEqualTo("agent agent-a is gone (process 4747 exited): register again");
        assertThat(leases.who(resource("name:build"))).isEmpty();
        assertThat(events("agent.gone", "agent-a")).singleElement()
                .satisfies(event -> assertThat(event.details()).containsEntry("reason", "process 4747 exited"));
        assertThat(unauthenticated(() -> agents.bearerCheckedAgainOnAdmit(bearerToken)).getMessage())
                .as("the refusal forgot the token").isEqualTo("unknown token, or its agent is gone");
    }

    @Test
    void aTokenCheckedBeforeIsTrustedUntilAnAdmitRefusesIt() {
        Agents.Registered a = register("agent-a");
        assertThat(unauthenticated(() -> agents.bearerCheckedAgainOnAdmit("swt_unknown")).getMessage())
                .isEqualTo("unknown token, or its agent is gone");
        assertThat(unauthenticated(() -> agents.bearerCheckedAgainOnAdmit("")).getMessage()).startsWith("no token");
        assertThat(unauthenticated(() -> agents.bearerCheckedAgainOnAdmit(null)).getMessage()).startsWith("no token");
        Caller checked = agents.bearerCheckedAgainOnAdmit(a.token());
        assertThat(checked.agent()).isEqualTo("agent-a");
        assertThat(checked.token()).isEqualTo(a.token());

        agents.issueToken(Caller.ofOperator(), "agent-a"); // the old token stops working
        assertThat(agents.bearerCheckedAgainOnAdmit(a.token()).agent()).as("trusted: the operation's admit checks it").isEqualTo("agent-a");
        unauthenticated(() -> agents.heartbeat(as(a)));
        assertThat(unauthenticated(() -> agents.bearerCheckedAgainOnAdmit(a.token())).getMessage())
                .as("forgotten once an admit refused it").isEqualTo("unknown token, or its agent is gone");
    }

    @Test
    void aGoneAgentsBearerTokenIsUnknown() {
        Agents.Registered a = register("agent-a");
        agents.leave(as(a));
        assertThat(unauthenticated(() -> agents.bearer(a.token())).getMessage()).isEqualTo("unknown token, or its agent is gone");
    }

    @Test
    void anAgentsCallsWriteItsLastSeenAtMostOnceASecond() {
        Agents.Registered a = register("agent-a");
        long registered = clock.millis();
        clock.advance(Duration.ofMillis(999));
        agents.heartbeat(as(a));
        assertThat(agents.find("agent-a").orElseThrow().lastSeen()).isEqualTo(registered);
        clock.advance(Duration.ofMillis(1));
        agents.heartbeat(as(a));
        assertThat(agents.find("agent-a").orElseThrow().lastSeen()).isEqualTo(clock.millis());
    }

    @Test
    void registeringAnIdWhoseAgentIsSilentPastTheGoneThresholdTakesItOver() {
        Agents.Registered first = register("agent-a");
        clock.advance(Duration.ofSeconds(300)); // no sweep in between: the registration's own finds it gone

        Agents.Registered second = register("agent-a");

        assertThat(second.agent().registeredAt()).isEqualTo(clock.millis());
        unauthenticated(() -> agents.heartbeat(as(first)));
        assertThat(events("agent.gone", "agent-a")).hasSize(1);
    }

    @Test
    void aRegistrationWithoutKindIsOtherButClaimingADiscoveredAgentKeepsItsKind() {
        assertThat(agents.register(new Agents.Registration("plain", null, null, null, null)).agent().kind()).isEqualTo("other");
        processes.start(4848, clock.millis() - 5_000);
        Agents.Registered withPid = agents.register(new Agents.Registration("agent-p", "codex", null, 4848L, null));
        assertThat(withPid.agent().pid()).isEqualTo(4848L);
        assertThat(withPid.agent().pidStartedAt()).isEqualTo(clock.millis() - 5_000);
        agents.leave(Caller.ofAgent("agent-p", withPid.token()));
        clock.advance(Duration.ofSeconds(5));
        Agent again = agents.register(new Agents.Registration("agent-p", null, null, null, null)).agent();
        assertThat(again.kind()).as("a gone agent's kind is not kept").isEqualTo("other");
        assertThat(again.pid()).as("nor its process").isNull();
        assertThat(again.pidStartedAt()).isNull();
        assertThat(again.registeredAt()).isEqualTo(clock.millis());

        long started = clock.millis() - 10_000;
        processes.start(1009, started);
        agents.reconcile(SERVER, List.of(new Agents.Sighting(binding(SERVER, "%9", 1009, started), "codex")), Set.of("%9"));
        long discoveredAt = clock.millis();
        clock.advance(Duration.ofSeconds(5));
        Agent claimed = agents.register(new Agents.Registration(null, null, "%9", null, null, binding(SERVER, "%9", 1009, started))).agent();
        assertThat(claimed.id()).isEqualTo("codex-pane9");
        assertThat(claimed.kind()).isEqualTo("codex");
        assertThat(claimed.registeredAt()).as("claiming keeps when it was first seen").isEqualTo(discoveredAt);
        assertThat(claimed.pid()).isEqualTo(1009L);
    }

    // ------------------------------------------------------------------ listing, removal, discovery ids

    @Test
    void theListingSweepsFirstAndShowsEachAgentsLiveLeases() {
        Agents.Registered a = register("agent-a");
        Agents.Registered b = register("agent-b");
        acquire(as(a), "name:one", "name:two");
        leases.acquire(new Leases.Request(as(b), resources("name:short"), Mode.EXCLUSIVE, Duration.ofSeconds(1), null));
        clock.advance(Duration.ofSeconds(2));
        agents.heartbeat(as(b));

        assertThat(agents.list(true)).extracting(listed -> listed.agent().id() + " " + listed.leases())
                .containsExactly("agent-a [name:one, name:two]", "agent-b []");

        clock.advance(Duration.ofSeconds(299)); // agent-a silent 301 s; no call since
        assertThat(agents.list(true)).extracting(listed -> listed.agent().id() + " " + listed.agent().status() + " " + listed.leases())
                .containsExactly("agent-a GONE []", "agent-b STALE []");
    }

    @Test
    void removingOrIssuingATokenForAnUnknownAgentIsBadInputNamingIt() {
        assertThat(refused(() -> agents.remove(Caller.ofOperator(), "ghost", null), SwarmException.Kind.BAD_INPUT).getMessage())
                .isEqualTo("no agent ghost");
        assertThat(refused(() -> agents.issueToken(Caller.ofOperator(), "ghost"), SwarmException.Kind.BAD_INPUT).getMessage())
                .isEqualTo("no agent ghost");
        Agents.Registered a = register("agent-a");
        agents.leave(as(a));
        assertThat(denied(() -> agents.issueToken(Caller.ofOperator(), "agent-a")).getMessage()).isEqualTo("agent agent-a is gone: register it again");
        assertThat(agents.remove(Caller.ofOperator(), "agent-a", null)).isEmpty();
        assertThat(events("agent.removed", "agent-a")).singleElement()
                .satisfies(event -> assertThat(event.details()).containsEntry("reason", "removed by operator"));
    }

    @Test
    void agentsDiscoveredOnOnePaneIdOfSeveralServersGetNumberedIdsAndAGoneOnesIdIsTakenAgain() {
        long started = clock.millis() - 10_000;
        List<String> servers = List.of(SERVER, OTHER_SERVER, "/run/tmux-test/third");
        for (int i = 0; i < servers.size(); i++) {
            processes.start(3000 + i, started);
            agents.reconcile(servers.get(i), List.of(sighting(servers.get(i), "%3", 3000 + i, started)), Set.of("%3"));
        }
        assertThat(agents.list(true)).extracting(listed -> listed.agent().id() + "@" + listed.agent().tmuxSocket())
                .containsExactly("claude-pane3@" + SERVER, "claude-pane3-2@" + OTHER_SERVER, "claude-pane3-3@/run/tmux-test/third");

        agents.reconcile(SERVER, List.of(), Set.of()); // claude-pane3's pane vanished: gone
        processes.start(3010, started);
        agents.reconcile(SERVER, List.of(sighting(SERVER, "%4", 3010, started)), Set.of("%4"));
        processes.start(3011, started);
        Agents.Discovery again = agents.reconcile(SERVER, List.of(sighting(SERVER, "%3", 3011, started)), Set.of("%3", "%4"));
        assertThat(again.registered()).extracting(Agent::id).containsExactly("claude-pane3");
    }

    @Test
    void aDiscoveryAlsoMovesSilentAgentsAlong() {
        register("agent-a");
        clock.advance(Duration.ofSeconds(301));
        agents.reconcile(SERVER, List.of(), Set.of());
        assertThat(agents.find("agent-a").orElseThrow().status()).isEqualTo(Agent.Status.GONE);
    }

    // ------------------------------------------------------------------ registration input, operations

    @Test
    void aRegistrationIsCheckedBeforeAnythingIsStoredEachErrorNamingWhatWasWrong() {
        assertThat(refused(() -> new Agents.Registration("a", "robot", null, null, null), SwarmException.Kind.BAD_INPUT).getMessage())
                .isEqualTo("unknown agent kind 'robot': use one of claude, codex, aider, gemini, cursor, human, other");
        assertThat(new Agents.Registration("a", "CLAUDE", null, null, null).kind()).isEqualTo("claude");
        assertThat(refused(() -> new Agents.Registration("a", null, "3", null, null), SwarmException.Kind.BAD_INPUT).getMessage())
                .isEqualTo("bad tmux pane id '3': expected % and a number, like %3");
        assertThat(refused(() -> new Agents.Registration("a", null, null, 0L, null), SwarmException.Kind.BAD_INPUT).getMessage())
                .isEqualTo("bad pid 0: must be positive");
        assertThat(new Agents.Registration("a", null, null, 1L, null).pid()).isEqualTo(1L);
        assertThat(refused(() -> new Agents.Registration("a", null, "%3", null, null), SwarmException.Kind.BAD_INPUT).getMessage())
                .startsWith("tmux pane %3 needs its tmux server");
        PaneBinding bound = binding(SERVER, "%3", 1003, 0);
        assertThat(catchThrowableOfType(IllegalArgumentException.class, () -> new Agents.Registration("a", null, "%4", null, null, bound)))
                .hasMessageContaining("not for pane %4");
        assertThat(catchThrowableOfType(IllegalArgumentException.class, () -> new Agents.Registration("a", null, "%3", 1004L, null, bound)))
                .hasMessageContaining("and pid 1004");
        assertThat(new Agents.Registration("a", null, "%3", 1003L, null, bound).binding()).isEqualTo(bound);
        assertThat(new Agents.Registration("a", null, null, null, null).label()).isEmpty();
        assertThat(refused(() -> new PaneBinding(" ", "%3", 1, 0, 1, 0), SwarmException.Kind.BAD_INPUT).getMessage())
                .isEqualTo("a pane binding needs its tmux server's socket");
        assertThat(agents.list(true)).isEmpty();
    }

    @Test
    void anAgentHasAPaneBindingOnlyWhenEverythingAboutItsPaneIsKnownAndALivePaneUntilItIsGone() {
        Agent bound = new Agent("a", "claude", Agent.Status.ACTIVE, "", "%3", SERVER, 10L, 11L, 12L, 13L, FakeProcesses.HOST, 0, 0, 0, true, null, null, 0, 0);
        assertThat(bound.paneBinding()).isEqualTo(new PaneBinding(SERVER, "%3", 10, 11, 12, 13));
        assertThat(bound.hasLivePane()).isTrue();
        assertThat(new Agent("a", "claude", Agent.Status.STALE, "", "%3", null, null, null, null, null, FakeProcesses.HOST, 0, 0, 0, true, null, null, 0, 0)
                .hasLivePane()).as("a pane recorded without its server still queues typing").isTrue();
        assertThat(new Agent("a", "claude", Agent.Status.GONE, "", "%3", SERVER, 10L, 11L, 12L, 13L, FakeProcesses.HOST, 0, 0, 0, true, null, null, 0, 0)
                .hasLivePane()).isFalse();
        assertThat(new Agent("a", "claude", Agent.Status.ACTIVE, "", null, null, null, null, null, null, FakeProcesses.HOST, 0, 0, 0, true, null, null, 0, 0)
                .hasLivePane()).isFalse();
        List<Agent> incomplete = List.of(
                new Agent("a", "claude", Agent.Status.ACTIVE, "", null, SERVER, 10L, 11L, 12L, 13L, FakeProcesses.HOST, 0, 0, 0, true, null, null, 0, 0),
                new Agent("a", "claude", Agent.Status.ACTIVE, "", "%3", null, 10L, 11L, 12L, 13L, FakeProcesses.HOST, 0, 0, 0, true, null, null, 0, 0),
                new Agent("a", "claude", Agent.Status.ACTIVE, "", "%3", SERVER, null, 11L, 12L, 13L, FakeProcesses.HOST, 0, 0, 0, true, null, null, 0, 0),
                new Agent("a", "claude", Agent.Status.ACTIVE, "", "%3", SERVER, 10L, null, 12L, 13L, FakeProcesses.HOST, 0, 0, 0, true, null, null, 0, 0),
                new Agent("a", "claude", Agent.Status.ACTIVE, "", "%3", SERVER, 10L, 11L, null, 13L, FakeProcesses.HOST, 0, 0, 0, true, null, null, 0, 0),
                new Agent("a", "claude", Agent.Status.ACTIVE, "", "%3", SERVER, 10L, 11L, 12L, null, FakeProcesses.HOST, 0, 0, 0, true, null, null, 0, 0));
        assertThat(incomplete).extracting(Agent::paneBinding).containsOnlyNulls();
        assertThat(Agent.Status.parse("stale")).isEqualTo(Agent.Status.STALE);
        assertThat(Agent.Status.GONE.label()).isEqualTo("gone");
    }

    // ------------------------------------------------------------------ resuming and activity

    private Agents.Registered registerSession(String session, String kind, long pid, PaneBinding binding) {
        return agents.register(new Agents.Registration(null, kind, binding == null ? null : binding.pane(), binding == null ? pid : null,
                null, binding, session));
    }

    @Test
    void aClientSessionStartedAgainResumesItsAgentWithANewTokenAndWithoutWhatItsDeadProcessHeld() {
        long started = clock.millis() - 5_000;
        processes.start(700, started);
        Agents.Registered first = registerSession("claude:s-1", "claude", 700, null);
        assertThat(first.resumed()).isFalse();
        assertThat(first.agent().session()).isEqualTo("claude:s-1");
        acquire(as(first), "name:build");
        processes.end(700);
        processes.start(701, clock.millis());

        Agents.Registered again = registerSession("claude:s-1", "claude", 701, null);

        assertThat(again.resumed()).isTrue();
        assertThat(again.agent().id()).isEqualTo(first.agent().id());
        assertThat(again.agent().registeredAt()).isEqualTo(first.agent().registeredAt());
        assertThat(again.token()).isNotEqualTo(first.token());
        unauthenticated(() -> agents.heartbeat(as(first)));
        assertThat(agents.heartbeat(as(again)).pid()).isEqualTo(701L);
        assertThat(leases.list(null, true)).as("what its dead process held stays released").isEmpty();
        assertThat(events("agent.gone", first.agent().id())).singleElement()
                .satisfies(event -> assertThat(String.valueOf(event.details().get("reason"))).contains("700"));
        assertThat(events("agent.registered", first.agent().id())).last()
                .satisfies(event -> assertThat(event.details()).containsEntry("resumed", true).containsEntry("session", "claude:s-1"));
    }

    @Test
    void theSameProcessRegisteringItsSessionAgainKeepsItsAgentAndWhatItHolds() {
        processes.start(710, clock.millis() - 1_000);
        Agents.Registered first = registerSession("codex:t-9", "codex", 710, null);
        acquire(as(first), "name:build");

        Agents.Registered again = registerSession("codex:t-9", "codex", 710, null);

        assertThat(again.agent().id()).isEqualTo(first.agent().id());
        assertThat(again.resumed()).isTrue();
        assertThat(leases.list(null, false)).extracting(Lease::agent).containsExactly(first.agent().id());
        assertThat(status(first.agent().id())).isEqualTo(Agent.Status.ACTIVE);
    }

    @Test
    void aSessionWhoseAgentLivesInAnotherLiveProcessIsNotTakenOver() {
        processes.start(720, clock.millis() - 1_000);
        processes.start(721, clock.millis());
        Agents.Registered first = registerSession("claude:s-2", "claude", 720, null);

        Agents.Registered other = registerSession("claude:s-2", "claude", 721, null);

        assertThat(other.agent().id()).isNotEqualTo(first.agent().id());
        assertThat(other.resumed()).isFalse();
        assertThat(agents.heartbeat(as(first)).status()).isEqualTo(Agent.Status.ACTIVE);
    }

    @Test
    void anAgentStartedAgainInTheSamePaneResumesTheLastAgentOfThatPaneAndKindEvenWhenItLeft() {
        long started = clock.millis() - 5_000;
        processes.start(730, started);
        Agents.Registered first = registerSession(null, "claude", 0, binding(SERVER, "%3", 730, started));
        agents.leave(as(first));
        processes.end(730);
        processes.start(731, clock.millis());

        Agents.Registered again = registerSession(null, "claude", 0, binding(SERVER, "%3", 731, clock.millis()));
        assertThat(again.agent().id()).isEqualTo(first.agent().id());
        assertThat(again.resumed()).isTrue();

        processes.end(731);
        processes.start(732, clock.millis());
        Agents.Registered codex = registerSession(null, "codex", 0, binding(SERVER, "%3", 732, clock.millis()));
        assertThat(codex.agent().id()).as("another kind in the pane is another agent").isNotEqualTo(first.agent().id());
        assertThat(codex.resumed()).isFalse();

        processes.start(733, clock.millis());
        Agents.Registered otherServer = registerSession(null, "claude", 0, binding("/run/tmux-test/other", "%3", 733, clock.millis()));
        assertThat(otherServer.agent().id()).as("pane %3 of another server is another pane").isNotIn(first.agent().id(), codex.agent().id());
    }

    @Test
    void aBadClientSessionIsRefusedNamingTheExpectedForm() {
        for (String bad : List.of("", "claude", ":x", "claude:", "claude:a b", "claude:" + "x".repeat(129), "CLAUDE:x", "claude:x\n")) {
            assertThatThrownBy(() -> registerSession(bad, "claude", 1, null)).as(bad).isInstanceOf(SwarmException.class)
                    .hasMessageContaining("CLIENT:ID").hasMessageNotContaining("\n");
        }
        assertThat(agents.list(true)).isEmpty();
    }

    @Test
    void reportsSetTheActivityWithItsEventsAndWorkingWithoutProgressForTheSettingIsStalled() {
        processes.start(4000, clock.millis()); // a live process keeps it here however long it is silent
        Agents.Registered a = registerWithPid("agent-a", 4000);
        assertThat(agents.find("agent-a").orElseThrow().activity()).isNull();

        assertThat(agents.report(as(a), Agent.Activity.WORKING).activity()).isEqualTo(Agent.Activity.WORKING);
        long workingSince = clock.millis();
        clock.advance(Duration.ofMinutes(9));
        agents.report(as(a), Agent.Activity.WORKING); // progress
        assertThat(agents.find("agent-a").orElseThrow().activitySince()).as("the same activity keeps its start").isEqualTo(workingSince);
        clock.advance(Duration.ofMinutes(9).plusSeconds(59));
        store.write(tx -> {
            agents.sweep(tx);
            return null;
        });
        assertThat(agents.find("agent-a").orElseThrow().activity()).isEqualTo(Agent.Activity.WORKING);
        clock.advance(Duration.ofSeconds(1));
        store.write(tx -> {
            agents.sweep(tx);
            return null;
        });
        assertThat(agents.find("agent-a").orElseThrow().activity()).as("ten minutes without progress").isEqualTo(Agent.Activity.STALLED);

        agents.report(as(a), Agent.Activity.WAITING_FOR_INPUT);
        agents.report(as(a), Agent.Activity.IDLE);
        assertThat(events("agent.activity", "agent-a")).extracting(event -> event.details().get("activity"))
                .containsExactly("working", "stalled", "waiting-for-input", "idle");
        assertThatThrownBy(() -> agents.report(as(a), Agent.Activity.STALLED)).isInstanceOf(SwarmException.class).hasMessageContaining("stalled");
        unauthenticated(() -> agents.report(Caller.ofAgent("agent-a", "wrong"), Agent.Activity.IDLE));
        assertThat(agents.find("agent-a").orElseThrow().activity()).isEqualTo(Agent.Activity.IDLE);
    }

    @Test
    void theStalledThresholdIsASetting() {
        Agents.Registered a = register("agent-a");
        settings.set(Caller.ofOperator(), Agents.STALLED_AFTER.name(), "30s");
        agents.report(as(a), Agent.Activity.WORKING);
        clock.advance(Duration.ofSeconds(30));
        store.write(tx -> {
            agents.sweep(tx);
            return null;
        });
        assertThat(agents.find("agent-a").orElseThrow().activity()).isEqualTo(Agent.Activity.STALLED);
        assertThatThrownBy(() -> settings.set(Caller.ofOperator(), Agents.STALLED_AFTER.name(), "0s")).isInstanceOf(SwarmException.class)
                .hasMessageContaining("agents.stalled-after");
    }

    @Test
    void anAgentWithoutHooksWorksWhileItsPaneChangesAndIsIdleWhenQuietWhileAHookedOneKeepsWhatItsHooksSaid() {
        long started = clock.millis();
        processes.start(740, started);
        processes.start(741, started);
        Agents.Registered plain = registerSession(null, "aider", 0, binding(SERVER, "%4", 740, started));
        Agents.Registered hooked = registerSession("claude:s-4", "claude", 0, binding(SERVER, "%5", 741, started));
        String p = plain.agent().id();
        String h = hooked.agent().id();

        agents.paneSeen(p, true);
        agents.paneSeen(h, true);
        assertThat(agents.find(p).orElseThrow().activity()).isEqualTo(Agent.Activity.WORKING);
        assertThat(agents.find(h).orElseThrow().activity()).as("nobody had told: output is work").isEqualTo(Agent.Activity.WORKING);

        agents.report(as(hooked), Agent.Activity.IDLE);
        clock.advance(Duration.ofSeconds(5));
        agents.paneSeen(p, false);
        agents.paneSeen(h, true); // a human typing at its prompt
        assertThat(agents.find(p).orElseThrow().activity()).isEqualTo(Agent.Activity.IDLE);
        assertThat(agents.find(h).orElseThrow().activity()).isEqualTo(Agent.Activity.IDLE);
        assertThat(agents.find(h).orElseThrow().progressAt()).isEqualTo(clock.millis());

        agents.report(as(hooked), Agent.Activity.WORKING);
        clock.advance(Duration.ofMinutes(10));
        store.write(tx -> {
            agents.sweep(tx);
            return null;
        });
        assertThat(agents.find(h).orElseThrow().activity()).isEqualTo(Agent.Activity.STALLED);
        agents.paneSeen(h, true);
        assertThat(agents.find(h).orElseThrow().activity()).as("output again: it works").isEqualTo(Agent.Activity.WORKING);
        agents.paneSeen(h, false);
        assertThat(agents.find(h).orElseThrow().activity()).as("quiet says nothing about a hooked agent").isEqualTo(Agent.Activity.WORKING);
    }

    @Test
    void theAgentOfACommandIsTheLiveAgentWhoseProcessIsNearestInItsLineage() {
        long started = clock.millis() - 1_000;
        processes.start(800, started);
        processes.start(900, started);
        Agents.Registered outer = registerWithPid("outer", 800);
        Agents.Registered inner = registerWithPid("inner", 900);

        assertThat(agents.ofProcessLineage(List.of(950L, 900L, 800L, 1L))).map(Agent::id).contains("inner");
        assertThat(agents.ofProcessLineage(List.of(850L, 800L, 1L))).map(Agent::id).contains("outer");
        assertThat(agents.ofProcessLineage(List.of(850L, 1L))).isEmpty();
        processes.replace(900, started + 30_000);
        assertThat(agents.ofProcessLineage(List.of(950L, 900L, 800L))).as("a reused pid is another process").map(Agent::id).contains("outer");
        agents.leave(as(outer));
        assertThat(agents.ofProcessLineage(List.of(850L, 800L))).as("a gone agent acts for nobody").isEmpty();
        assertThat(inner.agent().id()).isEqualTo("inner");
    }

    @Test
    void theAgentOperationsActForTheCaller() {
        AgentOperations operations = new AgentOperations(agents);
        Agents.Registered a = register("agent-a");
        acquire(as(a), "name:build");
        assertThat(operations.whoami.run(as(a), new AgentOperations.None()).id()).isEqualTo("agent-a");
        assertThat(unauthenticated(() -> operations.whoami.run(Caller.ofAgent("agent-x", "t"), new AgentOperations.None())).getMessage())
                .isEqualTo("agent agent-x is not registered");
        clock.advance(Duration.ofSeconds(61));
        agents.sweep();
        assertThat(operations.heartbeat.run(as(a), new AgentOperations.None()).status()).isEqualTo(Agent.Status.ACTIVE);
        assertThat(operations.list.run(Caller.ofOperator(), new AgentOperations.Listing(null, null))).extracting(Agents.Listed::leases)
                .containsExactly(List.of("name:build"));
        assertThat(operations.leave.run(as(a), new AgentOperations.None())).extracting(lease -> lease.resource().text()).containsExactly("name:build");
        assertThat(status("agent-a")).isEqualTo(Agent.Status.GONE);
    }

    @Test
    void theProblemsListingHoldsTheAgentsWaitingForInputStalledOrStaleAndNoOthers() {
        AgentOperations operations = new AgentOperations(agents);
        long started = clock.millis();
        for (long pid = 4100; pid <= 4103; pid++) {
            processes.start(pid, started);
        }
        Agents.Registered working = registerWithPid("working", 4100);
        Agents.Registered waiting = registerWithPid("waiting", 4101);
        Agents.Registered stalled = registerWithPid("stalled", 4102);
        Agents.Registered idle = registerWithPid("idle", 4103);
        Agents.Registered silent = register("silent");
        Agents.Registered left = register("left");
        agents.report(as(stalled), Agent.Activity.WORKING);
        clock.advance(Duration.ofSeconds(59));
        agents.report(as(working), Agent.Activity.WORKING);
        agents.report(as(waiting), Agent.Activity.WAITING_FOR_INPUT);
        agents.report(as(idle), Agent.Activity.IDLE);
        agents.report(as(left), Agent.Activity.WAITING_FOR_INPUT);
        agents.leave(as(left));
        settings.set(Caller.ofOperator(), Agents.STALLED_AFTER.name(), "1m");
        clock.advance(Duration.ofSeconds(1)); // silent: 60 s without a call; stalled: 60 s working without progress

        assertThat(operations.list.run(Caller.ofOperator(), new AgentOperations.Listing(true, null))).extracting(one -> one.agent().id())
                .containsExactlyInAnyOrder("waiting", "stalled", "silent");
        assertThat(operations.list.run(Caller.ofOperator(), new AgentOperations.Listing(true, true))).extracting(one -> one.agent().id())
                .as("a gone agent needs nobody").containsExactlyInAnyOrder("waiting", "stalled", "silent");
        assertThat(operations.list.run(Caller.ofOperator(), new AgentOperations.Listing(false, null))).extracting(one -> one.agent().id())
                .as("live by default").containsExactly("idle", "silent", "stalled", "waiting", "working");
        assertThat(operations.list.run(Caller.ofOperator(), new AgentOperations.Listing(null, false))).hasSize(5);
        assertThat(operations.list.run(Caller.ofOperator(), new AgentOperations.Listing(null, true))).extracting(one -> one.agent().id())
                .containsExactly("idle", "left", "silent", "stalled", "waiting", "working");
        assertThat(silent.agent().needsHuman()).as("as registered: active, nothing told").isFalse();
        assertThat(operations.report.run(as(idle), new AgentOperations.Report(Agent.Activity.WORKING)).activity()).isEqualTo(Agent.Activity.WORKING);
    }

    @Test
    void activitiesAreNamedAsUsersWriteThemAndOnlyWaitingAndStalledNeedAHuman() {
        assertThat(Agent.Activity.names()).containsExactly("working", "idle", "waiting-for-input", "stalled");
        assertThat(Agent.Activity.parse(" Waiting-For-Input")).isEqualTo(Agent.Activity.WAITING_FOR_INPUT);
        assertThat(Agent.Activity.parse(null)).isNull();
        assertThatThrownBy(() -> Agent.Activity.parse("busy")).isInstanceOf(SwarmException.class)
                .hasMessage("unknown activity 'busy': use working, idle, waiting-for-input, stalled");
        assertThat(java.util.Arrays.stream(Agent.Activity.values()).filter(Agent.Activity::needsHuman))
                .containsExactly(Agent.Activity.WAITING_FOR_INPUT, Agent.Activity.STALLED);
    }

    @Test
    void theAgentsInPanesHereAreTheLiveOnesOfThisHostWithACompleteBindingAndSessionsKeepTheirLastAgent() {
        long started = clock.millis();
        processes.start(4200, started);
        processes.start(4201, started);
        Agents.Registered paned = registerSession("claude:p-1", "claude", 0, binding(SERVER, "%7", 4200, started));
        registerSession(null, "claude", 0, binding(SERVER, "%8", 4201, started));
        register("no-pane");
        assertThat(agents.inPanesHere()).extracting(Agent::id).containsExactlyInAnyOrder(paned.agent().id(), "agent-2");
        agents.leave(as(paned));
        assertThat(agents.inPanesHere()).extracting(Agent::id).containsExactly("agent-2");
        assertThat(agents.ofSession("claude:p-1")).map(Agent::id).as("gone, still the session's").contains(paned.agent().id());
        assertThat(agents.ofSession("claude:none")).isEmpty();
    }

    @Test
    void aResumedAgentKeepsItsLabelUnlessGivenANewOneAndAGonePaneIsNoLongerWatched() {
        processes.start(4300, clock.millis());
        agents.register(new Agents.Registration(null, "claude", null, 4300L, "auth refactor", null, "claude:l-1"));
        Agents.Registered again = agents.register(new Agents.Registration(null, "claude", null, 4300L, null, null, "claude:l-1"));
        assertThat(again.agent().label()).isEqualTo("auth refactor");
        Agents.Registered relabelled = agents.register(new Agents.Registration(null, "claude", null, 4300L, "db work", null, "claude:l-1"));
        assertThat(relabelled.agent().label()).isEqualTo("db work");

        agents.leave(as(relabelled));
        agents.paneSeen(relabelled.agent().id(), true);
        assertThat(agents.find(relabelled.agent().id()).orElseThrow().activity()).as("a gone agent's pane tells nothing").isNull();
        assertThat(events("agent.activity", relabelled.agent().id())).isEmpty();
    }

    @Test
    void aSessionsAgentIsFoundOnlyInItsOwnLiveProcessAndANewSessionOfThatProcessKeepsIt() {
        long started = clock.millis();
        processes.start(4400, started);
        processes.start(4401, started);
        Agents.Registered claude = registerSession("claude:c-1", "claude", 4400, null);
        Function<String, Optional<String>> kept = id -> Optional.of(claude.token());
        assertThat(agents.ofSessionProcess("claude:c-1", 4400, kept)).contains(as(claude));
        assertThat(agents.ofSessionProcess("claude:c-1", 4401, kept)).as("another process").isEmpty();
        assertThat(agents.ofSessionProcess("claude:c-2", 4400, kept)).as("another session").isEmpty();
        assertThat(agents.ofSessionProcess("claude:c-1", 4400, id -> Optional.empty())).as("no token kept").isEmpty();

        Agents.Registered cleared = registerSession("claude:c-2", "claude", 4400, null); // /clear outside tmux: a new session, the same process
        assertThat(cleared.agent().id()).isEqualTo(claude.agent().id());
        assertThat(cleared.agent().session()).isEqualTo("claude:c-2");
        assertThat(agents.ofSessionProcess("claude:c-2", 4400, kept)).as("the token kept before the new one was minted").isEmpty();
        assertThat(agents.ofSessionProcess("claude:c-2", 4400, id -> Optional.of(cleared.token()))).contains(as(cleared));
        assertThat(registerSession("codex:c-3", "codex", 4400, null).agent().id()).as("another kind in that process").isNotEqualTo(claude.agent().id());
        assertThat(registerSession("claude:c-4", "claude", 4401, null).agent().id()).as("another process").isNotEqualTo(claude.agent().id());

        processes.replace(4400, started + 5_000);
        assertThat(agents.ofSessionProcess("claude:c-2", 4400, id -> Optional.of(cleared.token()))).as("a reused pid is another process").isEmpty();
    }

    // ------------------------------------------------------------------ helpers

    private record Named(String name, Consumer<Caller> run) {
    }

    /** Everything an unauthenticated call must leave alone. */
    private record State(List<Agent> agents, List<Lease> leases, long lastEventId) {
    }

    private State state() {
        return store.read(tx -> new State(AgentStore.in(tx).agents(true), LeaseStore.in(tx).leases(null, true),
                tx.latestEvents(null, null, 1).stream().mapToLong(Event::id).max().orElse(0)));
    }

    private long lastEventId() {
        return state().lastEventId();
    }

    private Agents.Registered register(String id) {
        return agents.register(new Agents.Registration(id, "claude", null, null, null));
    }

    private Agents.Registered registerWithPid(String id, long pid) {
        return agents.register(new Agents.Registration(id, "claude", null, pid, null));
    }

    private static Caller as(Agents.Registered registered) {
        return Caller.ofAgent(registered.agent().id(), registered.token());
    }

    private String hostOf(String id) {
        return agents.find(id).orElseThrow(() -> new AssertionError("no agent " + id)).host();
    }

    private Agent.Status status(String id) {
        return agents.find(id).orElseThrow(() -> new AssertionError("no agent " + id)).status();
    }

    private Resource resource(String text) {
        return parser.parse(text);
    }

    private List<Resource> resources(String... texts) {
        return parser.parseAll(List.of(texts));
    }

    private Leases.Request request(Caller caller, String... resources) {
        return new Leases.Request(caller, resources(resources), Mode.EXCLUSIVE, LONG_TTL, "test");
    }

    private List<Lease> acquire(Caller caller, String... resources) {
        return leases.acquire(request(caller, resources));
    }

    private List<Event> events(String kind) {
        return log.latest(null, kind, ALL);
    }

    private List<Event> events(String kind, String agent) {
        return log.latest(agent, kind, ALL);
    }

    private static SwarmException unauthenticated(ThrowingCallable call) {
        return refused(call, SwarmException.Kind.UNAUTHENTICATED);
    }

    private static SwarmException denied(ThrowingCallable call) {
        return refused(call, SwarmException.Kind.DENIED);
    }

    private static SwarmException refused(ThrowingCallable call, SwarmException.Kind kind) {
        SwarmException refused = catchThrowableOfType(SwarmException.class, call);
        assertThat(refused).as("expected a refusal (" + kind + ")").isNotNull();
        assertThat(refused.kind()).as(refused.getMessage()).isEqualTo(kind);
        return refused;
    }

    private static int commonPrefixLength(List<String> texts) {
        int length = 0;
        while (true) {
            int at = length;
            if (texts.stream().anyMatch(text -> text.length() <= at)
                    || texts.stream().map(text -> text.charAt(at)).collect(Collectors.toSet()).size() > 1) {
                return length;
            }
            length++;
        }
    }

    private String tokenHashInDatabase(String id) throws SQLException {
        try (Connection connection = DriverManager.getConnection(databaseUrl());
             PreparedStatement query = connection.prepareStatement("SELECT token_hash FROM agents WHERE id = ?")) {
            query.setString(1, id);
            try (ResultSet row = query.executeQuery()) {
                assertThat(row.next()).as("row of " + id).isTrue();
                return row.getString(1);
            }
        }
    }

    /** Every non-null cell of every table, as text. */
    private List<String> everyCellOfEveryTable() throws SQLException {
        List<String> cells = new ArrayList<>();
        try (Connection connection = DriverManager.getConnection(databaseUrl()); Statement statement = connection.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table'")) {
                while (rows.next()) {
                    tables.add(rows.getString(1));
                }
            }
            assertThat(tables).contains("agents", "events");
            for (String table : tables) {
                try (ResultSet rows = statement.executeQuery("SELECT * FROM \"" + table + "\"")) {
                    int columns = rows.getMetaData().getColumnCount();
                    while (rows.next()) {
                        for (int column = 1; column <= columns; column++) {
                            String cell = rows.getString(column);
                            if (cell != null) {
                                cells.add(cell);
                            }
                        }
                    }
                }
            }
        }
        return cells;
    }

    private String databaseUrl() {
        return "jdbc:sqlite:" + project.resolve(".swarm/swarm.db").toAbsolutePath();
    }
}
