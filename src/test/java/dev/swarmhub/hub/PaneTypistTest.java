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
 * the lines a pane receives when its quiet check changes its answer within a round.
 */
class PaneTypistTest {

    @TempDir
    Path project;

    @Test
    void aLineDeferredBecauseThePaneWasBusyIsStillTypedBeforeTheLinesSentAfterIt() {
        try (Services services = Services.open(project)) {
            LocalProcesses processes = new LocalProcesses();
            long pid = ProcessHandle.current().pid();
            long started = processes.startedAt(pid).orElseThrow();
            Agents.Registered recipient = services.agents.register(new Agents.Registration("r", "claude", "%1", null, null,
                    new PaneBinding("/tmp/swarm-test-tmux", "%1", pid, started, pid, started)));
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
}
