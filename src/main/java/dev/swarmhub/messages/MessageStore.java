package dev.swarmhub.messages;

import dev.swarmhub.kernel.Tx;
import java.util.List;
import java.util.Optional;

/** The message rows of a transaction ({@link Tx#part}): what the message domain reads and writes in the store. */
public interface MessageStore {

    static MessageStore in(Tx tx) {
        return tx.part(MessageStore.class);
    }

    /** Stores a message with its recipients (each stored now, first attempt, its pane receipt as given) and indexes its text for search. */
    void insertMessage(Message message);

    /**
     * The oldest messages created before the time that no agent here waits on: each recipient has
     * acked it, or read it when no ACK was asked, or is gone (or no longer registered); at most {@code limit}.
     */
    List<Message> settledBefore(long time, int limit);

    /** Deletes the messages with their recipients' rows and their text's index. */
    void deleteMessages(List<String> ids);

    Optional<Message> message(String id);

    /** Ids starting with the prefix, at most {@code limit}. */
    List<String> messageIdsStartingWith(String prefix, int limit);

    /** Messages to the recipient, oldest first; {@code unreadOnly}: not yet read. */
    List<Message> inbox(String recipient, boolean unreadOnly, int limit);

    List<Message> thread(String threadId);

    /**
     * The newest messages stored before the message {@code beforeId} (null: any; unknown: none), newest first,
     * that the agent sent or received (null: all).
     */
    List<Message> recent(String visibleTo, String beforeId, int limit);

    /**
     * Messages whose text holds every word (a prefix word: a word it starts; case-insensitive),
     * best match first, that the agent sent or received (null: all). The store builds its
     * database's query from the words: no query syntax comes from above.
     */
    List<Message> searchMessages(SearchWords words, String visibleTo, int limit);

    /** The creation time of the sender's {@code nth} newest message created after {@code since} (1: the newest), if it sent that many. */
    Optional<Long> nthNewestSentAfter(String sender, long since, int nth);

    /** Sets the recipient's delivered (and read, acked) time where not set yet; false when no such row. */
    boolean markReceived(String messageId, String recipient, boolean read, boolean acked);

    /** Unacked recipient rows whose retry time has come (of one message, or of all: null), oldest due first. */
    List<RetryDue> retriesDue(long at, String messageId);

    record RetryDue(String messageId, String recipient, int attempts) {
    }

    /**
     * Delivers an unacked message again: the attempt counted, the next retry set, unread again (so
     * a waiting inbox returns it), and its typing queued again when {@code queueForPane}.
     */
    void redeliver(String messageId, String recipient, int attempts, long nextRetryAt, boolean queueForPane);

    /** Records the one escalation of an unacked message: no more retries. */
    void markEscalated(String messageId, String recipient);

    /**
     * Recipient rows queued for typing whose agent has a live pane ({@code Agent.hasLivePane}) on
     * this host and is idle ({@code Agent.idle}), oldest first: message id, recipient, pane.
     */
    List<PendingTyping> pendingTypings(String host, int limit);

    /** How many recipients owe an ACK they have not given (escalated ones included). */
    long countAwaitingAck();

    record PendingTyping(String messageId, String recipient, String pane) {
    }

    /** Records the outcome of typing into the pane; delivered also sets delivered_at where not set. */
    void setPaneOutcome(String messageId, String recipient, String outcome, boolean delivered);
}
