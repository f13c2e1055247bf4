package dev.swarmhub.cli;

import dev.swarmhub.agents.AgentOperations;
import dev.swarmhub.agents.Agents;
import dev.swarmhub.host.AgentFinder;
import dev.swarmhub.host.Tmux;
import dev.swarmhub.hub.JsonViews;
import dev.swarmhub.kernel.Caller;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code swarm agents}: the registry, and discovery of agents running in tmux panes. */
@Command(name = "agents", description = "List the agents here (active, stale; gone ones with --all) with the leases they hold.",
        subcommands = AgentsCommand.Discover.class)
final class AgentsCommand implements Callable<Integer> {

    @ParentCommand
    Swarm swarm;

    @Option(names = "--problems", description = "Only the agents that need a human: waiting for input, stalled, or stale.")
    boolean problems;

    @Option(names = "--all", description = "Gone agents too (by default only active and stale ones).")
    boolean all;

    @Override
    public Integer call() {
        return swarm.run(services -> services.agentEndpoints.list, Caller.ofAgent(null, null), new AgentOperations.Listing(problems, all),
                listed -> listed.isEmpty() && problems ? "no agent needs a human\n" : text(listed));
    }

    private static String text(List<Agents.Listed> listed) {
        StringBuilder text = new StringBuilder();
        for (Agents.Listed entry : listed) {
            var agent = entry.agent();
            text.append(String.format(Locale.ROOT, "%-24s %-7s %-6s %-17s %-5s %-8s last seen %s%s%n", agent.id(), agent.kind(),
                    agent.status().label(), agent.activity() == null ? "-" : agent.activity().label(), agent.pane() == null ? "-" : agent.pane(),
                    agent.pid() == null ? "-" : agent.pid(), Output.clock(agent.lastSeen()),
                    entry.leases().isEmpty() ? "" : "  holds " + String.join(" ", entry.leases())));
        }
        return listed.isEmpty() ? "no agents registered\n" : text.toString();
    }

    @Command(name = "discover", description = "Find agents in tmux panes working in this project and register them.")
    static final class Discover implements Callable<Integer> {
        @ParentCommand
        AgentsCommand agents;

        @ClientSide.RunsInClient
        @Option(names = "--watch", description = "Keep discovering until interrupted.")
        boolean watch;

        @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "2s", description = "Pause between rounds with --watch (default 2s).")
        String interval;

        @Option(names = "--tmux-socket", paramLabel = "PATH",
                description = "The tmux server's socket (default: the one of this terminal, $TMUX, else $SWARM_TMUX_SOCKET, else tmux's default).")
        String socket;

        @Override
        public Integer call() throws InterruptedException {
            Swarm swarm = agents.swarm;
            Path root = swarm.projectRoot();
            Duration pause = LockCommand.duration("--interval", interval);
            AgentFinder finder = new AgentFinder(AgentFinder.patternsFor(root), root);
            Tmux tmux = new Tmux(swarm.tmuxSocket(socket));
            try (CommandServices services = swarm.services()) {
                while (true) {
                    Optional<List<Tmux.Pane>> panes = tmux.panes();
                    // an unreachable server tells nothing about its panes: no agent is marked gone for it
                    Agents.Discovery found = panes.isEmpty() ? null : services.agents.reconcile(tmux.socket(), finder.find(tmux.socket(), panes.get()),
                            panes.get().stream().map(Tmux.Pane::id).collect(Collectors.toSet()));
                    String text = found == null ? "tmux server " + tmux.socket() + " cannot be reached: its agents' state is unknown, "
                            + "none marked gone\n" : describe(found);
                    if (!watch) {
                        return swarm.output.result(found == null
                                ? Output.document("tmuxSocket", tmux.socket(), "reachable", false, "registered", List.of(),
                                        "seenAgain", List.of(), "gone", List.of())
                                : Output.document("tmuxSocket", tmux.socket(), "reachable", true,
                                        "registered", found.registered().stream().map(a -> JsonViews.agent(a, null)).toList(),
                                        "seenAgain", found.seenAgain().stream().map(a -> a.id()).toList(),
                                        "gone", found.gone()), text);
                    }
                    if (found == null || !found.registered().isEmpty() || !found.gone().isEmpty()) {
                        swarm.output.line(text);
                    }
                    Thread.sleep(pause.toMillis());
                }
            }
        }

        private static String describe(Agents.Discovery found) {
            StringBuilder text = new StringBuilder();
            found.registered().forEach(a -> text.append("found ").append(a.id()).append(" (").append(a.kind())
                    .append(") in pane ").append(a.pane()).append('\n'));
            found.gone().forEach(id -> text.append("gone ").append(id).append('\n'));
            text.append(found.seenAgain().size()).append(" known agent(s) still running\n");
            return text.toString();
        }
    }
}
