package dev.swarmhub.hub;

import dev.swarmhub.hub.JsonViews.MessageView;
import dev.swarmhub.hub.JsonViews.MessagesView;
import dev.swarmhub.hub.JsonViews.SentMessageView;
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
    public final Exposed<MessageOperations.Recent, List<Messages.View>> recent;

    public MessageEndpoints(MessageOperations operations, Services services) {
        send = Exposed.creating(operations.send, SentMessageView.class, JsonViews::sentMessage, sent -> services.withTypings(sent));
        broadcast = Exposed.creating(operations.broadcast, SentMessageView.class, JsonViews::sentMessage, sent -> services.withTypings(sent));
        reply = Exposed.creating(operations.reply, SentMessageView.class, JsonViews::sentMessage, sent -> services.withTypings(sent));
        inbox = Exposed.waiting(operations.inbox, MessagesView.class, (a, views) -> JsonViews.messageList(views), a -> a.waitFor() != null);
        show = Exposed.of(operations.show, MessageView.class, (a, view) -> JsonViews.message(view));
        read = Exposed.of(operations.read, MessageView.class, (a, view) -> JsonViews.message(view));
        ack = Exposed.of(operations.ack, MessageView.class, (a, view) -> JsonViews.message(view));
        thread = Exposed.of(operations.thread, MessagesView.class, (a, views) -> JsonViews.messageList(views));
        search = Exposed.of(operations.search, MessagesView.class, (a, views) -> JsonViews.messageList(views));
        recent = Exposed.of(operations.recent, MessagesView.class, (a, views) -> JsonViews.messageList(views));
    }
}
