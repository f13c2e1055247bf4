package dev.swarmhub.faults;

import dev.swarmhub.faults.History.Operation;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The lease register of one resource, as the linearizability search steps it: who holds it (an
 * exclusive holder, or shared holders), each lease's token and expiry, the highest token granted,
 * and the store time so far.
 *
 * <p>What it abstracts, so that it admits every behaviour of a correct hub:
 * <ul>
 * <li>Store time never goes back along the order of operations. Answers that give it fix it: an
 * acquire, or a renew whose invoke gives its ttl, took effect at its new expiry minus its ttl. Others (a release, a fenced write,
 * anything of unknown outcome) took effect at some time not before the last one fixed.</li>
 * <li>A lease's expiry is an interval [lo, hi]: an operation of unknown outcome extended it by its
 * ttl from a time between the last fixed time and the next one ({@code pending} until then).</li>
 * <li>Renew and release act on the caller's lease on the resource, whatever its id (as the hub does);
 * an acquire of unknown outcome may have renewed the caller's lease, or granted it a new one whose
 * id and token stay unknown until an answer names it (a renew, a re-acquire answered with it).</li>
 * <li>Tokens only have to increase per resource (the hub's counter is shared by all resources);
 * refusals (fail) are left out: they did not happen, and whether they were justified is not judged.</li>
 * </ul>
 */
final class LeaseModel {

    /** No upper bound on an expiry yet. */
    private static final long OPEN = Long.MAX_VALUE;
    private static final long NO_TOKEN = Long.MIN_VALUE;

    /**
     * A lease in the model; {@code lease} and {@code token} are null and {@link #NO_TOKEN} while
     * unknown. {@code tokenFloor}: the least token it may have (above every token granted before it).
     */
    record Held(String holder, String lease, boolean exclusive, long token, long tokenFloor, long ttl, long expiresLo, long expiresHi,
            boolean pending) {

        /**
         * Whether an answer naming this lease id and token (each {@code null} / {@link #NO_TOKEN}
         * when the answer leaves it out) may be naming this lease: an unknown id or token here is any
         * the grant could have had.
         */
        boolean mayBe(String namedLease, long namedToken) {
            return !differs(lease, namedLease)
                    && (namedToken == NO_TOKEN || (token == NO_TOKEN ? namedToken >= tokenFloor : token == namedToken));
        }

        boolean maybeLiveAt(long time) {
            return expiresHi > time;
        }

        boolean maybeDeadAt(long time) {
            return expiresLo <= time;
        }

        boolean conflicts(String otherHolder, boolean otherExclusive) {
            return !holder.equals(otherHolder) && (exclusive || otherExclusive);
        }
    }

    /** The register: leases sorted by holder (one per holder), the highest token, the store time so far. */
    record State(List<Held> leases, long maxToken, long now) {

        static final State EMPTY = new State(List.of(), NO_TOKEN, Long.MIN_VALUE);

        Held of(String holder) {
            return leases.stream().filter(held -> held.holder().equals(holder)).findFirst().orElse(null);
        }

        /** The state at store time {@code time} (not before now): pending expiries bounded, certainly expired leases gone. */
        State at(long time) {
            if (time < now) {
                return null;
            }
            List<Held> live = new ArrayList<>();
            for (Held held : leases) {
                Held bounded = held.pending() ? new Held(held.holder(), held.lease(), held.exclusive(), held.token(), held.tokenFloor(), held.ttl(),
                        held.expiresLo(), Math.min(held.expiresHi(), time + held.ttl()), false) : held;
                if (bounded.maybeLiveAt(time)) {
                    live.add(bounded);
                }
            }
            return new State(List.copyOf(live), maxToken, time);
        }

        State without(String holder) {
            return new State(leases.stream().filter(held -> !held.holder().equals(holder)).toList(), maxToken, now);
        }

        State with(Held added, long token) {
            List<Held> next = new ArrayList<>(without(added.holder()).leases());
            next.add(added);
            next.sort(Comparator.comparing(Held::holder));
            return new State(List.copyOf(next), token, now);
        }

        /**
         * The earliest time, not before now, at which every lease conflicting with a grant to
         * {@code holder} (and the holder's own, when {@code ownToo}) may have expired; they are gone then.
         */
        State clearedFor(String holder, boolean exclusive, boolean ownToo) {
            long time = now;
            for (Held held : leases) {
                if (held.conflicts(holder, exclusive) || ownToo && held.holder().equals(holder)) {
                    time = Math.max(time, held.expiresLo());
                }
            }
            State then = at(time);
            State cleared = then;
            for (Held held : then.leases()) {
                if (held.conflicts(holder, exclusive) || ownToo && held.holder().equals(holder)) {
                    cleared = cleared.without(held.holder());
                }
            }
            return cleared;
        }

        /** Whether a grant to the holder at {@code time} finds no conflicting lease that must still be live. */
        boolean grantableAt(String holder, boolean exclusive, long time) {
            return leases.stream().noneMatch(held -> held.conflicts(holder, exclusive) && !held.maybeDeadAt(time));
        }

        State withoutConflicts(String holder, boolean exclusive) {
            State cleared = this;
            for (Held held : leases) {
                if (held.conflicts(holder, exclusive)) {
                    cleared = cleared.without(held.holder());
                }
            }
            return cleared;
        }
    }

    private LeaseModel() {
    }

    /** The states the operation may lead to from {@code state}; none when it cannot happen there. */
    static List<State> step(State state, Operation op) {
        return switch (op.f()) {
            case "acquire" -> op.ok() ? acquired(state, op) : maybeAcquired(state, op);
            case "renew" -> op.ok() ? renewed(state, op) : maybeRenewed(state, op);
            case "release" -> released(state, op);
            case "write" -> written(state, op);
            default -> throw new IllegalArgumentException("not a lease operation: " + op);
        };
    }

    private static List<State> acquired(State state, Operation op) {
        String holder = op.process();
        boolean exclusive = op.input("mode").equals("exclusive");
        long ttl = op.inputNumber("ttl_ms");
        long expiresAt = op.outputNumber("expires_at");
        long time = expiresAt - ttl;
        String lease = op.output("lease");
        long token = op.outputNumber("token");
        State then = state.at(time);
        if (then == null || !then.grantableAt(holder, exclusive, time)) {
            return List.of();
        }
        then = then.withoutConflicts(holder, exclusive);
        Held own = then.of(holder);
        Held granted = new Held(holder, lease, exclusive, token, token, ttl, expiresAt, expiresAt, false);
        List<State> next = new ArrayList<>(2);
        if (own != null && own.mayBe(lease, token)) {
            next.add(then.with(granted, Math.max(then.maxToken(), token))); // renewed, or the lease an unknown acquire granted, named now
        }
        boolean fresh = op.outputNumber("acquired_at") == time && token > then.maxToken();
        if (fresh && (own == null || own.maybeDeadAt(time) && !lease.equals(own.lease()))) {
            next.add(then.with(granted, token));
        }
        return next;
    }

    private static List<State> maybeAcquired(State state, Operation op) {
        String holder = op.process();
        boolean exclusive = op.input("mode").equals("exclusive");
        long ttl = op.inputNumber("ttl_ms");
        List<State> next = new ArrayList<>(3);
        next.add(state); // it did not happen
        Held own = state.of(holder);
        if (own != null && own.maybeLiveAt(state.now())) {
            State then = state.clearedFor(holder, exclusive, false);
            Held extended = then.of(holder);
            if (extended != null) {
                next.add(then.with(new Held(holder, own.lease(), exclusive, own.token(), own.tokenFloor(), ttl,
                        Math.max(own.expiresLo(), then.now() + ttl), OPEN, true), then.maxToken()));
            }
        }
        State cleared = state.clearedFor(holder, exclusive, true);
        long unknownToken = cleared.maxToken() == NO_TOKEN ? NO_TOKEN : cleared.maxToken() + 1;
        next.add(cleared.with(new Held(holder, null, exclusive, NO_TOKEN, unknownToken, ttl, cleared.now() + ttl, OPEN, true), unknownToken));
        return next;
    }

    /**
     * A renew answered: the caller's lease was live then, and expires at the answered time (its
     * store time known with its ttl). An answer naming the lease (and its token) makes one an acquire
     * of unknown outcome granted known from then on; a known one must be the same.
     */
    private static List<State> renewed(State state, Operation op) {
        long expiresAt = op.outputNumber("expires_at");
        String lease = op.output().hasNonNull("lease") ? op.output("lease") : null; // optional in the format, as the token
        long token = op.output().hasNonNull("token") ? op.outputNumber("token") : NO_TOKEN;
        Long time = LeaseFacts.storeTime(op);
        State then = time == null ? state : state.at(time);
        Held live = then == null ? null : then.of(op.process());
        if (live == null || !live.maybeLiveAt(then.now()) || !live.mayBe(lease, token)) {
            return List.of();
        }
        long known = token != NO_TOKEN ? token : live.token();
        return List.of(then.with(new Held(live.holder(), lease != null ? lease : live.lease(), live.exclusive(), known,
                known != NO_TOKEN ? known : live.tokenFloor(), live.ttl(), expiresAt, expiresAt, false), Math.max(then.maxToken(), known)));
    }

    /** Whether two lease ids, each possibly unknown (null), certainly name different leases. */
    private static boolean differs(String held, String answered) {
        return held != null && answered != null && !held.equals(answered);
    }

    /** A renew of unknown outcome may have extended the caller's lease from a time between now and the next fixed one. */
    private static List<State> maybeRenewed(State state, Operation op) {
        Held own = state.of(op.process());
        if (own == null || !own.maybeLiveAt(state.now())) {
            return List.of(state);
        }
        Held extended = op.input().hasNonNull("ttl_ms")
                ? new Held(own.holder(), own.lease(), own.exclusive(), own.token(), own.tokenFloor(), own.ttl(),
                        Math.max(own.expiresLo(), state.now() + op.inputNumber("ttl_ms")), OPEN, true)
                // the hub's default ttl, unknown here: any expiry from now on
                : new Held(own.holder(), own.lease(), own.exclusive(), own.token(), own.tokenFloor(), own.ttl(), Math.min(own.expiresLo(), state.now() + 1), OPEN,
                        false);
        return List.of(state, state.with(extended, state.maxToken()));
    }

    /** A release ends the caller's lease: live then when it says so, expired when it says that. */
    private static List<State> released(State state, Operation op) {
        Held own = state.of(op.process());
        if (!op.ok()) { // it may not have happened, or ended whatever the caller held
            return own == null ? List.of(state) : List.of(state, state.without(op.process()));
        }
        Boolean wasLive = LeaseFacts.releasedLive(op);
        if (wasLive == null) { // it ended none, or does not say: the caller's lease, if any, is gone
            return List.of(own == null ? state : state.without(op.process()));
        }
        if (wasLive) {
            return own != null && own.maybeLiveAt(state.now()) ? List.of(state.without(op.process())) : List.of();
        }
        // expired when released (the model may have dropped it already as certainly expired)
        return List.of(own == null ? state : state.at(Math.max(state.now(), own.expiresLo())).without(op.process()));
    }

    /** A fenced write accepted: the writer's exclusive lease with that token was live at some time from now on. */
    private static List<State> written(State state, Operation op) {
        Held own = state.of(op.process());
        long token = op.inputNumber("token");
        if (own == null || own.token() != token || !own.exclusive() || !own.maybeLiveAt(state.now())) {
            return List.of();
        }
        return List.of(state.with(new Held(own.holder(), own.lease(), true, token, token, own.ttl(), Math.max(own.expiresLo(), state.now() + 1),
                own.expiresHi(), own.pending()), state.maxToken()));
    }
}
