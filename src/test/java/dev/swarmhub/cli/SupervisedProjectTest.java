package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.hub.CliFrames;
import dev.swarmhub.hub.HubFiles;
import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.testing.HubProcess;
import dev.swarmhub.testing.NotedProcesses;
import dev.swarmhub.testing.ProcStat;
import java.io.IOException;
import java.io.UncheckedIOException;
import dev.swarmhub.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The tests of the processes the hub supervises: each test has a project with a real hub process,
 * driven as the swarm client drives it (as the operator or as a spawned agent); afterwards every
 * process a spawn answered or a test noted is killed if still there.
 */
abstract class SupervisedProjectTest {

    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path project;

    HubProcess hub;
    Map<String, String> operator;
    private final NotedProcesses seen = new NotedProcesses();

    @BeforeEach
    void startHub() throws Exception {
        prepareProject();
        hub = HubProcess.start(project);
        operator = Map.of("SWARM_TOKEN", OperatorToken.readOrCreate(project), "SWARM_ROOT", project.toString());
    }

    /** What the project needs before its hub starts. */
    void prepareProject() throws Exception {
    }

    @AfterEach
    void stopEverything() throws Exception {
        hub.close();
        seen.killAll();
        releaseProject();
    }

    /** What the project needs undone once its hub and processes are gone. */
    void releaseProject() throws Exception {
    }

    /** A command through the hub's socket, as the swarm client sends it. */
    CliFrames.Response hubCli(Map<String, String> environment, String... args) throws IOException {
        return SwarmClient.exchange(project, args, environment, project);
    }

    /** A command through the hub that must succeed; its JSON answer. */
    JsonNode swarm(Map<String, String> environment, String... args) throws IOException {
        List<String> line = new ArrayList<>(List.of(args));
        int dashes = line.indexOf("--");
        line.add(dashes < 0 ? line.size() : dashes, "--json");
        CliFrames.Response answer = hubCli(environment, line.toArray(String[]::new));
        assertThat(answer.exitCode()).as(String.join(" ", args) + ": " + answer.err() + answer.out()).isZero();
        return JSON.readTree(answer.out());
    }

    /** Spawns and returns the running process (its pid noted for the cleanup). */
    JsonNode spawn(Map<String, String> environment, String... args) throws IOException {
        List<String> line = new ArrayList<>(List.of("spawn"));
        line.addAll(List.of(args));
        JsonNode process = swarm(environment, line.toArray(String[]::new)).path("process");
        assertThat(process.path("state").asString()).as(process.toString()).isEqualTo("running");
        notePid(process.path("pid").asLong());
        return process;
    }

    /** A process to kill after the test if it is still there. */
    void notePid(long pid) {
        seen.note(pid);
    }

    /** The agent's latest run. */
    JsonNode runOf(String agent) {
        JsonNode run = runsByAgent().get(agent);
        assertThat(run).as("a run of " + agent).isNotNull();
        return run;
    }

    /** Every agent's latest run. */
    Map<String, JsonNode> runsByAgent() {
        try {
            Map<String, JsonNode> runs = new LinkedHashMap<>();
            for (JsonNode run : swarm(operator, "ps", "--all", "--limit", "1000").path("processes")) {
                runs.putIfAbsent(run.path("agent").asString(), run); // newest first: an agent's latest run
            }
            return runs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The environment of a spawned agent's own process (its token is only there, never on its command line), to act as it. */
    Map<String, String> actingAs(JsonNode run) throws IOException {
        Map<String, String> acting = new HashMap<>(environmentOf(run));
        acting.keySet().removeIf(name -> !name.startsWith("SWARM_"));
        assertThat(acting).containsKeys("SWARM_AGENT", "SWARM_TOKEN", "SWARM_ROOT");
        assertThat(Files.readString(Path.of("/proc", run.path("pid").asString(), "cmdline"))).doesNotContain(acting.get("SWARM_TOKEN"));
        return acting;
    }

    /** The environment the run's program was given, from /proc (empty once it is gone). */
    Map<String, String> environmentOf(JsonNode run) {
        Map<String, String> environment = new HashMap<>();
        // the run's pid is setsid's until it executes the agent's program: a read across that exec finds no environment
        Await.until("the environment of " + run, () -> {
            environment.clear();
            for (String entry : read(Path.of("/proc", run.path("pid").asString(), "environ")).split("\0")) {
                if (entry.contains("=")) {
                    environment.put(entry.substring(0, entry.indexOf('=')), entry.substring(entry.indexOf('=') + 1));
                }
            }
            return !environment.isEmpty() || !running(run.path("pid").asLong());
        });
        return environment;
    }

    /** Writes a shell script into the project; its path. */
    String script(String name, String... lines) throws IOException {
        Path file = project.resolve(name);
        Files.writeString(file, "#!/bin/sh\n" + String.join("\n", lines) + "\n");
        return file.toString();
    }

    /** The file a script was written to. */
    String script(String name) {
        return project.resolve(name).toString();
    }

    /** The agent's output file, as the hub writes it. */
    Path output(String agent) {
        return project.resolve(".swarm/runs/" + agent + ".log");
    }

    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether the process is in /proc and not a zombie (one that exited and waits for its parent to read its status). */
    static boolean running(long pid) {
        return ProcStat.state(Path.of("/proc", Long.toString(pid), "stat")).filter(state -> state != 'Z').isPresent();
    }
}
