package dev.swarmhub.host;

import dev.swarmhub.kernel.SwarmException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The project's hook configuration of an agent client: Claude Code's {@code .claude/settings.json}
 * and Codex's {@code .codex/hooks.json} (both {@code {"hooks": {EVENT: [{matcher, hooks: [{type,
 * command, timeout}]}]}}}). Installing merges this project's entries into what is there and
 * replaces only its own (marked by a trailing shell comment); uninstalling removes only those.
 * A file that is not a JSON object is refused, never overwritten; the new file replaces the old
 * in one rename.
 */
public final class ClientHookFiles {

    /** Ends every command this project installs: how its entries are told from the user's. */
    public static final String MARK = "# swarmhub";
    private static final int TIMEOUT_SECONDS = 10;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A client: its file under the project and the events it calls the hook for. */
    public record Client(String name, String file, List<String> events) {
    }

    public static final List<Client> CLIENTS = List.of(
            new Client("claude", ".claude/settings.json",
                    List.of("SessionStart", "UserPromptSubmit", "PostToolUse", "Stop", "Notification", "PermissionRequest", "SessionEnd")),
            new Client("codex", ".codex/hooks.json", List.of("SessionStart", "UserPromptSubmit", "PostToolUse", "Stop", "PermissionRequest")));

    private ClientHookFiles() {
    }

    public static Client client(String name) {
        return CLIENTS.stream().filter(client -> client.name().equals(name)).findFirst().orElseThrow(() -> SwarmException.badInput(
                "unknown client '" + name + "': use " + String.join(" or ", CLIENTS.stream().map(Client::name).toList())));
    }

    /** Writes the client's hooks running {@code command} (which gets the event on stdin); returns the file. */
    public static Path install(Path projectRoot, Client client, String command) {
        Path file = linkTarget(projectRoot.resolve(client.file()));
        ObjectNode root = read(file);
        ObjectNode hooks = hooksOf(root, file);
        for (String event : client.events()) {
            ArrayNode entries = entriesOf(hooks, event, file);
            removeOurs(entries);
            ObjectNode entry = entries.addObject();
            entry.put("matcher", "");
            entry.putArray("hooks").addObject().put("type", "command").put("command", command + " " + MARK).put("timeout", TIMEOUT_SECONDS);
        }
        write(file, root);
        return file;
    }

    /** Removes this project's hooks from the client's file (the user's stay); returns the file, or null when there was none. */
    public static Path uninstall(Path projectRoot, Client client) {
        Path file = linkTarget(projectRoot.resolve(client.file()));
        if (!Files.exists(file)) {
            return null;
        }
        ObjectNode root = read(file);
        ObjectNode hooks = hooksOf(root, file);
        for (String event : List.copyOf(hooks.propertyNames())) {
            ArrayNode entries = entriesOf(hooks, event, file);
            if (removeOurs(entries) && entries.isEmpty()) {
                hooks.remove(event);
            }
        }
        if (hooks.isEmpty()) {
            root.remove("hooks");
        }
        write(file, root);
        return file;
    }

    /**
     * The events of the client that have none of this project's hooks in its file (all of them
     * when there is no file); refused, as install refuses, when the file is not the JSON it should be.
     */
    public static List<String> missingEvents(Path projectRoot, Client client) {
        JsonNode hooks = read(projectRoot.resolve(client.file())).path("hooks");
        return client.events().stream().filter(event -> hooks.path(event).valueStream().noneMatch(ClientHookFiles::isOurs)).toList();
    }

    /** Takes this project's hooks out of the entries, and an entry that held nothing else (a user's hook beside ours stays). */
    private static boolean removeOurs(ArrayNode entries) {
        boolean removed = false;
        for (int i = entries.size() - 1; i >= 0; i--) {
            JsonNode entry = entries.get(i);
            if (!isOurs(entry)) {
                continue;
            }
            removed = true;
            if (entry.path("hooks") instanceof ArrayNode hooks) {
                for (int j = hooks.size() - 1; j >= 0; j--) {
                    if (hooks.get(j).path("command").asString("").endsWith(MARK)) {
                        hooks.remove(j);
                    }
                }
                if (!hooks.isEmpty()) {
                    continue;
                }
            }
            entries.remove(i);
        }
        return removed;
    }

    private static boolean isOurs(JsonNode entry) {
        return entry.path("hooks").valueStream().anyMatch(hook -> hook.path("command").asString("").endsWith(MARK));
    }

    private static ObjectNode read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException absent) {
            return JSON.createObjectNode();
        } catch (IOException e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot read " + file + ": " + e.getMessage(), e);
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1); // a byte order mark some editors write
        }
        if (text.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode parsed = JSON.readTree(text);
            if (parsed instanceof ObjectNode object) {
                return object;
            }
        } catch (JacksonException e) {
            throw SwarmException.badInput(file + " is not valid JSON (" + e.getOriginalMessage() + "): fix it first; it was left as it is");
        }
        throw SwarmException.badInput(file + " is not a JSON object: fix it first; it was left as it is");
    }

    private static ObjectNode hooksOf(ObjectNode root, Path file) {
        JsonNode hooks = root.get("hooks");
        if (hooks == null) {
            return root.putObject("hooks");
        }
        if (hooks instanceof ObjectNode object) {
            return object;
        }
        throw SwarmException.badInput("\"hooks\" in " + file + " is not an object: fix it first; it was left as it is");
    }

    private static ArrayNode entriesOf(ObjectNode hooks, String event, Path file) {
        JsonNode entries = hooks.get(event);
        if (entries == null) {
            return hooks.putArray(event);
        }
        if (entries instanceof ArrayNode array) {
            return array;
        }
        throw SwarmException.badInput("\"hooks\"." + event + " in " + file + " is not a list: fix it first; it was left as it is");
    }

    /** The file a settings path names: the link's target when it is a symbolic link (a dotfiles checkout), which is what gets written. */
    private static Path linkTarget(Path file) {
        try {
            return Files.isSymbolicLink(file) && Files.exists(file) ? file.toRealPath() : file;
        } catch (IOException e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot follow " + file + ": " + e.getMessage(), e);
        }
    }

    private static void write(Path file, ObjectNode root) {
        try {
            Files.createDirectories(file.getParent());
            Path draft = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".draft");
            try {
                if (Files.exists(file)) {
                    Files.setPosixFilePermissions(draft, Files.getPosixFilePermissions(file)); // the user's file keeps its mode
                }
                Files.writeString(draft, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n", StandardCharsets.UTF_8);
                Files.move(draft, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(draft);
            }
        } catch (IOException e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
