package dev.swarmhub.agents;

import java.util.List;
import java.util.Locale;

/**
 * A registered agent. {@code pane} is a tmux pane id such as {@code %3} of the server at
 * {@code tmuxSocket}, which ran the process {@code panePid} (started at {@code panePidStartedAt})
 * when the agent was bound to it; {@code pid} and {@code pidStartedAt} identify the agent's own
 * process on {@code host} (the start time tells a reused pid apart). {@code claimed}: someone
 * holds its token (discovered agents start unclaimed).
 */
public record Agent(String id, String kind, Status status, String label, String pane, String tmuxSocket, Long panePid,
                    Long panePidStartedAt, Long pid, Long pidStartedAt, String host, long registeredAt, long lastSeen,
                    long statusSince, boolean claimed) {

    /** Where its messages may be typed; null when it has no pane, or a pane recorded without its server and processes. */
    public PaneBinding paneBinding() {
        if (pane == null || tmuxSocket == null || panePid == null || panePidStartedAt == null || pid == null || pidStartedAt == null) {
            return null;
        }
        return new PaneBinding(tmuxSocket, pane, panePid, panePidStartedAt, pid, pidStartedAt);
    }

    /**
     * Whether messages to it are queued for typing into its pane (when sent, and again on each
     * retry): it has a pane and is not gone. The one statement of that rule; the store only
     * records the queue ({@code pane = 'pending'}).
     */
    public boolean hasLivePane() {
        return pane != null && status != Status.GONE;
    }

    public enum Status {
        ACTIVE, STALE, GONE;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Status parse(String text) {
            return valueOf(text.toUpperCase(Locale.ROOT));
        }
    }

    public static final List<String> KINDS = List.of("claude", "codex", "aider", "gemini", "cursor", "human", "other");
}
