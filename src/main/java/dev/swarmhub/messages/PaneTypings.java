package dev.swarmhub.messages;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.AgentStore;
import dev.swarmhub.agents.PaneBinding;
import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.Tx;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * Messages waiting to be typed into their recipients' tmux panes: which, the outcome of each
 * typing, and the wait for those outcomes. The typing itself is the hub's (its PaneTypist).
 */
public final class PaneTypings {

    private final Store store;
    private final MessageSignature signature;

    public PaneTypings(Store store, MessageSignature signature) {
        this.store = store;
        this.signature = signature;
    }

    /** Whether a delivery to the agent is queued for typing into its pane: {@link Agent#hasLivePane}. */
    static boolean queuesFor(Tx tx, String agent) {
        return AgentStore.in(tx).agent(agent).filter(Agent::hasLivePane).isPresent();
    }

    /** The ids of those agents to whom a delivery is queued for typing: {@link #queuesFor}, from rows already read. */
    static Set<String> withLivePanes(Collection<Agent> agents) {
        return agents.stream().filter(Agent::hasLivePane).map(Agent::id).collect(Collectors.toSet());
    }

    /**
     * A message to type into a recipient's tmux pane; a tampered one (its signature fails) has no
     * line and must not be typed, nor one whose recipient has no complete pane binding (null:
     * registered before bindings named their server and processes).
     */
    public record Typing(String messageId, String recipient, String pane, PaneBinding binding, String line, boolean tampered) {
    }

    /**
     * Messages waiting to be typed into panes of live, idle agents on this host (nothing is typed
     * into a pane mid-output; a busy agent's lines wait for it), oldest first; a cut
     * line ends with {@code readAll} of the message's id (see {@link MessageText#paneLine}).
     */
    public List<Typing> pending(String host, int limit, UnaryOperator<String> readAll) {
        return store.read(tx -> MessageStore.in(tx).pendingTypings(host, limit).stream().map(pending -> {
            Message message = MessageStore.in(tx).message(pending.messageId()).orElseThrow();
            PaneBinding binding = AgentStore.in(tx).agent(pending.recipient()).map(Agent::paneBinding).orElse(null);
            boolean tampered = !signature.verify(message);
            return new Typing(message.id(), pending.recipient(), pending.pane(), binding, tampered ? null : MessageText.paneLine(message, readAll),
                    tampered);
        }).toList());
    }

    /**
     * Records a typing's outcome: typed (the message counts as delivered) or failed (it stays in the
     * inbox), with a {@code message.pane-typed} or {@code message.pane-failed} event.
     */
    public void typed(Typing typing, boolean typed, String failure) {
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
     * logs an event, which wakes this wait at once). Recipients without a pane, those whose
     * pane is on another host, and those not idle (typed once they are) are not waited for.
     */
    public Message awaitOutcomes(Message sent, String host, Duration wait) {
        List<String> queued = sent.recipients().stream().filter(r -> Message.Recipient.PANE_PENDING.equals(r.pane())).map(Message.Recipient::agent)
                .toList();
        if (queued.isEmpty()) {
            return sent; // most sends: no pane to wait for, and no read to find that out
        }
        List<String> local = store.read(tx -> queued.stream().filter(name -> AgentStore.in(tx).agent(name)
                .map(agent -> host.equals(agent.host()) && agent.idle()).orElse(false)).toList());
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
