package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.testing.JavaProcess;
import dev.swarmhub.testing.TmuxServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The registry under real multi-process load: registration, discovery, heartbeats against sweepers, death. */
class AgentProcessTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path work;

    private record Answer(int exitCode, JsonNode json, String raw) {
    }

    private static Answer ask(JavaProcess worker, String... args) {
        worker.send(String.join("\t", args));
        return answer(worker);
    }

    private static Answer answer(JavaProcess worker) {
        String[] answer = worker.receive().split("\t", 2);
        String out = answer.length > 1 ? answer[1] : "";
        return new Answer(Integer.parseInt(answer[0]), out.isEmpty() ? null : JSON.readTree(out), out);
    }

    private static List<JavaProcess> workers(Path project, int count) {
        List<JavaProcess> workers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            workers.add(JavaProcess.start(CliWorker.class, Map.of("SWARM_ROOT", project.toString()), project.resolve("worker.err")));
        }
        workers.forEach(worker -> assertThat(worker.receive()).isEqualTo("ready"));
        return workers;
    }

    private static void closeAll(List<JavaProcess> workers) throws InterruptedException {
        for (JavaProcess worker : workers) {
            worker.close();
        }
    }

    @Test
    void twentyProcessesRegisteringAndDiscoveringAtOnceMakeNoDuplicateAndLoseNoAgent() throws Exception {
        Path project = Files.createDirectories(work.resolve("project"));
        Files.createDirectories(project.resolve(".git"));
        try (TmuxServer tmux = TmuxServer.start(work, project, "claude")) {
            tmux.newPane(project, "codex");
            tmux.newPane(project, "claude");
            List<JavaProcess> workers = workers(project, 20);
            try {
                for (int round = 0; round < 3; round++) {
                    for (int i = 0; i < workers.size(); i++) {
                        workers.get(i).send(i % 2 == 0
                                ? String.join("\t", "agent", "register", "--kind", "claude", "--json")
                                : String.join("\t", "agents", "discover", "--tmux-socket", tmux.socket(), "--json"));
                    }
                    for (JavaProcess worker : workers) {
                        Answer answer = answer(worker);
                        assertThat(answer.exitCode()).as("round %d: %s", round, answer.raw()).isZero();
                    }
                }
            } finally {
                closeAll(workers);
            }
            JsonNode agents = new CliRunner(project).run("agents", "--json").json().get("agents");
            Set<String> ids = new HashSet<>();
            Set<String> panes = new HashSet<>();
            int registered = 0;
            for (JsonNode agent : agents) {
                assertThat(ids.add(agent.get("id").asString())).as("duplicate id %s", agent.get("id")).isTrue();
                if (agent.get("pane").isNull()) {
                    registered++;
                } else {
                    assertThat(panes.add(agent.get("pane").asString())).as("two agents for pane %s", agent.get("pane")).isTrue();
                }
            }
            assertThat(registered).as("every registration kept").isEqualTo(30);
            assertThat(panes).containsExactlyInAnyOrderElementsOf(tmux.paneIds());
            for (int n = 1; n <= 30; n++) {
                assertThat(ids).contains("agent-" + n);
            }
        }
    }

    @Test
    void heartbeatingAgentSurvivesReapersInOtherProcessesAndAKilledOneIsGoneWithItsLeasesFree() throws Exception {
        Path project = Files.createDirectories(work.resolve("project"));
        CliRunner cli = new CliRunner(project);
        String operator = cli.operatorToken();
        assertThat(cli.run("config", "agents.stale-after", "3s", "--token", operator).exitCode()).isZero();
        assertThat(cli.run("config", "agents.gone-after", "6s", "--token", operator).exitCode()).isZero();

        Process mortal = new ProcessBuilder("sleep", "600").start();
        CliRunner.Result registered = cli.run("agent", "register", "--id", "mortal", "--pid", Long.toString(mortal.pid()), "--json");
        assertThat(registered.exitCode()).as(registered.err()).isZero();
        Map<String, String> asMortal = Map.of("SWARM_AGENT", "mortal", "SWARM_TOKEN", registered.json().get("token").asString());
        assertThat(cli.run(asMortal, "lock", "acquire", "mortal.py", "name:mortal").exitCode()).isZero();

        List<JavaProcess> workers = workers(project, 4);
        List<Instant> beats;
        ExecutorService drivers = Executors.newFixedThreadPool(4);
        try {
            long end = System.nanoTime() + Duration.ofSeconds(7).toNanos();
            JavaProcess heart = workers.get(0);
            Future<List<Instant>> heartbeats = drivers.submit(() -> {
                List<Instant> seen = new ArrayList<>(); // the store's last_seen after each accepted heartbeat
                Answer born = ask(heart, "agent", "register", "--id", "beating", "--json"); // by the heart: no gap before it beats
                assertThat(born.exitCode()).as(born.raw()).isZero();
                String token = born.json().get("token").asString();
                while (System.nanoTime() < end) {
                    Answer beat = ask(heart, "agent", "heartbeat", "--agent", "beating", "--token", token, "--json");
                    if (beat.exitCode() == 4) {
                        break; // gone: allowed only if it was silent that long, checked below
                    }
                    assertThat(beat.exitCode()).as(beat.raw()).isZero();
                    seen.add(Instant.parse(beat.json().get("lastSeen").asString()));
                    Thread.sleep(1000); // the agent's own pace: one heartbeat a second
                }
                return seen;
            });
            List<Future<Integer>> sweepers = new ArrayList<>();
            for (JavaProcess sweep : workers.subList(1, 4)) {
                sweepers.add(drivers.submit(() -> {
                    int sweeps = 0;
                    while (System.nanoTime() < end) {
                        assertThat(ask(sweep, "agents", "--json").exitCode()).isZero(); // listing sweeps first
                        sweeps++;
                    }
                    return sweeps;
                }));
            }
            mortal.destroyForcibly();
            mortal.waitFor();
            beats = heartbeats.get();
            for (Future<Integer> sweep : sweepers) {
                assertThat(sweep.get()).isPositive();
            }
        } finally {
            drivers.shutdownNow();
            closeAll(workers);
        }

        // Judged in store time, so a loaded machine that delays heartbeats cannot fail it: the agent was made
        // stale (gone) only when no heartbeat had been seen within stale-after (gone-after) before.
        JsonNode beatingEvents = cli.run("log", "--holder", "beating", "--json").json().get("events");
        for (JsonNode event : beatingEvents) {
            Duration threshold = switch (event.get("kind").asString()) {
                case "agent.stale" -> Duration.ofSeconds(3);
                case "agent.gone" -> Duration.ofSeconds(6);
                default -> Duration.ZERO;
            };
            Instant at = Instant.parse(event.get("at").asString());
            for (Instant seen : beats) {
                assertThat(seen.isAfter(at.minus(threshold)) && seen.isBefore(at)).as("%s at %s, heartbeat seen at %s", event, at, seen)
                        .isFalse();
            }
        }
        JsonNode mortalEvents = cli.run("log", "--holder", "mortal", "--kind", "agent.gone", "--json").json().get("events");
        assertThat(mortalEvents).hasSize(1);
        assertThat(mortalEvents.get(0).get("details").get("reason").asString()).contains("process " + registered.json().get("pid").asLong() + " exited");
        assertThat(cli.run("lock", "who", "mortal.py").out()).contains("is free");
        assertThat(cli.run("lock", "who", "name:mortal").out()).contains("is free");
    }
}
