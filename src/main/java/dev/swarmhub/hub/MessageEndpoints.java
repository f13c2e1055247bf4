package dev.swarmhub.hub;

import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.messages.Message;
import dev.swarmhub.messages.MessageOperations;
import dev.swarmhub.messages.MessageOperations.Broadcast;
import dev.swarmhub.messages.MessageOperations.Inbox;
import dev.swarmhub.messages.MessageOperations.One;
import dev.swarmhub.messages.MessageOperations.Reply;
import dev.swarmhub.messages.MessageOperations.Search;
import dev.swarmhub.messages.MessageOperations.Send;
import dev.swarmhub.messages.Messages;
import java.util.List;
import java.util.Map;

/**
 * The message operations with their views, as the CLI, HTTP and MCP expose them. A sent message's answer
 * says how each recipient got it; once committed, that includes the typist's outcome for panes.
 */
public final class MessageEndpoints {

    public final Exposed<Send, Message> send;
    public final Exposed<Broadcast, Message> broadcast;
    public final Exposed<Reply, Message> reply;
    public final Exposed<Inbox, List<Messages.View>> inbox;
    public final Exposed<One, Messages.View> show;
    public final Exposed<One, Messages.View> read;
    public final Exposed<One, Messages.View> ack;
    public final Exposed<One, List<Messages.View>> thread;
    public final Exposed<Search, List<Messages.View>> search;

    public MessageEndpoints(MessageOperations operations, Services services) {
        send = Exposed.creating(operations.send, JsonViews::sentMessage, sent -> services.withTypings(sent));
        broadcast = Exposed.creating(operations.broadcast, JsonViews::sentMessage, sent -> services.withTypings(sent));
        reply = Exposed.creating(operations.reply, JsonViews::sentMessage, sent -> services.withTypings(sent));
        inbox = Exposed.waiting(operations.inbox, (a, views) -> list(views), a -> a.waitFor() != null);
        show = Exposed.of(operations.show, (a, view) -> JsonViews.message(view));
        read = Exposed.of(operations.read, (a, view) -> JsonViews.message(view));
        ack = Exposed.of(operations.ack, (a, view) -> JsonViews.message(view));
        thread = Exposed.of(operations.thread, (a, views) -> list(views));
        search = Exposed.of(operations.search, (a, views) -> list(views));
    }

    private static Map<String, Object> list(List<Messages.View> views) {
        return OrderedMap.of("messages", JsonViews.messages(views));
    }
}
