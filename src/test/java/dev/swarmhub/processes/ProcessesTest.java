package dev.swarmhub.processes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.Agents;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.ProcessIdentity;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.leases.Leases;
import dev.swarmhub.leases.Mode;
import dev.swarmhub.leases.Resource;
import dev.swarmhub.tasks.Task;
import dev.swarmhub.tasks.Tasks;
import dev.swarmhub.testing.FakeProcesses;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * The processes domain over a real store, the hub's part played by {@link FakeHub}: what a spec
 * may ask (each error naming the field), spawning (at once when a slot is free, else queued in
 * FIFO order under {@code processes.max}, at most {@code processes.max-depth} levels of agents),
 * a run's task (refused when closed or blocked, claimed at start when ready, joined when held),
 * the hub's records (start, end exactly once, reconcile after a restart, output and the cost
 * budget), listing, showing and counting, and the sweep of queued agents. Killing is in
 * {@link ProcessStoppingTest}, races in {@link ProcessConcurrencyTest}. Nothing sleeps.
 */
class ProcessesTest extends ProcessFixture {

    private static final Resource DB = Resource.ofCanonical("name:db");

    private static Run.Spec spec(List<String> command, Map<String, String> env) {
        return Processes.spec(null, null, null, command, env, null, false, false, null);
    }

    // -------------------------------------------------------------------------------- the spec

    @Test
    void aSpecIsCheckedFieldByFieldEachErrorNamingTheField() {
        badInput(() -> spec(null, null), "no program given: put it after --, as in swarm spawn -- PROGRAM ARGS");
        badInput(() -> spec(List.of(), null), "no program given");
        badInput(() -> spec(List.of("  "), null), "the program is empty");
        badInput(() -> spec(List.of(""), null), "the program is empty");
        List<String> tooMany = Collections.nCopies(Processes.MAX_ARGUMENTS + 1, "a");
        badInput(() -> spec(tooMany, null), "too many arguments: 257 (at most 256)");
        assertThat(spec(Collections.nCopies(Processes.MAX_ARGUMENTS, "a"), null).command()).hasSize(256);
        badInput(() -> spec(List.of("worker", "\0ab"), null), "bad argument 1 of the command (3 characters): at most 8192 characters, no NUL");
        badInput(() -> spec(List.of("wor\0ker"), null), "bad program of the command (7 characters)");
        badInput(() -> spec(java.util.Arrays.asList("worker", "a", null), null), "bad argument 2 of the command (null)");
        badInput(() -> spec(List.of("worker", "a\0"), null), "no NUL");
        badInput(() -> spec(List.of("worker", "x".repeat(Processes.MAX_ARGUMENT + 1)), null), "bad argument 1 of the command (8193 characters)");
        assertThat(spec(List.of("worker", "x".repeat(Processes.MAX_ARGUMENT)), null).command()).hasSize(2);

        List<String> worker = List.of("worker");
        Map<String, String> tooManyVariables = new LinkedHashMap<>();
        IntStream.range(0, Processes.MAX_ENVIRONMENT + 1).forEach(i -> tooManyVariables.put("V" + i, "x"));
        badInput(() -> spec(worker, tooManyVariables), "too many environment variables: 65 (at most 64)");
        tooManyVariables.remove("V0");
        assertThat(spec(worker, tooManyVariables).environment()).hasSize(64);
        badInput(() -> spec(worker, Map.of("1A", "x")), "bad environment variable name '1A': letters, digits and _, not starting with a digit");
        badInput(() -> spec(worker, Map.of("A-B", "x")), "bad environment variable name 'A-B'");
        badInput(() -> spec(worker, Map.of("", "x")), "bad environment variable name ''");
        badInput(() -> spec(worker, Map.of("A" + "b".repeat(128), "x")), "bad environment variable name");
        assertThat(spec(worker, Map.of("_a" + "b".repeat(126), "x")).environment()).hasSize(1);
        badInput(() -> spec(worker, Map.of("SWARM_TOKEN", "x")),
                "environment variable SWARM_TOKEN is the hub's to set (SWARM_AGENT, SWARM_TOKEN, SWARM_ROOT)");
        badInput(() -> spec(worker, Map.of("SWARM_ANYTHING", "x")), "SWARM_ANYTHING is the hub's to set");
        assertThat(spec(worker, Map.of("SWARMY", "x", "MY_SWARM_", "y")).environment()).containsOnlyKeys("SWARMY", "MY_SWARM_");
        Map<String, String> nullValue = new LinkedHashMap<>();
        nullValue.put("A", null);
        badInput(() -> spec(worker, nullValue), "bad value of environment variable A: at most 8192 characters, no NUL");
        badInput(() -> spec(worker, Map.of("A", "\0x")), "bad value of environment variable A");
        badInput(() -> spec(worker, Map.of("A", "x".repeat(Processes.MAX_ARGUMENT + 1))), "bad value of environment variable A");
        assertThat(spec(worker, Map.of("A", "x".repeat(Processes.MAX_ARGUMENT), "B", "")).environment()).containsEntry("B", "");

        badInput(() -> Processes.spec(null, Run.Kind.CLAUDE, null, worker, null, null, false, false, 0.0),
                "bad cost budget 0.0: a positive number of USD");
        badInput(() -> Processes.spec(null, Run.Kind.CLAUDE, null, worker, null, null, false, false, -1.0), "bad cost budget -1.0");
        badInput(() -> Processes.spec(null, Run.Kind.CLAUDE, null, worker, null, null, false, false, Double.NaN), "bad cost budget NaN");
        badInput(() -> Processes.spec(null, Run.Kind.CLAUDE, null, worker, null, null, false, false, Double.POSITIVE_INFINITY),
                "bad cost budget Infinity");
        badInput(() -> Processes.spec(null, null, null, worker, null, null, false, false, 1.0),
                "a cost budget needs --kind claude: only Claude Code reports its cost (Codex reports tokens only)");
        badInput(() -> Processes.spec(null, Run.Kind.CODEX, null, worker, null, null, false, false, 1.0), "a cost budget needs --kind claude");
        assertThat(Processes.spec(null, Run.Kind.CLAUDE, null, worker, null, null, false, false, 0.01).maxCostUsd()).isEqualTo(0.01);

        badInput(() -> Processes.spec(null, null, null, worker, null, null, true, true, null), "give --tmux or --worktree, not both");
        assertThat(Processes.spec(null, null, null, worker, null, null, true, false, null).worktree()).isTrue();
        assertThat(Processes.spec(null, null, null, worker, null, null, false, true, null).tmux()).isTrue();

        badInput(() -> Processes.spec("bad id", null, null, worker, null, null, false, false, null), "bad agent id 'bad id'");
        badInput(() -> Processes.spec("", null, null, worker, null, null, false, false, null), "empty name: give the spawned agent's id");
    }

    @Test
    void aCheckedSpecKeepsWhatWasAskedWithCommandAsTheDefaultKindAndImmutableCopies() {
        List<String> command = new ArrayList<>(List.of("worker", "--flag", ""));
        Map<String, String> env = new LinkedHashMap<>(Map.of("A", "1"));
        Run.Spec spec = Processes.spec("w1", null, "T", command, env, "sub", true, false, null);
        command.add("later");
        env.put("B", "2");
        assertThat(spec).isEqualTo(new Run.Spec("w1", Run.Kind.COMMAND, "T", List.of("worker", "--flag", ""), Map.of("A", "1"), "sub", true, false,
                null));
        assertThatThrownBy(() -> spec.command().add("x")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> spec.environment().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(Processes.spec(null, Run.Kind.CODEX, null, List.of("codex"), null, null, false, false, null).environment()).isEmpty();
    }

    @Test
    void environmentPairsAreNameEqualsValueEachNameOnce() {
        assertThat(ProcessOperations.environment(null)).isEmpty();
        assertThat(ProcessOperations.environment(List.of("A=1", "B=", "C=x=y"))).containsExactly(Map.entry("A", "1"), Map.entry("B", ""),
                Map.entry("C", "x=y"));
        badInput(() -> ProcessOperations.environment(List.of("A")), "bad environment entry 'A': expected NAME=VALUE");
        badInput(() -> ProcessOperations.environment(List.of("=1")), "bad environment entry '=1'");
        badInput(() -> ProcessOperations.environment(List.of("A=1", "B=2", "A=3")), "environment variable A given twice");
        badInput(() -> ProcessOperations.environment(List.of("A=", "A=")), "environment variable A given twice");
    }

    // ---------------------------------------------------------------------------------- spawning

    @Test
    void spawningNeedsAHubAndAPreparedSpecAndNothingIsStoredOtherwise() {
        Processes noHub = new Processes(store, agents, tasks, machine);
        denied(() -> noHub.spawn(operator, command("w1", null)), "spawning needs the hub: start it with swarm up (or drop --no-hub)");

        hub.refuses = SwarmException.badInput("no program worker found");
        badInput(() -> processes.spawn(operator, command("w1", null)), "no program worker found");
        assertThat(hub.prepared).containsExactly(command("w1", null));
        assertThat(hub.wakes).hasValue(0);
        assertThat(processes.list(operator, null, true, 10)).isEmpty();
        assertThat(agents.find("w1")).isEmpty();
        assertThat(processes.stats(operator)).isEqualTo(new Processes.Stats(0, 0, 0, List.of(), List.of()));
    }

    @Test
    void aSpawnWithAFreeSlotAnswersOnceItsProcessRunsAsANewAgentOfTheOperator() {
        long queuedAt = clock.millis();
        Processes.Spawned spawned = processes.spawn(operator, command("w1", null));

        assertThat(spawned.queuedBefore()).isZero();
        Run run = spawned.run();
        assertThat(run.state()).isEqualTo(Run.State.RUNNING);
        assertThat(run.agent()).isEqualTo("w1");
        assertThat(run.parent()).isNull();
        assertThat(run.depth()).isEqualTo(1);
        assertThat(run.host()).isEqualTo(FakeProcesses.HOST);
        assertThat(run.spec()).isEqualTo(new Run.Spec("w1", Run.Kind.COMMAND, null, List.of("worker", "--flag"), Map.of(), FakeHub.ROOT, false, false,
                null));
        assertThat(run.pid()).isNotNull();
        assertThat(run.process()).isEqualTo(new ProcessIdentity(FakeProcesses.HOST, run.pid(), queuedAt));
        assertThat(run.pane()).isNull();
        assertThat(run.queuedAt()).isEqualTo(queuedAt);
        assertThat(run.startedAt()).isEqualTo(queuedAt);
        assertThat(run.endedAt()).isNull();
        assertThat(run.stop()).isNull();
        assertThat(run.usage()).isEqualTo(Run.Usage.NONE);
        assertThat(hub.wakes).hasValue(1);
        assertThat(processes.show(operator, "w1")).isEqualTo(run);

        Agent agent = agent("w1");
        assertThat(agent.status()).isEqualTo(Agent.Status.ACTIVE);
        assertThat(agent.kind()).isEqualTo("other");
        assertThat(agent.label()).as("a named agent has no label").isEmpty();
        assertThat(agent.pid()).isEqualTo(run.pid());
        assertThat(agent.pidStartedAt()).isEqualTo(queuedAt);
        assertThat(agent.host()).isEqualTo(FakeProcesses.HOST);

        assertThat(kindsOf(run)).containsExactly("process.queued", "process.starting", "process.started");
        Event queued = lastEvent(run, "process.queued");
        assertThat(queued.agent()).isEqualTo("w1");
        assertThat(queued.resource()).isNull();
        assertThat(queued.details()).containsEntry("run", run.id()).containsEntry("state", "queued").containsEntry("kind", "command")
                .containsEntry("host", FakeProcesses.HOST).containsEntry("command", List.of("worker", "--flag")).containsEntry("cwd", FakeHub.ROOT)
                .containsEntry("depth", 1).containsEntry("worktree", false).containsEntry("tmux", false).doesNotContainKeys("parent", "task");
        assertThat(lastEvent(run, "process.starting").details()).containsEntry("state", "starting");
        assertThat(lastEvent(run, "process.started").details()).containsEntry("state", "running").containsEntry("pid", run.pid().intValue())
                .containsEntry("cwd", FakeHub.ROOT);

        Caller w1 = as(run);
        assertThat(agents.heartbeat(w1).id()).as("the token given to its process is the agent's").isEqualTo("w1");
    }

    @Test
    void anUnnamedRunIsANumberedAgentLabelledWithItsKindAndATmuxRunGetsItsPane() {
        Run run = processes.spawn(operator, Processes.spec(null, Run.Kind.CLAUDE, null, List.of("claude"), null, "sub", false, true, null)).run();
        assertThat(run.agent()).matches("agent-\\d+");
        assertThat(run.spec().name()).isNull();
        assertThat(run.spec().cwd()).as("a directory given is the hub's to resolve").isEqualTo("sub");
        assertThat(run.pane()).isEqualTo("%" + run.pid());
        assertThat(agent(run.agent()).label()).isEqualTo("claude");
        assertThat(agent(run.agent()).kind()).isEqualTo("claude");
        assertThat(lastEvent(run, "process.queued").details()).containsEntry("kind", "claude").containsEntry("tmux", true);
        assertThat(lastEvent(run, "process.started").details()).containsEntry("pane", run.pane());
    }

    @Test
    void aNameInUseIsRefusedAndAReservedOneToo() {
        spawn(operator, "w1");
        denied(() -> spawn(operator, "w1"), "agent id w1 is active");
        register("A");
        denied(() -> spawn(operator, "A"), "agent id A is active");
        badInput(() -> spawn(operator, "swarm"), "swarm");
        assertThat(processes.list(operator, null, true, 10)).extracting(Run::agent).containsExactly("w1");
    }

    @Test
    void aRunThatCannotStartFailsItsSpawnSayingWhyAndItsAgentIsGone() {
        hub.cannotStart = "no such file: worker";
        badInput(() -> spawn(operator, "w1"), "agent w1 did not start: cannot start: no such file: worker");

        Run run = processes.show(operator, "w1");
        assertThat(run.state()).isEqualTo(Run.State.EXITED);
        assertThat(run.pid()).isNull();
        assertThat(run.process()).isNull();
        assertThat(run.endReason()).isEqualTo("cannot start: no such file: worker");
        assertThat(agent("w1").status()).isEqualTo(Agent.Status.GONE);
        assertThat(lastEvent(run, "process.exited").details()).containsEntry("reason", "cannot start: no such file: worker")
                .containsEntry("durationMs", null);
    }

    @Test
    void aCallerWithAWrongTokenIsRefusedEverywhere() {
        spawn(operator, "w1");
        Caller impostor = Caller.ofAgent("w1", "not-the-token");
        for (var call : List.<org.assertj.core.api.ThrowableAssert.ThrowingCallable>of(() -> spawn(impostor, "w2"), () -> processes.show(impostor, "w1"),
                () -> processes.list(impostor, null, true, 10), () -> processes.stats(impostor))) {
            refused(call, SwarmException.Kind.UNAUTHENTICATED, "");
        }
        assertThat(agents.find("w2")).isEmpty();
    }

    // -------------------------------------------------------------------------------- the queue

    @Test
    void runsQueueInOrderBeyondTheMaximumAndStartFirstInFirstOut() {
        maxProcesses(2);
        Run w1 = spawn(operator, "w1");
        Run w2 = spawn(operator, "w2");
        assertThat(List.of(w1.state(), w2.state())).containsOnly(Run.State.RUNNING);

        List<Processes.Spawned> queued = new ArrayList<>();
        for (int i = 3; i <= 6; i++) {
            clock.advance(Duration.ofMillis(1));
            queued.add(processes.spawn(operator, command("w" + i, null)));
        }
        assertThat(queued).extracting(Processes.Spawned::queuedBefore).containsExactly(0L, 1L, 2L, 3L);
        assertThat(queued).extracting(spawned -> spawned.run().state()).containsOnly(Run.State.QUEUED);
        assertThat(queued.getFirst().run().pid()).isNull();
        assertThat(agent("w3").status()).as("its id is taken while it waits").isEqualTo(Agent.Status.ACTIVE);
        assertThat(processes.stats(operator)).extracting(Processes.Stats::live, Processes.Stats::queued).containsExactly(2L, 4L);

        hub.starts = false;
        hub.exit(w1, 0);
        clock.advance(Duration.ofMillis(1));
        Processes.Spawned behind = processes.spawn(operator, command("w7", null));
        assertThat(behind.queuedBefore()).as("a free slot goes to those queued first").isEqualTo(4);
        assertThat(behind.run().state()).isEqualTo(Run.State.QUEUED);

        assertThat(hub.startDue()).extracting(Run::agent).containsExactly("w3");
        assertThat(hub.startDue()).isEmpty();
        hub.exit(w2, 0);
        hub.exit(run(queued.getFirst().run()), 0);
        assertThat(hub.startDue()).extracting(Run::agent).containsExactly("w4", "w5");

        maxProcesses(4);
        assertThat(hub.startDue()).extracting(Run::agent).containsExactly("w6", "w7");
        assertThat(processes.stats(operator)).extracting(Processes.Stats::live, Processes.Stats::queued).containsExactly(4L, 0L);
    }

    @Test
    void runsQueuedInTheSameMillisecondAreNumberedInTheOrderTheyStart() {
        maxProcesses(1);
        spawn(operator, "first");
        List<Processes.Spawned> queued = new ArrayList<>();
        for (int i = 0; i < 12; i++) { // the store clock stands still: one queue time for all
            queued.add(processes.spawn(operator, command("q" + i, null)));
        }
        assertThat(queued).extracting(Processes.Spawned::queuedBefore).containsExactlyElementsOf(LongStream.range(0, 12).boxed().toList());
        assertThat(queued).extracting(spawned -> spawned.run().queuedAt()).containsOnly(clock.millis());

        hub.starts = false;
        List<String> startOrder = new ArrayList<>();
        for (Run running = processes.show(operator, "first"); running != null; ) {
            hub.exit(running, 0);
            List<Run> started = hub.startDue();
            running = started.isEmpty() ? null : started.getFirst();
            if (running != null) {
                startOrder.add(running.agent());
            }
        }
        assertThat(startOrder).containsExactlyElementsOf(queued.stream().map(spawned -> spawned.run().agent()).toList());
    }

    @Test
    void theQueueAndItsPlacesArePerHostWhileTheMaximumCountsEveryHost() {
        maxProcesses(2);
        FakeHub elsewhere = new FakeHub("elsewhere", FakeHub.ROOT, machine, clock);
        Processes there = new Processes(store, agents, tasks, machine);
        elsewhere.supervising(there);

        Run away = there.spawn(operator, command("away", null)).run();
        assertThat(away.host()).isEqualTo("elsewhere");
        assertThat(away.state()).isEqualTo(Run.State.RUNNING);
        Run here = spawn(operator, "here");
        assertThat(here.state()).isEqualTo(Run.State.RUNNING);

        Processes.Spawned queuedThere = there.spawn(operator, command("away2", null));
        Processes.Spawned queuedHere = processes.spawn(operator, command("here2", null));
        assertThat(queuedThere.queuedBefore()).isZero();
        assertThat(queuedHere.queuedBefore()).as("the other host's queue is not ahead").isZero();

        hub.exit(here, 0);
        assertThat(elsewhere.startDue()).as("its hub starts only its own host's runs").extracting(Run::agent).containsExactly("away2");
        assertThat(hub.startDue()).as("two run, on any host").isEmpty();
        elsewhere.exit(run(away), 0);
        assertThat(hub.startDue()).extracting(Run::agent).containsExactly("here2");
    }

    /**
     * Two checkouts of one host sharing the store, each with its hub: each hub starts, stops and
     * adopts only the runs spawned through it (they run in its checkout), whoever asks and whatever
     * the other hub does meanwhile.
     */
    @Test
    void eachCheckoutsHubStartsStopsAndAdoptsOnlyTheRunsSpawnedThroughIt() throws Exception {
        FakeHub otherHub = new FakeHub(FakeProcesses.HOST, "/work/other", machine, clock);
        Processes other = new Processes(store, agents, tasks, machine);
        otherHub.supervising(other);
        maxProcesses(1);
        Run first = spawn(operator, "first");
        hub.starts = false;
        otherHub.starts = false;
        List<Processes.Spawned> ours = new ArrayList<>();
        List<Processes.Spawned> theirs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ours.add(processes.spawn(operator, command("e" + i, null)));
            theirs.add(other.spawn(operator, command("b" + i, null)));
        }
        assertThat(ours).extracting(Processes.Spawned::queuedBefore).as("the other checkout's queue is not ahead").containsExactly(0L, 1L, 2L);
        assertThat(theirs).extracting(spawned -> spawned.run().hubScope()).containsOnly(otherHub.hubScope());
        hub.exit(first, 0);
        maxProcesses(10);

        assertThat(otherHub.startDue()).as("its hub starts only the runs spawned through it, in its checkout")
                .extracting(Run::agent, run -> run.spec().cwd()).containsExactly(tuple("b0", "/work/other"), tuple("b1", "/work/other"),
                        tuple("b2", "/work/other"));
        assertThat(hub.startDue()).extracting(Run::agent, Run::hubScope).containsExactly(tuple("e0", hub.hubScope()), tuple("e1", hub.hubScope()),
                tuple("e2", hub.hubScope()));

        otherHub.stops = false;
        var killed = java.util.concurrent.CompletableFuture.supplyAsync(() -> other.kill(operator, "e0", false, "TERM", Duration.ZERO, "through B"));
        dev.swarmhub.testing.Await.until("the stop request", () -> !processes.toStop(hub).isEmpty());
        otherHub.stopAsked();
        assertThat(otherHub.signalled).as("a stop asked through the other checkout's hub is not its to carry out").isEmpty();
        assertThat(state(ours.getFirst().run())).isEqualTo(Run.State.RUNNING);
        hub.stopAsked();
        assertThat(killed.get(1, java.util.concurrent.TimeUnit.MINUTES)).singleElement().extracting(Run::state).isEqualTo(Run.State.KILLED);

        maxProcesses(5); // 5 run: e3 waits
        Run e3 = processes.spawn(operator, command("e3", null)).run();
        maxProcesses(6);
        processes.startNext(hub).orElseThrow(); // e3 starting, no process recorded: as when its hub died starting it
        assertThat(other.startingWithoutProcess(otherHub)).isEmpty();
        assertThat(other.reconcile(otherHub)).as("the other hub, started again, adopts its own").extracting(Run::agent)
                .containsExactlyInAnyOrder("b0", "b1", "b2");
        assertThat(state(e3)).as("not lost by the other checkout's hub").isEqualTo(Run.State.STARTING);
        assertThat(processes.startingWithoutProcess(hub)).extracting(Run::agent).containsExactly("e3");
        assertThat(processes.reconcile(hub)).extracting(Run::agent).containsExactlyInAnyOrder("e1", "e2");
        assertThat(state(e3)).isEqualTo(Run.State.LOST);
    }

    @Test
    void aRunFromBeforeRunsHadAHubIsTakenByTheFirstHubOfItsHostThatStartsOrAdoptsIt() {
        FakeHub before = new FakeHub(FakeProcesses.HOST, null, machine, clock);
        Processes old = new Processes(store, agents, tasks, machine);
        before.supervising(old);
        FakeHub otherHub = new FakeHub(FakeProcesses.HOST, "/work/other", machine, clock);
        Processes other = new Processes(store, agents, tasks, machine);
        otherHub.supervising(other);
        maxProcesses(1);
        Run running = old.spawn(operator, command("running", null)).run();
        Run queued = old.spawn(operator, command("queued", null)).run();
        assertThat(List.of(running, queued)).extracting(Run::hubScope).containsOnlyNulls();

        assertThat(other.reconcile(otherHub)).extracting(Run::agent).containsExactly("running");
        assertThat(processes.reconcile(hub)).as("adopted by one hub only").isEmpty();
        assertThat(run(running).hubScope()).isEqualTo(otherHub.hubScope());
        otherHub.exit(running, 0);
        maxProcesses(2);
        assertThat(hub.startDue()).extracting(Run::agent, Run::hubScope).containsExactly(tuple("queued", hub.hubScope()));
        assertThat(other.reconcile(otherHub)).as("started by this checkout's hub: the other adopts it no more").isEmpty();
        assertThat(state(queued)).isEqualTo(Run.State.RUNNING);
    }

    // -------------------------------------------------------------------------------- the depth

    @Test
    void agentsSpawnAgentsAsTheirParentUpToTheMaximumDepth() {
        Run w1 = spawn(operator, "w1");
        Run w2 = spawn(as(w1), "w2");
        Run w3 = spawn(as(w2), "w3");
        assertThat(List.of(w1, w2, w3)).extracting(Run::parent, Run::depth).containsExactly(tuple(null, 1),
                tuple("w1", 2), tuple("w2", 3));
        assertThat(lastEvent(w3, "process.queued").details()).containsEntry("parent", "w2").containsEntry("depth", 3);

        denied(() -> spawn(as(w3), "w4"), "agent w3 runs at depth 3 of 3 (processes.max-depth): it may not spawn another level of agents");
        assertThat(agents.find("w4")).as("nothing of a refused spawn stays").isEmpty();

        setting(Processes.MAX_DEPTH.name(), "2");
        denied(() -> spawn(as(w2), "w4"), "agent w2 runs at depth 2 of 2");
        assertThat(spawn(as(w1), "w4").depth()).isEqualTo(2);
        setting(Processes.MAX_DEPTH.name(), "1");
        denied(() -> spawn(as(w1), "w5"), "agent w1 runs at depth 1 of 1");
        assertThat(spawn(operator, "w5").depth()).as("the operator's runs are the first level").isEqualTo(1);
    }

    @Test
    void anAgentThatIsNoRunNowSpawnsTheFirstLevel() {
        Caller a = register("A");
        Run child = spawn(a, "child");
        assertThat(child.parent()).isEqualTo("A");
        assertThat(child.depth()).isEqualTo(1);

        Run w1 = spawn(operator, "w1");
        hub.exit(w1, 0);
        Caller again = register("w1"); // its run ended: the id is free, and the agent that takes it is no run
        Run w2 = spawn(again, "w2");
        assertThat(w2.parent()).isEqualTo("w1");
        assertThat(w2.depth()).isEqualTo(1);
    }

    // --------------------------------------------------------------------------------- the task

    @Test
    void aRunsTaskMustHaveWorkLeftAndTheRefusalSaysWhy() {
        Caller a = register("A");
        String done = tasks.create(a, new Tasks.Draft("done", null, null, null, null, null)).task().id();
        tasks.claim(a, done, null, null);
        tasks.report(a, done, Tasks.Outcome.DONE, null, null, null);
        String blocker = tasks.create(a, new Tasks.Draft("blocker", null, null, null, null, null)).task().id();
        String blocked = tasks.create(a, new Tasks.Draft("blocked", null, null, null, null, List.of(blocker))).task().id();

        denied(() -> spawn(operator, "w1", done), "task " + done + " has no work to join: it is done; reopen it first");
        denied(() -> spawn(operator, "w1", blocked), "task " + blocked + " has no work to join: it waits for " + blocker + " (open)");
        badInput(() -> spawn(operator, "w1", "ZZZZZZZZ"), "no task ZZZZZZZZ");
        assertThat(agents.find("w1")).isEmpty();
        assertThat(processes.list(operator, null, true, 10)).isEmpty();
    }

    @Test
    void aReadyTaskIsClaimedWhenTheRunStartsAndOpensAgainWhenItEnds() {
        Caller a = register("A");
        String task = tasks.create(a, new Tasks.Draft("work", null, null, null, null, null)).task().id();

        Run run = spawn(operator, "w1", task.substring(0, 8).toLowerCase());
        assertThat(run.spec().task()).as("the full id").isEqualTo(task);
        Tasks.View view = tasks.show(operator, task).view();
        assertThat(view.status()).isEqualTo(Task.Status.IN_PROGRESS);
        assertThat(view.task().assignee()).isEqualTo("w1");
        Event queued = lastEvent(run, "process.queued");
        assertThat(queued.resource()).isEqualTo("task:" + task);
        assertThat(queued.details()).containsEntry("task", task);
        assertThat(tasks.show(operator, task).history()).extracting(Event::kind).contains("process.queued", "process.started");

        hub.exit(run, 0);
        view = tasks.show(operator, task).view();
        assertThat(view.status()).isEqualTo(Task.Status.OPEN);
        assertThat(view.task().assignee()).isNull();
        assertThat(tasks.show(operator, task).history()).extracting(Event::kind).contains("process.exited", "task.lapsed");
    }

    @Test
    void aRunJoinsATaskHeldByAnotherWithoutTakingItsClaim() {
        Caller a = register("A");
        String task = tasks.create(a, new Tasks.Draft("work", null, null, null, null, null)).task().id();
        Tasks.Claimed claim = tasks.claim(a, task, null, null);

        Run run = spawn(operator, "w1", task);
        assertThat(run.state()).isEqualTo(Run.State.RUNNING);
        assertThat(run.spec().task()).isEqualTo(task);
        Tasks.View view = tasks.show(operator, task).view();
        assertThat(view.task().assignee()).isEqualTo("A");
        assertThat(view.task().claimToken()).isEqualTo(claim.lease().token());

        hub.exit(run, 1);
        assertThat(tasks.show(operator, task).view().task().assignee()).as("A's claim is A's").isEqualTo("A");
    }

    @Test
    void aQueuedRunWhoseTaskClosedOrWasTakenMeanwhileStillStarts() {
        maxProcesses(1);
        Caller a = register("A");
        String closing = tasks.create(a, new Tasks.Draft("closing", null, null, null, null, null)).task().id();
        String taken = tasks.create(a, new Tasks.Draft("taken", null, null, null, null, null)).task().id();
        Run first = spawn(operator, "first");
        Run w1 = spawn(operator, "w1", closing);
        Run w2 = spawn(operator, "w2", taken);
        tasks.claim(a, closing, null, null);
        tasks.report(a, closing, Tasks.Outcome.DONE, null, null, null);
        tasks.claim(a, taken, null, null);

        hub.exit(first, 0);
        assertThat(hub.startDue()).extracting(Run::agent).containsExactly("w1");
        hub.exit(run(w1), 0);
        assertThat(hub.startDue()).extracting(Run::agent).containsExactly("w2");
        assertThat(tasks.show(operator, closing).view().status()).isEqualTo(Task.Status.DONE);
        assertThat(tasks.show(operator, taken).view().task().assignee()).isEqualTo("A");
        assertThat(state(w2)).isEqualTo(Run.State.RUNNING);
    }

    // ------------------------------------------------------------------------------ starting

    @Test
    void aQueuedRunWhoseAgentIdWasTakenMeanwhileEndsAsLostAndTheNewAgentKeepsItsState() {
        maxProcesses(1);
        Run first = spawn(operator, "first");
        Run w2 = spawn(operator, "w2");
        Run w3 = spawn(operator, "w3");
        clock.advance(Duration.ofMinutes(6)); // no hub swept the queue: its agents went silent past agents.gone-after
        Caller newW2 = register("w2");
        assertThat(agent("w3").status()).isEqualTo(Agent.Status.GONE);
        leases.acquire(new Leases.Request(newW2, List.of(DB), Mode.EXCLUSIVE, Duration.ofMinutes(10), null));

        hub.exit(first, 0);
        assertThat(hub.startDue()).extracting(Run::agent).as("the next in the queue starts instead").containsExactly("w3");

        Run lost = run(w2);
        assertThat(lost.state()).isEqualTo(Run.State.LOST);
        assertThat(lost.endReason()).isEqualTo("its agent id w2 was registered by another agent");
        assertThat(lost.startedAt()).isNull();
        assertThat(lastEvent(lost, "process.lost").details()).containsEntry("reason", "its agent id w2 was registered by another agent");
        assertThat(agent("w2").status()).as("the agent that now has the id is not the run's").isEqualTo(Agent.Status.ACTIVE);
        assertThat(leases.who(DB)).extracting(lease -> lease.agent()).containsExactly("w2");
        assertThat(agents.heartbeat(newW2).id()).isEqualTo("w2");

        assertThat(state(w3)).isEqualTo(Run.State.RUNNING);
        assertThat(agent("w3").status()).as("its own agent, gone while it waited, is active again").isEqualTo(Agent.Status.ACTIVE);
    }

    @Test
    void startedRecordsTheProcessOnceAndTheAgentLivesAsLongAsIt() {
        maxProcesses(1);
        Run first = spawn(operator, "first");
        Run w1 = spawn(operator, "w1");
        hub.starts = false;
        hub.exit(first, 0);

        Processes.Starting starting = processes.startNext(hub).orElseThrow();
        assertThat(starting.run().id()).isEqualTo(w1.id());
        assertThat(starting.run().state()).isEqualTo(Run.State.STARTING);
        assertThat(processes.startNext(hub)).as("the maximum counts a starting run").isEmpty();
        assertThat(processes.startNext(new FakeHub("elsewhere", FakeHub.ROOT, machine, clock))).isEmpty();
        assertThat(agents.heartbeat(Caller.ofAgent("w1", starting.token())).id()).isEqualTo("w1");

        clock.advance(Duration.ofSeconds(2));
        machine.start(77, clock.millis() - 10);
        Run running = processes.started(w1.id(), new ProcessIdentity(FakeProcesses.HOST, 77, clock.millis() - 10), "/work/project/sub",
                new dev.swarmhub.agents.PaneBinding("/tmp/fake-tmux.sock", "%5", 77, clock.millis() - 10, 77, clock.millis() - 10));
        assertThat(running.state()).isEqualTo(Run.State.RUNNING);
        assertThat(running.pid()).isEqualTo(77);
        assertThat(running.pidStartedAt()).isEqualTo(clock.millis() - 10);
        assertThat(running.spec().cwd()).isEqualTo("/work/project/sub");
        assertThat(running.pane()).isEqualTo("%5");
        assertThat(running.startedAt()).isEqualTo(clock.millis());
        assertThat(agent("w1").pid()).isEqualTo(77);
        assertThat(agent("w1").pidStartedAt()).isEqualTo(clock.millis() - 10);
        assertThat(agent("w1").lastSeen()).isEqualTo(clock.millis());

        Run again = processes.started(w1.id(), new ProcessIdentity(FakeProcesses.HOST, 78, clock.millis()), "/elsewhere", null);
        assertThat(again).as("a run starts once").isEqualTo(running);
        assertThat(kindsOf(w1)).containsOnlyOnce("process.started");

        clock.advance(Duration.ofMinutes(20)); // silent far past agents.gone-after: the process speaks for it
        agents.sweep();
        assertThat(agent("w1").status()).isEqualTo(Agent.Status.ACTIVE);
        machine.end(77);
        agents.sweep();
        assertThat(agent("w1").status()).as("its end is its hub's to record").isEqualTo(Agent.Status.ACTIVE);
        processes.ended(w1.id(), 0, false, null);
        assertThat(agent("w1").status()).isEqualTo(Agent.Status.GONE);
    }

    @Test
    void aRunEndedBeforeItsProcessWasRecordedStaysEnded() {
        maxProcesses(1);
        Run first = spawn(operator, "first");
        Run w1 = spawn(operator, "w1");
        hub.starts = false;
        hub.exit(first, 0);
        processes.startNext(hub).orElseThrow();
        assertThat(processes.reconcile(hub)).isEmpty();

        Run late = processes.started(w1.id(), new ProcessIdentity(FakeProcesses.HOST, 90, clock.millis()), "/x", null);
        assertThat(late.state()).isEqualTo(Run.State.LOST);
        assertThat(late.pid()).isNull();
        assertThat(agent("w1").pid()).isNull();
        assertThat(kindsOf(w1)).doesNotContain("process.started");
    }

    // --------------------------------------------------------------------------------- ending

    @Test
    void aRunEndsExactlyOnceItsAgentGoneItsLeasesReleasedAndItsClaimLapsed() {
        Caller a = register("A");
        String task = tasks.create(a, new Tasks.Draft("work", null, null, null, null, null)).task().id();
        Run run = spawn(operator, "w1", task);
        Caller w1 = as(run);
        leases.acquire(new Leases.Request(w1, List.of(DB), Mode.EXCLUSIVE, Duration.ofMinutes(10), null));
        assertThat(leases.who(DB)).hasSize(1);

        clock.advance(Duration.ofSeconds(5));
        assertThat(hub.exit(run, 3)).isTrue();

        Run ended = run(run);
        assertThat(ended.state()).isEqualTo(Run.State.EXITED);
        assertThat(ended.exitCode()).isEqualTo(3);
        assertThat(ended.endReason()).isEqualTo("exited with code 3");
        assertThat(ended.endedAt()).isEqualTo(clock.millis());
        Event exited = lastEvent(run, "process.exited");
        assertThat(exited.details()).containsEntry("state", "exited").containsEntry("exitCode", 3).containsEntry("reason", "exited with code 3")
                .containsEntry("durationMs", 5000).containsEntry("task", task);
        assertThat(exited.resource()).isEqualTo("task:" + task);
        assertThat(agent("w1").status()).isEqualTo(Agent.Status.GONE);
        assertThat(log.latest("w1", "agent.gone", 1)).singleElement()
                .satisfies(gone -> assertThat(gone.details()).containsEntry("reason", "its process exited with code 3").containsEntry("released", 2));
        assertThat(leases.who(DB)).isEmpty();
        assertThat(tasks.show(operator, task).view().status()).isEqualTo(Task.Status.OPEN);

        clock.advance(Duration.ofSeconds(1));
        assertThat(processes.ended(run.id(), 9, true, "again")).as("a run ends once").isFalse();
        assertThat(run(run)).isEqualTo(ended);
        assertThat(kindsOf(run).stream().filter(FINAL::contains)).containsExactly("process.exited");
    }

    @Test
    void howARunEndedIsTold() {
        Run plain = spawn(operator, "plain");
        Run signalled = spawn(operator, "signalled");
        Run failed = spawn(operator, "failed");
        Run failedKilled = spawn(operator, "failedKilled");

        assertThat(processes.ended(plain.id(), null, false, null)).isTrue();
        assertThat(run(plain)).extracting(Run::state, Run::exitCode, Run::endReason).containsExactly(Run.State.EXITED, null, "exited");
        assertThat(lastEvent(plain, "process.exited").details()).containsEntry("exitCode", null);

        assertThat(processes.ended(signalled.id(), 143, true, null)).isTrue();
        assertThat(run(signalled)).extracting(Run::state, Run::exitCode, Run::endReason)
                .containsExactly(Run.State.KILLED, 143, "stopped by the hub");
        assertThat(log.latest("signalled", "agent.gone", 1).getFirst().details()).containsEntry("reason", "its process was stopped by the hub");

        assertThat(processes.ended(failed.id(), 0, false, "watch failed")).isTrue();
        assertThat(run(failed)).extracting(Run::state, Run::exitCode, Run::endReason).containsExactly(Run.State.EXITED, 0, "watch failed");
        assertThat(processes.ended(failedKilled.id(), null, true, "watch failed")).isTrue();
        assertThat(run(failedKilled)).extracting(Run::state, Run::endReason).containsExactly(Run.State.KILLED, "watch failed");
    }

    @Test
    void aQueuedRunHasNoProcessToEnd() {
        maxProcesses(1);
        spawn(operator, "first");
        Run queued = spawn(operator, "w1");
        assertThat(processes.ended(queued.id(), 0, false, null)).isFalse();
        assertThat(state(queued)).isEqualTo(Run.State.QUEUED);
        assertThat(agent("w1").status()).isEqualTo(Agent.Status.ACTIVE);
        assertThat(kindsOf(queued)).containsExactly("process.queued");
    }

    // ----------------------------------------------------------------------------- reconciling

    @Test
    void reconcileAdoptsTheRunsWhoseProcessesStillRunAndLosesTheOthers() {
        maxProcesses(5);
        Run alive = spawn(operator, "alive");
        Run exited = spawn(operator, "exited");
        Run replaced = spawn(operator, "replaced");
        Run ticked = spawn(operator, "ticked");
        Run done = spawn(operator, "done");
        hub.exit(done, 0);
        FakeHub elsewhere = new FakeHub("elsewhere", FakeHub.ROOT, machine, clock);
        Processes there = new Processes(store, agents, tasks, machine);
        elsewhere.supervising(there);
        Run away = there.spawn(operator, command("away", null)).run();
        hub.starts = false;
        Run starting = spawn(operator, "starting");
        Run queued = spawn(operator, "queued");
        maxProcesses(6);
        assertThat(processes.startNext(hub)).get().extracting(s -> s.run().id()).isEqualTo(starting.id());

        machine.end(exited.pid());
        machine.replace(replaced.pid(), replaced.pidStartedAt() + 5_000); // the pid now names another process
        machine.replace(ticked.pid(), ticked.pidStartedAt() + 900); // the same process, read with the probe's rounding
        clock.advance(Duration.ofSeconds(30));

        List<Run> adopted = processes.reconcile(hub);

        assertThat(adopted).extracting(Run::agent).containsExactlyInAnyOrder("alive", "ticked");
        assertThat(adopted).extracting(Run::state).containsOnly(Run.State.RUNNING);
        assertThat(lastEvent(alive, "process.adopted").details()).containsEntry("pid", alive.pid().intValue()).containsEntry("state", "running");
        assertThat(state(alive)).isEqualTo(Run.State.RUNNING);
        assertThat(agent("alive").status()).isEqualTo(Agent.Status.ACTIVE);

        for (Run gone : List.of(exited, replaced)) {
            Run lost = run(gone);
            assertThat(lost.state()).isEqualTo(Run.State.LOST);
            assertThat(lost.endReason()).isEqualTo("process " + gone.pid() + " ended while no hub watched it (exit unknown)");
            assertThat(lost.exitCode()).isNull();
            assertThat(lastEvent(gone, "process.lost").details()).containsEntry("durationMs", 30_000);
            assertThat(agent(gone.agent()).status()).isEqualTo(Agent.Status.GONE);
        }
        assertThat(run(starting)).extracting(Run::state, Run::endReason).containsExactly(Run.State.LOST, "the hub stopped while starting it");
        assertThat(agent("starting").status()).isEqualTo(Agent.Status.GONE);
        assertThat(state(queued)).as("a queued run waits for the hub").isEqualTo(Run.State.QUEUED);
        assertThat(agent("queued").status()).isEqualTo(Agent.Status.ACTIVE);
        assertThat(state(away)).as("another host's hub reconciles its own").isEqualTo(Run.State.RUNNING);
        assertThat(kindsOf(done).stream().filter(FINAL::contains)).containsExactly("process.exited");
        assertThat(kindsOf(done)).doesNotContain("process.adopted");

        assertThat(processes.reconcile(hub)).extracting(Run::agent).containsExactlyInAnyOrder("alive", "ticked");
        assertThat(kindsOf(exited).stream().filter(FINAL::contains)).as("lost once").hasSize(1);
    }

    @Test
    void unfinishedRunsRecordedUnderTheHostNameAloneAreAdoptedByThatHostsUpgradedHub() {
        FakeHub before = new FakeHub(FakeProcesses.HOST, null, machine, clock); // recorded the host name alone, and no checkout
        Processes old = new Processes(store, agents, tasks, machine);
        before.supervising(old);
        maxProcesses(2);
        Run running = old.spawn(operator, command("running", null)).run();
        Run done = old.spawn(operator, command("done", null)).run();
        before.exit(done, 0);
        Run notHere = old.spawn(operator, command("not-here", null)).run();
        Run queued = old.spawn(operator, command("queued", null)).run();
        assertThat(state(queued)).isEqualTo(Run.State.QUEUED);
        Processes elsewhere = new Processes(store, agents, tasks, new FakeProcesses("elsewhere"));
        new FakeHub("elsewhere", FakeHub.ROOT, machine, clock).supervising(elsewhere);
        Run away = elsewhere.spawn(operator, command("away", null)).run();

        FakeProcesses upgraded = new FakeProcesses(FakeProcesses.HOST + "/1a2b3c4d", FakeProcesses.HOST);
        upgraded.start(running.pid(), running.pidStartedAt());
        Processes upgradedHub = new Processes(store, agents, tasks, upgraded);
        FakeHub upgradedControl = new FakeHub(upgraded.host(), FakeHub.ROOT, upgraded, clock);
        upgradedControl.supervising(upgradedHub);
        upgradedHub.adoptRecordedUnderHostName();

        for (Run unfinished : List.of(running, notHere, queued)) {
            assertThat(run(unfinished).host()).as(unfinished.agent()).isEqualTo(FakeProcesses.HOST + "/1a2b3c4d");
        }
        assertThat(run(done).host()).as("a finished run keeps its record").isEqualTo(FakeProcesses.HOST);
        assertThat(run(away).host()).isEqualTo("elsewhere");
        assertThat(upgradedHub.reconcile(upgradedControl)).extracting(Run::agent).containsExactly("running");
        assertThat(run(notHere).state()).as("its process is not found here").isEqualTo(Run.State.LOST);
    }

    // --------------------------------------------------------------------------------- output

    @Test
    void outputRecordsItsSizeWhenItGrowsAndUsageWhenItChanges() {
        Run run = spawn(operator, "w1");
        long start = clock.millis();
        clock.advance(Duration.ofSeconds(1));
        Run.Usage first = new Run.Usage(10L, 20L, 0.5, null, "thinking");
        processes.output(run.id(), 100, first);
        Run now = run(run);
        assertThat(now.outputBytes()).isEqualTo(100);
        assertThat(now.outputAt()).isEqualTo(start + 1000);
        assertThat(now.usage()).isEqualTo(first);
        assertThat(lastEvent(run, "process.usage").details()).containsEntry("inputTokens", 10).containsEntry("outputTokens", 20)
                .containsEntry("costUsd", 0.5).containsEntry("outcome", null).doesNotContainKey("lastStep");

        clock.advance(Duration.ofSeconds(1));
        Run.Usage lastStepOnly = new Run.Usage(10L, 20L, 0.5, null, "editing");
        processes.output(run.id(), 100, lastStepOnly);
        assertThat(run(run).outputAt()).as("no new bytes: the same time").isEqualTo(start + 1000);
        assertThat(run(run).usage().lastStep()).isEqualTo("editing");
        assertThat(kindsOf(run).stream().filter("process.usage"::equals)).as("the last step alone is no usage event").hasSize(1);

        clock.advance(Duration.ofSeconds(1));
        processes.output(run.id(), 150, lastStepOnly);
        assertThat(run(run).outputAt()).isEqualTo(start + 3000);
        assertThat(run(run).outputBytes()).isEqualTo(150);
        assertThat(kindsOf(run).stream().filter("process.usage"::equals)).hasSize(1);

        List<Run.Usage> changes = List.of(new Run.Usage(11L, 20L, 0.5, null, "x"), new Run.Usage(11L, 21L, 0.5, null, "x"),
                new Run.Usage(11L, 21L, 0.6, null, "x"), new Run.Usage(11L, 21L, 0.6, "success", "x"));
        for (Run.Usage change : changes) {
            processes.output(run.id(), 150, change);
        }
        assertThat(eventsOf(run).stream().filter(event -> event.kind().equals("process.usage")).map(Event::details).map(d -> d.get("outcome")))
                .as("each change of tokens, cost or outcome is one event").containsExactly(null, null, null, null, "success");
        assertThat(hub.wakes).as("no budget: nothing to stop").hasValue(1);
    }

    @Test
    void aCostPastTheBudgetAsksTheRunToStopOnceAsTheHub() {
        hub.stops = false;
        Run run = processes.spawn(operator, claude("c1", 1.0)).run();
        assertThat(lastEvent(run, "process.queued").details()).containsEntry("maxCostUsd", 1.0);
        processes.output(run.id(), 10, new Run.Usage(1L, 1L, 1.0, null, null));
        assertThat(run(run).stop()).as("at the budget is within it").isNull();
        assertThat(hub.wakes).hasValue(1);

        clock.advance(Duration.ofSeconds(3));
        processes.output(run.id(), 20, new Run.Usage(1L, 1L, 1.5, null, null));
        String why = "its cost $1.5000 passed its budget $1.0000";
        assertThat(run(run).stop()).isEqualTo(new Run.StopRequest(clock.millis(), "TERM", 10_000, "swarm", why));
        assertThat(lastEvent(run, "process.over-budget").details()).containsEntry("costUsd", 1.5).containsEntry("maxCostUsd", 1.0)
                .containsEntry("reason", why);
        assertThat(hub.wakes).as("the hub is woken to stop it").hasValue(2);
        assertThat(processes.toStop(hub)).extracting(Run::id).containsExactly(run.id());

        clock.advance(Duration.ofSeconds(1));
        processes.output(run.id(), 30, new Run.Usage(1L, 1L, 2.0, null, null));
        assertThat(run(run).stop().at()).as("asked once").isEqualTo(clock.millis() - 1000);
        assertThat(kindsOf(run).stream().filter("process.over-budget"::equals)).hasSize(1);
        assertThat(hub.wakes).hasValue(2);

        hub.stops = true;
        hub.wake();
        Run stopped = run(run);
        assertThat(stopped.state()).isEqualTo(Run.State.KILLED);
        assertThat(stopped.endReason()).isEqualTo("stopped by swarm: " + why);
        assertThat(hub.signalled).extracting(Run.StopRequest::by).containsExactly("swarm");
    }

    @Test
    void outputOfAFinishedRunIsIgnored() {
        Run run = spawn(operator, "w1");
        processes.output(run.id(), 10, new Run.Usage(1L, null, null, null, null));
        hub.exit(run, 0);
        Run ended = run(run);
        long events = lastEventId();
        clock.advance(Duration.ofSeconds(1));
        processes.output(run.id(), 99, new Run.Usage(5L, 5L, 9.0, "done", "x"));
        assertThat(run(run)).isEqualTo(ended);
        assertThat(lastEventId()).isEqualTo(events);
    }

    @Test
    void aBudgetIsOnlyForItsRunAndAnUnbudgetedRunIsNeverStoppedForCost() {
        Run unbudgeted = processes.spawn(operator, claude("c1", null)).run();
        processes.output(unbudgeted.id(), 10, new Run.Usage(1L, 1L, 1_000.0, null, null));
        processes.output(unbudgeted.id(), 10, new Run.Usage(1L, 1L, null, null, null));
        Run budgeted = processes.spawn(operator, claude("c2", 5.0)).run();
        processes.output(budgeted.id(), 10, new Run.Usage(1L, 1L, null, null, null));
        assertThat(state(unbudgeted)).isEqualTo(Run.State.RUNNING);
        assertThat(state(budgeted)).isEqualTo(Run.State.RUNNING);
        assertThat(events()).extracting(Event::kind).doesNotContain("process.over-budget", "process.stopping");
    }

    // -------------------------------------------------------------------------- listing, showing

    @Test
    void listingShowsLiveAndQueuedRunsNewestFirstOrAllOfATaskUpToALimit() {
        Caller a = register("A");
        String t1 = tasks.create(a, new Tasks.Draft("one", null, null, null, null, null)).task().id();
        String t2 = tasks.create(a, new Tasks.Draft("two", null, null, null, null, null)).task().id();
        maxProcesses(3);
        Run r1 = spawn(operator, "r1", t1);
        clock.advance(Duration.ofMillis(5));
        Run r2 = spawn(operator, "r2", t2);
        clock.advance(Duration.ofMillis(5));
        Run r3 = spawn(operator, "r3");
        clock.advance(Duration.ofMillis(5));
        Run r4 = spawn(operator, "r4", t1);
        assertThat(r4.state()).isEqualTo(Run.State.QUEUED);
        hub.starts = false;
        hub.exit(r1, 0);

        assertThat(processes.list(operator, null, false, 100)).extracting(Run::agent).containsExactly("r4", "r3", "r2");
        assertThat(processes.list(operator, null, true, 100)).extracting(Run::agent).containsExactly("r4", "r3", "r2", "r1");
        assertThat(processes.list(operator, t1.substring(0, 16).toLowerCase(), true, 100)).extracting(Run::agent).containsExactly("r4", "r1");
        assertThat(processes.list(operator, t1, false, 100)).extracting(Run::agent).containsExactly("r4");
        assertThat(processes.list(operator, t2, true, 100)).extracting(Run::agent).containsExactly("r2");
        assertThat(processes.list(operator, null, true, 2)).extracting(Run::agent).containsExactly("r4", "r3");
        assertThat(processes.list(operator, null, true, 0)).extracting(Run::agent).as("at least one").containsExactly("r4");
        assertThat(processes.list(operator, null, true, -3)).extracting(Run::agent).containsExactly("r4");
        assertThat(processes.list(as(r3), null, true, Integer.MAX_VALUE)).hasSize(4);
        badInput(() -> processes.list(operator, "ZZZZZZZZ", true, 10), "no task ZZZZZZZZ");
        assertThat(processes.list(a, null, false, 10)).extracting(Run::id).containsExactly(r4.id(), r3.id(), r2.id());
    }

    @Test
    void aRunIsShownByItsAgentsIdAsItsLatestRunOrByARunIdPrefix() {
        Run first = spawn(operator, "w1");
        hub.exit(first, 0);
        clock.advance(Duration.ofMillis(40));
        Run second = spawn(operator, "w1");
        Run other = spawn(operator, "w2");

        assertThat(processes.show(operator, "w1").id()).isEqualTo(second.id());
        assertThat(processes.show(operator, " w1 ").id()).isEqualTo(second.id());
        assertThat(processes.show(operator, first.id()).id()).isEqualTo(first.id());
        assertThat(processes.show(operator, first.id().substring(0, 14).toLowerCase()).id()).isEqualTo(first.id());
        assertThat(processes.show(operator, " " + other.id() + " ").agent()).isEqualTo("w2");
        badInput(() -> processes.show(operator, second.id().substring(0, 10)), "process id '" + second.id().substring(0, 10) + "' is ambiguous");
        badInput(() -> processes.show(operator, "abc"), "process id 'abc' is too short: give at least 6 characters");
        badInput(() -> processes.show(operator, "ZZZZZZZZ"), "no process ZZZZZZZZ");
        badInput(() -> processes.show(operator, " "), "no process given: an agent id or a run id");
        badInput(() -> processes.show(operator, null), "no process given");
    }

    // ---------------------------------------------------------------------------------- counts

    @Test
    void statsCountLiveAndQueuedRunsInAllPerTaskAndPerParentAsTheEventsTell() {
        Caller a = register("A");
        String t1 = tasks.create(a, new Tasks.Draft("one", null, null, null, null, null)).task().id();
        String t2 = tasks.create(a, new Tasks.Draft("two", null, null, null, null, null)).task().id();
        maxProcesses(4);
        Run p1 = spawn(operator, "p1", t1);
        Run ended = spawn(as(p1), "ended", t2);
        hub.exit(ended, 0);
        spawn(as(p1), "c1", t1);
        spawn(as(p1), "c2");
        Run plain = spawn(a, "plain");
        hub.starts = false;
        Run q1 = spawn(as(p1), "q1", t2);
        spawn(operator, "q2", t1);
        spawn(as(plain), "q3");
        assertThat(q1.state()).isEqualTo(Run.State.QUEUED);

        Processes.Stats stats = processes.stats(operator);
        assertThat(stats.asOfEvent()).isEqualTo(lastEventId());
        assertThat(stats.live()).isEqualTo(4);
        assertThat(stats.queued()).isEqualTo(3);
        assertThat(stats.byTask()).containsExactlyElementsOf(sorted(new ProcessStore.Count(t1, 2, 1), new ProcessStore.Count(t2, 0, 1)));
        assertThat(stats.byParent()).containsExactly(new ProcessStore.Count("A", 1, 0), new ProcessStore.Count("p1", 2, 1),
                new ProcessStore.Count("plain", 0, 1));
        statsMatchEvents(stats);

        maxProcesses(5);
        Run starting = processes.startNext(hub).orElseThrow().run();
        assertThat(starting.id()).isEqualTo(q1.id());
        stats = processes.stats(a);
        assertThat(stats.live()).as("a starting run counts").isEqualTo(5);
        assertThat(stats.byParent()).contains(new ProcessStore.Count("p1", 3, 0));
        statsMatchEvents(stats);

        hub.exit(run(p1), 0);
        statsMatchEvents(processes.stats(operator));
    }

    private static List<ProcessStore.Count> sorted(ProcessStore.Count... counts) {
        return java.util.Arrays.stream(counts).sorted(java.util.Comparator.comparing(ProcessStore.Count::key)).toList();
    }

    // ---------------------------------------------------------------------------------- the sweep

    @Test
    void theSweepKeepsTheAgentsOfQueuedRunsActiveWhileTheyWait() {
        maxProcesses(1);
        Run running = spawn(operator, "running");
        long runningSeen = agent("running").lastSeen();
        spawn(operator, "waiting");
        register("bystander");

        for (int i = 0; i < 7; i++) { // 7 × 50 s: past agents.stale-after and agents.gone-after
            clock.advance(Duration.ofSeconds(50));
            processes.housekeeping.work().run();
            agents.sweep();
        }
        assertThat(agent("waiting").status()).isEqualTo(Agent.Status.ACTIVE);
        assertThat(agent("waiting").lastSeen()).isEqualTo(clock.millis());
        assertThat(agent("bystander").status()).as("no run keeps it").isEqualTo(Agent.Status.GONE);
        assertThat(agent("running").lastSeen()).as("a running agent lives by its process, not by the sweep").isEqualTo(runningSeen);
        assertThat(agent("running").status()).isEqualTo(Agent.Status.ACTIVE);
        assertThat(processes.housekeeping.name()).isEqualTo("queued processes");

        hub.exit(running, 0);
        assertThat(agent("waiting").status()).isEqualTo(Agent.Status.ACTIVE);
    }

    @Test
    void theSweepWithNothingQueuedChangesNothing() {
        Run running = spawn(operator, "running");
        long seen = agent("running").lastSeen();
        clock.advance(Duration.ofSeconds(30));
        processes.housekeeping.work().run();
        assertThat(agent("running").lastSeen()).isEqualTo(seen);
        assertThat(state(running)).isEqualTo(Run.State.RUNNING);
    }

    // ------------------------------------------------------------------------------ the records

    @Test
    void kindsAndStatesReadTheirLabelsAndARunHasAProcessOnceItsPidAndStartAreKnown() {
        assertThat(Run.Kind.names()).containsExactly("claude", "codex", "command");
        assertThat(Run.Kind.parse(" Claude ")).isEqualTo(Run.Kind.CLAUDE);
        assertThat(Run.Kind.parse("command")).isEqualTo(Run.Kind.COMMAND);
        badInput(() -> Run.Kind.parse("gemini"), "unknown kind 'gemini': use claude, codex, command");
        badInput(() -> Run.Kind.parse(null), "unknown kind 'null'");
        assertThat(Run.Kind.CLAUDE.agentKind()).isEqualTo("claude");
        assertThat(Run.Kind.CODEX.agentKind()).isEqualTo("codex");
        assertThat(Run.Kind.COMMAND.agentKind()).isEqualTo("other");
        assertThat(Run.Kind.COMMAND.label()).isEqualTo("command");

        assertThat(Run.State.names()).containsExactly("queued", "starting", "running", "exited", "killed", "lost");
        assertThat(Run.State.parse("running")).isEqualTo(Run.State.RUNNING);
        for (Run.State state : Run.State.values()) {
            assertThat(state.finished()).as(state + " finished").isEqualTo(List.of("exited", "killed", "lost").contains(state.label()));
            assertThat(state.live()).as(state + " live").isEqualTo(List.of("starting", "running").contains(state.label()));
        }

        Run.Spec spec = command("w1", null);
        Run noPid = new Run("R", "w1", spec, null, 1, Run.State.STARTING, "h", null, null, 5L, null, 0, null, null, null, null, null, 0, null, Run.Usage.NONE);
        Run noStart = new Run("R", "w1", spec, null, 1, Run.State.RUNNING, "h", null, 9L, null, null, 0, null, null, null, null, null, 0, null, Run.Usage.NONE);
        Run both = new Run("R", "w1", spec, null, 1, Run.State.RUNNING, "h", null, 9L, 5L, null, 0, null, null, null, null, null, 0, null, Run.Usage.NONE);
        assertThat(noPid.process()).isNull();
        assertThat(noStart.process()).isNull();
        assertThat(both.process()).isEqualTo(new ProcessIdentity("h", 9, 5));
        assertThat(Run.Usage.NONE).isEqualTo(new Run.Usage(null, null, null, null, null));
    }

    @Test
    void theOperationsRunTheDomainWithTheirDefaults() {
        ProcessOperations operations = new ProcessOperations(processes);
        assertThat(List.of(operations.spawn, operations.list, operations.show, operations.kill, operations.stats)).extracting(op -> op.name())
                .containsExactly("process.spawn", "process.list", "process.show", "process.kill", "process.stats");

        Processes.Spawned spawned = operations.spawn.run(operator, new ProcessOperations.Spawn(List.of("worker"), "w1", null, null, List.of("A=1"),
                null, null, null, null));
        assertThat(spawned.run().spec()).isEqualTo(new Run.Spec("w1", Run.Kind.COMMAND, null, List.of("worker"), Map.of("A", "1"), FakeHub.ROOT, false,
                false, null));
        badInput(() -> operations.spawn.run(operator, new ProcessOperations.Spawn(List.of("worker"), "w2", null, null, null, null, true, true, null)),
                "give --tmux or --worktree, not both");
        badInput(() -> operations.spawn.run(operator, new ProcessOperations.Spawn(List.of("worker"), "w2", null, null, List.of("A"), null, null,
                null, null)), "bad environment entry 'A'");
        Run tmux = operations.spawn.run(operator, new ProcessOperations.Spawn(List.of("worker"), "w2", Run.Kind.CLAUDE, null, null, "d", null, true,
                2.0)).run();
        assertThat(tmux.spec()).isEqualTo(new Run.Spec("w2", Run.Kind.CLAUDE, null, List.of("worker"), Map.of(), "d", false, true, 2.0));
        Run worktree = operations.spawn.run(operator, new ProcessOperations.Spawn(List.of("worker"), "w3", null, null, null, null, true, false,
                null)).run();
        assertThat(worktree.spec().worktree()).isTrue();

        assertThat(new ProcessOperations.Listing(null, null, null, null).limit()).isEqualTo(100);
        assertThat(operations.list.run(operator, new ProcessOperations.Listing("w1", null, null, null))).extracting(Run::agent).containsExactly("w1");
        assertThat(operations.list.run(operator, new ProcessOperations.Listing(null, null, null, 2))).extracting(Run::agent)
                .containsExactly("w3", "w2");
        hub.exit(worktree, 0);
        assertThat(operations.list.run(operator, new ProcessOperations.Listing(null, null, false, null))).hasSize(2);
        assertThat(operations.list.run(operator, new ProcessOperations.Listing(null, null, true, null))).hasSize(3);
        assertThat(operations.show.run(operator, new ProcessOperations.One("w2")).id()).isEqualTo(tmux.id());
        assertThat(operations.stats.run(operator, new ProcessOperations.None()).live()).isEqualTo(2);

        List<Run> killed = operations.kill.run(operator, new ProcessOperations.Kill("w1", null, null, null, null));
        assertThat(killed).extracting(Run::agent, Run::state).containsExactly(tuple("w1", Run.State.KILLED));
        assertThat(hub.signalled).extracting(Run.StopRequest::signal, Run.StopRequest::graceMs).containsExactly(
                tuple("TERM", 10_000L));
        assertThat(lastEvent(killed.getFirst(), "process.stopping").details()).containsEntry("tree", false);
        List<Run> tree = operations.kill.run(operator, new ProcessOperations.Kill("w2", true, StopSignal.KILL, Duration.ZERO, "why"));
        assertThat(lastEvent(tree.getFirst(), "process.stopping").details()).containsEntry("tree", true).containsEntry("graceMs", 0)
                .containsEntry("reason", "why");
    }
}
