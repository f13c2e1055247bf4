package dev.swarmhub.messages;

import dev.swarmhub.kernel.SwarmException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** What a message is about. ESCALATION is the hub's own: agents cannot send it. */
public enum MessageType {
    QUESTION, REVIEW_REQUEST, BLOCKED, COMPLETED, CHALLENGE, INFO, ACK, ESCALATION;

    /** As written: REVIEW-REQUEST. */
    public String label() {
        return name().replace('_', '-');
    }

    /** Whether a message of this type needs an ACK unless the sender says otherwise. */
    public boolean needsAckByDefault() {
        return this == BLOCKED;
    }

    /** The labels of the types an agent may send (every type but the hub's own ESCALATION). */
    public static List<String> names() {
        return Arrays.stream(values()).filter(type -> type != ESCALATION).map(MessageType::label).toList();
    }

    /** A type an agent may send, case-insensitive, with '-' or '_'. */
    public static MessageType parse(String text) {
        if (text != null) {
            String name = text.strip().toUpperCase(Locale.ROOT).replace('-', '_');
            for (MessageType type : values()) {
                if (type != ESCALATION && type.name().equals(name)) {
                    return type;
                }
            }
        }
        throw SwarmException.badInput("unknown message type '" + text + "': use " + String.join(", ", names()));
    }

    public static MessageType stored(String label) {
        return valueOf(label.replace('-', '_'));
    }
}
