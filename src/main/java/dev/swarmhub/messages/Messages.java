package dev.swarmhub.messages;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.AgentStore;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Gate;
import dev.swarmhub.kernel.Ids;
import dev.swarmhub.kernel.Limits;
import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.kernel.Retention;
import dev.swarmhub.kernel.Setting;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Tx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Messages between agents: direct, broadcast and replies, kept in the store before a send
 * returns, each signed with the project's secret and checked on every read. Per recipient a
 * message goes stored → delivered → read → acked. The per-sender rate limit is counted in the
 * sending transaction, so it holds across processes and hubs. A message that needs an ACK is
 * delivered again (same id) until acked, then escalated once: see {@link MessageRetries}.
 */
public final class Messages {

    /** Recipients per window per sender. */
    public static final Setting<RateLimit> RATE_LIMIT = new Setting<>("messages.rate-limit", new RateLimit(10, Duration.ofSeconds(60)),
            RateLimit::parse, RateLimit::text, (tx, limit) -> { });
    /** The largest {@link #MAX_TEXT_BYTES} a project may set. */
    public static final int LARGEST_TEXT_BYTES = 1_048_576;
    /** The longest message text, in UTF-8 bytes. */
    public static final Setting<Integer> MAX_TEXT_BYTES = Setting.count("messages.max-text-bytes", MessageText.DEFAULT_MAX_BYTES,
            LARGEST_TEXT_BYTES, "bytes");
    /** Messages no agent waits on any more (acked, read, or to agents gone), once older than the retention. */
    public static final Retention.Part PRUNING = Retention.Part.of("messages", (tx, before, limit) -> MessageStore.in(tx).settledBefore(before, limit),
            (tx, settled) -> MessageStore.in(tx).deleteMessages(settled.stream().map(Message::id).toList()));

    public static final List<Setting<?>> SETTINGS = List.of(RATE_LIMIT, MAX_TEXT_BYTES);
    public static final int MAX_RECIPIENTS = 100;
    private static final int MAX_LISTED = 500;
    private static final long FIRST_POLL_MS = 5;
    private static final long MAX_POLL_MS = 100;

    private final Store store;
    private final Gate gate;
    private final MessageSignature signature;

    public Messages(Store store, Gate gate, MessageSignature signature) {
        this.store = store;
        this.gate = gate;
        this.signature = signature;
    }

    /** What a sender writes: type, text and options (priority normal|urgent; ack null: the type's default; thread: join it). */
    public record Draft(MessageType type, String text, String priority, Boolean ack, String thread) {
        public Draft {
            if (type == null) {
                throw SwarmException.badInput("no message type given");
            }
            priority = priority == null ? MessagePriority.NORMAL.label() : MessagePriority.parse(priority).label();
        }
    }

    /**
     * A message as one reader sees it: whether its signature failed (then its text is withheld:
     * null), and that reader's own state when a recipient.
     */
    public record View(Message message, boolean tampered, Message.Recipient mine) {
    }

    // ------------------------------------------------------------------------------------ sending

    /**
     * Stores the message and returns at once: each recipient's delivery as known at commit (inbox,
     * or queued for its pane's typist). Waiting for a typist's outcome is the adapters' business,
     * after the commit (see the hub's Services#withTypings).
     */
    public Message send(Caller from, List<String> to, Draft draft) {
        if (to == null || to.isEmpty()) {
            throw SwarmException.badInput("no recipients given");
        }
        List<String> recipients = new ArrayList<>(new LinkedHashSet<>(to.stream().map(String::strip).toList()));
        if (recipients.size() > MAX_RECIPIENTS) {
            throw SwarmException.badInput(recipients.size() + " recipients; at most " + MAX_RECIPIENTS);
        }
        recipients.forEach(Limits::agentId);
        String sender = sender(from);
        return store.write(tx -> {
            gate.admit(tx, from);
            List<Agent> found = new ArrayList<>();
            List<String> unknown = new ArrayList<>();
            for (String name : recipients) {
                AgentStore.in(tx).agent(name).filter(agent -> agent.status() != Agent.Status.GONE).ifPresentOrElse(found::add, () -> unknown.add(name));
            }
            if (!unknown.isEmpty()) {
                throw SwarmException.badInput("unknown or gone recipient" + (unknown.size() == 1 ? "" : "s") + ": "
                        + String.join(", ", unknown));
            }
            return post(tx, sender, recipients, PaneTypings.withLivePanes(found), draft, null);
        });
    }

    public Message broadcast(Caller from, Draft draft, boolean includeSelf) {
        String sender = sender(from);
        return store.write(tx -> {
            gate.admit(tx, from);
            List<Agent> everyone = AgentStore.in(tx).agents(false).stream().filter(agent -> includeSelf || !agent.id().equals(sender))
                    .limit(MAX_RECIPIENTS).toList();
            if (everyone.isEmpty()) {
                throw SwarmException.badInput("nobody to broadcast to: no other agent is registered and not gone");
            }
            return post(tx, sender, everyone.stream().map(Agent::id).toList(), PaneTypings.withLivePanes(everyone), draft, null);
        });
    }

    /** Answers a message to its sender, in its thread. */
    public Message reply(Caller from, String ref, Draft draft) {
        String sender = sender(from);
        return store.write(tx -> {
            gate.admit(tx, from);
            Message original = visible(tx, resolve(tx, ref), from.operator() ? null : sender);
            if (original.sender().equals(Caller.HUB_ID)) {
                throw SwarmException.badInput("message " + original.id() + " is from the hub itself: reply to its sender instead");
            }
            Draft inThread = new Draft(draft.type(), draft.text(), draft.priority(), draft.ack(), original.thread());
            String to = original.sender();
            return post(tx, sender, List.of(to), PaneTypings.queuesFor(tx, to) ? Set.of(to) : Set.of(), inThread, original.id());
        });
    }

    /** Who a message is from: the agent, or the operator (from the dashboard), whose replies arrive in its own inbox. */
    private static String sender(Caller from) {
        return from.operator() ? Caller.OPERATOR_ID : from.agentId();
    }

    /**
     * Stores a message from {@code sender} (the hub itself for escalations, which no rate limit
     * holds back); deliveries to {@code paneQueued} wait for their panes' typist.
     */
    Message post(Tx tx, String sender, List<String> recipients, Set<String> paneQueued, Draft draft, String replyTo) {
        String text = MessageText.clean(draft.text(), MAX_TEXT_BYTES.in(tx));
        if (!sender.equals(Caller.HUB_ID)) {
            RATE_LIMIT.in(tx).check(tx, sender, RATE_LIMIT.name());
        }
        String id = Ids.next(tx.now());
        String thread = draft.thread() == null ? id : resolveThread(tx, draft.thread());
        boolean ack = draft.ack() != null ? draft.ack() : draft.type().needsAckByDefault();
        List<String> sorted = recipients.stream().sorted().toList();
        Long firstRetry = ack ? tx.now() + MessageRetries.RETRY_DELAYS_MS[0] : null;
        List<Message.Recipient> rows = sorted.stream().map(name -> new Message.Recipient(name, tx.now(), null, null, null, 1, firstRetry,
                false, paneQueued.contains(name) ? Message.Recipient.PANE_PENDING : null)).toList();
        Message unsigned = new Message(id, sender, draft.type(), draft.priority(), thread, replyTo, text, ack, tx.now(), null, rows);
        Message message = unsigned.signed(signature.sign(unsigned));
        MessageStore.in(tx).insertMessage(message);
        Map<String, Object> details = OrderedMap.of("id", id, "type", draft.type().label(), "to", sorted, "thread", thread, "ack", ack,
                "priority", draft.priority());
        if (!paneQueued.isEmpty()) {
            details.put(Store.QUEUED_FOR_PANE, sorted.stream().filter(paneQueued::contains).toList());
        }
        tx.appendEvent("message.sent", sender.equals(Caller.HUB_ID) ? null : sender, null, details);
        return message;
    }

    private String resolveThread(Tx tx, String ref) {
        return resolve(tx, ref).thread();
    }

    // ------------------------------------------------------------------------------------ reading

    /**
     * The caller's messages, oldest first, marked delivered. With a wait, returns when at least
     * one unread message is there, or when the wait is over.
     */
    public List<View> inbox(Caller who, boolean unreadOnly, Duration wait) {
        long deadline = System.nanoTime() + Limits.waitTime(wait).toNanos();
        String me = who.operator() ? Caller.OPERATOR_ID : who.agentId();
        long pause = FIRST_POLL_MS;
        boolean admitted = false;
        while (true) {
            long seen = store.signalCount(Store.Signal.MAIL);
            boolean last = System.nanoTime() >= deadline;
            // after the first look (a write: it admits the caller), a waiter looks read-only until there is mail
            boolean look = !admitted || last || !store.read(tx -> MessageStore.in(tx).inbox(me, true, 1)).isEmpty();
            List<View> found = !look ? null : store.write(tx -> {
                reader(tx, who);
                List<Message> unread = MessageStore.in(tx).inbox(me, true, MAX_LISTED);
                if (unread.isEmpty() && !last) {
                    return null;
                }
                List<Message> listed = unreadOnly ? unread : MessageStore.in(tx).inbox(me, false, MAX_LISTED);
                List<View> views = new ArrayList<>();
                for (Message message : listed) {
                    MessageStore.in(tx).markReceived(message.id(), me, false, false);
                    views.add(view(MessageStore.in(tx).message(message.id()).orElseThrow(), me));
                }
                return views;
            });
            if (found != null) {
                return found;
            }
            admitted = true;
            long left = (deadline - System.nanoTime()) / 1_000_000;
            try {
                store.awaitSignal(Store.Signal.MAIL, seen, Math.max(1, Math.min(pause, left))); // a send in this process wakes it at once
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SwarmException(SwarmException.Kind.UNAVAILABLE, "the inbox wait was interrupted (the hub is stopping, or the client left)");
            }
            pause = Math.min(MAX_POLL_MS, pause * 2);
        }
    }

    /**
     * Hands the caller's unread messages (at most {@code max}, oldest first) to the agent itself,
     * through a channel that puts them before its model (its client's hooks): they are marked
     * read, and delivered, with a {@code message.read} event saying so. A message whose ACK is
     * due comes again when its retry marks it unread.
     */
    public List<View> handOver(Caller who, int max, String via) {
        return store.write(tx -> {
            String me = reader(tx, who);
            List<View> handed = new ArrayList<>();
            for (Message message : MessageStore.in(tx).inbox(me, true, Math.max(1, Math.min(max, MAX_LISTED)))) {
                MessageStore.in(tx).markReceived(message.id(), me, true, false);
                tx.appendEvent("message.read", who.operator() ? null : me, null, OrderedMap.of("id", message.id(), "via", via));
                handed.add(view(MessageStore.in(tx).message(message.id()).orElseThrow(), me));
            }
            return handed;
        });
    }

    /** Shows a message; a recipient's read marks it read (and delivered). */
    public View read(Caller who, String ref) {
        return look(who, ref, true);
    }

    /** Shows a message, with every recipient's receipts, and changes nothing. */
    public View show(Caller who, String ref) {
        return look(who, ref, false);
    }

    private View look(Caller who, String ref, boolean markRead) {
        return store.write(tx -> {
            String me = reader(tx, who);
            Message message = visible(tx, resolve(tx, ref), who.operator() ? null : me);
            Message.Recipient mine = message.recipient(me);
            if (markRead && mine != null && mine.readAt() == null) {
                MessageStore.in(tx).markReceived(message.id(), me, true, false);
                tx.appendEvent("message.read", who.operator() ? null : me, null, OrderedMap.of("id", message.id()));
            }
            return view(MessageStore.in(tx).message(message.id()).orElseThrow(), me);
        });
    }

    /** Acknowledges a message: only its recipients may; a second ACK changes nothing and is no error. */
    public View ack(Caller who, String ref) {
        return store.write(tx -> {
            String me = reader(tx, who);
            Message message = resolve(tx, ref);
            Message.Recipient mine = message.recipient(me);
            if (mine == null) {
                throw SwarmException.denied("only a recipient can ack message " + message.id() + "; " + me + " is not one");
            }
            if (mine.ackedAt() == null) {
                MessageStore.in(tx).markReceived(message.id(), me, true, true);
                tx.appendEvent("message.acked", who.operator() ? null : me, null, OrderedMap.of("id", message.id(), "sender", message.sender()));
            }
            return view(MessageStore.in(tx).message(message.id()).orElseThrow(), me);
        });
    }

    /** The messages of a message's thread that the caller sent or received (the operator sees all). */
    public List<View> thread(Caller who, String ref) {
        return store.write(tx -> {
            String me = reader(tx, who);
            Message start = visible(tx, resolve(tx, ref), who.operator() ? null : me);
            return MessageStore.in(tx).thread(start.thread()).stream().filter(m -> who.operator() || participates(m, me)).map(m -> view(m, me)).toList();
        });
    }

    /** The newest messages the caller sent or received (the operator: all), newest first; {@code before}: older than this message id (paging). */
    public List<View> recent(Caller who, String before, int limit) {
        int capped = Math.max(1, Math.min(limit, MAX_LISTED));
        return store.write(tx -> {
            String me = reader(tx, who);
            return MessageStore.in(tx).recent(who.operator() ? null : me, before, capped).stream().map(m -> view(m, me)).toList();
        });
    }

    /** Full-text search (every word must match; a trailing * matches a prefix) over the caller's messages. */
    public List<View> search(Caller who, String query, int limit) {
        SearchWords words = SearchWords.parse(query);
        int capped = Math.max(1, Math.min(limit, MAX_LISTED));
        return store.write(tx -> {
            String me = reader(tx, who);
            return MessageStore.in(tx).searchMessages(words, who.operator() ? null : me, capped).stream().map(m -> view(m, me)).toList();
        });
    }

    private String reader(Tx tx, Caller who) {
        gate.admit(tx, who);
        return who.operator() ? Caller.OPERATOR_ID : who.agentId();
    }

    private static boolean participates(Message message, String agent) {
        return message.sender().equals(agent) || message.recipient(agent) != null;
    }

    /** The message if the agent sent or received it (agent null: anyone may see it). */
    static Message visible(Tx tx, Message message, String agent) {
        if (agent != null && !participates(message, agent)) {
            throw SwarmException.denied("message " + message.id() + " is neither from nor to " + agent);
        }
        return message;
    }

    /** A message by its id or a unique prefix of 6 or more characters (case-insensitive). */
    private static Message resolve(Tx tx, String ref) {
        String id = Ids.resolve("message", ref, MessageStore.in(tx)::messageIdsStartingWith);
        return MessageStore.in(tx).message(id).orElseThrow();
    }

    /** Every adapter shows messages through this: a tampered message's text reaches no reader. */
    private View view(Message message, String reader) {
        boolean tampered = !signature.verify(message);
        return new View(tampered ? message.withoutText() : message, tampered, message.recipient(reader));
    }

    /** How many recipients owe an ACK they have not given. */
    public long awaitingAck() {
        return store.read(tx -> MessageStore.in(tx).countAwaitingAck());
    }


}
