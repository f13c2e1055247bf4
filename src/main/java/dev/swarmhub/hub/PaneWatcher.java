package dev.swarmhub.hub;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.Agents;
import dev.swarmhub.agents.PaneBinding;
import dev.swarmhub.host.Tmux;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Looks at the panes of this host's live agents every half second and tells the registry what
 * it saw ({@link Agents#paneSeen}): a screen that changed is progress (an agent without hooks is
 * working); one unchanged for {@link #QUIET_MS} is quiet (such an agent is idle, and only then is
 * anything typed into its pane). Changes are reported at most every few seconds while nothing
 * else changes, so a busy pane does not write to the store twice a second.
 */
final class PaneWatcher implements AutoCloseable {

    /** How long a pane must show the same screen before its agent counts as idle. */
    static final long QUIET_MS = 1_000;
    private static final long LOOK_EVERY_MS = 500;
    /** How often ongoing output is reported as progress when the agent's activity stays the same. */
    private static final long PROGRESS_EVERY_MS = 5_000;

    /** What a pane showed last, since when, and what was reported of it. */
    private record Seen(int screen, long changedAt, boolean quietReported, long reportedAt) {
    }

    private final Agents agents;
    /** Written by the watcher's thread, read by the typist's. */
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();
    private final Thread worker;

    PaneWatcher(Agents agents) {
        this.agents = agents;
        this.worker = BackgroundLoop.start("pane watcher", () -> {
            look();
            Thread.sleep(LOOK_EVERY_MS); // the period of a poll, not a synchronisation
        });
    }

    private void look() {
        Set<String> watched = new HashSet<>();
        for (Agent agent : agents.inPanesHere()) {
            PaneBinding binding = agent.paneBinding();
            Optional<String> screen = new Tmux(binding.socket()).screen(binding.pane());
            if (screen.isEmpty()) {
                continue; // the pane is gone: discovery and the liveness sweep deal with that
            }
            watched.add(agent.id());
            long now = System.nanoTime() / 1_000_000;
            int hash = screen.get().hashCode();
            Seen before = seen.get(agent.id());
            if (before == null || before.screen() != hash) {
                boolean report = before == null || before.quietReported() || agent.activity() != Agent.Activity.WORKING && !agent.hooked()
                        || agent.activity() == Agent.Activity.STALLED || now - before.reportedAt() >= PROGRESS_EVERY_MS;
                if (report) {
                    agents.paneSeen(agent.id(), true);
                }
                seen.put(agent.id(), new Seen(hash, now, false, report ? now : before.reportedAt()));
            } else if (!before.quietReported() && now - before.changedAt() >= QUIET_MS) {
                agents.paneSeen(agent.id(), false);
                seen.put(agent.id(), new Seen(hash, before.changedAt(), true, now));
            }
        }
        seen.keySet().retainAll(watched);
    }

    /**
     * Whether the agent's pane still shows the screen on which it was found quiet: looked at again
     * right before a line is typed into it, since output may have started since the last look.
     */
    boolean stillQuiet(String agent, PaneBinding binding) {
        Seen quiet = seen.get(agent);
        return quiet != null && quiet.quietReported()
                && new Tmux(binding.socket()).screen(binding.pane()).map(screen -> screen.hashCode() == quiet.screen()).orElse(false);
    }

    @Override
    public void close() {
        BackgroundLoop.stop(worker);
    }
}
