package dev.swarmhub.cli;

import dev.swarmhub.hub.JsonViews;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.store.PrivateFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * {@code swarm hook CLIENT}: what a client's hooks run (see {@code swarm hooks install}); the
 * client process reads the event and relays it to the hub, or runs it on the store when no hub
 * runs ({@link SwarmClient}). It never breaks the agent's session: whatever fails, it prints
 * nothing, exits 0 and notes why in {@code .swarm/hooks.log}.
 */
@Command(name = HookCommand.NAME, description = "Run by an agent client's hooks (swarm hooks install writes them): reads the hook's JSON on stdin "
        + "(Codex's notify: the last argument); on any failure prints nothing, exits 0 and notes it in .swarm/hooks.log.")
final class HookCommand implements Callable<Integer> {

    static final String NAME = "hook";
    private static final Logger LOG = LoggerFactory.getLogger(HookCommand.class);
    /** Hook payloads are small; a tool's whole output may ride along (PostToolUse), so allow some. */
    private static final int MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;
    private static final long LOG_BYTES = 1024 * 1024;

    @ParentCommand
    Swarm swarm;

    @Parameters(index = "0", paramLabel = "CLIENT", description = "claude or codex")
    String client;

    @Parameters(index = "1", arity = "0..1", paramLabel = "JSON", description = "The event (Codex's notify passes it here); default: stdin")
    String argument;

    @Override
    public Integer call() {
        try {
            String payload = argument != null ? argument : readEvent(System.in);
            if (payload.isBlank()) {
                throw SwarmException.badInput("the hook's input is empty");
            }
            checkProjectDirectory();
            String output;
            try (CommandServices services = swarm.services()) {
                output = new ClientHooks(swarm, services, client).handle(event(payload));
            }
            if (!output.isEmpty()) {
                swarm.output.line(output);
            }
        } catch (RuntimeException | IOException failure) {
            note(failure);
        }
        return 0;
    }

    /**
     * Claude Code's project (CLAUDE_PROJECT_DIR) must be this project or inside it: its
     * .claude/settings.json is often committed, so a clone or worktree runs hooks installed with
     * another checkout's root, and its agents must not join that checkout's swarm.
     */
    private void checkProjectDirectory() throws IOException {
        String named = client.equals("claude") ? swarm.environment("CLAUDE_PROJECT_DIR") : null;
        if (named == null || named.isBlank()) {
            return;
        }
        Path directory = Path.of(named).toAbsolutePath();
        if (!directory.toRealPath().startsWith(swarm.projectRoot())) {
            throw SwarmException.badInput("this hook is for project " + swarm.projectRoot() + ", but Claude Code runs in " + directory
                    + " (settings copied or committed with another checkout's path): run swarm hooks install --client claude there");
        }
    }

    /** The event's JSON; malformed JSON is bad input, noted as such. */
    private static JsonNode event(String payload) {
        try {
            return JsonViews.JSON.readTree(payload);
        } catch (JacksonException malformed) {
            throw SwarmException.badInput("the hook's input is not JSON: " + malformed.getOriginalMessage());
        }
    }

    /** The event as the client gives it on stdin; refused beyond the size a hook's event may have. */
    static String readEvent(InputStream in) throws IOException {
        byte[] bytes = in.readNBytes(MAX_PAYLOAD_BYTES + 1);
        if (bytes.length > MAX_PAYLOAD_BYTES) {
            throw SwarmException.badInput("the hook's input is over " + MAX_PAYLOAD_BYTES + " bytes");
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** One line per failure in .swarm/hooks.log (0600; the previous megabyte kept as hooks.log.1); a log that cannot be written is let go. */
    private void note(Exception failure) {
        try {
            Path log = PrivateFiles.directory(swarm.projectRoot().resolve(".swarm")).resolve("hooks.log");
            if (Files.exists(log) && Files.size(log) > LOG_BYTES) {
                Files.move(log, log.resolveSibling("hooks.log.1"), StandardCopyOption.REPLACE_EXISTING);
            }
            PrivateFiles.file(log);
            String why = failure instanceof SwarmException known ? known.getMessage() : failure.toString();
            if (swarm.inHub()) {
                LOG.warn("hook {} failed: {}", client, why.replace('\n', ' ')); // the hub's log too (a client's stderr must stay empty)
            }
            Files.writeString(log, Instant.now() + " swarm hook " + client + ": " + why.replace('\n', ' ') + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.APPEND);
        } catch (IOException | RuntimeException cannotLog) {
            // no project, or no room: the hook still must not fail the client
        }
    }
}
