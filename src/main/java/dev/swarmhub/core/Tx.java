package dev.swarmhub.core;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What the domain can do inside one store transaction. Times are store-clock epoch milliseconds. */
public interface Tx {

    /** The store's clock, read once when the transaction started. */
    long now();

    /**
     * The next fencing token: larger than every token this store has handed out, ever, and not
     * below the store clock in microseconds, so a store created after another was wiped still
     * grants larger tokens than the wiped one did (unless the clock went back).
     */
    long nextFencingToken();

    /**
     * Leases whose anchor lies in the scope, expired ones too (they stay until cleanup removes
     * them): the candidates for overlapping a resource. Callers judge liveness by {@link #now()}.
     */
    List<Lease> leasesIn(Resource.AnchorScope scope);

    /** Leases of one agent (all agents when null), optionally including expired ones, by resource. */
    List<Lease> leases(String agent, boolean includeExpired);

    /** The agent's lease on exactly this resource, expired or not. */
    Optional<Lease> leaseOf(String agent, Resource resource);

    /** Unexpired leases on exactly this resource. */
    List<Lease> liveLeasesOn(Resource resource);

    Lease insertLease(Resource resource, Mode mode, String agent, long token, String reason, long expiresAt);

    void updateLease(long id, Mode mode, String reason, long expiresAt);

    void deleteLease(long id);

    /** Removes the agent's lease on exactly this resource, expired or not; returns it, if there was one. */
    Optional<Lease> deleteLeaseOf(String agent, Resource resource);

    /** Leases whose expiry is at or before the given time. */
    List<Lease> expiredLeases(long at);

    /**
     * Queues an acquire of these resources, served by that process (null: unknown); returns the
     * waiter id (arrival order).
     */
    long insertWaiter(String agent, List<Resource> resources, Mode mode, long deadline, ProcessIdentity servedBy);

    /** Marks the waiter as still polling; false when it no longer exists. */
    boolean touchWaiter(long waiterId);

    void deleteWaiter(long waiterId);

    /** Claims of waiters seen since {@code seenSince} and not past their deadline, in the scope. */
    List<Waiter> liveWaitersIn(Resource.AnchorScope scope, long seenSince);

    /** Claims of waiters not seen since {@code seenSince} or past their deadline. */
    List<Waiter> silentWaiters(long seenSince);

    void appendEvent(String kind, String agent, Resource resource, Map<String, Object> details);

    /** Events with id greater than {@code afterId}, oldest first, filtered when the filters are non-null. */
    List<Event> events(long afterId, String agent, String kind, int limit);

    /** The newest {@code limit} events matching the filters, oldest first. */
    List<Event> latestEvents(String agent, String kind, int limit);

    // --- agents ---

    Optional<Agent> agent(String id);

    /** The agent (not gone) that owns this pane of the tmux server at {@code socket} on this host. */
    Optional<Agent> liveAgentOnPane(String host, String socket, String pane);

    /** Every agent, gone ones included, by id. */
    List<Agent> agents();

    /** Agents not gone that were last seen at or before {@code seenBefore}, or live on {@code host}. */
    List<Agent> reapCandidates(long seenBefore, String host);

    /** Inserts or replaces the agent; {@code tokenHash} null leaves it unclaimed. */
    void saveAgent(Agent agent, String tokenHash);

    /** A claimed agent with its token's hash: what admitting a caller checks, read at once. */
    record Claimed(Agent agent, String tokenHash) {
    }

    /** The agent if it is claimed (has a token). */
    Optional<Claimed> claimedAgent(String id);

    void setAgentToken(String id, String tokenHash);

    /** Records activity: last seen now. */
    void touchAgent(String id);

    void setAgentStatus(String id, Agent.Status status);

    void deleteAgent(String id);

    // --- settings ---

    Optional<String> setting(String name);

    void putSetting(String name, String value);

    /** The agent whose token has this hash. */
    Optional<String> agentWithTokenHash(String tokenHash);

    // --- messages ---

    /** Stores a message with its recipients (each stored now, first attempt, its pane receipt as given) and indexes its text for search. */
    void insertMessage(Message message);

    Optional<Message> message(String id);

    /** Ids starting with the prefix, at most {@code limit}. */
    List<String> messageIdsStartingWith(String prefix, int limit);

    /** Messages to the recipient, oldest first; {@code unreadOnly}: not yet read. */
    List<Message> inbox(String recipient, boolean unreadOnly, int limit);

    List<Message> thread(String threadId);

    /** Messages whose text matches the FTS5 query, best first, that the agent sent or received (null: all). */
    List<Message> searchMessages(String ftsQuery, String visibleTo, int limit);

    /** Creation times and recipient counts of the sender's messages created after {@code since}, oldest first. */
    List<long[]> sentAfter(String sender, long since);

    /** Sets the recipient's delivered (and read, acked) time where not set yet; false when no such row. */
    boolean markReceived(String messageId, String recipient, boolean read, boolean acked);

    /** Unacked recipient rows whose retry time has come (of one message, or of all: null), oldest due first. */
    List<RetryDue> retriesDue(long at, String messageId);

    record RetryDue(String messageId, String recipient, int attempts) {
    }

    /**
     * Delivers an unacked message again: the attempt counted, the next retry set, unread again (so
     * a waiting inbox returns it), and its typing queued when the recipient has a pane.
     */
    void redeliver(String messageId, String recipient, int attempts, long nextRetryAt);

    /** Records the one escalation of an unacked message: no more retries. */
    void markEscalated(String messageId, String recipient);

    /** Recipient rows waiting to be typed into the pane of a live agent on this host: message id, recipient, pane. */
    List<PaneDelivery> pendingPaneDeliveries(String host, int limit);

    /** How many recipients owe an ACK they have not given (escalated ones included). */
    long countAwaitingAck();

    record PaneDelivery(String messageId, String recipient, String pane) {
    }

    /** Records the outcome of typing into the pane; delivered also sets delivered_at where not set. */
    void setPaneOutcome(String messageId, String recipient, String outcome, boolean delivered);

    // --- idempotency ---

    /**
     * The stored answer (status, body) to the caller's earlier request with this key, with the
     * request it answered; only one stored after {@code storedAfter} (older ones have expired).
     */
    Optional<StoredAnswer> storedAnswer(String caller, String key, long storedAfter);

    /** Stores the answer at the transaction's time, replacing an expired one under the same key. */
    void storeAnswer(String caller, String key, StoredAnswer answer);

    /** Deletes the answers stored at or before the time; returns how many. */
    int forgetAnswersStoredBefore(long time);

    /** An answer kept for an Idempotency-Key: the request fingerprint, HTTP status and JSON body. */
    record StoredAnswer(String request, int status, String body) {
    }
}
