package dev.swarmhub.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Installing and uninstalling hooks never takes the user's own hooks, links or file mode with it. */
class ClientHookFilesAttackTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final ClientHookFiles.Client CLAUDE = ClientHookFiles.client("claude");

    @TempDir
    Path project;

    @TempDir
    Path dotfiles;

    private Path settings() {
        return project.resolve(".claude/settings.json");
    }

    @Test
    void aUsersHookAddedBesideOursInOneEntryStaysThroughReinstallAndUninstall() throws IOException {
        ClientHookFiles.install(project, CLAUDE, "swarm hook claude");
        // Claude Code's /hooks adds a hook for the same event and matcher into the existing entry
        ObjectNode root = (ObjectNode) JSON.readTree(Files.readString(settings()));
        ArrayNode ours = (ArrayNode) root.path("hooks").path("Stop").get(0).path("hooks");
        ours.addObject().put("type", "command").put("command", "notify-send done");
        Files.writeString(settings(), JSON.writeValueAsString(root));

        ClientHookFiles.install(project, CLAUDE, "swarm hook claude");
        assertThat(Files.readString(settings())).as("after installing again").contains("notify-send done");

        ClientHookFiles.uninstall(project, CLAUDE);
        JsonNode left = JSON.readTree(Files.readString(settings()));
        assertThat(Files.readString(settings())).as("after uninstalling").contains("notify-send done").doesNotContain(ClientHookFiles.MARK);
        assertThat(left.path("hooks").path("Stop")).hasSize(1);
    }

    @Test
    void aSettingsFileThatIsALinkStaysALinkAndKeepsItsMode() throws IOException {
        Path real = dotfiles.resolve("claude-settings.json");
        Files.writeString(real, "{\"model\": \"sonnet\"}\n");
        Files.setPosixFilePermissions(real, PosixFilePermissions.fromString("rw-r--r--"));
        Files.createDirectories(settings().getParent());
        Files.createSymbolicLink(settings(), real);

        ClientHookFiles.install(project, CLAUDE, "swarm hook claude");

        assertThat(Files.isSymbolicLink(settings())).as("the user's link").isTrue();
        assertThat(Files.readString(real)).contains(ClientHookFiles.MARK).contains("sonnet");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(real))).isEqualTo("rw-r--r--");
        ClientHookFiles.uninstall(project, CLAUDE);
        assertThat(Files.isSymbolicLink(settings())).isTrue();
        assertThat(Files.readString(real)).doesNotContain(ClientHookFiles.MARK).contains("sonnet");
    }

    @Test
    void aSettingsFileWithAByteOrderMarkIsMergedNotRefused() throws IOException {
        Files.createDirectories(settings().getParent());
        Files.writeString(settings(), "\uFEFF{\"model\": \"sonnet\"}\n");

        ClientHookFiles.install(project, CLAUDE, "swarm hook claude");

        assertThat(Files.readString(settings())).contains("sonnet").contains(ClientHookFiles.MARK);
    }
}
