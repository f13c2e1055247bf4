package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.testing.TmuxServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Discovery against a real tmux server whose panes run stand-in agent processes. */
class TmuxDiscoveryTest {

    @TempDir
    Path work;
    private Path project;
    private TmuxServer tmux;
    private CliRunner cli;

    @BeforeEach
    void tmuxWithAClaudePane() throws Exception {
        project = Files.createDirectories(work.resolve("project"));
        Files.createDirectories(project.resolve(".git"));
        cli = new CliRunner(project);
        tmux = TmuxServer.start(work, project, "claude");
    }

    @AfterEach
    void stopTmux() {
        tmux.close();
    }

    private JsonNode discover() {
        CliRunner.Result found = cli.run("agents", "discover", "--tmux-socket", tmux.socket(), "--json");
        assertThat(found.exitCode()).as(found.err()).isZero();
        return found.json();
    }

    /** The environment tmux gives a program in the pane. */
    private Map<String, String> tmuxEnvironment(String pane) {
        return Map.of("TMUX", tmux.socket() + ",1,0", "TMUX_PANE", pane);
    }

    @Test
    void findsAgentsInTheProjectButNotBareInterpretersOrOtherDirectories() {
        String firstPane = tmux.paneIds().get(0);
        String codexPane = tmux.newPane(project, "codex");
        tmux.newPane(project, "node");
        tmux.newPane(work, "claude"); // outside the project

        JsonNode found = discover();
        List<String> ids = new ArrayList<>();
        found.get("registered").forEach(agent -> ids.add(agent.get("id").asString()));
        assertThat(ids).containsExactlyInAnyOrder("claude-pane" + firstPane.substring(1), "codex-pane" + codexPane.substring(1));

        JsonNode again = discover();
        assertThat(again.get("registered")).isEmpty();
        assertThat(again.get("seenAgain")).hasSize(2);

        JsonNode listed = cli.run("agents", "--json").json().get("agents");
        assertThat(listed).hasSize(2);
        listed.forEach(agent -> {
            assertThat(agent.get("status").asString()).isEqualTo("active");
            assertThat(agent.get("claimed").asBoolean()).isFalse();
        });
    }

    @Test
    void anAgentWhosePaneVanishesIsGoneAndItsPaneCanBeClaimed() {
        String codexPane = tmux.newPane(project, "codex");
        discover();
        String id = "codex-pane" + codexPane.substring(1);

        // the pane's own agent claims its discovered identity by registering on the pane
        CliRunner.Result claimed = cli.run(tmuxEnvironment(codexPane), "agent", "register", "--pane", codexPane, "--kind", "codex",
                "--json");
        assertThat(claimed.exitCode()).as(claimed.err()).isZero();
        assertThat(claimed.json().get("id").asString()).isEqualTo(id);
        Map<String, String> asCodex = Map.of("SWARM_AGENT", id, "SWARM_TOKEN", claimed.json().get("token").asString());
        assertThat(cli.run(asCodex, "lock", "acquire", "src/x.py").exitCode()).isZero();
        assertThat(cli.run(tmuxEnvironment(codexPane), "whoami", "--json").json().get("id").asString()).isEqualTo(id);

        tmux.tmux("kill-pane", "-t", codexPane);
        JsonNode after = discover();
        List<String> gone = new ArrayList<>();
        after.get("gone").forEach(name -> gone.add(name.asString()));
        assertThat(gone).containsExactly(id);
        assertThat(cli.run("lock", "who", "src/x.py").out()).contains("is free");
        JsonNode events = cli.run("log", "--holder", id, "--json").json().get("events");
        assertThat(events.get(events.size() - 1).get("details").get("reason").asString()).contains("vanished");
    }

    @Test
    void discoveryFromAShellOfAnotherServerOrWithNoServerMarksNoAgentOfThisServerGone() {
        String codexPane = tmux.newPane(project, "codex");
        discover();
        String id = "codex-pane" + codexPane.substring(1);
        CliRunner.Result claimed = cli.run(tmuxEnvironment(codexPane), "agent", "register", "--pane", codexPane, "--kind", "codex", "--json");
        assertThat(claimed.exitCode()).as(claimed.err()).isZero();
        Map<String, String> asCodex = Map.of("SWARM_AGENT", id, "SWARM_TOKEN", claimed.json().get("token").asString());
        assertThat(cli.run(asCodex, "lock", "acquire", "src/x.py").exitCode()).isZero();

        try (TmuxServer other = TmuxServer.start(work.resolve("other-server"), project, "node")) {
            CliRunner.Result fromOther = cli.run(Map.of("TMUX", other.socket() + ",1,0"), "agents", "discover", "--json");
            assertThat(fromOther.exitCode()).as(fromOther.err()).isZero();
            assertThat(fromOther.json().get("tmuxSocket").asString()).as("the caller's server").isEqualTo(other.socket());
            assertThat(fromOther.json().get("gone")).isEmpty();
        }
        String noServer = work.resolve("no-server.sock").toString();
        CliRunner.Result unreachable = cli.run(Map.of("TMUX", noServer + ",1,0"), "agents", "discover", "--json");
        assertThat(unreachable.exitCode()).as(unreachable.err()).isZero();
        assertThat(unreachable.json().get("reachable").asBoolean()).isFalse();
        assertThat(unreachable.json().get("gone")).isEmpty();
        assertThat(cli.run(Map.of("TMUX", noServer + ",1,0"), "agents", "discover").out()).contains("cannot be reached").contains("unknown");

        cli.run("agents", "--json").json().get("agents")
                .forEach(agent -> assertThat(agent.get("status").asString()).as(agent.get("id").asString()).isEqualTo("active"));
        assertThat(cli.run("lock", "who", "src/x.py").out()).contains(id);
    }
}
