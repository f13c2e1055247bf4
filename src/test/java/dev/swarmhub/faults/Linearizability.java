package dev.swarmhub.faults;

import dev.swarmhub.faults.History.Operation;
import dev.swarmhub.faults.LeaseModel.Held;
import dev.swarmhub.faults.LeaseModel.State;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Linearizability of the lease register, per resource (P-compositionality, as Porcupine: a lease
 * names one resource, so each resource's operations are checked alone). The search is Wing &amp;
 * Gong's, with Lowe's memoisation: operations sit in a list of call and return entries in time
 * order; the first call whose operation the model accepts is linearized (lifted with its return),
 * and a return reached before its call was lifted means backtracking. A (linearized set, state)
 * pair seen before is not explored again. An operation of unknown outcome returns at infinity
 * and may be linearized as having done nothing. Refused operations are left out.
 *
 * <p>The visited pairs are kept as 128-bit fingerprints (Zobrist keys of the set, XORed with a
 * hash of the state), so memory does not grow with the history's length; a collision would
 * wrongly prune one branch with a probability far below any other source of doubt. Past
 * {@code budget} visited pairs a resource's verdict is unknown instead of a hang.
 */
final class Linearizability {

    enum Verdict { LINEARIZABLE, NOT_LINEARIZABLE, UNKNOWN }

    /** One resource's verdict; {@code stuck}: the operation no order could place, after the longest valid prefix. */
    record Result(String resource, Verdict verdict, int operations, long visited, int longestPrefix, Operation lastPlaced, Operation stuck) {
    }

    private static final Set<String> LEASE_OPERATIONS = Set.of("acquire", "renew", "release");

    private Linearizability() {
    }

    static List<Result> check(History history, long budget) {
        Map<String, List<Operation>> byResource = new LinkedHashMap<>();
        for (Operation op : history.operations()) {
            boolean leaseOp = LEASE_OPERATIONS.contains(op.f()) && !op.failed();
            if (leaseOp || op.f().equals("write") && op.ok()) {
                byResource.computeIfAbsent(op.input(leaseOp ? "resource" : "path"), resource -> new ArrayList<>()).add(op);
            }
        }
        byResource.values().removeIf(ops -> ops.stream().noneMatch(op -> op.f().equals("acquire")));
        return byResource.entrySet().stream().map(resource -> search(resource.getKey(), resource.getValue(), budget)).toList();
    }

    static Result search(String resource, List<Operation> ops, long budget) {
        Entries entries = new Entries(ops);
        long[] keysA = new long[ops.size()];
        long[] keysB = new long[ops.size()];
        SplittableRandom random = new SplittableRandom(0x5eed);
        for (int i = 0; i < ops.size(); i++) {
            keysA[i] = random.nextLong();
            keysB[i] = random.nextLong();
        }
        Set<Fingerprint> visited = new HashSet<>();
        Deque<Frame> stack = new ArrayDeque<>();
        State state = State.EMPTY;
        long setA = 0;
        long setB = 0;
        int longest = 0;
        Operation lastPlaced = null;
        Operation stuck = null;
        int entry = entries.first();
        while (entries.first() != Entries.END) {
            if (visited.size() > budget) {
                return new Result(resource, Verdict.UNKNOWN, ops.size(), visited.size(), longest, lastPlaced, stuck);
            }
            Frame placed = null;
            if (entries.isCall(entry)) {
                int op = entries.op(entry);
                placed = place(new Frame(entry, state, LeaseModel.step(state, ops.get(op)), 0), setA ^ keysA[op], setB ^ keysB[op], visited);
                entry = entries.next(entry);
            } else { // a return whose call could not be placed: undo the last placement and try its other outcomes, else the next call
                if (stack.size() >= longest) {
                    longest = stack.size();
                    lastPlaced = stack.isEmpty() ? null : ops.get(entries.op(stack.peek().call()));
                    stuck = ops.get(entries.op(entry));
                }
                if (stack.isEmpty()) {
                    return new Result(resource, Verdict.NOT_LINEARIZABLE, ops.size(), visited.size(), longest, lastPlaced, stuck);
                }
                Frame undone = stack.pop();
                int op = entries.op(undone.call());
                setA ^= keysA[op];
                setB ^= keysB[op];
                state = undone.before();
                entries.unlift(undone.call());
                placed = place(new Frame(undone.call(), undone.before(), undone.choices(), undone.chosen() + 1), setA ^ keysA[op],
                        setB ^ keysB[op], visited);
                entry = entries.next(undone.call());
            }
            if (placed != null) {
                int op = entries.op(placed.call());
                setA ^= keysA[op];
                setB ^= keysB[op];
                stack.push(placed);
                state = placed.choices().get(placed.chosen());
                entries.lift(placed.call());
                entry = entries.first();
            }
        }
        return new Result(resource, Verdict.LINEARIZABLE, ops.size(), visited.size(), ops.size(), null, null);
    }

    /** The frame with the first of its outcomes (from {@code from.chosen()} on) that leads somewhere not visited; null if none. */
    private static Frame place(Frame from, long setA, long setB, Set<Fingerprint> visited) {
        for (int i = from.chosen(); i < from.choices().size(); i++) {
            State next = from.choices().get(i);
            if (visited.add(new Fingerprint(setA ^ hashA(next), setB ^ hashB(next)))) {
                return new Frame(from.call(), from.before(), from.choices(), i);
            }
        }
        return null;
    }

    /** An operation placed: its call entry, the state before, its possible outcomes and the one chosen. */
    private record Frame(int call, State before, List<State> choices, int chosen) {
    }

    private record Fingerprint(long a, long b) {
    }

    private static long hashA(State state) {
        return hash(state, 0x9E3779B97F4A7C15L);
    }

    private static long hashB(State state) {
        return hash(state, 0xC2B2AE3D27D4EB4FL);
    }

    private static long hash(State state, long seed) {
        long h = mix(seed ^ state.maxToken());
        h = mix(h ^ state.now());
        for (Held held : state.leases()) {
            h = mix(h ^ text(held.holder(), seed));
            h = mix(h ^ (held.lease() == null ? 1 : text(held.lease(), seed)));
            h = mix(h ^ (held.exclusive() ? 3 : 5) ^ (held.pending() ? 7 : 11));
            h = mix(h ^ held.token());
            h = mix(h ^ held.tokenFloor());
            h = mix(h ^ held.ttl());
            h = mix(h ^ held.expiresLo());
            h = mix(h ^ held.expiresHi());
        }
        return h;
    }

    private static long text(String text, long seed) {
        long h = seed;
        for (int i = 0; i < text.length(); i++) {
            h = mix(h ^ text.charAt(i));
        }
        return h;
    }

    /** SplitMix64's finaliser. */
    private static long mix(long value) {
        long z = value + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Call and return entries as a doubly linked list in time order (a call before a return at the
     * same time: such operations count as concurrent). Lifting removes an operation's two entries;
     * unlifting, in reverse order, puts them back.
     */
    private static final class Entries {

        static final int END = -1;
        private final int[] next;
        private final int[] prev;
        private final int head;

        Entries(List<Operation> ops) {
            int count = ops.size() * 2;
            Integer[] order = new Integer[count];
            for (int i = 0; i < count; i++) {
                order[i] = i;
            }
            java.util.Arrays.sort(order, Comparator.<Integer>comparingLong(e -> time(ops, e)).thenComparingInt(e -> e % 2));
            head = count;
            next = new int[count + 1];
            prev = new int[count + 1];
            int previous = head;
            for (int e : order) {
                next[previous] = e;
                prev[e] = previous;
                previous = e;
            }
            next[previous] = END;
        }

        /** Entry 2i is operation i's call, 2i + 1 its return (at infinity when its outcome is unknown). */
        private static long time(List<Operation> ops, int entry) {
            Operation op = ops.get(entry / 2);
            return entry % 2 == 0 ? op.invokedAt() : op.effectBy();
        }

        int first() {
            return next[head];
        }

        int next(int entry) {
            return next[entry];
        }

        boolean isCall(int entry) {
            return entry % 2 == 0;
        }

        int op(int entry) {
            return entry / 2;
        }

        void lift(int call) {
            unlink(call);
            unlink(call + 1);
        }

        void unlift(int call) {
            relink(call + 1);
            relink(call);
        }

        private void unlink(int entry) {
            next[prev[entry]] = next[entry];
            if (next[entry] != END) {
                prev[next[entry]] = prev[entry];
            }
        }

        private void relink(int entry) {
            next[prev[entry]] = entry;
            if (next[entry] != END) {
                prev[next[entry]] = entry;
            }
        }
    }
}
