package dev.swarmhub.faults;

import dev.swarmhub.faults.History.Event;
import dev.swarmhub.faults.History.FaultSpan;
import dev.swarmhub.faults.History.Operation;
import dev.swarmhub.faults.History.Outcome;
import dev.swarmhub.faults.History.RunInfo;
import dev.swarmhub.faults.History.Type;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * Reads a run directory (run.json + history.jsonl) into a {@link History}. Bad input is refused
 * with an {@link IllegalArgumentException} naming the file, the line and what is wrong.
 */
final class HistoryReader {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final String NEMESIS = "nemesis";
    static final String FINAL = "final";

    /** A fault's end event by its start event; a kind not listed (clock-step) ends with its own next event on the same target. */
    private static final Map<String, String> FAULT_ENDS = Map.of("kill-hub", "restart-hub", "pause-hub", "resume-hub",
            "pause-client", "resume-client", "disk-full", "disk-freed", "slow-disk-on", "slow-disk-off",
            "drop-connections", "heal-connections");

    private HistoryReader() {
    }

    static History read(Path runDirectory) {
        try {
            String run = Files.readString(runDirectory.resolve("run.json"), StandardCharsets.UTF_8);
            List<String> lines = Files.readAllLines(runDirectory.resolve("history.jsonl"), StandardCharsets.UTF_8);
            return parse(run, lines);
        } catch (NoSuchFileException missing) {
            throw new IllegalArgumentException("not a run directory: " + missing.getFile() + " is missing", missing);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the run in " + runDirectory, e);
        }
    }

    static History parse(String runJson, List<String> historyLines) {
        RunInfo run = runInfo(runJson);
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < historyLines.size(); i++) {
            String line = historyLines.get(i);
            if (!line.isBlank()) {
                events.add(event(line, i + 1));
            }
        }
        events.sort(Comparator.comparingLong(Event::time)); // stable: equal times keep the file's order
        return new History(run, List.copyOf(events), operations(events), faults(events), finalState(events));
    }

    private static RunInfo runInfo(String json) {
        JsonNode run = tree(json, "run.json");
        if (!run.isObject()) {
            throw new IllegalArgumentException("run.json: expected a JSON object");
        }
        return new RunInfo(required(run, "seed", "run.json").asLong(), required(run, "store", "run.json").asString(),
                required(run, "hubs", "run.json").asInt(), required(run, "clients", "run.json").asInt(),
                required(run, "ttl_ms", "run.json").asLong(), required(run, "duration_ms", "run.json").asLong(),
                strings(run.path("resources")), strings(run.path("nemeses")), run.path("started_at_ms").asLong(),
                run.hasNonNull("claim_ttl_ms") ? run.get("claim_ttl_ms").asLong() : null);
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(value -> values.add(value.asString()));
        return List.copyOf(values);
    }

    private static Event event(String line, int number) {
        String where = "history.jsonl line " + number;
        JsonNode node = tree(line, where);
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + ": expected a JSON object");
        }
        JsonNode time = required(node, "time", where);
        if (!time.isIntegralNumber()) {
            throw new IllegalArgumentException(where + ": \"time\" must be a whole number of nanoseconds, not " + time);
        }
        String typeName = required(node, "type", where).asString();
        Type type;
        try {
            type = Type.valueOf(typeName.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": \"type\" must be invoke, ok, fail or info, not \"" + typeName + "\"");
        }
        String process = required(node, "process", where).asString();
        JsonNode op = node.path("op");
        if (!process.equals(NEMESIS) && !op.isIntegralNumber()) {
            throw new IllegalArgumentException(where + ": \"op\" must be a whole number joining an invoke with its completion");
        }
        JsonNode value = node.hasNonNull("value") ? node.get("value") : JsonNodeFactory.instance.objectNode();
        return new Event(time.asLong(), process, type, required(node, "f", where).asString(), op.asLong(), value, number);
    }

    /** Client operations in the order of their invokes; an invoke without completion is unknown (the client died). */
    private static List<Operation> operations(List<Event> events) {
        Map<String, Event> inFlight = new HashMap<>();
        Map<Event, Operation> completed = new HashMap<>();
        List<Event> invokes = new ArrayList<>();
        for (Event event : events) {
            if (event.process().equals(NEMESIS) || event.process().equals(FINAL)) {
                continue;
            }
            String where = "history.jsonl line " + event.line() + " (" + event.process() + " op " + event.op() + ")";
            Event pending = inFlight.get(event.process());
            if (event.type() == Type.INVOKE) {
                if (pending != null) {
                    throw new IllegalArgumentException(where + ": invoked while its op " + pending.op() + " (line " + pending.line()
                            + ") has no completion; a process has one operation in flight at a time");
                }
                inFlight.put(event.process(), event);
                invokes.add(event);
                continue;
            }
            if (pending == null || pending.op() != event.op()) {
                throw new IllegalArgumentException(where + ": a completion without its invoke");
            }
            if (!pending.f().equals(event.f())) {
                throw new IllegalArgumentException(where + ": completes \"" + event.f() + "\" but the invoke was \"" + pending.f() + "\"");
            }
            inFlight.remove(event.process());
            Outcome outcome = Outcome.valueOf(event.type().name());
            completed.put(pending, new Operation(event.process(), event.op(), event.f(), pending.value(), outcome, event.value(),
                    pending.time(), event.time()));
        }
        return invokes.stream().map(invoke -> completed.getOrDefault(invoke, new Operation(invoke.process(), invoke.op(), invoke.f(),
                invoke.value(), Outcome.INFO, JsonNodeFactory.instance.objectNode(), invoke.time(), History.NEVER))).toList();
    }

    private static List<FaultSpan> faults(List<Event> events) {
        Map<String, Event> open = new LinkedHashMap<>();
        List<FaultSpan> spans = new ArrayList<>();
        for (Event event : events) {
            if (!event.process().equals(NEMESIS)) {
                continue;
            }
            String target = event.value().path("target").asString("");
            Event start = open.values().stream().filter(started -> target(started).equals(target)
                    && FAULT_ENDS.getOrDefault(started.f(), started.f()).equals(event.f())).findFirst().orElse(null);
            if (start != null) {
                open.remove(start.f() + "\u0000" + target);
                spans.add(new FaultSpan(start.f(), target, start.time(), event.time()));
            } else if (FAULT_ENDS.containsValue(event.f())) {
                spans.add(new FaultSpan(event.f(), target, event.time(), event.time())); // an end without its start: a mark
            } else {
                open.put(event.f() + "\u0000" + target, event);
            }
        }
        open.values().forEach(start -> spans.add(new FaultSpan(start.f(), target(start), start.time(), History.NEVER)));
        spans.sort(Comparator.comparingLong(FaultSpan::start));
        return List.copyOf(spans);
    }

    private static String target(Event nemesisEvent) {
        return nemesisEvent.value().path("target").asString("");
    }

    private static JsonNode finalState(List<Event> events) {
        return events.stream().filter(event -> event.process().equals(FINAL) && event.type() == Type.OK)
                .map(Event::value).reduce((first, second) -> second).orElse(null);
    }

    private static JsonNode tree(String json, String where) {
        try {
            return JSON.readTree(json);
        } catch (JacksonException e) {
            throw new IllegalArgumentException(where + ": not JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static JsonNode required(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" is missing");
        }
        return value;
    }

    /** A string field of an operation's invoke or ok value; its absence names the operation. */
    static String text(JsonNode value, String field, Operation operation) {
        JsonNode node = value.get(field);
        if (node == null || node.isNull()) {
            throw new IllegalArgumentException(operation + " at " + operation.invokedAt() + " ns: \"" + field + "\" is missing");
        }
        return node.isString() ? node.asString() : node.toString();
    }

    static long number(JsonNode value, String field, Operation operation) {
        JsonNode node = value.get(field);
        if (node == null || !node.isNumber()) {
            throw new IllegalArgumentException(operation + " at " + operation.invokedAt() + " ns: \"" + field + "\" must be a number");
        }
        return node.asLong();
    }
}
