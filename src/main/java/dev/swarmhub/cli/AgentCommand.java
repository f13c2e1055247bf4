package dev.swarmhub.cli;

import dev.swarmhub.agents.AgentOperations;
import dev.swarmhub.agents.Agents;
import dev.swarmhub.agents.PaneBinding;
import dev.swarmhub.host.AgentCredentials;
import dev.swarmhub.host.PaneGuard;
import dev.swarmhub.host.Tmux;
import dev.swarmhub.hub.JsonViews;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.leases.Lease;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code swarm agent ...}: one agent's registration and presence. */
@Command(name = "agent", description = "Register an agent, keep it alive, let it leave.",
        subcommands = {AgentCommand.Register.class, AgentCommand.Heartbeat.class, AgentCommand.Leave.class,
                AgentCommand.Env.class, AgentCommand.Remove.class})
final class AgentCommand {

    @ParentCommand
    Swarm swarm;

    static String exports(String id, String token) {
        return "export SWARM_AGENT=" + id + "\nexport SWARM_TOKEN=" + token + "\n";
    }

    @Command(name = "register", description = "Register an agent and print its token (shown only once).")
    static final class Register implements Callable<Integer> {
        @ParentCommand
        AgentCommand agent;

        @Option(names = "--id", paramLabel = "ID", description = "The agent id (default: the next free agent-N).")
        String id;

        @Option(names = "--kind", paramLabel = "KIND",
                description = "claude, codex, aider, gemini, cursor, human or other (default: other, or the claimed agent's kind).")
        String kind;

        @Option(names = "--pane", paramLabel = "%N", description = "Its tmux pane, where messages are typed while the agent runs "
                + "in its foreground (registering on a discovered agent's pane claims it).")
        String pane;

        @Option(names = "--tmux-socket", paramLabel = "PATH",
                description = "The pane's tmux server (default: the one of this terminal, $TMUX, else $SWARM_TMUX_SOCKET).")
        String socket;

        @Option(names = "--pid", paramLabel = "PID", description = "Its process on this host: when it exits, the agent is gone "
                + "(with --pane, default: the pane's foreground process).")
        Long pid;

        @Option(names = "--label", paramLabel = "TEXT", description = "A note for people (what it works on).")
        String label;

        @Override
        public Integer call() {
            Agents.Registered registered;
            Swarm swarm = agent.swarm;
            PaneBinding binding = null;
            if (pane != null) {
                Agents.Registration.checkPane(pane); // a bad id is refused before tmux sees it
                binding = new PaneGuard().bind(new Tmux(swarm.tmuxSocket(socket)), pane, pid, swarm.callerPid());
            } else if (socket != null) {
                throw SwarmException.badInput("--tmux-socket names the server of a --pane: give the pane too");
            }
            Agents.Registration registration = new Agents.Registration(id, kind, pane, pid, label, binding);
            try (CommandServices services = swarm.services()) { // the token is kept for the agent's own processes' commands
                registered = AgentCredentials.register(swarm.projectRoot(), () -> services.agents.register(registration));
            }
            return agent.swarm.output.result(JsonViews.registered(registered.agent(), registered.token()), "registered " + registered.agent().id()
                    + " (the token is shown only this once)\n" + exports(registered.agent().id(), registered.token()));
        }
    }

    @Command(name = "heartbeat", description = "Tell the hub the agent is alive (any authenticated call does too).")
    static final class Heartbeat implements Callable<Integer> {
        @ParentCommand
        AgentCommand agent;

        @Override
        public Integer call() {
            return agent.swarm.run(services -> services.agentEndpoints.heartbeat, agent.swarm.agentCaller(), new AgentOperations.None(),
                    seen -> seen.id() + " is " + seen.status().label());
        }
    }

    @Command(name = "leave", description = "The agent leaves: its leases are released and it is gone.")
    static final class Leave implements Callable<Integer> {
        @ParentCommand
        AgentCommand agent;

        @Override
        public Integer call() {
            return agent.swarm.run(services -> services.agentEndpoints.leave, agent.swarm.agentCaller(), new AgentOperations.None(),
                    released -> "left; released " + released.size() + " lease(s)");
        }
    }

    @Command(name = "env", description = "Operator: issue a fresh token for an agent and print the shell exports.")
    static final class Env implements Callable<Integer> {
        @ParentCommand
        AgentCommand agent;

        @Parameters(paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            String token;
            try (CommandServices services = agent.swarm.services()) {
                token = services.agents.issueToken(agent.swarm.operatorCaller(), id);
            }
            return agent.swarm.output.result(Output.document("id", id, "token", token), exports(id, token));
        }
    }

    @Command(name = "remove", description = "Operator: release an agent's leases and delete it from the registry.")
    static final class Remove implements Callable<Integer> {
        @ParentCommand
        AgentCommand agent;

        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--reason", paramLabel = "TEXT", description = "Why (recorded in the log).")
        String reason;

        @Override
        public Integer call() {
            List<Lease> released;
            try (CommandServices services = agent.swarm.services()) {
                released = services.agents.remove(agent.swarm.operatorCaller(), id, reason);
            }
            return agent.swarm.output.result(Output.document("removed", id, "released", JsonViews.leases(released)),
                    "removed " + id + "; released " + released.size() + " lease(s)");
        }
    }
}
