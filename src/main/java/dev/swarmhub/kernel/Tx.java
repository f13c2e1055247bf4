package dev.swarmhub.kernel;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What the domain can do inside one store transaction. Times are store-clock epoch milliseconds. */
public interface Tx {

    /**
     * The store's clock (epoch milliseconds), read once when the transaction started (for a write,
     * after the write lock was taken): the same for every call, and for writes joining this one.
     */
    long now();

    /**
     * This transaction's part for a domain's own rows ({@code LeaseStore}, {@code AgentStore},
     * {@code MessageStore}): the store implements each domain's interface, the domain asks for it here.
     */
    <T> T part(Class<T> domainPart);

    /**
     * Appends an event at {@link #now()}; once the transaction commits, it raises the signals its
     * kind stands for ({@link Store.Signal}). A write that must wake a waiter appends its event.
     */
    void appendEvent(String kind, String agent, String resource, Map<String, Object> details);

    /** Events with id greater than {@code afterId}, oldest first, filtered when the filters are non-null. */
    List<Event> events(long afterId, String agent, String kind, int limit);

    /** The newest {@code limit} events matching the filters, oldest first. */
    default List<Event> latestEvents(String agent, String kind, int limit) {
        return eventsBefore(Long.MAX_VALUE, agent, kind, limit);
    }

    /** The newest {@code limit} events with id less than {@code beforeId} matching the filters, oldest first: a page back in the log. */
    List<Event> eventsBefore(long beforeId, String agent, String kind, int limit);

    /** The oldest events recorded before the time, at most {@code limit}. */
    List<Event> eventsRecordedBefore(long time, int limit);

    void deleteEvents(List<Long> ids);

    Optional<String> setting(String name);

    void putSetting(String name, String value);

    /**
     * The stored answer (status, body) to the caller's earlier request with this key, with the
     * request it answered; only one stored after {@code storedAfter} (older ones have expired).
     */
    Optional<StoredAnswer> storedAnswer(String caller, String key, long storedAfter);

    /** Stores the answer at the transaction's time, replacing an expired one under the same key. */
    void storeAnswer(String caller, String key, StoredAnswer answer);

    /** Deletes the answers stored at or before the time; returns how many. */
    int forgetAnswersStoredBefore(long time);

    /**
     * Enlists an effect this write made outside the store (a file put in place), to be kept if the
     * transaction commits and taken back if it does not: the store settles it before it lets go of
     * its write lock, so no other write comes between. A write may run again after a rollback
     * (the store retries a batch): then the effect is made, and enlisted, again.
     */
    void enlist(OutsideEffect effect);

    /** An effect outside the store that a write keeps or takes back with its transaction. */
    interface OutsideEffect {
        /** The transaction committed ({@code committed}) or was rolled back; called once per enlistment. */
        void settle(boolean committed);
    }

    /** An answer kept for an Idempotency-Key: the request fingerprint, HTTP status and JSON body. */
    record StoredAnswer(String request, int status, String body) {
    }

}
