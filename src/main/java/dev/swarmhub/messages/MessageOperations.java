package dev.swarmhub.messages;

import dev.swarmhub.kernel.Doc;
import dev.swarmhub.kernel.Effect;
import dev.swarmhub.kernel.Operation;
import dev.swarmhub.kernel.SwarmException;
import java.time.Duration;
import java.util.List;

/** The message operations as every adapter offers them: arguments with their defaults and limits, and what each does. */
public final class MessageOperations {

    public record Send(
            @Doc(value = "Recipient agent ids", required = true) List<String> to,
            @Doc(value = "Message type", required = true) MessageType type,
            @Doc(value = "The message", required = true) String text,
            @Doc("Default normal") MessagePriority priority,
            @Doc("Ask recipients to ACK") Boolean ack,
            @Doc("Join this message's thread") String thread) {
        public Send {
            if (to.isEmpty()) {
                throw SwarmException.badInput("'to' is empty: name the recipient agents");
            }
        }

        Messages.Draft draft() {
            return new Messages.Draft(type, text, label(priority), ack, thread);
        }
    }

    public record Broadcast(
            @Doc(value = "Message type", required = true) MessageType type,
            @Doc(value = "The message", required = true) String text,
            @Doc("Default normal") MessagePriority priority,
            @Doc("Ask recipients to ACK") Boolean ack,
            @Doc("true: send it to this agent too") Boolean includeSelf) {
    }

    public record Reply(
            @Doc(value = "Message id or unique prefix", required = true) String message,
            @Doc(value = "The reply", required = true) String text,
            @Doc("Default INFO") MessageType type,
            @Doc("Default normal") MessagePriority priority,
            @Doc("Ask for an ACK") Boolean ack) {
        public Reply {
            type = type == null ? MessageType.INFO : type;
        }
    }

    public record Inbox(
            @Doc("true: only unread messages") Boolean unread,
            @Doc(value = "If none is unread, wait up to this long", example = "30s", name = "wait") Duration waitFor) {
    }

    /** One message, by its id or a unique prefix of it. */
    public record One(@Doc(value = "Message id or unique prefix", required = true) String message) {
    }

    public record Search(
            @Doc(value = "Words that must all occur (word* for a prefix)", required = true) String query,
            @Doc("At most this many (default 20)") Integer limit) {
        public Search {
            limit = limit == null ? 20 : limit;
        }
    }

    public record Recent(
            @Doc("Only messages older than this message id (the next page)") String before,
            @Doc("At most this many (default 50)") Integer limit) {
        public Recent {
            limit = limit == null ? 50 : limit;
        }
    }

    public final Operation<Send, Message> send;
    public final Operation<Broadcast, Message> broadcast;
    public final Operation<Reply, Message> reply;
    public final Operation<Inbox, List<Messages.View>> inbox;
    public final Operation<One, Messages.View> show;
    public final Operation<One, Messages.View> read;
    public final Operation<One, Messages.View> ack;
    public final Operation<One, List<Messages.View>> thread;
    public final Operation<Search, List<Messages.View>> search;
    public final Operation<Recent, List<Messages.View>> recent;

    public MessageOperations(Messages messages) {
        send = new Operation<>("message.send", "Send a message to agents (stored, signed).", Send.class, true, Effect.ADD,
                (caller, a) -> messages.send(caller, a.to(), a.draft()));
        broadcast = new Operation<>("message.broadcast", "Send a message to every other agent not gone.", Broadcast.class, true, Effect.ADD,
                (caller, a) -> messages.broadcast(caller, new Messages.Draft(a.type(), a.text(), label(a.priority()), a.ack(), null),
                        Boolean.TRUE.equals(a.includeSelf())));
        reply = new Operation<>("message.reply", "Reply to a message's sender, in its thread.", Reply.class, true, Effect.ADD,
                (caller, a) -> messages.reply(caller, a.message(), new Messages.Draft(a.type(), a.text(), label(a.priority()), a.ack(), null)));
        inbox = new Operation<>("message.inbox", "This agent's messages, oldest first; wait returns when one arrives.",
                Inbox.class, true, Effect.READ, (caller, a) -> messages.inbox(caller, Boolean.TRUE.equals(a.unread()), a.waitFor()));
        show = new Operation<>("message.show", "Show a message (not marking it read).", One.class, true, Effect.READ,
                (caller, a) -> messages.show(caller, a.message()));
        read = new Operation<>("message.read", "Show a message and mark it read.", One.class, true, Effect.SET,
                (caller, a) -> messages.read(caller, a.message()));
        ack = new Operation<>("message.ack", "Acknowledge a received message (stops its retries).", One.class, true, Effect.SET,
                (caller, a) -> messages.ack(caller, a.message()));
        thread = new Operation<>("message.thread", "A message's whole thread, oldest first.", One.class, true, Effect.READ,
                (caller, a) -> messages.thread(caller, a.message()));
        recent = new Operation<>("message.recent", "The newest messages this agent sent or received (the operator: all), newest first.",
                Recent.class, true, Effect.READ, (caller, a) -> messages.recent(caller, a.before(), a.limit()));
        search = new Operation<>("message.search", "Full-text search of this agent's messages.", Search.class, true, Effect.READ,
                (caller, a) -> messages.search(caller, a.query(), a.limit()));
    }

    /** The draft's priority: its label, or null for the default. */
    private static String label(MessagePriority priority) {
        return priority == null ? null : priority.label();
    }
}
