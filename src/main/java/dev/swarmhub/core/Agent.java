package dev.swarmhub.core;

import java.util.List;
import java.util.Locale;

/**
 * A registered agent. {@code pane} is a tmux pane id such as {@code %3}; {@code pid} and
 * {@code pidStartedAt} identify its process on {@code host} (the start time tells a reused pid
 * apart). {@code claimed}: someone holds its token (discovered agents start unclaimed).
 */
public record Agent(String id, String kind, Status status, String label, String pane, Long pid, Long pidStartedAt,
                    String host, long registeredAt, long lastSeen, long statusSince, boolean claimed) {

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
