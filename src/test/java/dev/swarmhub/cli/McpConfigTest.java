package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** swarm mcp config: only the document on stdout, each client's own shape, and --write merging without clobbering. */
class McpConfigTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path project;

    private CliRunner.Result config(String... args) {
        List<String> line = new java.util.ArrayList<>(List.of("mcp", "config"));
        line.addAll(List.of(args));
        return new CliRunner(project).run(Map.of("SWARM_LAUNCHER", "/opt/swarm"), line.toArray(String[]::new));
    }

    private String realProject() {
        try {
            return project.toRealPath().toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void stdoutHoldsOnlyTheDocumentSoItCanBeRedirectedIntoTheFile() {
        CliRunner.Result cursor = config("--client", "cursor");
        assertThat(cursor.exitCode()).as(cursor.err()).isZero();
        JsonNode server = JSON.readTree(cursor.out()).get("mcpServers").get("swarmhub");
        assertThat(server.get("command").asString()).isEqualTo("/opt/swarm");
        assertThat(server.get("args").toString()).isEqualTo("[\"mcp\",\"--root\",\"" + realProject() + "\"]");
        assertThat(cursor.err()).contains(".cursor/mcp.json");

        JsonNode vscode = JSON.readTree(config("--client", "vscode").out());
        assertThat(vscode.get("servers").get("swarmhub").get("type").asString()).as("VS Code's own shape").isEqualTo("stdio");
        for (String client : List.of("claude", "claude-desktop", "windsurf", "gemini")) {
            assertThat(JSON.readTree(config("--client", client).out()).get("mcpServers").has("swarmhub")).as(client).isTrue();
        }
        CliRunner.Result codex = config("--client", "codex");
        assertThat(codex.out()).startsWith("[mcp_servers.swarmhub]\ncommand = \"/opt/swarm\"\nargs = [\"mcp\",\"--root\",");
        CliRunner.Result unknown = config("--client", "emacs");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown --client 'emacs'").contains("vscode").contains("codex");
    }

    @Test
    void writeMergesIntoTheClientsFileKeepingItsOtherServersAndSettings() throws Exception {
        Path file = Files.createDirectories(project.resolve(".vscode")).resolve("mcp.json");
        Files.writeString(file, "{\"inputs\":[{\"id\":\"key\"}],\"servers\":{\"github\":{\"type\":\"http\",\"url\":\"https://x\"}}}");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

        CliRunner.Result written = config("--client", "vscode", "--write");
        assertThat(written.exitCode()).as(written.err()).isZero();
        JsonNode merged = JSON.readTree(Files.readString(file));
        assertThat(merged.get("inputs").get(0).get("id").asString()).isEqualTo("key");
        assertThat(merged.get("servers").get("github").get("url").asString()).isEqualTo("https://x");
        assertThat(merged.get("servers").get("swarmhub").get("command").asString()).isEqualTo("/opt/swarm");
        assertThat(Files.getPosixFilePermissions(file)).as("the file's mode kept").isEqualTo(PosixFilePermissions.fromString("rw-------"));

        assertThat(config("--client", "cursor", "--write").exitCode()).isZero();
        assertThat(JSON.readTree(Files.readString(project.resolve(".cursor/mcp.json"))).get("mcpServers").has("swarmhub")).isTrue();
        try (var left = Files.list(project.resolve(".vscode"))) {
            assertThat(left.map(Path::getFileName).map(Path::toString)).as("no draft left").containsExactly("mcp.json");
        }
    }

    @Test
    void aFileBehindALinkIsMergedWhereItIsAndTheLinkStays(@TempDir Path dotfiles) throws Exception {
        Path kept = Files.writeString(dotfiles.resolve("gemini.json"), "{\"theme\":\"dark\"}");
        Path link = Files.createSymbolicLink(Files.createDirectories(project.resolve(".gemini")).resolve("settings.json"), kept);
        assertThat(config("--client", "gemini", "--write").exitCode()).isZero();
        assertThat(Files.isSymbolicLink(link)).as("the link, not replaced by a file").isTrue();
        JsonNode merged = JSON.readTree(Files.readString(kept));
        assertThat(merged.get("theme").asString()).isEqualTo("dark");
        assertThat(merged.get("mcpServers").has("swarmhub")).isTrue();
    }

    @Test
    void aFileThatIsNotAJsonObjectIsRefusedAndLeftAsItWas() throws Exception {
        Path file = Files.createDirectories(project.resolve(".cursor")).resolve("mcp.json");
        String broken = "// my servers\n{\"mcpServers\": {\"other\": {}}}";
        Files.writeString(file, broken);
        CliRunner.Result refused = config("--client", "cursor", "--write");
        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.err()).contains(file.toString()).contains("is not valid JSON").contains("nothing was written");
        assertThat(Files.readString(file)).isEqualTo(broken);

        Files.writeString(file, "{\"mcpServers\": [1]}");
        assertThat(config("--client", "cursor", "--write").err()).contains("\"mcpServers\" is not a JSON object");
        assertThat(Files.readString(file)).isEqualTo("{\"mcpServers\": [1]}");
        assertThat(config("--client", "codex", "--write").exitCode()).isEqualTo(2);
    }
}
