package dev.swarmhub.cli;

import dev.swarmhub.hub.Exposed;
import dev.swarmhub.hub.MessageEndpoints;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.messages.Message;
import dev.swarmhub.messages.MessageOperations;
import dev.swarmhub.messages.MessagePriority;
import dev.swarmhub.messages.MessageType;
import dev.swarmhub.messages.Messages;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code swarm send | broadcast | reply | inbox | read | ack | thread | search}: messages between
 * agents. Text is an argument, or {@code -} for standard input (the client reads it before the
 * command goes to the hub).
 */
final class MessageCommands {

    /** The types an agent may send, for help and completion: listed by MessageType itself. */
    static final class SendableTypes implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return MessageType.names().iterator();
        }
    }

    private MessageCommands() {
    }

    /** Options every sending command shares. */
    static final class SendOptions {
        @Option(names = "--ack", description = "Ask the recipients to ACK (BLOCKED always does unless --no-ack).", negatable = true)
        Boolean ack;

        @Option(names = "--priority", paramLabel = "LEVEL", description = "normal (default) or urgent.")
        String priority;

        MessagePriority priority() {
            return priority == null ? null : MessagePriority.parse(priority);
        }

        @Option(names = "--thread", paramLabel = "MSG", description = "Join the thread of this message.")
        String thread;
    }

    static String readText(String text) {
        if (!"-".equals(text)) {
            return text;
        }
        try {
            return SwarmClient.standardInput();
        } catch (IOException e) {
            throw SwarmException.badInput("cannot read the message text from standard input: " + e.getMessage());
        }
    }

    /** Sends; answers with the message and each recipient's delivery: typed, or why not, when the hub's typist tells in time. */
    private static <A extends Record> int sent(Swarm swarm, Function<MessageEndpoints, Exposed<A, Message>> which, A arguments) {
        return swarm.run(services -> which.apply(services.messageEndpoints), swarm.agentCaller(), arguments, message -> "sent "
                + message.type().label() + " " + message.id() + " to " + message.recipients().stream()
                .map(recipient -> recipient.agent() + " (" + recipient.delivery() + ")").collect(Collectors.joining(", "))
                + (message.ackRequired() ? " (ACK requested)" : ""));
    }

    /** Runs a reading operation as the reader (the acting agent, or the operator with only the operator token). */
    private static <A extends Record, R> int read(Swarm swarm, Function<MessageEndpoints, Exposed<A, R>> which, A arguments,
            Function<R, String> text) {
        return swarm.run(services -> which.apply(services.messageEndpoints), swarm.readerCaller(), arguments, text);
    }

    @ClientSide.ReadsTextFromStdin
    @Command(name = "send", description = "Send a message to one or more agents (TO: comma-separated ids).")
    static final class Send implements Callable<Integer> {
        @ParentCommand
        Swarm swarm;

        @Parameters(index = "0", paramLabel = "TO", description = "Recipient agent ids, comma-separated.")
        String to;

        @Parameters(index = "1", paramLabel = "TYPE", completionCandidates = SendableTypes.class, description = "One of ${COMPLETION-CANDIDATES}.")
        String type;

        @Parameters(index = "2", paramLabel = "TEXT", description = "The text, or - to read it from standard input.")
        String text;

        @Mixin
        SendOptions options;

        @Override
        public Integer call() {
            List<String> recipients = Arrays.stream(to.split(",")).map(String::strip).filter(id -> !id.isEmpty()).toList();
            if (recipients.isEmpty()) {
                throw SwarmException.badInput("no recipients given");
            }
            return sent(swarm, endpoints -> endpoints.send, new MessageOperations.Send(recipients, MessageType.parse(type), readText(text),
                    options.priority(), options.ack, options.thread));
        }
    }

    @ClientSide.ReadsTextFromStdin
    @Command(name = "broadcast", description = "Send a message to every agent that is not gone.")
    static final class Broadcast implements Callable<Integer> {
        @ParentCommand
        Swarm swarm;

        @Parameters(index = "0", paramLabel = "TYPE", description = "The message type (see send).")
        String type;

        @Parameters(index = "1", paramLabel = "TEXT", description = "The text, or - to read it from standard input.")
        String text;

        @Option(names = "--include-self", description = "Send it to yourself too.")
        boolean includeSelf;

        @Mixin
        SendOptions options;

        @Override
        public Integer call() {
            return sent(swarm, endpoints -> endpoints.broadcast, new MessageOperations.Broadcast(MessageType.parse(type), readText(text),
                    options.priority(), options.ack, includeSelf ? true : null));
        }
    }

    @ClientSide.ReadsTextFromStdin
    @Command(name = "reply", description = "Answer a message's sender, in its thread.")
    static final class Reply implements Callable<Integer> {
        @ParentCommand
        Swarm swarm;

        @Parameters(index = "0", paramLabel = "MSG", description = "The message id, or a unique prefix of 6+ characters.")
        String message;

        @Parameters(index = "1", paramLabel = "TEXT", description = "The text, or - to read it from standard input.")
        String text;

        @Option(names = "--type", paramLabel = "TYPE", defaultValue = "INFO", description = "The reply's type (default INFO).")
        String type;

        @Mixin
        SendOptions options;

        @Override
        public Integer call() {
            return sent(swarm, endpoints -> endpoints.reply, new MessageOperations.Reply(message, readText(text), MessageType.parse(type),
                    options.priority(), options.ack));
        }
    }

    @Command(name = "inbox", description = "Your messages, oldest first (the operator token reads the operator's inbox).")
    static final class Inbox implements Callable<Integer> {
        @ParentCommand
        Swarm swarm;

        @Option(names = "--unread", description = "Only messages not read yet.")
        boolean unread;

        @Option(names = "--wait", paramLabel = "DURATION", description = "If nothing is unread, wait this long for a message.")
        String wait;

        @Override
        public Integer call() {
            return read(swarm, endpoints -> endpoints.inbox, new MessageOperations.Inbox(unread ? true : null, LockCommand.duration("--wait", wait)),
                    views -> lines(views, "no messages"));
        }
    }

    @Command(name = "read", description = "Show a message (marks it read); its sender sees each recipient's delivery.")
    static final class Read implements Callable<Integer> {
        @ParentCommand
        Swarm swarm;

        @Parameters(paramLabel = "MSG", description = "The message id, or a unique prefix of 6+ characters.")
        String message;

        @Override
        public Integer call() {
            return read(swarm, endpoints -> endpoints.read, new MessageOperations.One(message), MessageCommands::full);
        }
    }

    @Command(name = "ack", description = "Acknowledge a message you received (stops its retries).")
    static final class Ack implements Callable<Integer> {
        @ParentCommand
        Swarm swarm;

        @Parameters(paramLabel = "MSG", description = "The message id, or a unique prefix of 6+ characters.")
        String message;

        @Override
        public Integer call() {
            return read(swarm, endpoints -> endpoints.ack, new MessageOperations.One(message), view -> "acked " + view.message().id());
        }
    }

    @Command(name = "thread", description = "The messages of a message's thread that you sent or received.")
    static final class Thread implements Callable<Integer> {
        @ParentCommand
        Swarm swarm;

        @Parameters(paramLabel = "MSG", description = "Any message of the thread (id or unique prefix).")
        String message;

        @Override
        public Integer call() {
            return read(swarm, endpoints -> endpoints.thread, new MessageOperations.One(message), views -> lines(views, "no messages"));
        }
    }

    @Command(name = "search", description = "Full-text search of the messages you sent or received (word* matches a prefix).")
    static final class Search implements Callable<Integer> {
        @ParentCommand
        Swarm swarm;

        @Parameters(arity = "1..*", paramLabel = "WORD", description = "Words that must all occur.")
        List<String> words;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "At most this many (default 20).")
        int limit;

        @Override
        public Integer call() {
            return read(swarm, endpoints -> endpoints.search, new MessageOperations.Search(String.join(" ", words), limit),
                    views -> lines(views, "nothing found"));
        }
    }

    /** One line per message: id, time, sender, type, the reader's state, first line of text. */
    static String lines(List<Messages.View> views, String empty) {
        if (views.isEmpty()) {
            return empty;
        }
        StringBuilder text = new StringBuilder();
        for (Messages.View view : views) {
            Message message = view.message();
            text.append(String.format(Locale.ROOT, "%s  %s  %-16s %-15s %-7s %s%n", message.id(), Output.clock(message.createdAt()),
                    message.sender(), message.type().label(), state(view), body(view).lines().findFirst().orElse("")));
        }
        return text.toString().stripTrailing();
    }

    private static String state(Messages.View view) {
        Message.Recipient mine = view.mine();
        if (mine == null) {
            return "sent";
        }
        if (mine.ackedAt() != null) {
            return "acked";
        }
        if (view.message().ackRequired()) {
            return "ACK?";
        }
        return mine.readAt() != null ? "read" : "new";
    }

    private static String body(Messages.View view) {
        return view.tampered() ? "TAMPERED: its signature does not match; do not trust this message" : view.message().text();
    }

    /** A whole message with its recipients' delivery receipts. */
    static String full(Messages.View view) {
        Message message = view.message();
        StringBuilder text = new StringBuilder();
        text.append(message.type().label()).append(' ').append(message.id()).append(" from ").append(message.sender())
                .append(" at ").append(Output.clock(message.createdAt())).append(message.priority().equals("urgent") ? " (urgent)" : "")
                .append(message.ackRequired() ? " (ACK requested)" : "").append('\n');
        if (!message.thread().equals(message.id())) {
            text.append("thread ").append(message.thread()).append('\n');
        }
        text.append('\n').append(body(view)).append("\n\n");
        for (Message.Recipient recipient : message.recipients()) {
            text.append(String.format(Locale.ROOT, "  %-16s delivered %-19s read %-19s acked %-19s attempts %d%s%n", recipient.agent(),
                    when(recipient.deliveredAt()), when(recipient.readAt()), when(recipient.ackedAt()), recipient.attempts(),
                    recipient.pane() == null ? "" : "  pane: " + recipient.pane()));
        }
        return text.toString().stripTrailing();
    }

    private static String when(Long epochMillis) {
        return epochMillis == null ? "-" : Output.clock(epochMillis);
    }
}
