package dev.swarmhub.core;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What the domain can do inside one store transaction. Times are store-clock epoch milliseconds. */
public interface Tx {

    /** The store's clock, read once when the transaction started. */
    long now();

    /** The next fencing token: larger than every token this store has handed out, ever. */
    long nextFencingToken();

    /** Unexpired leases whose anchor lies in the scope: the candidates for overlapping a resource. */
    List<Lease> liveLeasesIn(Resource.AnchorScope scope);

    /** Leases of one agent (all agents when null), optionally including expired ones, by resource. */
    List<Lease> leases(String agent, boolean includeExpired);

    /** The agent's lease on exactly this resource, expired or not. */
    Optional<Lease> leaseOf(String agent, Resource resource);

    /** Unexpired leases on exactly this resource. */
    List<Lease> liveLeasesOn(Resource resource);

    Lease insertLease(Resource resource, Mode mode, String agent, long token, String reason, long expiresAt);

    void updateLease(long id, Mode mode, String reason, long expiresAt);

    void deleteLease(long id);

    /** Leases whose expiry is at or before the given time. */
    List<Lease> expiredLeases(long at);

    /** Queues an acquire of these resources; returns the waiter id (arrival order). */
    long insertWaiter(String agent, List<Resource> resources, Mode mode, long deadline);

    /** Marks the waiter as still polling; false when it no longer exists. */
    boolean touchWaiter(long waiterId);

    void deleteWaiter(long waiterId);

    /** Claims of waiters seen since {@code seenSince} and not past their deadline, in the scope. */
    List<Waiter> liveWaitersIn(Resource.AnchorScope scope, long seenSince);

    /** Removes waiters not seen since the given time or past their deadline; returns how many. */
    int deleteDeadWaiters(long seenSince);

    void appendEvent(String kind, String agent, Resource resource, Map<String, Object> details);

    /** Events with id greater than {@code afterId}, oldest first, filtered when the filters are non-null. */
    List<Event> events(long afterId, String agent, String kind, int limit);

    /** The newest {@code limit} events matching the filters, oldest first. */
    List<Event> latestEvents(String agent, String kind, int limit);

    // --- agents ---

    Optional<Agent> agent(String id);

    /** The agent (not gone) that owns this tmux pane on this host. */
    Optional<Agent> liveAgentOnPane(String host, String pane);

    /** Every agent, gone ones included, by id. */
    List<Agent> agents();

    /** Agents not gone that were last seen at or before {@code seenBefore}, or live on {@code host}. */
    List<Agent> reapCandidates(long seenBefore, String host);

    /** Inserts or replaces the agent; {@code tokenHash} null leaves it unclaimed. */
    void saveAgent(Agent agent, String tokenHash);

    Optional<String> agentTokenHash(String id);

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

    // --- idempotency ---

    /** The stored answer (status, body) to the caller's earlier request with this key, with the request it answered. */
    Optional<StoredAnswer> storedAnswer(String caller, String key);

    void storeAnswer(String caller, String key, StoredAnswer answer);

    /** An answer kept for an Idempotency-Key: the request fingerprint, HTTP status and JSON body. */
    record StoredAnswer(String request, int status, String body) {
    }
}
