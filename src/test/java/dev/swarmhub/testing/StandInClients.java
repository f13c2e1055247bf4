package dev.swarmhub.testing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Processes standing for agent clients in hook tests (each a sleep): a hook's environment names
 * one as Claude Code names itself to its hooks (CLAUDE_PID). Closing kills and reaps them all.
 */
public final class StandInClients implements AutoCloseable {

    private final List<Process> started = new ArrayList<>();

    /** A new stand-in client, and the environment of a Claude Code hook it runs (CLAUDE_PID). */
    public Map<String, String> claude() throws IOException {
        Process client = new ProcessBuilder("sleep", "600").start();
        started.add(client);
        return new HashMap<>(Map.of("CLAUDE_PID", Long.toString(client.pid())));
    }

    /** Kills the client a hook environment names and waits until it is reaped: its pid no longer runs. */
    public void kill(Map<String, String> hookEnvironment) throws InterruptedException {
        long pid = Long.parseLong(hookEnvironment.get("CLAUDE_PID"));
        for (Process client : started) {
            if (client.pid() == pid) {
                client.destroyForcibly().waitFor();
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (Process client : started) {
            client.destroyForcibly().waitFor();
        }
    }
}
