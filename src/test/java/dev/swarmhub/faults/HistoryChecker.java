package dev.swarmhub.faults;

import dev.swarmhub.faults.CheckResult.Verdict;
import dev.swarmhub.faults.Linearizability.Result;
import java.util.List;
import java.util.stream.Stream;

/**
 * Checks a fault run's history: leases, tokens and fenced writes ({@link LeaseChecks}), messages
 * and acks ({@link MessageChecks}), tasks and counts ({@link TaskChecks}), and the lease register's
 * linearizability per resource ({@link Linearizability}). Invalid when anything is violated;
 * unknown when the search ran out of budget or the final read is missing; else valid.
 */
final class HistoryChecker {

    /** Visited (linearized set, state) pairs per resource before its linearizability is left unknown. */
    static final long DEFAULT_BUDGET = 500_000;

    private HistoryChecker() {
    }

    static CheckResult check(History history) {
        return check(history, DEFAULT_BUDGET);
    }

    static CheckResult check(History history, long budget) {
        Findings findings = new Findings();
        LeaseChecks.check(history, findings);
        MessageChecks.check(history, findings);
        TaskChecks.check(history, findings);
        List<Result> linearizability = Linearizability.check(history, budget);
        for (Result result : linearizability) {
            if (result.verdict() == Linearizability.Verdict.NOT_LINEARIZABLE) {
                findings.violation(Violation.Kind.NOT_LINEARIZABLE, Stream.of(result.lastPlaced(), result.stuck())
                        .filter(op -> op != null).map(History.Operation::ref).toList(), "no order of the " + result.operations()
                        + " lease operations on " + result.resource() + " fits the lease model: after " + result.longestPrefix()
                        + " placed" + (result.lastPlaced() == null ? "" : " (the last " + result.lastPlaced() + ")") + ", " + result.stuck()
                        + " could not be placed");
            } else if (result.verdict() == Linearizability.Verdict.UNKNOWN) {
                findings.note("linearizability of " + result.resource() + " unknown: the search passed its budget of " + budget + " states");
            }
        }
        List<Violation> violations = findings.violations();
        boolean unknown = history.finalState() == null
                || linearizability.stream().anyMatch(result -> result.verdict() == Linearizability.Verdict.UNKNOWN);
        Verdict verdict = !violations.isEmpty() ? Verdict.INVALID : unknown ? Verdict.UNKNOWN : Verdict.VALID;
        return new CheckResult(violations, linearizability, findings.notes(), verdict);
    }
}
