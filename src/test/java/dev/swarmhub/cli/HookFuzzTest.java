package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.EventLog;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.testing.Fuzzing;
import dev.swarmhub.testing.StandInClients;
import dev.swarmhub.testing.TestStores;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agent clients' hook events, fuzzed through {@code swarm hook CLIENT JSON} as the clients run it
 * (seeds: HookFuzzTestInputs, from the recorded payloads in hooks/). An input is the client (claude
 * or codex), then the event's JSON.
 */
class HookFuzzTest {

    /** A note of a failure that is no refusal: HookCommand notes a SwarmException's message, anything else as its class and message. */
    private static final Pattern UNEXPECTED = Pattern.compile("swarm hook \\w+: ([a-z]\\w*\\.)+[A-Z]\\w*(Exception|Error)\\b");

    @TempDir
    static Path project;
    private static final StandInClients clients = new StandInClients();
    private static CliRunner cli;
    private static Map<String, String> environment;
    private static Store store;

    @AfterAll
    static void stop() throws InterruptedException {
        if (store != null) {
            store.close();
        }
        clients.close();
    }

    /**
     * A hook never fails its client (exit 0, nothing on stderr, its output the client's text or
     * JSON); when it refuses an event it notes only a refusal in .swarm/hooks.log, and changed
     * nothing in the store.
     */
    @FuzzTest
    void aHookNeverFailsItsClientAndARefusalChangesNothing(byte[] input) throws IOException {
        String[] lines = Fuzzing.text(input).split("\n", 2);
        if (lines.length < 2 || !(lines[0].equals("claude") || lines[0].equals("codex"))) {
            return;
        }
        start();
        long before = newestEvent();
        long noted = notesSize();
        CliRunner.Result result = cli.run(environment, "hook", lines[0], lines[1]);
        String what = "swarm hook " + lines[0] + " " + lines[1];
        assertThat(result.exitCode()).as(what).isZero();
        assertThat(result.err()).as(what).isEmpty();
        List<String> notes = notesAfter(noted);
        assertThat(notes).as(what).noneMatch(note -> UNEXPECTED.matcher(note).find());
        if (!notes.isEmpty()) {
            assertThat(newestEvent()).as(what + " refused (" + notes + ")").isEqualTo(before);
        }
    }

    /** The project, its store, and one running stand-in for the client (Claude Code names its process to hooks: CLAUDE_PID). */
    private static void start() throws IOException {
        if (cli == null) {
            cli = new CliRunner(project);
            environment = clients.claude();
            store = TestStores.open(project);
        }
    }

    private static long newestEvent() {
        return new EventLog(store).latest(null, null, 1).stream().mapToLong(Event::id).max().orElse(0);
    }

    private static Path hooksLog() {
        return project.resolve(".swarm").resolve("hooks.log");
    }

    private static long notesSize() throws IOException {
        return Files.exists(hooksLog()) ? Files.size(hooksLog()) : 0;
    }

    /** The notes written since the log had {@code size} bytes (all of it when it was rotated since). */
    private static List<String> notesAfter(long size) throws IOException {
        if (!Files.exists(hooksLog())) {
            return List.of();
        }
        byte[] log = Files.readAllBytes(hooksLog());
        int from = log.length >= size ? (int) size : 0;
        return new String(log, from, log.length - from, StandardCharsets.UTF_8).lines().toList();
    }
}
