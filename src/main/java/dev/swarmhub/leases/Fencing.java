package dev.swarmhub.leases;

import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Gate;
import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Tx;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Fencing tokens checked where the write happens. A lease alone cannot make a write safe: its
 * holder may be paused past its expiry while the lease goes to another agent, and then write with
 * the old token. Here the token is checked against the live leases in the same store transaction
 * that puts the write in place, so no grant can come between the check and the write.
 */
public final class Fencing {

    private final Store store;
    private final Gate gate;
    private final Stager stager;
    /** The files held by {@link #holdFile}, and for which request: its caller, by identity (the API makes one for the request). */
    private final java.util.concurrent.ConcurrentHashMap<Resource, Caller> heldFor = new java.util.concurrent.ConcurrentHashMap<>();

    public Fencing(Store store, Gate gate, Stager stager) {
        this.store = store;
        this.gate = gate;
        this.stager = stager;
    }

    /** Makes writes ready outside the store: the file system's part of a fenced write. */
    public interface Stager {
        /**
         * The content written durably beside the file {@code path} names, not yet in its place;
         * it holds the file against other writers until closed, as {@code turn} says.
         */
        StagedWrite stage(Resource path, String content, Turn turn);

        /** Holds the file {@code path} names against other writers until closed, waiting for a write of it in progress. */
        FileHold hold(Resource path);
    }

    /** How a write takes its file from the other writers. */
    public enum Turn {
        /** Wait for a write of the file in progress to end. */
        WAIT,
        /** Refused at once if another write holds it: the caller holds the store's write lock, which that writer may be waiting for. */
        NO_WAIT,
        /** The caller's request holds it already ({@link #holdFile}). */
        HELD
    }

    /** A file held against other writers (see {@link #holdFile}). */
    public interface FileHold extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Holds the file against other writers until closed: taken before a store write inside which
     * the caller will write it (an Idempotency-Key's), since a write inside a store write does not
     * wait for the file (its holder may be waiting for that store write). The write, whatever
     * thread the store runs it on, goes ahead in the hold of its caller's request.
     */
    public FileHold holdFile(Caller caller, Resource path) {
        if (path.kind() != Resource.Kind.PATH) {
            throw SwarmException.badInput("a fenced write names one file, not " + path);
        }
        FileHold held = stager.hold(path);
        heldFor.put(path, caller);
        return () -> {
            heldFor.remove(path, caller);
            held.close();
        };
    }

    /**
     * A write made ready outside the store (durably, but not visible) that a fenced write puts in
     * place while the store checks the token; closing it drops it unless it was put in place (and
     * its transaction may still take it back).
     */
    public interface StagedWrite extends AutoCloseable {
        /**
         * Puts the content in place, atomically, as part of {@code tx}: enlisted there, it is
         * taken back if the transaction does not commit.
         */
        void putInPlace(Tx tx);

        /** The content's size in bytes, as written. */
        long size();

        @Override
        void close();
    }

    /** The live lease with fencing token {@code token} that covers {@code resource}; denied naming what holds it instead. */
    public Lease check(Resource resource, long token) {
        gate.sweepBeforeRead();
        return store.read(tx -> leaseWithToken(tx, resource, token, null));
    }

    /**
     * Writes {@code content} to the file {@code path} names if {@code token} is the fencing token
     * of the caller's live lease covering it, and records the write; denied otherwise, the file
     * untouched. The content is staged before the transaction, so the store's lock is held only
     * for the check and the rename.
     */
    public Lease write(Caller caller, Resource path, long token, String content) {
        if (path.kind() != Resource.Kind.PATH) {
            throw SwarmException.badInput("a fenced write names one file, not " + path);
        }
        Turn turn = heldFor.get(path) == caller ? Turn.HELD : store.writing() ? Turn.NO_WAIT : Turn.WAIT;
        try (StagedWrite staged = stager.stage(path, content, turn)) {
            return store.write(tx -> {
                gate.admit(tx, caller);
                Lease lease = leaseWithToken(tx, path, token, caller.agentId());
                staged.putInPlace(tx);
                tx.appendEvent("lease.fenced-write", caller.agentId(), path.text(), OrderedMap.of("lease", lease.id(), "token", token,
                        "bytes", staged.size()));
                return lease;
            });
        }
    }

    private static Lease leaseWithToken(Tx tx, Resource resource, long token, String holder) {
        List<Lease> covering = Leases.liveLeasesOverlapping(tx, resource).stream()
                .filter(lease -> resource.kind() != Resource.Kind.GLOB || lease.resource().equals(resource)).toList();
        for (Lease lease : covering) {
            if (lease.token() == token) {
                if (holder != null && !lease.agent().equals(holder)) {
                    throw SwarmException.denied("fencing token " + token + " is " + lease.agent() + "'s lease on " + lease.resource()
                            + ", not yours (" + holder + ")");
                }
                if (holder != null && lease.mode() != Mode.EXCLUSIVE) {
                    throw SwarmException.denied("fencing token " + token + " is a " + lease.mode().label() + " lease on " + lease.resource()
                            + ": a fenced write needs an exclusive one (others may hold the file too)");
                }
                return lease;
            }
        }
        throw SwarmException.denied("fencing token " + token + " holds no live lease covering " + resource + (covering.isEmpty()
                ? ": none covers it now" : ": it is covered by " + covering.stream()
                .map(lease -> lease.agent() + "'s lease on " + lease.resource() + " (token " + lease.token() + ")").collect(Collectors.joining(", "))));
    }
}
