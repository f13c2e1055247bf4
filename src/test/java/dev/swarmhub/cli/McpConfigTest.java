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
        return configWith(Map.of(), args);
    }

    private CliRunner.Result configWith(Map<String, String> environment, String... args) {
        List<String> line = new java.util.ArrayList<>(List.of("mcp", "config"));
        line.addAll(List.of(args));
        Map<String, String> withLauncher = new java.util.HashMap<>(environment);
        withLauncher.put("SWARM_LAUNCHER", "/opt/swarm");
        return new CliRunner(project).run(withLauncher, line.toArray(String[]::new));
    }

    /** The port a hub serving the project publishes, as the hub writes it. */
    private void hubServesOnPort(int port) throws java.io.IOException {
        Files.writeString(Files.createDirectories(project.resolve(".swarm")).resolve("hub.json"), "{\"port\":" + port + "}");
    }

    private static final String URL = "http://127.0.0.1:43210/mcp";
    private static final Map<String, String> AGENT = Map.of("SWARM_TOKEN", "swt_agenttoken");

    @Test
    void anHttpEntryIsEachClientsOwnRemoteFormWithTheHubsUrlAndABearerToken() throws Exception {
        hubServesOnPort(43210);
        Map<String, String> expected = Map.of(
                "claude", "{\"mcpServers\":{\"swarmhub\":{\"type\":\"http\",\"url\":\"" + URL + "\",\"headers\":{\"Authorization\":\"Bearer swt_agenttoken\"}}}}",
                "cursor", "{\"mcpServers\":{\"swarmhub\":{\"url\":\"" + URL + "\",\"headers\":{\"Authorization\":\"Bearer swt_agenttoken\"}}}}",
                "vscode", "{\"servers\":{\"swarmhub\":{\"type\":\"http\",\"url\":\"" + URL + "\",\"headers\":{\"Authorization\":\"Bearer swt_agenttoken\"}}}}",
                "windsurf", "{\"mcpServers\":{\"swarmhub\":{\"serverUrl\":\"" + URL + "\",\"headers\":{\"Authorization\":\"Bearer swt_agenttoken\"}}}}",
                "gemini", "{\"mcpServers\":{\"swarmhub\":{\"httpUrl\":\"" + URL + "\",\"headers\":{\"Authorization\":\"Bearer swt_agenttoken\"}}}}");
        expected.forEach((client, document) -> {
            CliRunner.Result printed = configWith(AGENT, "--client", client, "--transport", "http");
            assertThat(printed.exitCode()).as(client + ": " + printed.err()).isZero();
            assertThat(JSON.readTree(printed.out())).as(client).isEqualTo(JSON.readTree(document));
            assertThat(printed.err()).as(client).contains("SWARM_TOKEN's agent's token", "secret", "--port");
        });
        CliRunner.Result codex = configWith(AGENT, "--client", "codex", "--transport", "http");
        assertThat(codex.out()).isEqualTo("[mcp_servers.swarmhub]\nurl = \"" + URL + "\"\nhttp_headers = { \"Authorization\" = \"Bearer swt_agenttoken\" }\n");

        CliRunner.Result desktop = configWith(AGENT, "--client", "claude-desktop", "--transport", "http");
        assertThat(desktop.exitCode()).isEqualTo(2);
        assertThat(desktop.err()).contains("claude-desktop takes no HTTP server", "--transport stdio");
        assertThat(desktop.out()).isEmpty();
        CliRunner.Result unknown = config("--client", "cursor", "--transport", "sse");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown --transport 'sse'");
    }

    @Test
    void withoutSwarmTokenTheHttpEntryHoldsTheOperatorsTokenAndWithoutAHubThereIsNoUrlToGive() throws Exception {
        CliRunner.Result noHub = config("--client", "cursor", "--transport", "http");
        assertThat(noHub.exitCode()).isEqualTo(2);
        assertThat(noHub.err()).contains("no hub serves", "swarm hub start --port");

        hubServesOnPort(43210);
        CliRunner.Result operator = config("--client", "cursor", "--transport", "http");
        assertThat(JSON.readTree(operator.out()).at("/mcpServers/swarmhub/headers/Authorization").asString())
                .isEqualTo("Bearer " + dev.swarmhub.host.OperatorToken.readOrCreate(project));
        assertThat(operator.err()).contains("the operator's token");
    }

    @Test
    void writingAnHttpEntryLeavesTheFileReadableByItsOwnerOnly() throws Exception {
        hubServesOnPort(43210);
        Path file = Files.createDirectories(project.resolve(".cursor")).resolve("mcp.json");
        Files.writeString(file, "{\"mcpServers\":{\"other\":{\"command\":\"x\"}}}");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        CliRunner.Result written = configWith(AGENT, "--client", "cursor", "--transport", "http", "--write");
        assertThat(written.exitCode()).as(written.err()).isZero();
        assertThat(written.out()).contains("readable by its owner only");
        assertThat(Files.getPosixFilePermissions(file)).as("a file holding a token").isEqualTo(PosixFilePermissions.fromString("rw-------"));
        JsonNode merged = JSON.readTree(Files.readString(file));
        assertThat(merged.at("/mcpServers/swarmhub/url").asString()).isEqualTo(URL);
        assertThat(merged.at("/mcpServers/other/command").asString()).as("the other server kept").isEqualTo("x");

        Path fresh = project.resolve(".gemini/settings.json");
        assertThat(configWith(AGENT, "--client", "gemini", "--transport", "http", "--write").exitCode()).isZero();
        assertThat(Files.getPosixFilePermissions(fresh)).as("a file made for a token").isEqualTo(PosixFilePermissions.fromString("rw-------"));
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
