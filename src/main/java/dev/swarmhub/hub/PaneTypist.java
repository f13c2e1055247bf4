package dev.swarmhub.hub;

import dev.swarmhub.agents.PaneBinding;
import dev.swarmhub.host.PaneTyper;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.messages.Message;
import dev.swarmhub.messages.PaneTypings;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's typist: types each message waiting for a recipient's tmux pane on this host into that
 * pane, oldest first, and records the outcome (typed: delivered; failed: the message stays in the
 * inbox, the reason in its receipt). A message whose signature fails is never typed, nor one
 * whose pane is no longer bound to its agent (see PaneGuard). It wakes when this process queues a message for a pane, and every
 * second for messages stored elsewhere and for retries.
 */
final class PaneTypist implements AutoCloseable {

    /** How long a send's answer waits for its typings, so that it says per recipient whether the message was typed or why not. */
    static final Duration TYPING_WAIT = Duration.ofSeconds(2);
    private static final int BATCH = 50;
    private static final long IDLE_MS = 1_000;
    private static final Logger LOG = LoggerFactory.getLogger(PaneTypist.class);

    private final PaneTypings typings;
    private final BiFunction<PaneBinding, String, PaneTyper.Outcome> typer;
    private final String host;
    private final Predicate<PaneTypings.Typing> stillIdle;
    private final Thread worker;

    /**
     * Starts typing with {@code typer} ({@link PaneTyper#type}); {@code stillIdle} looks at a pane
     * again right before the first line typed into it in a round.
     */
    PaneTypist(PaneTypings typings, Store store, BiFunction<PaneBinding, String, PaneTyper.Outcome> typer, String host,
            Predicate<PaneTypings.Typing> stillIdle) {
        this.typings = typings;
        this.typer = typer;
        this.host = host;
        this.stillIdle = stillIdle;
        this.worker = BackgroundLoop.start("pane typist", () -> {
            long seen = store.signalCount(Store.Signal.TYPING);
            if (typePending() < BATCH) {
                store.awaitSignal(Store.Signal.TYPING, seen, IDLE_MS);
            }
        });
    }

    /** The sent message once this typist has typed it into its recipients' panes on this host, or after {@link #TYPING_WAIT}. */
    Message awaitOutcomes(Message sent) {
        return typings.awaitOutcomes(sent, host, TYPING_WAIT);
    }

    /** Types what is waiting for idle agents; returns how many typings it handled. */
    private int typePending() {
        List<PaneTypings.Typing> pending = typings.pending(host, BATCH, id -> "swarm read " + id); // agents in panes have the CLI
        int handled = 0;
        Set<String> typedInto = new HashSet<>(); // a pane typed into this round changed because of it: its next lines follow
        Set<String> deferred = new HashSet<>(); // a pane whose oldest line waits takes none of its later ones this round: lines keep their order
        for (PaneTypings.Typing typing : pending) {
            if (deferred.contains(typing.recipient())) {
                continue;
            }
            if (typing.tampered()) {
                failed(typing, "not typed: its signature does not match (changed in the store)");
            } else if (typing.binding() == null) {
                failed(typing, "not typed: pane " + typing.pane() + " was registered without its tmux server and "
                        + "processes; register the agent again from its pane");
            } else if (typedInto.contains(typing.recipient()) || stillIdle.test(typing)) {
                PaneTyper.Outcome outcome = typer.apply(typing.binding(), typing.line());
                if (outcome.typed()) {
                    typings.typed(typing, true, null);
                } else {
                    failed(typing, outcome.failure());
                }
                typedInto.add(typing.recipient());
            } else {
                deferred.add(typing.recipient());
                continue; // output started since the watcher's last look: typed once it is quiet again
            }
            handled++;
        }
        return handled;
    }

    /** Records the failed typing in the receipt (the message stays in the inbox) and logs it: who, which message, why; never its text. */
    private void failed(PaneTypings.Typing typing, String why) {
        typings.typed(typing, false, why);
        LOG.warn("typing message {} into pane {} of {} failed: {}", typing.messageId(), typing.pane(), typing.recipient(), why);
    }

    @Override
    public void close() {
        BackgroundLoop.stop(worker);
    }
}
