package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.hub.CliFrames;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which command lines the client runs itself, read from the commands' annotations. */
class ClientSideTest {

    private static final ClientSide CLIENT_SIDE = ClientSide.fromAnnotations();

    @Test
    void theBuildWroteTheTableTheAnnotationsGive() {
        assertThat(ClientSide.class.getResource(ClientSide.TABLE)).as("written by the build (exec-maven-plugin, process-classes)").isNotNull();
        assertThat(ClientSide.load().text()).isEqualTo(CLIENT_SIDE.text()).contains("mcp config\tclient\n", "send\tstdin\n",
                "log\t-f --follow\n", "lock acquire\t\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"up", "up -d", "down", "status", "demo", "bench --clients 2", "mcp", "mcp config claude", "help", "help lock",
            "", "--json", "--root /tmp/p up", "lock acquire --help", "-V", "log -f", "log --follow", "--json log -f",
            "agents discover --watch", "status --log", "status --log -f", "--json status --log -n 5"})
    void runsInTheClient(String line) {
        assertThat(CLIENT_SIDE.runsInClient(words(line))).as(line).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"lock acquire src/a.py", "lock acquire up", "send bob INFO up", "log", "log -n 5", "agents", "agents discover",
            "--agent up lock list", "--root up whoami", "nonsense", "inbox --wait 30s", "config"})
    void goesToTheHub(String line) {
        assertThat(CLIENT_SIDE.runsInClient(words(line))).as(line).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"send bob INFO -", "broadcast INFO -", "reply 01ABCDEF -", "--agent a send bob INFO -"})
    void readsTheTextFromStandardInput(String line) {
        assertThat(CLIENT_SIDE.readsTextFromStdin(words(line))).as(line).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"lock acquire -", "inbox", "config messages.max-text-bytes -", "nonsense -"})
    void leavesADashAlone(String line) {
        assertThat(CLIENT_SIDE.readsTextFromStdin(words(line))).as(line).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"status", "--help", "lock list --no-hub", "up", "hook claude", "hook codex {}", "send bob INFO -",
        "terminal: lock acquire a.py --wait 5s", "terminal: inbox --wait 30s", ""})
    void theHubHandsTheNativeRelaysCommandLineBackToTheJvmClient(String line) {
        assertThat(SwarmClient.belongsToTheClient(relayed(line), relayEnvironment(line))).as(line).isTrue();
        assertThat(SwarmClient.belongsToTheClient(relayed(line), Map.of())).as("from the JVM client: %s", line).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"lock acquire a.py", "lock acquire a.py --wait 5s", "inbox --wait 30s", "send bob INFO hello",
        "terminal: lock list", "terminal: lock acquire -", "nonsense"})
    void theHubRunsTheNativeRelaysCommandLine(String line) {
        assertThat(SwarmClient.belongsToTheClient(relayed(line), relayEnvironment(line))).as(line).isFalse();
    }

    private static String[] relayed(String line) {
        return words(line.replace("terminal: ", "")).toArray(String[]::new);
    }

    private static Map<String, String> relayEnvironment(String line) {
        return Map.of(CliFrames.RELAY_VARIABLE, line.startsWith("terminal: ") ? CliFrames.RELAY_AT_TERMINAL : "other");
    }

    private static List<String> words(String line) {
        return line.isEmpty() ? List.of() : List.of(line.split(" "));
    }
}
