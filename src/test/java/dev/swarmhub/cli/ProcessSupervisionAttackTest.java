package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.hub.CliFrames;
import dev.swarmhub.hub.HubFiles;
import dev.swarmhub.store.PostgresAddress;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.HubProcess;
import dev.swarmhub.testing.PostgresServer;
import dev.swarmhub.testing.TmuxServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Attacks on the processes the hub supervises, each with a real hub process and real programs:
 * input that must be refused as bad input, a text that must never become a tmux format (a shell
 * command), a kill that escalates a pending one, an agent id taken again that must not inherit the
 * rights of its earlier holder, and an output file replaced by a symbolic link that the hub must
 * not follow.
 */
class ProcessSupervisionAttackTest extends SupervisedProjectTest {

    @BeforeEach
    void writeScript() throws IOException {
        script("exiter.sh", "# exits once the file $1 exists", "while [ ! -e \"$1\" ]; do sleep 0.01; done", "exit 0");
    }



    /**
     * A hub given the store's credentials (the password in SWARM_STORE, PGPASSWORD, the password
     * files' names) passes none of them to what it spawns: SWARM_STORE stays without its password
     * (a command of the process that opens the store itself fails to log in, rather than open
     * another store); the rest of the hub's environment and the run's own variables stay.
     */
    @Test
    void aSpawnedProcessGetsNoneOfTheStoresCredentials() throws Exception {
        String database = PostgresServer.shared().newDatabase();
        String password = PostgresAddress.parse(database, null, Map.of()).password();
        hub.close();
        hub = HubProcess.start(project, Map.of("SWARM_STORE", database, "PGPASSWORD", password, "PGPASSFILE", "/nowhere/pgpass",
                "SWARM_STORE_PASSWORD_FILE", "/nowhere/password", "UNRELATED", "kept"));
        JsonNode run = spawn(operator, "--name", "envy", "--env", "OWN=given", "--", "sleep", "600");
        Map<String, String> environment = environmentOf(run);
        assertThat(environment).containsKeys("SWARM_AGENT", "SWARM_TOKEN", "SWARM_ROOT").containsEntry("UNRELATED", "kept")
                .containsEntry("OWN", "given").doesNotContainKeys("PGPASSWORD", "PGPASSFILE", "SWARM_STORE_PASSWORD_FILE")
                .containsEntry("SWARM_STORE", database.replace(":" + password + "@", "@"));
        assertThat(environment.values()).noneMatch(value -> value.contains(password));
    }

    /** The same for a run in a tmux pane, which starts with the tmux server's environment: here one holding the credentials too. */
    @Test
    void aRunInATmuxPaneGetsNoneOfTheStoresCredentialsThoughItsServerHasThem() throws Exception {
        String database = PostgresServer.shared().newDatabase();
        String password = PostgresAddress.parse(database, null, Map.of()).password();
        try (TmuxServer tmux = TmuxServer.start(Files.createDirectories(project.resolve("tmux")), project, "claude")) { // a pane that stays
            Map<String, String> credentials = Map.of("SWARM_STORE", database, "PGPASSWORD", password, "PGPASSFILE", "/nowhere/pgpass",
                    "SWARM_STORE_PASSWORD_FILE", "/nowhere/password");
            credentials.forEach((name, value) -> tmux.tmux("set-environment", "-g", name, value)); // as a server the hub started would have them
            hub.close();
            Map<String, String> hubEnvironment = new java.util.HashMap<>(credentials);
            hubEnvironment.putAll(Map.of("SWARM_TMUX_SOCKET", tmux.socket(), "TMUX", ""));
            hub = HubProcess.start(project, hubEnvironment);
            JsonNode run = spawn(operator, "--tmux", "--name", "paned", "--", "sh", "-c", "env | sort; echo env-done; exec cat");
            Path output = project.resolve(".swarm/runs/paned.log");
            Await.until("the pane's environment printed", () -> read(output).contains("env-done"));
            List<String> lines = read(output).lines().map(String::strip).toList();
            assertThat(lines).anyMatch(line -> line.startsWith("SWARM_AGENT=paned"))
                    .noneMatch(line -> line.startsWith("PGPASSWORD=") || line.startsWith("PGPASSFILE=") || line.startsWith("SWARM_STORE_PASSWORD_FILE="))
                    .contains("SWARM_STORE=" + database.replace(":" + password + "@", "@"))
                    .noneMatch(line -> line.contains(password));
            swarm(operator, "kill", run.path("agent").asString(), "--signal", "KILL");
        }
    }

    @Test
    void aWorkingDirectoryWithANulIsBadInputNamingItOverTheCliAndHttp() throws Exception {
        CliFrames.Response cli = hubCli(operator, "spawn", "--cwd", "a\0b", "--", "true");
        assertThat(cli.exitCode()).as(cli.err()).isEqualTo(2);
        assertThat(cli.err()).contains("working directory");

        HttpResponse<String> http = http("POST", "/processes", "{\"command\":[\"true\"],\"cwd\":\"a\\u0000b\"}");
        assertThat(http.statusCode()).as(http.body()).isEqualTo(400);
        assertThat(http.body()).contains("bad_input").contains("working directory");
        assertThat(swarm(operator, "ps", "--all").path("processes")).as("nothing stored").isEmpty();
    }

    @Test
    void aTmuxRunsWorkingDirectoryIsNeverATmuxFormatSoItsNameRunsNoCommand() throws Exception {
        try (TmuxServer tmux = TmuxServer.start(Files.createDirectories(project.resolve("tmux")), project, "sh")) {
            hub.close();
            hub = HubProcess.start(project, Map.of("SWARM_TMUX_SOCKET", tmux.socket(), "TMUX", ""));
            Path odd = Files.createDirectories(project.resolve("#(touch injected)"));
            JsonNode run = spawn(operator, "--tmux", "--name", "odd", "--cwd", odd.toString(), "--", "sh", "-c", "pwd; exec cat");
            Path output = project.resolve(".swarm/runs/odd.log");
            Await.until("the pane's working directory printed", () -> read(output).contains(project.toString()));
            assertThat(read(output).lines().filter(line -> line.startsWith("/")).findFirst().orElseThrow().strip())
                    .as("the pane runs in the directory asked for, its name taken as it is").isEqualTo(odd.toString());
            assertThat(project.resolve("injected")).as("no command ran from the directory's name").doesNotExist();
            swarm(operator, "kill", run.path("agent").asString(), "--signal", "KILL");
        }
    }

    @Test
    void aKillWithKillEscalatesAPendingTermWithALongGrace() throws Exception {
        JsonNode run = spawn(operator, "--name", "stubborn", "--", "sh", "-c", "trap '' TERM; echo ready; while true; do sleep 1; done");
        Await.until("the trap set", () -> read(project.resolve(".swarm/runs/stubborn.log")).contains("ready"));
        CompletableFuture<CliFrames.Response> gentle = CompletableFuture.supplyAsync(() -> {
            try {
                return hubCli(operator, "kill", "stubborn", "--grace", "10m", "--json");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        Await.until("the first stop request recorded", () -> !runOf("stubborn").path("stop").isNull());

        JsonNode killed = swarm(operator, "kill", "stubborn", "--signal", "KILL").path("processes").get(0);
        assertThat(killed.path("state").asString()).as("KILL asked after a TERM with a long grace").isEqualTo("killed");
        assertThat(running(run.path("pid").asLong())).isFalse();
        assertThat(Await.done(gentle).exitCode()).isZero();
    }

    @Test
    void aGraceThatRanOutWhileNoHubWasThereEndsAtTheNextHubsStartNotAWholeGraceLater() throws Exception {
        java.time.Duration grace = java.time.Duration.ofSeconds(20);
        spawn(operator, "--name", "stubborn", "--", "sh", "-c", "trap '' TERM; echo ready; while true; do sleep 1; done");
        Await.until("the trap set", () -> read(output("stubborn")).contains("ready"));
        CompletableFuture.runAsync(() -> {
            try {
                hubCli(operator, "kill", "stubborn", "--grace", grace.toSeconds() + "s");
            } catch (IOException hubKilled) {
                // its hub is killed below: the answer does not matter
            }
        });
        Await.until("the stop request recorded", () -> !runOf("stubborn").path("stop").isNull());
        long graceEnds = java.time.Instant.parse(runOf("stubborn").path("stop").path("at").asString()).toEpochMilli() + grace.toMillis();
        hub.kill();
        Await.until("the grace to run out (the store's clock is this host's)", () -> System.currentTimeMillis() > graceEnds);

        hub = HubProcess.start(project);
        Await.until("the run killed", () -> runOf("stubborn").path("state").asString().equals("killed"));
        long ended = java.time.Instant.parse(runOf("stubborn").path("endedAt").asString()).toEpochMilli();
        String run = runOf("stubborn").path("id").asString();
        JsonNode adopted = null;
        for (JsonNode event : swarm(operator, "log", "--kind", "process.adopted", "--limit", "100").path("events")) {
            adopted = event.path("details").path("run").asString().equals(run) ? event : adopted;
        }
        assertThat(adopted).as("its adoption logged").isNotNull();
        long adoptedAt = java.time.Instant.parse(adopted.path("at").asString()).toEpochMilli(); // both times by the store's clock
        // a hub that counted the grace from its own start would kill it a whole grace after the adoption; the margin is that grace,
        // long beside what a loaded machine adds between the adoption and the kill (9 s seen at load 15 on 2 cores)
        assertThat(ended - adoptedAt).as("killed when adopted, the grace having run out; not a whole grace later").isLessThan(grace.toMillis());
    }

    @Test
    void anAgentIdTakenAgainGetsNoRightOverTheRunsItsEarlierHolderSpawned() throws Exception {
        Path go = project.resolve("go");
        JsonNode parent = spawn(operator, "--name", "parent", "--", "sh", script("exiter.sh"), go.toString());
        JsonNode victim = spawn(actingAs(parent), "--name", "victim", "--", "sleep", "600");
        Files.createFile(go);
        Await.until("the parent to exit", () -> runOf("parent").path("state").asString().equals("exited"));

        Map<String, String> mallory = Map.of("SWARM_AGENT", "mallory", "SWARM_TOKEN", swarm(Map.of(), "agent", "register", "--id", "mallory")
                .path("token").asString(), "SWARM_ROOT", project.toString());
        assertThat(hubCli(mallory, "kill", "victim", "--grace", "1s").exitCode()).as("mallory is no ancestor of victim").isEqualTo(3);
        JsonNode impostor = spawn(mallory, "--name", "parent", "--", "sleep", "600");
        CliFrames.Response byMallory = hubCli(mallory, "kill", "victim", "--grace", "1s");
        assertThat(byMallory.exitCode()).as("mallory through a new agent named as victim's dead parent: " + byMallory.out()).isEqualTo(3);
        CliFrames.Response byImpostor = hubCli(actingAs(impostor), "kill", "victim", "--grace", "1s");
        assertThat(byImpostor.exitCode()).as("the new holder of the id parent: " + byImpostor.out()).isEqualTo(3);
        JsonNode tree = swarm(operator, "kill", "parent", "--tree", "--grace", "1s").path("processes");
        assertThat(tree).as("the new parent's tree holds none of the old parent's runs").hasSize(1);
        assertThat(runOf("victim").path("state").asString()).isEqualTo("running");
        assertThat(running(victim.path("pid").asLong())).isTrue();
    }

    @Test
    void anOutputFileReplacedByASymbolicLinkIsNotFollowedSoItsTargetIsNeverTruncated() throws Exception {
        swarm(operator, "config", "processes.log-max-mb", "1");
        spawn(operator, "--name", "quiet", "--", "sleep", "600");
        Path precious = project.resolve("precious.bin");
        byte[] content = new byte[2 * 1024 * 1024];
        new java.util.Random(7).nextBytes(content);
        Files.write(precious, content);
        Path log = project.resolve(".swarm/runs/quiet.log");
        Files.delete(log);
        Files.createSymbolicLink(log, precious);

        // a tick reads every watched output: three counts of the marker's output seen to grow are two whole ticks since the link
        spawn(operator, "--name", "marker", "--", "sh", "-c", "while true; do echo tick; sleep 0.2; done");
        long first = awaitOutputBeyond("marker", 0);
        awaitOutputBeyond("marker", awaitOutputBeyond("marker", first));
        assertThat(Files.size(precious)).as("the link's target, untouched").isEqualTo(content.length);
        assertThat(java.util.Arrays.equals(Files.readAllBytes(precious), content)).as("the link's target, unchanged").isTrue();
        assertThat(Files.exists(project.resolve(".swarm/runs/quiet.log.1"))).as("no copy of the link's target").isFalse();
    }

    @Test
    void aWorktreeSpawnWithANameNoBranchMayHaveIsBadInputAndStoresNothing() throws Exception {
        for (String name : List.of("a.lock", "x..y")) {
            CliFrames.Response refused = hubCli(operator, "spawn", "--worktree", "--name", name, "--", "true");
            assertThat(refused.exitCode()).as(refused.err()).isEqualTo(2);
            assertThat(refused.err()).contains("bad worktree name '" + name + "'").doesNotContain("Exception");
        }
        assertThat(swarm(operator, "ps", "--all").path("processes")).as("no run stored").isEmpty();
        assertThat(swarm(operator, "agents").path("agents")).as("no agent registered").isEmpty();
    }

    @Test
    void aRunAdoptedByANewHubCountsItsOutputOnce() throws Exception {
        Path go = project.resolve("go");
        spawn(operator, "--name", "talker", "--", "sh", "-c", "echo ready; while [ ! -e \"$0\" ]; do sleep 0.01; done; echo more; exec sleep 600",
                go.toString());
        Await.until("its first line counted", () -> runOf("talker").path("outputBytes").asLong() == "ready\n".length());
        hub.kill();
        hub = HubProcess.start(project);
        assertThat(runOf("talker").path("state").asString()).isEqualTo("running");
        Files.createFile(go);
        long whole = "ready\nmore\n".length();
        Await.until("its second line counted", () -> runOf("talker").path("outputBytes").asLong() >= whole);
        assertThat(runOf("talker").path("outputBytes").asLong()).as("bytes in its output file").isEqualTo(whole)
                .isEqualTo(Files.size(project.resolve(".swarm/runs/talker.log")));
    }

    // --------------------------------------------------------------------------------- helpers

    private long awaitOutputBeyond(String agent, long bytes) {
        Await.until(agent + "'s output counted beyond " + bytes, () -> runOf(agent).path("outputBytes").asLong() > bytes);
        return runOf(agent).path("outputBytes").asLong();
    }

    private HttpResponse<String> http(String method, String path, String body) throws IOException, InterruptedException {
        String url = JSON.readTree(Files.readString(HubFiles.info(project))).path("url").asString();
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + operator.get("SWARM_TOKEN"))
                .header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body)).build();
        try (HttpClient client = HttpClient.newHttpClient()) {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        }
    }
}
