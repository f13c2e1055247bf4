package dev.swarmhub.processes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.testing.FakeProcesses;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Killing runs: who may (the operator, the run's own agent, an agent it descends from at any
 * depth), what (with {@code tree}, every run below at every depth), how (TERM or KILL, a grace
 * from 0 to 10 minutes, a reason), a queued run ending at once, and the stop request recorded
 * once. The hub's part ({@link FakeHub}) signals what was asked on its wake, so a kill answers
 * with the runs ended.
 */
class ProcessStoppingTest extends ProcessFixture {

    @Test
    void aSignalAGraceAndAReasonAreCheckedBeforeAnything() {
        Run run = spawn(operator, "w1");
        badInput(() -> processes.kill(operator, "w1", false, "HUP", null, null), "unknown signal 'HUP': use TERM or KILL");
        badInput(() -> processes.kill(operator, "w1", false, "", null, null), "unknown signal '': use TERM or KILL");
        badInput(() -> processes.kill(operator, "nobody", false, "INT", null, null), "unknown signal 'INT'");
        badInput(() -> processes.kill(operator, "w1", false, null, Duration.ofMillis(-1), null), "bad grace -1ms: from 0s to 10m");
        badInput(() -> processes.kill(operator, "w1", false, null, Duration.ofMinutes(10).plusMillis(1), null), "bad grace 600001ms: from 0s to 10m");
        badInput(() -> processes.kill(operator, "w1", false, null, null, "x".repeat(10_000)), "reason is 10000 characters");
        badInput(() -> processes.kill(operator, "w1", false, null, null, "bell\u0007"), "reason");
        assertThat(state(run)).isEqualTo(Run.State.RUNNING);
        assertThat(events()).extracting(Event::kind).doesNotContain("process.stopping");
        assertThat(hub.wakes).hasValue(1);
    }

    @Test
    void signalsAreReadWithOrWithoutSigInAnyCaseAndTheGraceFromZeroToTenMinutes() {
        List<String> asked = List.of(" sigkill ", "kill", "SIGTERM", "Term");
        List<Duration> graces = List.of(Duration.ZERO, Duration.ofMinutes(10), Duration.ofMillis(1), Duration.ofSeconds(3));
        for (int i = 0; i < asked.size(); i++) {
            spawn(operator, "w" + i);
            List<Run> answer = processes.kill(operator, "w" + i, false, asked.get(i), graces.get(i), "  tidy  ");
            assertThat(answer).singleElement().extracting(Run::state).isEqualTo(Run.State.KILLED);
        }
        assertThat(hub.signalled).extracting(Run.StopRequest::signal, Run.StopRequest::graceMs, Run.StopRequest::by, Run.StopRequest::reason)
                .containsExactly(tuple("KILL", 0L, "operator", "tidy"), tuple("KILL", 600_000L, "operator", "tidy"), tuple("TERM", 1L, "operator", "tidy"),
                        tuple("TERM", 3_000L, "operator", "tidy"));
        spawn(operator, "default");
        processes.kill(operator, "default", false, null, null, null);
        assertThat(hub.signalled.getLast()).isEqualTo(new Run.StopRequest(clock.millis(), "TERM", 10_000, "operator", ""));
        assertThat(processes.show(operator, "default").endReason()).isEqualTo("stopped by operator");
        assertThat(processes.show(operator, "w0").endReason()).isEqualTo("stopped by operator: tidy");
        assertThat(processes.show(operator, "w0").exitCode()).isEqualTo(137);
    }

    @Test
    void aKillRecordsItsStopRequestAndAnswersWithTheRunEnded() {
        Run run = spawn(operator, "w1");
        clock.advance(Duration.ofSeconds(4));
        List<Run> answer = processes.kill(operator, run.id().substring(0, 12), false, "TERM", Duration.ofSeconds(2), "enough");

        assertThat(answer).singleElement().satisfies(killed -> {
            assertThat(killed.id()).isEqualTo(run.id());
            assertThat(killed.state()).isEqualTo(Run.State.KILLED);
            assertThat(killed.stop()).isEqualTo(new Run.StopRequest(clock.millis(), "TERM", 2_000, "operator", "enough"));
            assertThat(killed.endReason()).isEqualTo("stopped by operator: enough");
            assertThat(killed.exitCode()).isEqualTo(143);
        });
        assertThat(hub.wakes).hasValue(2);
        assertThat(lastEvent(run, "process.stopping").details()).containsEntry("signal", "TERM").containsEntry("graceMs", 2000)
                .containsEntry("by", "operator").containsEntry("reason", "enough").containsEntry("tree", false).containsEntry("state", "running");
        assertThat(lastEvent(run, "process.killed").details()).containsEntry("durationMs", 4000).containsEntry("exitCode", 143);
        assertThat(agent("w1").status()).isEqualTo(Agent.Status.GONE);
        assertThat(processes.toStop(hub)).isEmpty();

        List<Run> again = processes.kill(operator, "w1", false, "KILL", null, "again");
        assertThat(again).singleElement().isEqualTo(answer.getFirst());
        assertThat(kindsOf(run).stream().filter("process.stopping"::equals)).as("a finished run is not asked again").hasSize(1);
        badInput(() -> processes.kill(operator, "ZZZZZZZZ", false, null, null, null), "no process ZZZZZZZZ");
        badInput(() -> processes.kill(operator, " ", false, null, null, null), "no process given");
    }

    @Test
    void aSoonerStopReplacesAPendingOneAndTheRunEndsAsItSaid() {
        hub.stops = false;
        Run run = processes.spawn(operator, claude("c1", 1.0)).run();
        processes.output(run.id(), 10, new Run.Usage(1L, 1L, 3.0, null, null));
        Run.StopRequest first = run(run).stop();
        assertThat(first.by()).isEqualTo("swarm");

        hub.stops = true;
        clock.advance(Duration.ofSeconds(1));
        List<Run> answer = processes.kill(operator, "c1", false, "KILL", Duration.ZERO, "now");
        assertThat(answer).singleElement().satisfies(killed -> {
            assertThat(killed.stop()).as("KILL now replaces the pending TERM").extracting(Run.StopRequest::by, Run.StopRequest::signal,
                    Run.StopRequest::graceMs).containsExactly("operator", "KILL", 0L);
            assertThat(killed.endReason()).isEqualTo("stopped by operator: now");
        });
        assertThat(kindsOf(run).stream().filter("process.stopping"::equals)).as("the replacing request").hasSize(1);
        assertThat(hub.signalled).last().extracting(Run.StopRequest::signal).isEqualTo("KILL");
    }

    @Test
    void aQueuedRunEndsAtOnceAsKilledBeforeItStarted() {
        maxProcesses(1);
        Run first = spawn(operator, "first");
        Run queued = spawn(operator, "w1");
        hub.stops = false;
        hub.starts = false;

        List<Run> answer = processes.kill(operator, "w1", false, null, null, "not needed");
        assertThat(answer).singleElement().satisfies(killed -> {
            assertThat(killed.state()).isEqualTo(Run.State.KILLED);
            assertThat(killed.endReason()).isEqualTo("stopped by operator before it started: not needed");
            assertThat(killed.stop()).isNull();
            assertThat(killed.pid()).isNull();
            assertThat(killed.startedAt()).isNull();
            assertThat(killed.endedAt()).isEqualTo(clock.millis());
        });
        assertThat(lastEvent(queued, "process.killed").details()).containsEntry("durationMs", null).containsEntry("state", "killed");
        assertThat(kindsOf(queued)).doesNotContain("process.stopping");
        assertThat(agent("w1").status()).isEqualTo(Agent.Status.GONE);
        assertThat(state(first)).isEqualTo(Run.State.RUNNING);

        Run other = spawn(operator, "w2");
        processes.kill(operator, "w2", false, null, null, null);
        assertThat(run(other).endReason()).isEqualTo("stopped by operator before it started");
        assertThat(hub.startDue()).as("nothing left to start").isEmpty();
    }

    @Test
    void killingAQueuedRunWhoseAgentIdWasTakenMeanwhileLeavesTheNewAgentAlone() {
        maxProcesses(1);
        spawn(operator, "first");
        Run queued = spawn(operator, "w1");
        clock.advance(Duration.ofMinutes(6)); // no hub swept the queue: its agent went silent past agents.gone-after
        Caller newW1 = register("w1");

        assertThat(processes.kill(operator, queued.id(), false, null, null, null)).extracting(Run::state).containsExactly(Run.State.KILLED);
        assertThat(agent("w1").status()).as("the agent that now has the id is not the run's").isEqualTo(Agent.Status.ACTIVE);
        assertThat(agents.heartbeat(newW1).id()).isEqualTo("w1");
        assertThat(log.latest("w1", "agent.gone", 10)).as("gone once: while the run waited").hasSize(1);
    }

    @Test
    void theOperatorAnAgentItselfAndItsAncestorsAtAnyDepthMayStopItNoOneElse() {
        maxProcesses(10);
        Run w1 = spawn(operator, "w1");
        Run w2 = spawn(as(w1), "w2");
        Run w3 = spawn(as(w2), "w3");
        Run sibling = spawn(as(w1), "sibling");
        Run stranger = spawn(operator, "stranger");
        Caller plain = register("plain");

        for (var refusal : List.of(new Object[] {as(w3), "w2"}, new Object[] {as(w3), "w1"}, new Object[] {as(sibling), "w2"},
                new Object[] {as(sibling), "w3"}, new Object[] {as(stranger), "w3"}, new Object[] {plain, "w1"}, new Object[] {as(w2), "sibling"})) {
            Caller who = (Caller) refusal[0];
            String target = (String) refusal[1];
            denied(() -> processes.kill(who, target, false, null, null, null), "agent " + who.agent() + " may not stop " + target
                    + ": only the operator, the agent itself or an agent it was spawned by (at any depth) may");
        }
        refused(() -> processes.kill(Caller.ofAgent("w1", "wrong"), "w3", false, null, null, null), SwarmException.Kind.UNAUTHENTICATED, "");
        assertThat(events()).extracting(Event::kind).doesNotContain("process.stopping");
        assertThat(processes.list(operator, null, false, 10)).hasSize(5);

        assertThat(processes.kill(as(w1), "w3", false, null, null, null)).extracting(Run::state).containsExactly(Run.State.KILLED);
        assertThat(run(w3).endReason()).isEqualTo("stopped by w1");
        assertThat(processes.kill(as(sibling), sibling.id(), false, null, null, "done")).extracting(Run::state).containsExactly(Run.State.KILLED);
        assertThat(run(sibling).endReason()).isEqualTo("stopped by sibling: done");
        assertThat(processes.kill(as(w1), "w2", false, null, null, null)).extracting(Run::state).containsExactly(Run.State.KILLED);
        assertThat(processes.kill(operator, "stranger", false, null, null, null)).extracting(Run::state).containsExactly(Run.State.KILLED);
        assertThat(state(w1)).isEqualTo(Run.State.RUNNING);
    }

    @Test
    void anAgentThatIsNoRunStopsWhatItSpawnedAndWhatThoseSpawned() {
        Caller a = register("A");
        Run child = spawn(a, "child");
        Run grandchild = spawn(as(child), "grandchild");
        Run greatGrandchild = spawn(as(grandchild), "great");
        assertThat(processes.kill(a, "great", false, null, null, null)).extracting(Run::agent, Run::state)
                .containsExactly(tuple("great", Run.State.KILLED));
        assertThat(processes.kill(a, "child", false, null, null, null)).extracting(Run::agent).containsExactly("child");
        assertThat(state(grandchild)).as("without --tree the children run on").isEqualTo(Run.State.RUNNING);
        assertThat(run(greatGrandchild).stop().by()).isEqualTo("A");
        Caller b = register("B");
        denied(() -> processes.kill(b, "grandchild", false, null, null, null), "agent B may not stop grandchild");
    }

    @Test
    void aTreeKillReachesEveryRunBelowAtEveryDepthQueuedOnesEndingAtOnce() {
        maxProcesses(5);
        Run root = spawn(operator, "root");
        Run c1 = spawn(as(root), "c1");
        Run c2 = spawn(as(root), "c2");
        Run g1 = spawn(as(c1), "g1");
        Run unrelated = spawn(operator, "unrelated");
        Run queuedChild = spawn(as(c2), "q1");
        Run queuedElse = spawn(operator, "queuedElse");
        assertThat(List.of(queuedChild.state(), queuedElse.state())).containsOnly(Run.State.QUEUED);
        hub.starts = false;

        List<Run> answer = processes.kill(operator, "root", true, "KILL", Duration.ofSeconds(5), "wrap up");

        assertThat(answer.getFirst().id()).isEqualTo(root.id());
        assertThat(answer).extracting(Run::agent).containsExactlyInAnyOrder("root", "c1", "c2", "g1", "q1");
        assertThat(answer).extracting(Run::state).containsOnly(Run.State.KILLED);
        for (Run live : List.of(root, c1, c2, g1)) {
            Run killed = run(live);
            assertThat(killed.endReason()).isEqualTo("stopped by operator: wrap up");
            assertThat(killed.stop()).isEqualTo(new Run.StopRequest(clock.millis(), "KILL", 5_000, "operator", "wrap up"));
            assertThat(lastEvent(live, "process.stopping").details()).containsEntry("tree", true).containsEntry("signal", "KILL");
            assertThat(agent(live.agent()).status()).isEqualTo(Agent.Status.GONE);
        }
        assertThat(run(queuedChild).endReason()).isEqualTo("stopped by operator before it started: wrap up");
        assertThat(hub.signalled).hasSize(4);
        assertThat(state(unrelated)).isEqualTo(Run.State.RUNNING);
        assertThat(state(queuedElse)).isEqualTo(Run.State.QUEUED);
        assertThat(hub.startDue()).extracting(Run::agent).containsExactly("queuedElse");
    }

    @Test
    void aTreeKillBelowTheTopLeavesTheRunsAboveAndBesideAndSkipsFinishedOnes() {
        Run root = spawn(operator, "root");
        Run mid = spawn(as(root), "mid");
        Run leaf = spawn(as(mid), "leaf");
        Run done = spawn(as(mid), "done");
        Run aside = spawn(as(root), "aside");
        hub.exit(done, 0);

        List<Run> answer = processes.kill(as(root), "mid", true, null, null, null);
        assertThat(answer).extracting(Run::agent).containsExactly("mid", "leaf");
        assertThat(kindsOf(done)).doesNotContain("process.stopping", "process.killed");
        assertThat(state(root)).isEqualTo(Run.State.RUNNING);
        assertThat(state(aside)).isEqualTo(Run.State.RUNNING);
        assertThat(run(leaf).stop().by()).isEqualTo("root");

        assertThat(processes.kill(as(root), "root", true, null, null, null)).extracting(Run::agent).containsExactly("root", "aside");
    }

    @Test
    void runsNotSupervisedHereMayStillBeAskedToStop() {
        maxProcesses(1);
        spawn(operator, "first");
        Run queued = spawn(operator, "w1");
        Processes noHub = new Processes(store, agents, tasks, machine);
        assertThat(noHub.kill(operator, "w1", false, null, null, null)).extracting(Run::state).containsExactly(Run.State.KILLED);
        assertThat(noHub.list(operator, null, true, 10)).extracting(Run::agent).containsExactly("w1", "first");
        assertThat(noHub.show(operator, queued.id()).state()).isEqualTo(Run.State.KILLED);
        assertThat(hub.wakes).as("this hub was not asked").hasValue(2);
    }
}
