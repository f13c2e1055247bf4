package dev.swarmhub.processes;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A headless Claude Code or Codex run is made to print the events the hub reads; anything else runs as given. */
class HeadlessCommandTest {

    private static List<String> spawned(Run.Kind kind, boolean tmux, String... command) {
        return Processes.spec(null, kind, null, List.of(command), Map.of(), "/tmp", false, tmux, null).command();
    }

    @Test
    void claudeRunsInPrintModeWithItsStreamOfEvents() {
        assertThat(spawned(Run.Kind.CLAUDE, false, "claude", "fix the tests"))
                .containsExactly("claude", "-p", "fix the tests", "--output-format", "stream-json", "--verbose");
        assertThat(spawned(Run.Kind.CLAUDE, false, "/opt/bin/claude", "--print", "x"))
                .containsExactly("/opt/bin/claude", "--print", "x", "--output-format", "stream-json", "--verbose");
        assertThat(spawned(Run.Kind.CLAUDE, false, "claude", "-p", "x", "--output-format=json")).as("a format chosen stays")
                .containsExactly("claude", "-p", "x", "--output-format=json");
    }

    @Test
    void codexRunsAsExecWithJsonEvents() {
        assertThat(spawned(Run.Kind.CODEX, false, "codex", "do it")).containsExactly("codex", "exec", "--json", "do it");
        assertThat(spawned(Run.Kind.CODEX, false, "codex", "exec", "do it")).containsExactly("codex", "exec", "--json", "do it");
        assertThat(spawned(Run.Kind.CODEX, false, "codex", "exec", "--json", "do it")).containsExactly("codex", "exec", "--json", "do it");
        assertThat(spawned(Run.Kind.CODEX, false, "codex")).containsExactly("codex", "exec", "--json");
    }

    @Test
    void otherProgramsKindsAndInteractiveRunsAreLeftAsGiven() {
        assertThat(spawned(Run.Kind.CLAUDE, false, "./wrapper.sh", "x")).containsExactly("./wrapper.sh", "x");
        assertThat(spawned(Run.Kind.COMMAND, false, "claude", "x")).containsExactly("claude", "x");
        assertThat(spawned(Run.Kind.CODEX, false, "claude", "x")).containsExactly("claude", "x");
        assertThat(spawned(Run.Kind.CLAUDE, true, "claude")).as("in a tmux window: interactive").containsExactly("claude");
        assertThat(spawned(Run.Kind.CODEX, true, "codex")).containsExactly("codex");
    }
}
