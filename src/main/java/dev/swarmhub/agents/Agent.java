package dev.swarmhub.agents;

import dev.swarmhub.kernel.SwarmException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A registered agent. {@code pane} is a tmux pane id such as {@code %3} of the server at
 * {@code tmuxSocket}, which ran the process {@code panePid} (started at {@code panePidStartedAt})
 * when the agent was bound to it; {@code pid} and {@code pidStartedAt} identify the agent's own
 * process on {@code host} (the start time tells a reused pid apart). {@code claimed}: someone
 * holds its token (discovered agents start unclaimed). {@code session}: the client session it
 * runs as (such as {@code claude:SESSION-ID}), by which a restarted client resumes it; null
 * when it registered without one. {@code activity}: what it is doing, since {@code activitySince}
 * (null: nobody has told); {@code progressAt}: its latest sign of progress (a tool used, pane
 * output), which tells a stalled agent from a working one.
 */
public record Agent(String id, String kind, Status status, String label, String pane, String tmuxSocket, Long panePid,
                    Long panePidStartedAt, Long pid, Long pidStartedAt, String host, long registeredAt, long lastSeen,
                    long statusSince, boolean claimed, String session, Activity activity, long activitySince, long progressAt) {

    /** Where its messages may be typed; null when it has no pane, or a pane recorded without its server and processes. */
    public PaneBinding paneBinding() {
        if (pane == null || tmuxSocket == null || panePid == null || panePidStartedAt == null || pid == null || pidStartedAt == null) {
            return null;
        }
        return new PaneBinding(tmuxSocket, pane, panePid, panePidStartedAt, pid, pidStartedAt);
    }

    /**
     * Whether messages to it are queued for typing into its pane (when sent, and again on each
     * retry): it has a pane, is not gone, and has no hooks (they hand its messages to its model).
     * The one statement of that rule; the store only records the queue ({@code pane = 'pending'}).
     */
    public boolean hasLivePane() {
        return pane != null && status != Status.GONE && !hooked();
    }

    /** Whether someone should look at it: a prompt waits for an answer, it makes no progress, or it went silent (stale). */
    public boolean needsHuman() {
        return status == Status.STALE || status != Status.GONE && activity != null && activity.needsHuman();
    }

    /** Whether it is idle: at its prompt, not mid-output, so a line typed into its pane interrupts nothing. */
    public boolean idle() {
        return activity == Activity.IDLE;
    }

    /** Whether its client's hooks tell what it does (it registered as a client session): its pane is then only a sign of progress. */
    public boolean hooked() {
        return session != null;
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

    /** What an agent is doing, as its hooks and its pane tell; {@code STALLED} is derived: working without progress for a while. */
    public enum Activity {
        WORKING, IDLE, WAITING_FOR_INPUT, STALLED;

        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static List<String> names() {
            return Arrays.stream(values()).map(Activity::label).toList();
        }

        /** The activity named by its label, or null for null. */
        public static Activity parse(String label) {
            if (label == null) {
                return null;
            }
            for (Activity activity : values()) {
                if (activity.label().equalsIgnoreCase(label.strip())) {
                    return activity;
                }
            }
            throw SwarmException.badInput("unknown activity '" + label + "': use " + String.join(", ", names()));
        }

        /** Needs a human: a prompt waits for an answer, or the agent makes no progress. */
        public boolean needsHuman() {
            return this == WAITING_FOR_INPUT || this == STALLED;
        }
    }

    /** The agent's client, as registered. */
    public enum Kind {
        CLAUDE, CODEX, AIDER, GEMINI, CURSOR, HUMAN, OTHER;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static List<String> names() {
            return Arrays.stream(values()).map(Kind::label).toList();
        }

        public static Kind parse(String label) {
            String wanted = label == null ? "" : label.strip();
            return Arrays.stream(values()).filter(kind -> kind.label().equalsIgnoreCase(wanted)).findFirst().orElseThrow(() ->
                    SwarmException.badInput("unknown agent kind '" + label + "': use one of " + String.join(", ", names())));
        }
    }

    public static final List<String> KINDS = Kind.names();
}
