package dev.swarmhub.messages;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.AgentStore;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Gate;
import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.Sweep;
import dev.swarmhub.kernel.Tx;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Messages that need an ACK are delivered again (same id) until acked, then escalated once to
 * every active agent and the operator; the hub runs {@link #retryDue} every second.
 */
public final class MessageRetries {

    /**
     * Waits before each redelivery of an unacked message (after the send, then after each retry)
     * and, last, before its escalation: retries at +30 s, +90 s, +210 s, escalation at +330 s.
     */
    static final long[] RETRY_DELAYS_MS = {30_000, 60_000, 120_000, 120_000};

    private final Store store;
    private final Gate gate;
    private final MessageSignature signature;
    private final Messages messages;
    /** The hub runs {@link #retryDue} every second. */
    public final Sweep housekeeping = new Sweep("message retries and escalations", this::retryDue);

    public MessageRetries(Store store, Gate gate, MessageSignature signature, Messages messages) {
        this.store = store;
        this.gate = gate;
        this.signature = signature;
        this.messages = messages;
    }

    /** Whether any unacked message still has a retry (or its escalation) ahead. */
    public boolean anyPending() {
        return !store.read(tx -> MessageStore.in(tx).retriesDue(Long.MAX_VALUE, null)).isEmpty();
    }

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
            boolean paneQueued = PaneTypings.queuesFor(tx, listed.recipient());
            MessageStore.in(tx).redeliver(listed.messageId(), listed.recipient(), listed.attempts() + 1, tx.now() + RETRY_DELAYS_MS[listed.attempts()],
                    paneQueued);
            Map<String, Object> details = OrderedMap.of("id", listed.messageId(), "to", listed.recipient(), "attempt", listed.attempts() + 1);
            if (paneQueued) {
                details.put(Store.QUEUED_FOR_PANE, List.of(listed.recipient()));
            }
            tx.appendEvent("message.retried", null, null, details);
        } else {
            MessageStore.in(tx).markEscalated(listed.messageId(), listed.recipient());
            escalate(tx, message, listed.recipient(), listed.attempts() - 1);
        }
        return true;
    }

    private void escalate(Tx tx, Message message, String recipient, int retries) {
        gate.sweep(tx); // statuses as of now: silent agents are stale, not active
        List<Agent> active = AgentStore.in(tx).agents(false).stream().filter(agent -> agent.status() == Agent.Status.ACTIVE)
                .limit(Messages.MAX_RECIPIENTS - 1).toList();
        Set<String> everyone = new LinkedHashSet<>(active.stream().map(Agent::id).toList());
        everyone.add(Caller.OPERATOR_ID);
        String text = "No ACK from " + recipient + " for " + message.type().label() + " " + message.id() + " from " + message.sender()
                + " after " + retries + " retries. " + (signature.verify(message) ? "Original text: " + message.text()
                : "Its stored text fails its signature (changed in the store) and is withheld.");
        int maxBytes = Messages.MAX_TEXT_BYTES.in(tx);
        Message escalation = messages.post(tx, Caller.HUB_ID, List.copyOf(everyone), PaneTypings.withLivePanes(active), new Messages.Draft(MessageType.ESCALATION, shorten(text, maxBytes), "urgent", false,
                message.id()), message.id());
        tx.appendEvent("message.escalated", null, null, OrderedMap.of("id", message.id(), "to", recipient, "sender", message.sender(),
                "escalation", escalation.id()));
    }

    private static String shorten(String text, int maxBytes) {
        String shortened = text;
        while (shortened.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
            shortened = shortened.substring(0, shortened.length() * 9 / 10) + "…";
        }
        return shortened;
    }
}
