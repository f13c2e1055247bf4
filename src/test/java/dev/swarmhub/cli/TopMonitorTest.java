package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.JavaProcess;
import dev.swarmhub.testing.TmuxServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code swarm top} in a real terminal: a shell in a pane of a private tmux server runs it; the test
 * reads the screen (capture-pane) and types keys (send-keys). It shows an agent registered after it
 * started and a lease taken while it runs, switches views, filters, and on q or Ctrl-C gives the
 * shell back as it was (cooked mode, echo on). Output that is no terminal gets plain text.
 */
class TopMonitorTest {

    @TempDir
    Path work;

    private Path project;
    private TmuxServer tmux;
    private String pane;
    private CliRunner cli;

    @BeforeEach
    void startShell() throws IOException {
        project = Files.createDirectories(work.resolve("project"));
        Files.createDirectories(project.resolve(".git"));
        cli = new CliRunner(project);
        Path script = work.resolve("top.sh");
        Files.writeString(script, "exec '" + JavaProcess.javaBinary() + "' -XX:+UseSerialGC -XX:TieredStopAtLevel=1 --enable-native-access=ALL-UNNAMED -cp '"
                + System.getProperty("java.class.path") + "' dev.swarmhub.cli.Swarm top --root '" + project + "' \"$@\"\n");
        tmux = TmuxServer.start(work, project, "node");
        pane = tmux.newShellPane(project, "env -u SWARM_AGENT -u SWARM_TOKEN PS1='ready$ ' bash --norc --noprofile");
        tmux.tmux("resize-pane", "-t", pane, "-x", "160", "-y", "30");
        Await.until("the shell's prompt", () -> screen().contains("ready$"));
    }

    @AfterEach
    void stopShell() {
        tmux.close();
    }

    private String screen() {
        return String.join("\n", tmux.tmux("capture-pane", "-p", "-t", pane).lines().toList());
    }

    private void keys(String... keys) {
        List<String> command = new java.util.ArrayList<>(List.of("send-keys", "-t", pane));
        command.addAll(List.of(keys));
        tmux.tmux(command.toArray(String[]::new));
    }

    private void awaitScreen(String what, String text) {
        Await.until(what + " (screen: " + screen() + ")", () -> screen().contains(text));
    }

    /** Keeps the screen for review, beside the dashboard's screenshots. */
    private void keep(String name) throws IOException {
        Path kept = Files.createDirectories(Path.of("target", "top")).resolve(name + ".txt");
        Files.writeString(kept, screen() + "\n");
    }

    private void awaitTheShellBackAsItWas() {
        awaitScreen("top gone", "ready$");
        // counts the raw-mode flags stty shows (none when cooked mode and echo are back) and answers a sum: the shell reads lines again
        keys("-l", "echo raw-flags=$(stty -a | tr ' ;' '\\n\\n' | grep -c -x -e -icanon -e -echo -e -isig)/$((6*7))");
        keys("Enter");
        awaitScreen("the shell answering", "raw-flags=0/42");
    }

    @Test
    void showsWhatHappensAfterItStartedSwitchesViewsAndGivesTheShellBackOnQ() throws IOException {
        keys("-l", "sh " + work.resolve("top.sh"));
        keys("Enter");
        awaitScreen("the monitor", "[1 Agents]");
        assertThat(screen()).doesNotContain("ready$");

        Map<String, String> late = cli.register("late-agent");
        awaitScreen("the agent registered after top started", "late-agent");
        keep("agents");

        keys("2");
        awaitScreen("the leases view", "[2 Leases]");
        cli.run(late, "lock", "acquire", "src/parser.py", "--ttl", "10m");
        awaitScreen("the lease taken while it shows", "src/parser.py");
        assertThat(screen()).contains("late-agent", "exclusive");
        keep("leases");

        keys("Tab");
        awaitScreen("Tab: the next view", "[3 Messages]");
        keys("5");
        awaitScreen("the processes view", "[5 Processes]");
        keys("1", "/");
        keys("-l", "nobody-matches");
        keys("Enter");
        awaitScreen("the filter", "filter: nobody-matches");
        awaitScreen("the filtered view", "(none matches the filter)");
        keys("Escape");
        awaitScreen("the filter cleared", "late-agent");

        keys("q");
        awaitTheShellBackAsItWas();
    }

    @Test
    void ctrlCGivesTheShellBackToo() {
        keys("-l", "sh " + work.resolve("top.sh"));
        keys("Enter");
        awaitScreen("the monitor", "[1 Agents]");
        keys("C-c");
        awaitTheShellBackAsItWas();
    }

    @Test
    void outputThatIsNoTerminalGetsPlainText() throws Exception {
        cli.register("plain-agent");
        CliRunner.Result once = cli.run("top", "--once");
        assertThat(once.exitCode()).as(once.err()).isZero();
        assertThat(once.out()).contains("Agents\n", "Leases\n", "Messages\n", "Tasks\n", "Processes\n", "plain-agent").doesNotContain("\u001b");

        Path out = work.resolve("top.out");
        keys("-l", "sh " + work.resolve("top.sh") + " --interval 1s > " + out);
        keys("Enter");
        Await.until("two plain prints", () -> Files.exists(out) && countFrames(out) >= 2);
        keys("C-c");
        awaitTheShellBackAsItWas();
        assertThat(Files.readString(out)).contains("plain-agent").doesNotContain("\u001b[");
    }

    @Test
    void anAgentSeesWhatAgentsSeeWhetherNamedOrKnownByItsProcess() {
        Map<String, String> sender = cli.register("sender");
        assertThat(cli.run(Map.of(), "agent", "register", "--id", "lineage", "--pid", Long.toString(ProcessHandle.current().pid())).exitCode()).isZero();
        assertThat(cli.run(sender, "send", "lineage", "info", "the private plan").exitCode()).isZero();

        CliRunner.Result byProcess = cli.run(Map.of(), "top", "--once"); // no token, no SWARM_AGENT: its process is the agent's
        assertThat(byProcess.exitCode()).as(byProcess.err()).isZero();
        assertThat(byProcess.out()).contains("messages are the operator's to read").doesNotContain("the private plan");
        CliRunner.Result named = cli.run(sender, "top", "--once");
        assertThat(named.out()).contains("messages are the operator's to read").doesNotContain("the private plan");
        CliRunner.Result operator = cli.run(Map.of("SWARM_TOKEN", cli.operatorToken()), "top", "--once");
        assertThat(operator.out()).contains("the private plan").doesNotContain("messages are the operator's to read");
    }

    private static long countFrames(Path out) {
        try {
            return Files.readString(out).lines().filter(line -> line.startsWith("--- ")).count();
        } catch (IOException e) {
            return 0;
        }
    }
}
