package dev.swarmhub.messages;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.AgentStore;
import dev.swarmhub.agents.PaneBinding;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Durations;
import dev.swarmhub.kernel.Gate;
import dev.swarmhub.kernel.Limits;
import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.kernel.RateLimitedException;
import dev.swarmhub.kernel.Setting;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.Sweep;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Tx;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Messages between agents: direct, broadcast and replies, kept in the store before a send
 * returns, each signed with the project's secret and checked on every read. Per recipient a
 * message goes stored → delivered → read → acked. The per-sender rate limit is counted in the
 * sending transaction, so it holds across processes and hubs. A message that needs an ACK is
 * delivered again (same id) until acked, then escalated once: see {@link #retryDue()}.
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
    public static final List<Setting<?>> SETTINGS = List.of(RATE_LIMIT, MAX_TEXT_BYTES);
    public static final int MAX_RECIPIENTS = 100;
    /**
     * Waits before each redelivery of an unacked message (after the send, then after each retry)
     * and, last, before its escalation: retries at +30 s, +90 s, +210 s, escalation at +330 s.
     */
    static final long[] RETRY_DELAYS_MS = {30_000, 60_000, 120_000, 120_000};
    private static final int MIN_PREFIX = 6;
    private static final int MAX_LISTED = 500;
    /** The hub runs {@link #retryDue} every second. */
    public final Sweep housekeeping = new Sweep("message retries and escalations", this::retryDue);
    private static final long FIRST_POLL_MS = 5;
    private static final long MAX_POLL_MS = 100;
    private static final char[] BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final Pattern RATE = Pattern.compile("(\\d{1,6})\\s*/\\s*(\\S+)");

    private final Store store;
    private final Gate gate;
    private final MessageSignature signature;
    private final SecureRandom random = new SecureRandom();

    public Messages(Store store, Gate gate, MessageSignature signature) {
        this.store = store;
        this.gate = gate;
        this.signature = signature;
    }

    /** At most {@code count} recipients per {@code window}, per sender (a broadcast to N counts N). */
    public record RateLimit(int count, Duration window) {
        public static RateLimit parse(String text) {
            Matcher matcher = RATE.matcher(text == null ? "" : text.strip());
            if (!matcher.matches()) {
                throw SwarmException.badInput("bad rate limit '" + text + "': use COUNT/DURATION, e.g. 10/60s");
            }
            int count = Integer.parseInt(matcher.group(1));
            Duration window = Durations.parse(matcher.group(2));
            if (count < 1 || window.toMillis() < 1000) {
                throw SwarmException.badInput("bad rate limit '" + text + "': need at least 1 message per 1s or more");
            }
            return new RateLimit(count, window);
        }

        public String text() {
            return count + "/" + Durations.format(window);
        }
    }

    /** What a sender writes: type, text and options (priority normal|urgent; ack null: the type's default; thread: join it). */
    public record Draft(MessageType type, String text, String priority, Boolean ack, String thread) {
        public Draft {
            if (type == null) {
                throw SwarmException.badInput("no message type given");
            }
            priority = priority == null ? "normal" : priority.strip().toLowerCase(Locale.ROOT);
            if (!priority.equals("normal") && !priority.equals("urgent")) {
                throw SwarmException.badInput("unknown priority '" + priority + "': use normal or urgent");
            }
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
        String sender = from.agentId();
        return store.write(tx -> {
            gate.admit(tx, from);
            List<String> unknown = recipients.stream().filter(name -> AgentStore.in(tx).agent(name).map(a -> a.status() == Agent.Status.GONE)
                    .orElse(true)).toList();
            if (!unknown.isEmpty()) {
                throw SwarmException.badInput("unknown or gone recipient" + (unknown.size() == 1 ? "" : "s") + ": "
                        + String.join(", ", unknown));
            }
            return post(tx, sender, recipients, draft, null);
        });
    }

    public Message broadcast(Caller from, Draft draft, boolean includeSelf) {
        String sender = from.agentId();
        return store.write(tx -> {
            gate.admit(tx, from);
            List<String> everyone = AgentStore.in(tx).agents().stream().filter(agent -> agent.status() != Agent.Status.GONE)
                    .map(Agent::id).filter(id -> includeSelf || !id.equals(sender)).limit(MAX_RECIPIENTS).toList();
            if (everyone.isEmpty()) {
                throw SwarmException.badInput("nobody to broadcast to: no other agent is registered and not gone");
            }
            return post(tx, sender, everyone, draft, null);
        });
    }

    /** Answers a message to its sender, in its thread. */
    public Message reply(Caller from, String ref, Draft draft) {
        String sender = from.agentId();
        return store.write(tx -> {
            gate.admit(tx, from);
            Message original = visible(tx, resolve(tx, ref), sender);
            if (original.sender().equals(Caller.HUB_ID)) {
                throw SwarmException.badInput("message " + original.id() + " is from the hub itself: reply to its sender instead");
            }
            Draft inThread = new Draft(draft.type(), draft.text(), draft.priority(), draft.ack(), original.thread());
            return post(tx, sender, List.of(original.sender()), inThread, original.id());
        });
    }

    private Message post(Tx tx, String sender, List<String> recipients, Draft draft, String replyTo) {
        String text = MessageText.clean(draft.text(), MAX_TEXT_BYTES.in(tx));
        if (!sender.equals(Caller.HUB_ID)) {
            checkRateLimit(tx, sender, recipients.size());
        }
        String id = newId(tx.now());
        String thread = draft.thread() == null ? id : resolveThread(tx, draft.thread());
        boolean ack = draft.ack() != null ? draft.ack() : draft.type().needsAckByDefault();
        List<String> sorted = recipients.stream().sorted().toList();
        Long firstRetry = ack ? tx.now() + RETRY_DELAYS_MS[0] : null;
        List<Message.Recipient> rows = sorted.stream().map(name -> new Message.Recipient(name, tx.now(), null, null, null, 1, firstRetry,
                false, queuesForPane(tx, name) ? Message.Recipient.PANE_PENDING : null)).toList();
        Message unsigned = new Message(id, sender, draft.type(), draft.priority(), thread, replyTo, text, ack, tx.now(), null, rows);
        Message message = unsigned.signed(signature.sign(unsigned));
        MessageStore.in(tx).insertMessage(message);
        tx.appendEvent("message.sent", sender.equals(Caller.HUB_ID) ? null : sender, null, OrderedMap.of("id", id, "type", draft.type().label(),
                "to", sorted, "thread", thread, "ack", ack, "priority", draft.priority()));
        return message;
    }

    private String resolveThread(Tx tx, String ref) {
        return resolve(tx, ref).thread();
    }

    private void checkRateLimit(Tx tx, String sender, int recipients) {
        RateLimit limit = RATE_LIMIT.in(tx);
        long window = limit.window().toMillis();
        if (recipients > limit.count()) {
            throw new RateLimitedException("a message to " + recipients + " recipients exceeds the limit of " + limit.text()
                    + " per sender (setting " + RATE_LIMIT.name() + ")", window);
        }
        List<long[]> sent = MessageStore.in(tx).sentAfter(sender, tx.now() - window);
        long used = sent.stream().mapToLong(entry -> entry[1]).sum();
        long excess = used + recipients - limit.count();
        if (excess <= 0) {
            return;
        }
        long freed = 0;
        for (long[] entry : sent) {
            freed += entry[1];
            if (freed >= excess) {
                long waitMs = Math.max(1, entry[0] + window - tx.now());
                throw new RateLimitedException(sender + " sent to " + used + " recipients in the last " + Durations.format(limit.window())
                        + " (limit " + limit.text() + "); a slot frees in " + Durations.format(Duration.ofSeconds((waitMs + 999) / 1000)), waitMs);
            }
        }
        throw new IllegalStateException("rate limit arithmetic");
    }

    /** A time-ordered id (ULID layout): 48 bits of store time, then 80 random bits, in Crockford base32. */
    private String newId(long now) {
        char[] id = new char[26];
        long time = now;
        for (int i = 9; i >= 0; i--) {
            id[i] = BASE32[(int) (time & 31)];
            time >>>= 5;
        }
        byte[] bytes = new byte[10];
        random.nextBytes(bytes);
        long high = 0;
        long low = 0;
        for (int i = 0; i < 5; i++) {
            high = (high << 8) | (bytes[i] & 0xFF);
            low = (low << 8) | (bytes[i + 5] & 0xFF);
        }
        for (int i = 17; i >= 10; i--) {
            id[i] = BASE32[(int) (high & 31)];
            high >>>= 5;
        }
        for (int i = 25; i >= 18; i--) {
            id[i] = BASE32[(int) (low & 31)];
            low >>>= 5;
        }
        return new String(id);
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
                throw new SwarmException(SwarmException.Kind.INTERNAL, "the inbox wait was interrupted (the hub is stopping, or the client left)");
            }
            pause = Math.min(MAX_POLL_MS, pause * 2);
        }
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
    private static Message visible(Tx tx, Message message, String agent) {
        if (agent != null && !participates(message, agent)) {
            throw SwarmException.denied("message " + message.id() + " is neither from nor to " + agent);
        }
        return message;
    }

    /** A message by its id or a unique prefix of 6 or more characters (case-insensitive). */
    private static Message resolve(Tx tx, String ref) {
        String prefix = ref == null ? "" : ref.strip().toUpperCase(Locale.ROOT);
        if (prefix.length() < MIN_PREFIX) {
            throw SwarmException.badInput("message id '" + ref + "' is too short: give at least " + MIN_PREFIX + " characters");
        }
        List<String> ids = MessageStore.in(tx).messageIdsStartingWith(prefix, 4);
        if (ids.isEmpty()) {
            throw SwarmException.badInput("no message " + ref);
        }
        if (ids.size() > 1) {
            throw SwarmException.badInput("message id '" + ref + "' is ambiguous: it starts " + String.join(", ", ids.subList(0, Math.min(3, ids.size())))
                    + (ids.size() > 3 ? ", ..." : "") + "; give more characters");
        }
        return MessageStore.in(tx).message(ids.get(0)).orElseThrow();
    }

    /** Every adapter shows messages through this: a tampered message's text reaches no reader. */
    private View view(Message message, String reader) {
        boolean tampered = !signature.verify(message);
        return new View(tampered ? message.withoutText() : message, tampered, message.recipient(reader));
    }

    // ------------------------------------------------------------------------------------ timers

    /**
     * Redelivers every unacked message whose retry time has come (same id, attempt counted, unread
     * again, its pane typing queued again), and escalates one that stayed unacked after its third retry:
     * one ESCALATION to every active agent and the operator, naming sender, recipient and text.
     * The row's state changes in the same transaction, so concurrent timers never repeat one.
     * Returns how many retries and escalations it made.
     */
    public int retryDue() {
        List<MessageStore.RetryDue> listed = store.read(tx -> MessageStore.in(tx).retriesDue(tx.now(), null));
        int done = 0;
        RuntimeException failed = null;
        for (MessageStore.RetryDue due : listed) {
            try {
                done += store.write(tx -> retryIfStillDue(tx, due)) ? 1 : 0; // its own transaction: one failure stops no other
            } catch (RuntimeException e) {
                if (failed == null) {
                    failed = e;
                } else {
                    failed.addSuppressed(e);
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
        return done;
    }

    /** Retries or escalates one delivery, unless another timer did since it was listed (its attempts changed). */
    private boolean retryIfStillDue(Tx tx, MessageStore.RetryDue listed) {
        if (!MessageStore.in(tx).retriesDue(tx.now(), listed.messageId()).contains(listed)) { // its own rows only
            return false;
        }
        Message message = MessageStore.in(tx).message(listed.messageId()).orElseThrow();
        if (listed.attempts() < RETRY_DELAYS_MS.length) {
            MessageStore.in(tx).redeliver(listed.messageId(), listed.recipient(), listed.attempts() + 1, tx.now() + RETRY_DELAYS_MS[listed.attempts()],
                    queuesForPane(tx, listed.recipient()));
            tx.appendEvent("message.retried", null, null, OrderedMap.of("id", listed.messageId(), "to", listed.recipient(),
                    "attempt", listed.attempts() + 1));
        } else {
            MessageStore.in(tx).markEscalated(listed.messageId(), listed.recipient());
            escalate(tx, message, listed.recipient(), listed.attempts() - 1);
        }
        return true;
    }

    /** Whether a delivery to the agent is queued for typing into its pane: {@link Agent#hasLivePane}. */
    private static boolean queuesForPane(Tx tx, String agent) {
        return AgentStore.in(tx).agent(agent).filter(Agent::hasLivePane).isPresent();
    }

    private void escalate(Tx tx, Message message, String recipient, int retries) {
        gate.sweep(tx); // statuses as of now: silent agents are stale, not active
        Set<String> everyone = new LinkedHashSet<>(AgentStore.in(tx).agents().stream().filter(agent -> agent.status() == Agent.Status.ACTIVE)
                .map(Agent::id).limit(MAX_RECIPIENTS - 1).toList());
        everyone.add(Caller.OPERATOR_ID);
        String text = "No ACK from " + recipient + " for " + message.type().label() + " " + message.id() + " from " + message.sender()
                + " after " + retries + " retries. " + (signature.verify(message) ? "Original text: " + message.text()
                : "Its stored text fails its signature (changed in the store) and is withheld.");
        int maxBytes = MAX_TEXT_BYTES.in(tx);
        Message escalation = post(tx, Caller.HUB_ID, List.copyOf(everyone), new Draft(MessageType.ESCALATION, shorten(text, maxBytes), "urgent", false,
                message.id()), message.id());
        tx.appendEvent("message.escalated", null, null, OrderedMap.of("id", message.id(), "to", recipient, "sender", message.sender(),
                "escalation", escalation.id()));
    }

    private static String shorten(String text, int maxBytes) {
        String shortened = text;
        while (shortened.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > maxBytes) {
            shortened = shortened.substring(0, shortened.length() * 9 / 10) + "…";
        }
        return shortened;
    }

    /** How many recipients owe an ACK they have not given. */
    public long awaitingAck() {
        return store.read(tx -> MessageStore.in(tx).countAwaitingAck());
    }

    // --------------------------------------------------------------------------- typing into panes

    /**
     * A message to type into a recipient's tmux pane; a tampered one (its signature fails) has no
     * line and must not be typed, nor one whose recipient has no complete pane binding (null:
     * registered before bindings named their server and processes).
     */
    public record PaneTyping(String messageId, String recipient, String pane, PaneBinding binding, String line, boolean tampered) {
    }

    /**
     * Messages waiting to be typed into panes of live agents on this host, oldest first; a cut
     * line ends with {@code readAll} of the message's id (see {@link MessageText#paneLine}).
     */
    public List<PaneTyping> pendingPaneTypings(String host, int limit, UnaryOperator<String> readAll) {
        return store.read(tx -> MessageStore.in(tx).pendingTypings(host, limit).stream().map(pending -> {
            Message message = MessageStore.in(tx).message(pending.messageId()).orElseThrow();
            PaneBinding binding = AgentStore.in(tx).agent(pending.recipient()).map(Agent::paneBinding).orElse(null);
            boolean tampered = !signature.verify(message);
            return new PaneTyping(message.id(), pending.recipient(), pending.pane(), binding, tampered ? null : MessageText.paneLine(message, readAll),
                    tampered);
        }).toList());
    }

    /**
     * Records a typing's outcome: typed (the message counts as delivered) or failed (it stays in the
     * inbox), with a {@code message.pane-typed} or {@code message.pane-failed} event.
     */
    public void paneTyped(PaneTyping typing, boolean typed, String failure) {
        store.write(tx -> {
            MessageStore.in(tx).setPaneOutcome(typing.messageId(), typing.recipient(), typed ? "delivered" : "failed: " + failure, typed);
            tx.appendEvent(typed ? "message.pane-typed" : "message.pane-failed", typing.recipient(), null, typed
                    ? OrderedMap.of("id", typing.messageId(), "pane", typing.pane())
                    : OrderedMap.of("id", typing.messageId(), "pane", typing.pane(), "reason", failure));
            return null;
        });
    }

    /**
     * The message as stored once every typing into panes of {@code host} is done, or after
     * {@code wait}; only a process whose own typist serves that host may wait for it (a typing
     * logs an event, which wakes this wait at once). Recipients without a pane, and those whose
     * pane is on another host, are not waited for.
     */
    public Message awaitTypings(Message sent, String host, Duration wait) {
        List<String> local = store.read(tx -> sent.recipients().stream().filter(r -> Message.Recipient.PANE_PENDING.equals(r.pane()))
                .map(Message.Recipient::agent).filter(name -> AgentStore.in(tx).agent(name).map(agent -> host.equals(agent.host())).orElse(false)).toList());
        if (local.isEmpty()) {
            return sent;
        }
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            long seen = store.signalCount(Store.Signal.LOGGED);
            Message stored = store.read(tx -> MessageStore.in(tx).message(sent.id()).orElseThrow());
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (local.stream().noneMatch(name -> Message.Recipient.PANE_PENDING.equals(stored.recipient(name).pane())) || left <= 0) {
                return stored;
            }
            try {
                store.awaitSignal(Store.Signal.LOGGED, seen, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return stored; // sent all the same: the answer says what is known
            }
        }
    }
}
