package dev.swarmhub.messages;

import java.util.List;

/**
 * A stored message with every recipient's state. {@code thread} is the id of the thread's first
 * message; {@code signature} the HMAC the store keeps with it (see {@link MessageSignature}).
 */
public record Message(String id, String sender, MessageType type, String priority, String thread, String replyTo,
                      String text, boolean ackRequired, long createdAt, String signature, List<Recipient> recipients) {

    /** One recipient's progress: stored → delivered → read → acked (store times; null: not yet). */
    public record Recipient(String agent, long storedAt, Long deliveredAt, Long readAt, Long ackedAt, int attempts,
                            Long nextRetryAt, boolean escalated, String pane) {

        /** The pane receipt of a typing the typist has not done yet. */
        public static final String PANE_PENDING = "pending";

        /**
         * What became of the last delivery to its pane: typed; queued (the typist has not typed it
         * yet); failed: why (it stays in the inbox); inbox (no pane: it waits in the inbox only).
         */
        public String delivery() {
            if (pane == null) {
                return "inbox";
            }
            return switch (pane) {
                case PANE_PENDING -> "queued";
                case "delivered" -> "typed";
                default -> pane;
            };
        }
    }

    /** This message with its signature set. */
    public Message signed(String signature) {
        return new Message(id, sender, type, priority, thread, replyTo, text, ackRequired, createdAt, signature, recipients);
    }

    /** This message with its text withheld (null): what readers get of a message whose signature fails. */
    public Message withoutText() {
        return new Message(id, sender, type, priority, thread, replyTo, null, ackRequired, createdAt, signature, recipients);
    }

    public List<String> recipientNames() {
        return recipients.stream().map(Recipient::agent).sorted().toList();
    }

    public Recipient recipient(String agent) {
        return recipients.stream().filter(r -> r.agent().equals(agent)).findFirst().orElse(null);
    }
}
