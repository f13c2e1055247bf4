package dev.swarmhub.kernel;

/** Admits callers inside write transactions and keeps the registry current (the agent sweep). */
public interface Gate {

    /** Checks the caller's identity and records its activity; throws (unauthenticated) when it may not act. */
    void admit(Tx tx, Caller caller);

    /** Housekeeping that runs whenever the store is written: moves dead agents along. */
    void sweep(Tx tx);

    /** Housekeeping before a read that reports holders: moves dead agents along, so that none is reported. */
    default void sweepBeforeRead() {
    }
}
