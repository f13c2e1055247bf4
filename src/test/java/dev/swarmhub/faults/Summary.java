package dev.swarmhub.faults;

import dev.swarmhub.faults.History.EventRef;
import dev.swarmhub.faults.History.FaultSpan;
import dev.swarmhub.faults.History.Outcome;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/** summary.txt and summary.json: the verdict, operations by outcome, faults, violations by kind, linearizability, notes. */
final class Summary {

    /** summary.txt lists this many violations; summary.json has them all. */
    private static final int LISTED = 50;

    private Summary() {
    }

    static String text(History history, CheckResult result) {
        StringBuilder text = new StringBuilder();
        History.RunInfo run = history.run();
        text.append("verdict: ").append(result.verdict()).append('\n');
        text.append("run: seed ").append(run.seed()).append(", store ").append(run.store()).append(", ").append(run.hubs()).append(" hub(s), ")
                .append(run.clients()).append(" clients, ttl ").append(run.ttlMs()).append(" ms, ").append(Timeline.seconds(history.end()))
                .append(" of history\n");
        text.append("operations (ok / fail / unknown):\n");
        history.countsByOperation().forEach((f, counts) -> text.append(String.format("  %-10s %6d / %6d / %6d%n", f,
                counts.getOrDefault(Outcome.OK, 0L), counts.getOrDefault(Outcome.FAIL, 0L), counts.getOrDefault(Outcome.INFO, 0L))));
        text.append("faults injected:").append(history.faults().isEmpty() ? " none" : "").append('\n');
        faultCounts(history).forEach((kind, count) -> text.append("  ").append(kind).append(": ").append(count).append('\n'));
        text.append("violations:").append(result.violations().isEmpty() ? " none" : "").append('\n');
        violationCounts(result).forEach((kind, count) -> text.append("  ").append(kind).append(": ").append(count).append('\n'));
        result.violations().stream().limit(LISTED).forEach(violation -> text.append("  - ").append(violation).append('\n'));
        if (result.violations().size() > LISTED) {
            text.append("  … ").append(result.violations().size() - LISTED).append(" more in summary.json\n");
        }
        text.append("lease linearizability:\n");
        result.linearizability().forEach(resource -> text.append("  ").append(resource.resource()).append(": ").append(resource.verdict())
                .append(" (").append(resource.operations()).append(" operations, ").append(resource.visited()).append(" states)\n"));
        result.notes().forEach(note -> text.append("note: ").append(note).append('\n'));
        return text.toString();
    }

    static ObjectNode json(History history, CheckResult result) {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        ObjectNode json = nodes.objectNode();
        json.put("verdict", result.verdict().name());
        json.put("seed", history.run().seed());
        json.put("store", history.run().store());
        ObjectNode operations = json.putObject("operations");
        history.countsByOperation().forEach((f, counts) -> {
            ObjectNode outcomes = operations.putObject(f);
            for (Outcome outcome : Outcome.values()) {
                outcomes.put(outcome.name().toLowerCase(), counts.getOrDefault(outcome, 0L));
            }
        });
        ObjectNode faults = json.putObject("faults");
        faultCounts(history).forEach(faults::put);
        ObjectNode byKind = json.putObject("violations_by_kind");
        violationCounts(result).forEach(byKind::put);
        ArrayNode violations = json.putArray("violations");
        for (Violation violation : result.violations()) {
            ObjectNode entry = violations.addObject();
            entry.put("kind", violation.kind().label());
            entry.put("explanation", violation.explanation());
            ArrayNode events = entry.putArray("events");
            for (EventRef event : violation.events()) {
                events.addObject().put("process", event.process()).put("op", event.op()).put("f", event.f()).put("time", event.time());
            }
        }
        ArrayNode linearizability = json.putArray("linearizability");
        result.linearizability().forEach(resource -> linearizability.addObject().put("resource", resource.resource())
                .put("verdict", resource.verdict().name()).put("operations", resource.operations()).put("states", resource.visited()));
        ArrayNode notes = json.putArray("notes");
        result.notes().forEach(notes::add);
        return json;
    }

    private static Map<String, Long> faultCounts(History history) {
        return history.faults().stream().collect(Collectors.groupingBy(FaultSpan::kind, TreeMap::new, Collectors.counting()));
    }

    private static Map<String, Long> violationCounts(CheckResult result) {
        return result.violations().stream().collect(Collectors.groupingBy(violation -> violation.kind().label(), TreeMap::new,
                Collectors.counting()));
    }
}
