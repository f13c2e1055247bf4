package dev.swarmhub.faults;

import dev.swarmhub.faults.History.EventRef;
import dev.swarmhub.faults.Violation.Kind;
import java.util.ArrayList;
import java.util.List;

/** What the checks found: violations, and notes on what they could not judge (and why). */
final class Findings {

    private final List<Violation> violations = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    void violation(Kind kind, List<EventRef> events, String explanation) {
        violations.add(new Violation(kind, events, explanation));
    }

    void violation(Violation violation) {
        violations.add(violation);
    }

    void note(String note) {
        notes.add(note);
    }

    List<Violation> violations() {
        return List.copyOf(violations);
    }

    List<String> notes() {
        return List.copyOf(notes);
    }
}
