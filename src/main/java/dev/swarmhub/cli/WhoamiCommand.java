package dev.swarmhub.cli;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.AgentOperations;
import dev.swarmhub.hub.JsonViews;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.SwarmException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code swarm whoami}: the caller from SWARM_AGENT + SWARM_TOKEN, else from its process (verified), else from $TMUX_PANE. */
@Command(name = "whoami", description = "Show which agent you are: from SWARM_AGENT/SWARM_TOKEN, else the agent whose process runs "
        + "this command, else from $TMUX_PANE.")
final class WhoamiCommand implements Callable<Integer> {

    @ParentCommand
    Swarm swarm;

    @Override
    public Integer call() {
        String pane = swarm.environment("TMUX_PANE");
        Agent agent;
        String how;
        Caller caller = swarm.agentCaller();
        if (caller.agent() != null) { // the token is checked: a heartbeat, as any authenticated call is
            agent = swarm.call(services -> services.agentEndpoints.heartbeat, caller, new AgentOperations.None());
            how = swarm.tokenOrNull() != null ? "token" : "process";
        } else if (pane != null) {
            String socket = swarm.tmuxSocket(null);
            try (CommandServices services = swarm.services()) {
                agent = services.agents.onPane(socket, pane).orElseThrow(() -> SwarmException.badInput(
                        "no agent registered on tmux pane " + pane + " of " + socket + ": run swarm agent register --pane " + pane));
            }
            how = "tmux pane";
        } else {
            throw SwarmException.badInput("cannot tell who you are: set SWARM_AGENT and SWARM_TOKEN, or run inside tmux");
        }
        return swarm.output.result(JsonViews.resolved(agent, how), agent.id() + " (" + agent.kind() + ", " + agent.status().label()
                + (agent.pane() == null ? "" : ", pane " + agent.pane()) + "; known by " + how + ")");
    }
}
