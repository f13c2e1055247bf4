package dev.swarmhub.messages;

import dev.swarmhub.kernel.SwarmException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** How soon a message wants its recipients' attention; stored and shown by its label. */
public enum MessagePriority {
    NORMAL, URGENT;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The labels, for schemas and errors. */
    public static List<String> names() {
        return Arrays.stream(values()).map(MessagePriority::label).toList();
    }

    /** A priority by its label, case-insensitive. */
    public static MessagePriority parse(String text) {
        if (text != null) {
            for (MessagePriority priority : values()) {
                if (priority.label().equalsIgnoreCase(text.strip())) {
                    return priority;
                }
            }
        }
        throw SwarmException.badInput("unknown priority '" + text + "': use " + String.join(" or ", names()));
    }
}
