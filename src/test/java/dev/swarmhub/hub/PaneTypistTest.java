package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.Agents;
import dev.swarmhub.agents.PaneBinding;
import dev.swarmhub.host.LocalProcesses;
import dev.swarmhub.host.PaneTyper;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.messages.MessageType;
import dev.swarmhub.messages.Messages;
import dev.swarmhub.testing.Await;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hub's typist in-process, with the typing into tmux replaced by a recorder: the order of
 * the lines a pane receives when its quiet check changes its answer within a round, and which
 * panes are typed into while another agent is busy.
 */
class PaneTypistTest {

    @TempDir
    Path project;

    @Test
    void aLineDeferredBecauseThePaneWasBusyIsStillTypedBeforeTheLinesSentAfterIt() {
        try (Services services = Services.open(project)) {
            LocalProcesses processes = new LocalProcesses();
            Agents.Registered recipient = registerInPane(services, processes, "r", "%1");
            services.agents.report(Caller.ofAgent("r", recipient.token()), Agent.Activity.IDLE);
            Agents.Registered sender = services.agents.register(new Agents.Registration("w", "other", null, null, null));
            List<String> sent = new ArrayList<>();
            for (int k = 0; k < 3; k++) {
                sent.add(services.messages.send(Caller.ofAgent("w", sender.token()), List.of("r"),
                        new Messages.Draft(MessageType.INFO, "line " + k, null, null, null)).id());
            }

            List<String> typed = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger looks = new AtomicInteger();
            // the pane watcher's answer turns between two looks in one round: output seen, then quiet again
            try (PaneTypist typist = new PaneTypist(services.paneTypings, services.store, (binding, line) -> {
                typed.add(line);
                return new PaneTyper.Outcome(true, null);
            }, processes.host(), typing -> looks.getAndIncrement() > 0)) {
                Await.until("three lines typed", () -> typed.size() == 3);
            }
            assertThat(typed).as("lines in the order sent").hasSize(3);
            for (int k = 0; k < 3; k++) {
                assertThat(typed.get(k)).as("line %d", k).contains(sent.get(k));
            }
        }
    }

    @Test
    void aBusyAgentsLongQueueDoesNotHoldBackTheLinesOfAnIdleOne() {
        try (Services services = Services.open(project)) {
            LocalProcesses processes = new LocalProcesses();
            Agents.Registered busy = registerInPane(services, processes, "busy", "%1");
            services.agents.report(Caller.ofAgent("busy", busy.token()), Agent.Activity.WORKING);
            Agents.Registered idle = registerInPane(services, processes, "idle", "%2");
            services.agents.report(Caller.ofAgent("idle", idle.token()), Agent.Activity.IDLE);
            services.settings.set(Caller.ofOperator(), "messages.rate-limit", "1000/1m");
            Agents.Registered sender = services.agents.register(new Agents.Registration("w", "other", null, null, null));
            Caller writer = Caller.ofAgent("w", sender.token());
            for (int k = 0; k < 120; k++) { // more than a round's batch, all sent before the idle agent's line
                services.messages.send(writer, List.of("busy"), new Messages.Draft(MessageType.INFO, "busy " + k, null, null, null));
            }
            String toIdle = services.messages.send(writer, List.of("idle"), new Messages.Draft(MessageType.INFO, "for the idle one", null, null, null)).id();

            List<String> typedPanes = Collections.synchronizedList(new ArrayList<>());
            try (PaneTypist typist = new PaneTypist(services.paneTypings, services.store, (binding, line) -> {
                typedPanes.add(binding.pane() + " " + line);
                return new PaneTyper.Outcome(true, null);
            }, processes.host(), typing -> true)) {
                Await.until("the idle agent's line typed", () -> !typedPanes.isEmpty());
            }
            assertThat(typedPanes).as("only the idle agent's pane, nothing mid-output").singleElement().asString()
                    .startsWith("%2 ").contains(toIdle);
        }
    }

    private static Agents.Registered registerInPane(Services services, LocalProcesses processes, String name, String pane) {
        long pid = ProcessHandle.current().pid();
        long started = processes.startedAt(pid).orElseThrow();
        return services.agents.register(new Agents.Registration(name, "claude", pane, null, null,
                new PaneBinding("/tmp/swarm-test-tmux", pane, pid, started, pid, started)));
    }
}
