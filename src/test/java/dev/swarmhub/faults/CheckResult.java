package dev.swarmhub.faults;

import java.util.List;

/** The checker's answer: violations, each resource's linearizability, notes on what was not judged, and the verdict. */
record CheckResult(List<Violation> violations, List<Linearizability.Result> linearizability, List<String> notes, Verdict verdict) {

    enum Verdict {
        VALID(0), INVALID(1), UNKNOWN(2);

        /** CheckHistory's exit code. */
        final int exitCode;

        Verdict(int exitCode) {
            this.exitCode = exitCode;
        }
    }

    CheckResult {
        violations = List.copyOf(violations);
        linearizability = List.copyOf(linearizability);
        notes = List.copyOf(notes);
    }
}
