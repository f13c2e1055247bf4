package dev.swarmhub.faults;

import static dev.swarmhub.faults.HistoryBuilder.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swarmhub.faults.History.FaultSpan;
import dev.swarmhub.faults.History.Outcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** CheckHistory on run directories: its files and exit codes; and the reader's answers to bad input. */
class CheckHistoryTest {

    private static final long STORE = 1_000_000;

    @TempDir
    Path run;

    @Test
    void aValidRunWritesItsSummariesAndTimelineAndExitsZero() throws IOException {
        write(run, twoHolders(false).finalRead(3000, finalState()));

        assertThat(CheckHistory.run(new String[] {run.toString()})).isZero();

        assertThat(Files.readString(run.resolve("summary.txt"))).startsWith("verdict: VALID").contains("kill-hub: 1")
                .contains("f1.txt: LINEARIZABLE");
        JsonNode summary = HistoryReader.JSON.readTree(Files.readString(run.resolve("summary.json")));
        assertThat(summary.path("verdict").asString()).isEqualTo("VALID");
        assertThat(summary.path("operations").path("acquire").path("ok").asLong()).isEqualTo(2);
        assertThat(summary.path("faults").path("kill-hub").asLong()).isEqualTo(1);
        String timeline = Files.readString(run.resolve("timeline.html"));
        assertThat(timeline).contains("<svg", "c1", "c2", "token 1", "kill-hub").doesNotContain("<script", "src=", "href=", "https:");
    }

    @Test
    void anInvalidRunExitsOneAndMarksTheViolationInRed() throws IOException {
        write(run, twoHolders(true).finalRead(3000, finalState()));

        assertThat(CheckHistory.run(new String[] {run.toString()})).isEqualTo(1);

        assertThat(Files.readString(run.resolve("summary.txt"))).startsWith("verdict: INVALID").contains("lease-overlap");
        assertThat(HistoryReader.JSON.readTree(Files.readString(run.resolve("summary.json"))).path("violations_by_kind")
                .path("lease-overlap").asLong()).isPositive();
        assertThat(Files.readString(run.resolve("timeline.html"))).contains("stroke='red'", "<li class='v'>lease-overlap");
    }

    @Test
    void aRunWithoutItsFinalReadIsUnknown() throws IOException {
        write(run, twoHolders(false));

        assertThat(CheckHistory.run(new String[] {run.toString()})).isEqualTo(2);

        assertThat(Files.readString(run.resolve("summary.txt"))).startsWith("verdict: UNKNOWN").contains("note: no final read");
    }

    @Test
    void badInputExitsTwoNamingWhatIsWrong() throws IOException {
        assertThat(CheckHistory.run(new String[] {run.toString()})).isEqualTo(2);
        assertThat(CheckHistory.run(new String[] {run.toString(), "--budget", "lots"})).isEqualTo(2);
        assertThatThrownBy(() -> HistoryReader.read(run)).hasMessageContaining("run.json is missing");

        String runJson = new HistoryBuilder().runJson();
        assertThatThrownBy(() -> HistoryReader.parse(runJson, List.of("{\"time\":1,\"process\":\"c1\",\"type\":\"invoke\",\"f\":\"read\",\"op\":1}",
                "{\"time\":2,\"process\":\"c1\",\"type\":\"done\",\"f\":\"read\",\"op\":1}")))
                .hasMessageContaining("line 2").hasMessageContaining("\"type\" must be invoke, ok, fail or info");
        assertThatThrownBy(() -> HistoryReader.parse(runJson, List.of("{\"time\":1,\"process\":\"c1\",\"type\":\"ok\",\"f\":\"read\",\"op\":1}")))
                .hasMessageContaining("line 1").hasMessageContaining("without its invoke");
        assertThatThrownBy(() -> HistoryReader.parse(runJson, List.of("{\"time\":1,")))
                .hasMessageContaining("line 1").hasMessageContaining("not JSON");
        assertThatThrownBy(() -> HistoryReader.parse("{\"seed\":1}", List.of())).hasMessageContaining("run.json").hasMessageContaining("\"store\"");
    }

    @Test
    void anInvokeWithoutCompletionIsUnknownAndFaultsSpanFromStartToEnd() {
        HistoryBuilder h = new HistoryBuilder();
        h.call("c1", "send", 5, "to", "c2", "body", "b1");
        h.nemesis(10, "kill-hub", "hub1").nemesis(20, "restart-hub", "hub1");
        h.nemesis(30, "clock-step", "hub1").nemesis(40, "clock-step", "hub1");
        h.nemesis(50, "pause-client", "c2");

        History history = h.history();

        assertThat(history.operations()).singleElement().satisfies(send -> {
            assertThat(send.outcome()).isEqualTo(Outcome.INFO);
            assertThat(send.effectBy()).isEqualTo(History.NEVER);
        });
        assertThat(history.faults()).containsExactly(new FaultSpan("kill-hub", "hub1", 10_000_000, 20_000_000),
                new FaultSpan("clock-step", "hub1", 30_000_000, 40_000_000), new FaultSpan("pause-client", "c2", 50_000_000, History.NEVER));
    }

    /** c1 holds f1.txt, then c2: after c1's release, or (overlapping) before it. */
    private static HistoryBuilder twoHolders(boolean overlapping) {
        HistoryBuilder h = new HistoryBuilder();
        h.acquired("c1", 0, 10, "f1.txt", "L1", 1, STORE + 5, STORE + 5);
        h.nemesis(50, "kill-hub", "hub1").nemesis(150, "restart-hub", "hub1");
        long released = overlapping ? 300 : 100;
        h.released("c1", released, released + 10, "f1.txt", "L1", 1, false);
        h.acquired("c2", 200, 210, "f1.txt", "L2", 2, STORE + 205, STORE + 205);
        return h;
    }

    private static tools.jackson.databind.node.ObjectNode finalState() {
        return json("files", Map.of(), "messages", Map.of(), "tasks", Map.of(), "leases", List.of(), "counts", Map.of());
    }

    private static void write(Path directory, HistoryBuilder h) throws IOException {
        Files.writeString(directory.resolve("run.json"), h.runJson(), StandardCharsets.UTF_8);
        Files.write(directory.resolve("history.jsonl"), h.lines(), StandardCharsets.UTF_8);
    }
}
