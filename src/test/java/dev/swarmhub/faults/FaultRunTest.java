package dev.swarmhub.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.hub.JsonViews;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A short fault run (SQLite, 3 clients, fixed seed, every fault this machine supports): its
 * history must be well-formed, carry each fault the nemesis started with its end, in the order
 * and on the targets the seed planned, and leave no client operation in flight. How many
 * operations and faults fit in the time is the machine's business; what they recorded is not.
 */
class FaultRunTest {

    private static final long SEED = 18;
    private static final Set<String> TYPES = Set.of("invoke", "ok", "fail", "info");
    private static final Set<String> CLIENT_OPERATIONS = Set.of("acquire", "renew", "release", "write", "send", "read", "ack", "claim",
            "progress", "done");

    @Test
    void aShortRunRecordsAWellFormedHistoryOfEveryFaultItRan() throws Exception {
        Path out = Path.of("target", "fault-runs", "FaultRunTest-" + Instant.now().toString().replace(':', '-'));
        FaultRun.Result result = FaultRun.run(FaultRun.Options.parse(new String[] {"--seed", Long.toString(SEED), "--duration", "25s",
                "--clients", "3", "--ttl", "2s", "--out", out.toString()}), line -> System.out.println("FaultRunTest: " + line));

        List<JsonNode> history = new ArrayList<>();
        for (String line : Files.readAllLines(result.out().resolve("history.jsonl"), StandardCharsets.UTF_8)) {
            history.add(JsonViews.JSON.readTree(line));
        }
        long lastTime = Long.MIN_VALUE;
        Map<String, JsonNode> inFlight = new HashMap<>();
        Map<Long, JsonNode> faultsUnderWay = new HashMap<>();
        List<JsonNode> faultStarts = new ArrayList<>();
        List<JsonNode> finals = new ArrayList<>();
        long lastClientEvent = Long.MIN_VALUE;
        Map<String, Integer> completedBy = new HashMap<>();
        for (JsonNode event : history) {
            assertThat(event.propertyNames()).as("fields of %s", event).containsExactly("time", "process", "type", "f", "op", "value");
            long time = event.get("time").asLong();
            assertThat(time).as("time order at %s", event).isGreaterThanOrEqualTo(lastTime);
            lastTime = time;
            assertThat(event.get("type").asString()).isIn(TYPES);
            assertThat(event.get("value").isObject()).as("value of %s", event).isTrue();
            String process = event.get("process").asString();
            switch (process) {
                case "nemesis" -> {
                    assertThat(event.get("type").asString()).isEqualTo("info");
                    JsonNode start = faultsUnderWay.remove(event.get("op").asLong());
                    if (start == null) {
                        assertThat(faultsUnderWay).as("one fault at a time, at %s", event).isEmpty();
                        faultsUnderWay.put(event.get("op").asLong(), event);
                        faultStarts.add(event);
                    } else {
                        Nemesis.Fault fault = startedFault(start);
                        assertThat(event.get("f").asString()).as("the end of %s", start).isEqualTo(fault.end);
                        assertThat(event.get("value").get("target").asString()).isEqualTo(start.get("value").get("target").asString());
                    }
                }
                case "final" -> finals.add(event);
                default -> {
                    assertThat(process).matches("c[123]");
                    assertThat(event.get("f").asString()).isIn(CLIENT_OPERATIONS);
                    lastClientEvent = time;
                    JsonNode invoked = inFlight.remove(process);
                    if (event.get("type").asString().equals("invoke")) {
                        assertThat(invoked).as("%s invoked %s with an operation in flight", process, event).isNull();
                        inFlight.put(process, event);
                    } else {
                        completedBy.merge(process, 1, Integer::sum);
                        assertThat(invoked).as("%s completed %s without invoking it", process, event).isNotNull();
                        assertThat(event.get("op").asLong()).isEqualTo(invoked.get("op").asLong());
                        assertThat(event.get("f").asString()).isEqualTo(invoked.get("f").asString());
                    }
                }
            }
        }
        assertThat(inFlight).as("client operations still in flight after the run").isEmpty();
        assertThat(faultsUnderWay).as("faults never ended").isEmpty();
        assertThat(finals).hasSize(1);
        JsonNode last = finals.getFirst();
        assertThat(last.get("type").asString()).isEqualTo("ok");
        assertThat(last.get("f").asString()).isEqualTo("final-read");
        assertThat(last.get("time").asLong()).as("the final read follows every client event").isGreaterThan(lastClientEvent);
        assertThat(last.get("value").propertyNames()).contains("files", "messages", "tasks", "leases", "events", "counts");
        assertThat(completedBy).as("clients that completed an operation (each starts one inside its window)").containsOnlyKeys("c1", "c2", "c3");

        assertThat(faultStarts).as("the nemesis ran at least its first fault").isNotEmpty();
        assertThat(faultStarts.size()).isLessThanOrEqualTo(result.schedule().size());
        for (int i = 0; i < faultStarts.size(); i++) {
            Nemesis.Planned planned = result.schedule().get(i);
            JsonNode started = faultStarts.get(i);
            assertThat(started.get("f").asString()).as("fault %d as planned by the seed", i + 1).isEqualTo(planned.fault().start);
            assertThat(started.get("value").get("target").asString()).as("target of fault %d", i + 1).isEqualTo(Nemesis.targetName(planned));
        }
        assertThat(Nemesis.schedule(SEED, enabled(result), 1, 3, 2_000, 25_000)).as("the same seed plans the same faults")
                .isEqualTo(result.schedule());
    }

    /** The faults the run had, in the order FaultRun enables them (its option list, minus what was skipped). */
    private static List<Nemesis.Fault> enabled(FaultRun.Result result) {
        return Arrays.stream(Nemesis.Fault.values()).filter(fault -> !result.skipped().containsKey(fault.option)).toList();
    }

    private static Nemesis.Fault startedFault(JsonNode start) {
        String f = start.get("f").asString();
        boolean delayed = "delay".equals(start.get("value").path("mode").asString(""));
        return Arrays.stream(Nemesis.Fault.values()).filter(fault -> fault.start.equals(f))
                .filter(fault -> !f.equals("drop-connections") || (fault == Nemesis.Fault.DELAY_CONNECTIONS) == delayed).findFirst().orElseThrow();
    }
}
