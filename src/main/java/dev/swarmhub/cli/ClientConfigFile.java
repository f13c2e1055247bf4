package dev.swarmhub.cli;

import dev.swarmhub.hub.JsonViews;
import dev.swarmhub.kernel.SwarmException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** An MCP client's JSON configuration file, into which one server is merged without touching anything else in it. */
final class ClientConfigFile {

    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private ClientConfigFile() {
    }

    /**
     * Sets {@code serversKey.name} to {@code server} in the file (made when missing), keeping its
     * other servers and settings. The new file replaces the old in one rename, with its mode (behind
     * a link, the file the link names); a file that is not a JSON object is refused (exit 2) and left
     * as it was. A {@code secret} server (one holding a token) leaves the file readable by its owner only.
     */
    static void merge(Path named, String serversKey, String name, Map<String, Object> server, boolean secret) throws IOException {
        // a file kept elsewhere behind a link (dotfiles) is written where it is: the rename must not replace the link
        Path file = Files.exists(named) ? named.toRealPath() : named;
        ObjectNode document = read(file);
        JsonNode servers = document.get(serversKey);
        if (servers != null && !servers.isObject()) {
            throw SwarmException.badInput(file + ": \"" + serversKey + "\" is not a JSON object; nothing was written (fix it by hand)");
        }
        ObjectNode merged = servers == null ? document.putObject(serversKey) : (ObjectNode) servers;
        merged.set(name, JsonViews.JSON.valueToTree(server));
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path draft = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".swarm-draft");
        try {
            Files.writeString(draft, JsonViews.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(document) + "\n", StandardCharsets.UTF_8);
            if (secret) { // the draft is made 0600 already: kept so, whatever the file's mode was
                Files.setPosixFilePermissions(draft, OWNER_ONLY);
            } else if (Files.exists(file)) {
                Files.setPosixFilePermissions(draft, Files.getPosixFilePermissions(file));
            } else { // as the client would make it (a temporary file is 0600)
                Files.setPosixFilePermissions(draft, PosixFilePermissions.fromString("rw-r--r--"));
            }
            Files.move(draft, file, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(draft);
        }
    }

    private static ObjectNode read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return JsonViews.JSON.createObjectNode();
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        if (text.isBlank()) {
            return JsonViews.JSON.createObjectNode();
        }
        try {
            JsonNode parsed = JsonViews.JSON.readTree(text);
            if (parsed instanceof ObjectNode object) {
                return object;
            }
            throw SwarmException.badInput(file + " holds JSON that is not an object; nothing was written (fix it by hand)");
        } catch (JacksonException malformed) {
            throw SwarmException.badInput(file + " is not valid JSON (" + malformed.getOriginalMessage()
                    + "); nothing was written: fix it, or add what swarm mcp config prints by hand");
        }
    }
}
