package dev.swarmhub.agents;

import dev.swarmhub.kernel.SwarmException;

/**
 * Where an agent's messages may be typed: pane {@code pane} (such as %3) of the tmux server at
 * {@code socket}, while that pane still runs the process tmux started in it ({@code panePid},
 * told apart from a reused pid by its start time) and the agent's own process ({@code agentPid},
 * with its start time) is in the pane's foreground. Pane ids are per server and reused, so the
 * pane id alone names no terminal.
 */
public record PaneBinding(String socket, String pane, long panePid, long panePidStartedAt, long agentPid, long agentStartedAt) {

    public PaneBinding {
        if (socket == null || socket.isBlank()) {
            throw SwarmException.badInput("a pane binding needs its tmux server's socket");
        }
    }
}
