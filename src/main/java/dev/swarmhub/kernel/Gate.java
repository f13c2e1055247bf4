package dev.swarmhub.kernel;

import java.util.Set;

/** Admits callers inside write transactions and keeps the registry current (the agent sweep). */
public interface Gate {

    /** Checks the caller's identity and records its activity; throws (unauthenticated) when it may not act. */
    void admit(Tx tx, Caller caller);

    /** Housekeeping that runs whenever the store is written: moves dead agents along. */
    void sweep(Tx tx);

    /**
     * Housekeeping before a read that reports holders: moves dead agents along (a sweep checks a
     * batch of agents' processes at a time, so a holder that died lately may still be reported for
     * a few sweeps; {@link #checkNow} checks given ones).
     */
    default void sweepBeforeRead() {
    }

    /** Checks these agents now rather than at their turn in the sweep; true when one of them turned out gone (its leases released). */
    default boolean checkNow(Tx tx, Set<String> agentIds) {
        return false;
    }
}
