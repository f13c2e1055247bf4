package dev.swarmhub.leases;

import dev.swarmhub.kernel.ProcessIdentity;
import dev.swarmhub.kernel.Tx;
import java.util.List;
import java.util.Optional;

/** The lease rows of a transaction ({@link Tx#part}): what the lease domain reads and writes in the store. */
public interface LeaseStore {

    static LeaseStore in(Tx tx) {
        return tx.part(LeaseStore.class);
    }

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

    /** Keeps the lease while its holder is active: {@link #renewWhileActive} extends it to now + {@code renewMillis}. */
    void keepWhileActive(long id, long renewMillis);

    /** The holder was active now: extends its live leases kept while it is active (never shortens one). */
    void renewWhileActive(String agent);

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

    /** Claims of every waiter seen since {@code seenSince} and not past its deadline, by resource, then arrival. */
    List<Waiter> liveWaiters(long seenSince);

    /** Claims of waiters not seen since {@code seenSince} or past their deadline. */
    List<Waiter> silentWaiters(long seenSince);
}
