package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.hub.CliFrames;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.HubProcess;
import dev.swarmhub.testing.JavaProcess;
import dev.swarmhub.testing.TmuxServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Processes the hub supervises, with a real hub process and test programs (shell scripts) standing
 * in for agents: runs killed from several CLI processes while others exit end once each and the
 * counts stay exact; a hub killed with SIGKILL loses no run and kills none, and adopts them when
 * it starts again; a process ignoring TERM is killed after the grace, and a tree is stopped
 * whole, checked in /proc, also a child a TERM handler forked; recorded Claude and Codex output
 * gives tokens and cost, and a run over its budget is stopped; spawns beyond processes.max wait
 * in FIFO order.
 */
class ProcessSupervisionTest extends SupervisedProjectTest {

    private static final Pattern PIDS = Pattern.compile("pids ([0-9 ]+)");

    private final List<JavaProcess> workers = new ArrayList<>();

    @BeforeEach
    void writeScripts() throws IOException {
        script("exiter.sh", "# exits with code 3 once the file $1 exists (a program that ends by itself)",
                "while [ ! -e \"$1\" ]; do sleep 0.01; done", "exit 3");
        script("stubborn.sh", "# ignores TERM, with a child in its group and one that left for its own session; says their pids",
                "trap '' TERM", "sleep 600 &", "a=$!", "setsid sleep 600 &", "echo \"pids $$ $a $!\"", "while true; do sleep 1; done");
        script("forker.sh", "# waits with no child (on a FIFO it holds open); on TERM forks a child that ignores TERM, writes its pid to $1 and",
                "# exits: all the hub saw at the TERM is gone then, the new child is in its group", "pids=$1",
                "child() { trap '' TERM; exec sleep 600; }", "leave() { child & echo \"$!\" > \"$pids\"; exit 0; }", "trap leave TERM",
                "mkfifo \"$pids.fifo\"", "exec 3<>\"$pids.fifo\"", "echo ready", "read line <&3");
    }

    @AfterEach
    void stopWorkers() throws InterruptedException {
        for (JavaProcess worker : workers) {
            worker.close();
        }
    }

    // ------------------------------------------------------------------------------- the proofs

    @Test
    void runsOfOneTaskSpawnedAndKilledFromFiveProcessesWhileOthersExitEndOnceAndLeaveTheCountsExact() throws Exception {
        swarm(operator, "config", "processes.max", "40");
        String task = swarm(operator, "task", "create", "one task, twenty processes").path("id").asString();
        for (int i = 0; i < 5; i++) {
            workers.add(JavaProcess.start(HubCliWorker.class, operator, project.resolve("killer-" + i + ".err"), project.toString()));
        }
        workers.forEach(worker -> assertThat(worker.receive()).isEqualTo("ready"));
        Set<String> everyRun = new HashSet<>();
        for (int round = 0; round < 20; round++) {
            Path go = project.resolve("go-" + round);
            List<String> exiting = new ArrayList<>();
            List<String> killed = new ArrayList<>();
            for (JavaProcess worker : workers) { // spawned from five processes at once, four each
                for (int i = 0; i < 2; i++) {
                    worker.send(String.join("\t", "spawn", "--json", "--task", task, "--", "sh", script("exiter.sh"), go.toString()));
                    worker.send(String.join("\t", "spawn", "--json", "--task", task, "--", "sleep", "600"));
                }
            }
            for (JavaProcess worker : workers) {
                for (int i = 0; i < 4; i++) {
                    String[] answer = worker.receive().split("\t", 2);
                    assertThat(answer[0]).as(answer[1]).isEqualTo("0");
                    JsonNode process = JSON.readTree(answer[1]).path("process");
                    notePid(process.path("pid").asLong()); // before any check: a failed test leaves nothing running
                    assertThat(process.path("state").asString()).isEqualTo("running");
                    (process.path("command").get(0).asString().equals("sh") ? exiting : killed).add(process.path("agent").asString());
                }
            }
            assertThat(stats().path("running").asLong()).isEqualTo(20);
            for (int w = 0; w < 5; w++) { // two kills each, sent before the programs may exit: they race
                workers.get(w).send(String.join("\t", "kill", killed.get(2 * w), "--json"));
                workers.get(w).send(String.join("\t", "kill", killed.get(2 * w + 1), "--json"));
            }
            Files.createFile(go);
            for (JavaProcess worker : workers) {
                for (int k = 0; k < 2; k++) {
                    String[] answer = worker.receive().split("\t", 2);
                    assertThat(answer[0]).as(answer[1]).isEqualTo("0");
                    assertThat(JSON.readTree(answer[1]).path("processes").get(0).path("state").asString()).isEqualTo("killed");
                }
            }
            Await.until("the exiting runs of round " + round + " to end", () -> stats().path("running").asLong() == 0);
            Map<String, JsonNode> runs = runsByAgent();
            for (String agent : exiting) {
                assertThat(runs.get(agent).path("state").asString()).as(agent).isEqualTo("exited");
                assertThat(runs.get(agent).path("exitCode").asInt()).isEqualTo(3);
            }
            for (String agent : killed) {
                assertThat(runs.get(agent).path("state").asString()).as(agent).isEqualTo("killed");
            }
            if (round == 0) { // its first run claimed the task; with every run ended the task is ready again, saying why
                JsonNode shown = swarm(operator, "task", "show", task);
                assertThat(shown.path("status").asString()).isEqualTo("open");
                assertThat(shown.path("history").toString()).contains("task.lapsed").contains("its process exited with code 3");
            }
            exiting.forEach(agent -> everyRun.add(runs.get(agent).path("id").asString()));
            killed.forEach(agent -> everyRun.add(runs.get(agent).path("id").asString()));
            JsonNode counts = stats();
            assertThat(counts.path("byTask")).as("no run of the task counted after they all ended").isEmpty();
            assertThat(recount(counts.path("asOfEvent").asLong(), task)).isZero();
        }
        Map<String, Long> finals = new HashMap<>();
        Map<String, Long> starts = new HashMap<>();
        for (JsonNode event : events()) {
            String kind = event.path("kind").asString();
            String run = event.path("details").path("run").asString();
            if (Set.of("process.exited", "process.killed", "process.lost").contains(kind)) {
                finals.merge(run, 1L, Long::sum);
            } else if (kind.equals("process.started")) {
                starts.merge(run, 1L, Long::sum);
            }
        }
        assertThat(finals.keySet()).containsExactlyInAnyOrderElementsOf(everyRun);
        assertThat(finals.values()).as("every run ended exactly once").containsOnly(1L);
        assertThat(starts.values()).as("and started once").containsOnly(1L).hasSize(400);
    }

    @Test
    void aHubKilledWithSigkillKillsNoRunAndAdoptsThemWhenItStartsAgain() throws Exception {
        List<JsonNode> sleepers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sleepers.add(spawn(operator, "--", "sleep", "600"));
        }
        Path go = project.resolve("go");
        JsonNode exiter = spawn(operator, "--", "sh", script("exiter.sh"), go.toString());
        hub.kill();
        for (JsonNode run : sleepers) {
            assertThat(running(run.path("pid").asLong())).as("a child of the killed hub still runs").isTrue();
        }
        Files.createFile(go);
        Await.until("the exiter to exit while no hub runs", () -> !running(exiter.path("pid").asLong()));
        // as if the hub had died between starting the last sleeper and recording its pid
        try (var db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + project.resolve(".swarm/swarm.db"));
             var unrecorded = db.prepareStatement("UPDATE processes SET state = 'starting', pid = NULL, pid_started_at = NULL WHERE agent = ?")) {
            unrecorded.setString(1, sleepers.getLast().path("agent").asString());
            assertThat(unrecorded.executeUpdate()).isEqualTo(1);
        }

        hub = HubProcess.start(project);
        Map<String, JsonNode> runs = runsByAgent();
        for (JsonNode run : sleepers) {
            JsonNode now = runs.get(run.path("agent").asString());
            assertThat(now.path("state").asString()).isEqualTo("running");
            assertThat(now.path("pid").asLong()).isEqualTo(run.path("pid").asLong());
        }
        JsonNode lost = runs.get(exiter.path("agent").asString());
        assertThat(lost.path("state").asString()).isEqualTo("lost");
        assertThat(lost.path("exitCode").isNull()).as("its exit is unknown").isTrue();
        assertThat(stats().path("running").asLong()).isEqualTo(5);
        assertThat(events().stream().filter(event -> event.path("kind").asString().equals("process.adopted")).count()).isEqualTo(5);

        for (JsonNode run : sleepers) {
            JsonNode stopped = swarm(operator, "kill", run.path("agent").asString(), "--grace", "5s").path("processes").get(0);
            assertThat(stopped.path("state").asString()).isEqualTo("killed");
            assertThat(running(run.path("pid").asLong())).isFalse();
        }
        assertThat(stats().path("running").asLong()).isZero();
    }

    @Test
    void aTreeIsStoppedWholeAndWhatIgnoresTermIsKilledAfterTheGrace() throws Exception {
        JsonNode parent = spawn(operator, "--name", "parent", "--", "sh", script("stubborn.sh"));
        JsonNode child = spawn(actingAs(parent), "--name", "child", "--", "sh", script("stubborn.sh"));
        JsonNode grandchild = spawn(actingAs(child), "--name", "grandchild", "--", "sh", script("stubborn.sh"));
        assertThat(child.path("parent").asString()).isEqualTo("parent");
        assertThat(grandchild.path("depth").asInt()).isEqualTo(3);
        Set<Long> tree = new HashSet<>();
        for (String agent : List.of("parent", "child", "grandchild")) {
            tree.addAll(reportedPids(agent));
        }
        assertThat(tree).hasSize(9).allMatch(ProcessSupervisionTest::running);

        JsonNode stopped = swarm(operator, "kill", "parent", "--tree", "--grace", "1s", "--reason", "tree test");
        assertThat(stopped.path("processes")).hasSize(3).allSatisfy(run -> {
            assertThat(run.path("state").asString()).isEqualTo("killed");
            assertThat(run.path("stop").path("signal").asString()).isEqualTo("TERM");
        });
        assertThat(tree.stream().filter(ProcessSupervisionTest::running).toList()).as("processes of the tree left in /proc").isEmpty();
        JsonNode log = events().stream().filter(event -> event.path("kind").asString().equals("agent.gone")
                && event.path("agent").asString().equals("child")).findFirst().orElseThrow();
        assertThat(log.path("details").path("reason").asString()).isEqualTo("its process was stopped by operator: tree test");
    }

    @Test
    void aChildForkedAfterTheTermIsKilledByTheGracesKillAndGoneWhenTheKillAnswers() throws Exception {
        Path childPid = project.resolve("child.pid");
        spawn(operator, "--name", "forker", "--", "sh", script("forker.sh"), childPid.toString());
        Await.until("the trap set", () -> read(output("forker")).contains("ready"));

        JsonNode killed = swarm(operator, "kill", "forker", "--grace", "1s").path("processes").get(0);
        long child = Long.parseLong(read(childPid).strip()); // written before the script exited, so before the run ended
        notePid(child);
        assertThat(killed.path("state").asString()).isEqualTo("killed");
        assertThat(running(child)).as("the child its TERM handler forked, in its group: killed after the grace, gone when the kill answers")
                .isFalse();
    }

    @Test
    void recordedClaudeAndCodexOutputGivesUsageAndARunOverItsBudgetIsStopped() throws Exception {
        Path claude = resource("claude-stream-success.jsonl");
        Path codex = resource("codex-exec-success.jsonl");
        JsonNode claudeRun = spawn(operator, "--kind", "claude", "--", "cat", claude.toString());
        JsonNode codexRun = spawn(operator, "--kind", "codex", "--", "cat", codex.toString());
        Await.until("both outputs read", () -> {
            Map<String, JsonNode> runs = runsByAgent();
            return runs.get(claudeRun.path("agent").asString()).path("outcome").isString()
                    && runs.get(codexRun.path("agent").asString()).path("outcome").isString();
        });
        Map<String, JsonNode> runs = runsByAgent();
        JsonNode fromClaude = runs.get(claudeRun.path("agent").asString());
        assertThat(fromClaude.path("outcome").asString()).isEqualTo("success");
        assertThat(fromClaude.path("costUsd").asDouble()).isPositive();
        assertThat(fromClaude.path("outputTokens").asLong()).isPositive();
        assertThat(fromClaude.path("outputBytes").asLong()).isEqualTo(Files.size(claude));
        JsonNode fromCodex = runs.get(codexRun.path("agent").asString());
        assertThat(fromCodex.path("outcome").asString()).isEqualTo("success");
        assertThat(fromCodex.path("inputTokens").asLong()).isPositive();
        assertThat(fromCodex.path("costUsd").isNull()).as("Codex reports no cost").isTrue();

        double cost = fromClaude.path("costUsd").asDouble();
        script("spender.sh", "# prints a whole run's events, then goes on working", "cat \"$1\"", "exec sleep 600");
        JsonNode spender = spawn(operator, "--kind", "claude", "--max-cost", String.valueOf(cost / 2), "--", "sh", script("spender.sh"),
                claude.toString());
        Await.until("the run over its budget to be stopped", () -> runsByAgent().get(spender.path("agent").asString()).path("state")
                .asString().equals("killed"));
        JsonNode over = runsByAgent().get(spender.path("agent").asString());
        assertThat(over.path("stop").path("by").asString()).isEqualTo("swarm");
        assertThat(over.path("stop").path("reason").asString()).contains("passed its budget");
        CliFrames.Response refused = hubCli(operator, "spawn", "--kind", "codex", "--max-cost", "1", "--", "true");
        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.err()).contains("needs --kind claude");
    }

    @Test
    void spawnsBeyondTheLimitWaitInOrderAndStartAsSlotsFree() throws Exception {
        swarm(operator, "config", "processes.max", "2");
        List<JsonNode> first = List.of(spawn(operator, "--", "sleep", "600"), spawn(operator, "--", "sleep", "600"));
        JsonNode third = swarm(operator, "spawn", "--", "sleep", "600");
        JsonNode fourth = swarm(operator, "spawn", "--", "sleep", "600");
        assertThat(third.path("process").path("state").asString()).isEqualTo("queued");
        assertThat(third.path("queuedBefore").asLong()).isZero();
        assertThat(fourth.path("queuedBefore").asLong()).isEqualTo(1);
        String thirdAgent = third.path("process").path("agent").asString();
        String fourthAgent = fourth.path("process").path("agent").asString();

        swarm(operator, "kill", first.get(0).path("agent").asString());
        Await.until("the first queued run to start", () -> runsByAgent().get(thirdAgent).path("state").asString().equals("running"));
        assertThat(runsByAgent().get(fourthAgent).path("state").asString()).isEqualTo("queued");
        JsonNode killedWhileQueued = swarm(operator, "kill", fourthAgent).path("processes").get(0);
        assertThat(killedWhileQueued.path("state").asString()).isEqualTo("killed");
        assertThat(killedWhileQueued.path("pid").isNull()).isTrue();
        runsByAgent().values().forEach(run -> notePid(run.path("pid").asLong()));
        JsonNode counts = stats();
        assertThat(counts.path("running").asLong()).isEqualTo(2);
        assertThat(counts.path("queued").asLong()).isZero();
    }

    @Test
    void aWorktreeWithUncommittedWorkIsKeptWhenItsAgentStopsAndItsRemovalIsRefused() throws Exception {
        git("init", "-q");
        Files.writeString(project.resolve("README"), "shared\n");
        git("add", "README");
        git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "first");
        script("writer.sh", "# leaves an uncommitted change in its tree, then works on", "echo draft > notes.txt", "echo written",
                "exec sleep 600");
        JsonNode run = spawn(operator, "--name", "wt", "--worktree", "--", "sh", script("writer.sh"));
        Path tree = project.resolve(".swarm/worktrees/wt");
        assertThat(Path.of(run.path("cwd").asString())).isEqualTo(tree.toRealPath());
        Await.until("the change in the worktree", () -> read(project.resolve(".swarm/runs/wt.log")).contains("written"));
        CliFrames.Response whileRunning = hubCli(operator, "worktree", "remove", "wt");
        assertThat(whileRunning.exitCode()).isEqualTo(3);
        assertThat(whileRunning.err()).contains("still runs");

        swarm(operator, "kill", "wt");
        CliFrames.Response refused = hubCli(operator, "worktree", "remove", "wt");
        assertThat(refused.exitCode()).isEqualTo(3);
        assertThat(refused.err()).contains("uncommitted changes").contains("notes.txt");
        assertThat(Files.readString(tree.resolve("notes.txt"))).isEqualTo("draft\n");
        assertThat(swarm(operator, "worktree", "list").path("worktrees").get(0).path("changes").toString()).contains("notes.txt");
        assertThat(git("status", "--porcelain")).as("the main tree sees nothing of it").doesNotContain(".swarm").doesNotContain("notes.txt");
    }

    @Test
    void aTmuxRunIsAnInteractiveAgentInItsOwnWindowAndItsMessagesAreTypedThere() throws Exception {
        try (TmuxServer tmux = TmuxServer.start(Files.createDirectories(project.resolve("tmux")), project, "claude")) {
            hub.close();
            hub = HubProcess.start(project, Map.of("SWARM_TMUX_SOCKET", tmux.socket(), "TMUX", ""));
            script("reader.sh", "# says who it is, then reads its terminal (cat: a program, not a shell, so the hub may type there)",
                    "echo \"I am $SWARM_AGENT\"", "exec cat");
            JsonNode run = spawn(operator, "--tmux", "--name", "tty", "--", "sh", script("reader.sh"));
            String pane = run.path("pane").asString();
            assertThat(tmux.paneIds()).contains(pane);
            Path output = project.resolve(".swarm/runs/tty.log");
            Await.until("the pane's output copied", () -> read(output).contains("I am tty"));
            try (var files = Files.list(project.resolve(".swarm/runs"))) {
                assertThat(files.map(file -> file.getFileName().toString())).as("the environment file is read and deleted").noneMatch(
                        name -> name.endsWith(".env"));
            }
            JsonNode agent = swarm(operator, "agents").path("agents");
            assertThat(agent.toString()).contains("\"pane\":\"" + pane + "\"");

            Map<String, String> alice = Map.of("SWARM_AGENT", "alice", "SWARM_TOKEN", swarm(Map.of(), "agent", "register", "--id", "alice")
                    .path("token").asString(), "SWARM_ROOT", project.toString());
            swarm(alice, "send", "tty", "info", "hello pane");
            Await.until("the message typed into the agent's pane", () -> read(output).contains("hello pane"));

            assertThat(swarm(operator, "kill", "tty").path("processes").get(0).path("state").asString()).isEqualTo("killed");
            Await.until("its window to close", () -> !tmux.paneIds().contains(pane));
        }
    }

    @Test
    void outputIsRotatedPastTheCapAndCountedWhole() throws Exception {
        swarm(operator, "config", "processes.log-max-mb", "1");
        swarm(operator, "config", "processes.output-mb-per-s", "10000"); // not the guard's test
        // Rotation copies the file and empties it while the process keeps writing to it: bytes written in the
        // instant between the last copy and the emptying are lost (as logrotate's copytruncate). So the talker
        // passes the cap by a one-byte write, then waits for the rotation (its file shrinks) before writing on.
        script("talkative.sh", "# writes 3 MiB + 3 bytes, passing the 1 MiB cap three times, then works on",
                "log=\"$SWARM_ROOT/.swarm/runs/$SWARM_AGENT.log\"", "for round in 1 2 3; do",
                "  for line in $(seq 16); do head -c 65535 /dev/zero | tr '\\0' x; echo; done", "  printf '\\n'",
                "  while [ \"$(stat -c %s \"$log\")\" -gt 1048576 ]; do sleep 0.05; done", "done", "echo finished", "exec sleep 600");
        JsonNode run = spawn(operator, "--name", "talker", "--", "sh", script("talkative.sh"));
        long written = 3 * (1_048_576 + 1) + "finished\n".length();
        Await.untilWhileProgressing("all its output counted", () -> runsByAgent().get("talker").path("outputBytes").asLong(),
                () -> runsByAgent().get("talker").path("outputBytes").asLong() == written);
        Path runs = project.resolve(".swarm/runs");
        assertThat(runs.resolve("talker.log.3")).as("rotated three times").exists();
        assertThat(runs.resolve("talker.log.4")).as("at most three old files kept").doesNotExist();
        assertThat(Files.size(runs.resolve("talker.log"))).isLessThan(1_048_576);
        long kept = 0; // three rotations: no file was dropped, so every byte is in one
        for (String name : List.of("talker.log", "talker.log.1", "talker.log.2", "talker.log.3")) {
            kept += Files.exists(runs.resolve(name)) ? Files.size(runs.resolve(name)) : 0;
        }
        assertThat(kept).as("bytes in the output files").isEqualTo(written);
        assertThat(swarm(operator, "logs", "talker", "--tail", "1").path("lines").get(0).asString()).isEqualTo("finished");
        swarm(operator, "kill", run.path("agent").asString());
    }

    private String git(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("git", "-C", project.toString()));
        command.addAll(List.of(args));
        Process git = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(git.waitFor()).as(out).isZero();
        return out;
    }

    // --------------------------------------------------------------------------------- helpers

    private JsonNode stats() {
        try {
            return swarm(operator, "process", "stats");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every event, oldest first. */
    private List<JsonNode> events() throws IOException {
        List<JsonNode> all = new ArrayList<>();
        long after = 0;
        while (true) {
            JsonNode page = swarm(operator, "log", "--after", Long.toString(after), "--limit", "10000").path("events");
            if (page.isEmpty()) {
                return all;
            }
            page.forEach(all::add);
            after = page.get(page.size() - 1).path("id").asLong();
        }
    }

    /** Runs of the task started and not ended, by the events up to {@code asOfEvent}. */
    private long recount(long asOfEvent, String task) throws IOException {
        long running = 0;
        for (JsonNode event : events()) {
            if (event.path("id").asLong() > asOfEvent || !task.equals(event.path("details").path("task").asString())) {
                continue;
            }
            String kind = event.path("kind").asString();
            running += kind.equals("process.started") ? 1 : Set.of("process.exited", "process.killed", "process.lost").contains(kind)
                    && event.path("details").has("durationMs") && !event.path("details").path("durationMs").isNull() ? -1 : 0;
        }
        return running;
    }

    /** The pids a stubborn.sh printed (itself, its child, its grandchild in another session). */
    private List<Long> reportedPids(String agent) {
        Path log = project.resolve(".swarm/runs/" + agent + ".log");
        Await.until("the pids of " + agent, () -> PIDS.matcher(read(log)).find());
        Matcher pids = PIDS.matcher(read(log));
        assertThat(pids.find()).isTrue();
        List<Long> found = java.util.Arrays.stream(pids.group(1).strip().split(" ")).map(Long::parseLong).toList();
        found.forEach(this::notePid);
        return found;
    }

    private static Path resource(String name) {
        try {
            return Path.of(ProcessSupervisionTest.class.getResource("/agent-outputs/" + name).toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
