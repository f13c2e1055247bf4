package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.host.AgentCredentials;
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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Agent clients in real tmux panes, as separate OS processes: one killed and started again in its
 * pane is the same agent with its inbox (its hooks relayed to the hub), and no token ever shows in
 * the pane; one without hooks gets a message typed only once its pane is quiet.
 */
class SessionPaneTest {

    @TempDir
    Path project;

    @TempDir
    Path work;

    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable each : closing.reversed()) {
            each.close();
        }
    }

    /** The fake client's command line; the class path goes in an argument file (two of them in one line passed tmux's command length limit). */
    private static String client(Path project, String mode, Path log, String last) throws IOException {
        Path classPath = log.resolveSibling("classpath.args");
        Files.writeString(classPath, "-cp \"" + System.getProperty("java.class.path") + "\"\n");
        return JavaProcess.javaBinary() + " -XX:+UseSerialGC -XX:TieredStopAtLevel=1 @" + classPath + " "
                + FakeClient.class.getName() + " " + mode + " " + project + " " + log + " " + last;
    }

    private static List<String> lines(Path log) {
        try {
            return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean shows(Path log, String text) {
        return lines(log).stream().anyMatch(line -> line.contains(text));
    }

    private static JsonNode agent(CliRunner cli, String id) {
        for (JsonNode agent : cli.run("agents", "--json").json().path("agents")) {
            if (agent.path("id").asString().equals(id)) {
                return agent;
            }
        }
        throw new AssertionError("no agent " + id);
    }

    @Test
    void aClientKilledAndStartedAgainInItsPaneIsTheSameAgentWithItsInboxAndNoTokenEverShowsThere() throws Exception {
        TmuxServer tmux = TmuxServer.start(work, project, "node");
        closing.add(tmux);
        CliRunner cli = new CliRunner(project);
        closing.add(HubProcess.start(project, Map.of("SWARM_TMUX_SOCKET", tmux.socket()))); // the hooks are relayed to it
        Path log = work.resolve("client.log");
        String pane = tmux.newShellPane(project, client(project, "hooked", log, "first") + "; "
                + client(project, "hooked", log, "second") + "; exec " + tmux.program("node"));

        Await.until("the first session's primer", () -> shows(log, "you are agent agent-1"));
        String firstToken = AgentCredentials.read(project, "agent-1").orElseThrow();
        JsonNode first = agent(cli, "agent-1");
        assertThat(first.path("pane").asString()).isEqualTo(pane);
        assertThat(first.path("pid").asString()).as("the client's process (CLAUDE_PID), not the hook's parent")
                .isEqualTo(lines(log).getFirst().substring("client pid ".length()));
        assertThat(first.path("session").asString()).isEqualTo("claude:first");
        Map<String, String> bob = cli.register("bob");
        assertThat(cli.run(bob, "send", "agent-1", "info", "while you were away").exitCode()).isZero();

        ProcessHandle.of(first.path("pid").asLong()).orElseThrow().destroyForcibly(); // kill -9
        Await.until("the second session's primer", () -> shows(log, "(resumed"));

        JsonNode second = agent(cli, "agent-1");
        assertThat(second.path("pane").asString()).isEqualTo(pane);
        assertThat(second.path("session").asString()).isEqualTo("claude:second");
        assertThat(second.path("pid").asLong()).isNotEqualTo(first.path("pid").asLong());
        assertThat(String.join("\n", lines(log))).contains("while you were away");
        assertThat(cli.run("agents", "--json").json().path("agents")).as("agent-1 and bob, no third").hasSize(2);
        String secondToken = AgentCredentials.read(project, "agent-1").orElseThrow();
        assertThat(secondToken).isNotEqualTo(firstToken);
        String scrollback = String.join("\n", tmux.capture(pane));
        assertThat(scrollback).contains("you are agent agent-1").doesNotContain(firstToken).doesNotContain(secondToken);
    }

    @Test
    void aMessageToABusyAgentWithoutHooksIsTypedOnlyOnceItsPaneIsQuiet() throws Exception {
        TmuxServer tmux = TmuxServer.start(work, project, "node");
        closing.add(tmux);
        CliRunner cli = new CliRunner(project);
        Path log = work.resolve("busy.log");
        Path stop = work.resolve("stop");
        String pane = tmux.newShellPane(project, "exec " + client(project, "busy", log, stop.toString()));
        Await.until("the client to work", () -> shows(log, "working on step 1"));
        long pid = Long.parseLong(tmux.tmux("display-message", "-p", "-t", pane, "#{pane_pid}"));
        CliRunner.Result registered = cli.run(Map.of("TMUX", tmux.socket() + ",1,0", "TMUX_PANE", pane),
                "agent", "register", "--id", "busy", "--kind", "aider", "--pane", pane, "--pid", Long.toString(pid), "--json");
        assertThat(registered.exitCode()).as(registered.err()).isZero();
        Map<String, String> sender = cli.register("sender");
        closing.add(HubProcess.start(project, Map.of("SWARM_TMUX_SOCKET", tmux.socket())));
        Await.until("the watcher to see it working", () -> "working".equals(agent(cli, "busy").path("activity").asString()));

        String id = cli.run(sender, "send", "busy", "info", "when you have a moment", "--json").json().path("id").asString();
        // the watcher reports ongoing output every few seconds: two such reports later it has still not been typed
        String[] progress = {agent(cli, "busy").path("lastProgress").asString()};
        int[] reports = {0};
        Await.until("two progress reports while busy", () -> {
            String now = agent(cli, "busy").path("lastProgress").asString();
            if (!now.equals(progress[0])) {
                progress[0] = now;
                reports[0]++;
            }
            return reports[0] >= 2;
        });
        assertThat(shows(log, "got:")).as("nothing typed into a pane mid-output").isFalse();
        assertThat(delivery(cli, sender, id)).isEqualTo("queued");
        assertThat(agent(cli, "busy").path("activity").asString()).isEqualTo("working");

        Files.createFile(stop);
        Await.until("the line typed once the pane is quiet", () -> shows(log, "got: [swarm] sender INFO " + id));
        List<String> shown = lines(log);
        assertThat(shown.indexOf("quiet")).as("typed after the output stopped").isLessThan(shown.size() - 1)
                .isEqualTo(shown.size() - 2);
        Await.until("the typing's receipt", () -> "typed".equals(delivery(cli, sender, id)));
    }

    private static String delivery(CliRunner cli, Map<String, String> sender, String id) {
        return cli.run(sender, "show", id, "--json").json().path("to").get(0).path("delivery").asString();
    }
}
