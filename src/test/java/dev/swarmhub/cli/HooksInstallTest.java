package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** swarm hooks install|uninstall merge this project's hooks into a client's file and take out only their own. */
class HooksInstallTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path project;

    private static final String USERS = """
            {
              "permissions": {"allow": ["Bash(npm test)"]},
              "hooks": {
                "PostToolUse": [{"matcher": "Write", "hooks": [{"type": "command", "command": "prettier --write", "timeout": 30}]}],
                "PreCompact": [{"hooks": [{"type": "command", "command": "./save-notes.sh"}]}]
              },
              "model": "sonnet"
            }
            """;

    private JsonNode settings(String file) throws IOException {
        return JSON.readTree(Files.readString(project.resolve(file)));
    }

    @Test
    void installingMergesIntoTheUsersSettingsOnceAndUninstallingLeavesExactlyTheirs() throws IOException {
        Path file = project.resolve(".claude/settings.json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, USERS);
        CliRunner cli = new CliRunner(project);

        CliRunner.Result installed = cli.run("hooks", "install", "--client", "claude");
        assertThat(installed.exitCode()).as(installed.err()).isZero();
        assertThat(cli.run("hooks", "install", "--client", "claude").exitCode()).as("again: the same file").isZero();

        JsonNode merged = settings(".claude/settings.json");
        assertThat(merged.path("permissions").path("allow").get(0).asString()).isEqualTo("Bash(npm test)");
        assertThat(merged.path("model").asString()).isEqualTo("sonnet");
        assertThat(merged.path("hooks").path("PostToolUse")).hasSize(2);
        assertThat(merged.path("hooks").path("PostToolUse").get(0).path("hooks").get(0).path("command").asString()).isEqualTo("prettier --write");
        for (String event : new String[] {"SessionStart", "UserPromptSubmit", "PostToolUse", "Stop", "Notification", "PermissionRequest", "SessionEnd"}) {
            JsonNode ours = merged.path("hooks").path(event).get(merged.path("hooks").path(event).size() - 1).path("hooks").get(0);
            assertThat(ours.path("command").asString()).as(event).contains(" hook claude").endsWith("# swarmhub")
                    .contains(project.toRealPath().toString());
            assertThat(ours.path("timeout").asInt()).as(event).isEqualTo(10);
        }
        assertThat(merged.path("hooks").path("SessionStart")).as("installed once").hasSize(1);

        assertThat(cli.run("hooks", "uninstall", "--client", "claude").exitCode()).isZero();
        assertThat(settings(".claude/settings.json")).isEqualTo(JSON.readTree(USERS));
    }

    @Test
    void codexHooksGoToItsProjectFileAndTheAnswerSaysWhatCodexNeeds() throws IOException {
        CliRunner cli = new CliRunner(project);
        CliRunner.Result installed = cli.run("hooks", "install", "--client", "codex");
        assertThat(installed.exitCode()).as(installed.err()).isZero();
        assertThat(installed.out()).contains("/hooks").contains("~/.codex/config.toml");
        assertThat(settings(".codex/hooks.json").path("hooks").propertyNames())
                .containsExactlyInAnyOrder("SessionStart", "UserPromptSubmit", "PostToolUse", "Stop", "PermissionRequest");
        assertThat(cli.run("hooks", "uninstall", "--client", "codex").exitCode()).isZero();
        assertThat(settings(".codex/hooks.json").size()).as("nothing of ours is left").isZero();
    }

    @Test
    void aFileThatIsNotAJsonObjectIsRefusedAndLeftAsItWas() throws IOException {
        Path file = project.resolve(".claude/settings.json");
        Files.createDirectories(file.getParent());
        CliRunner cli = new CliRunner(project);
        for (String broken : new String[] {"{\"hooks\": [", "[1, 2]", "{\"hooks\": []}", "{\"hooks\": {\"Stop\": {}}}"}) {
            Files.writeString(file, broken);
            CliRunner.Result refused = cli.run("hooks", "install", "--client", "claude");
            assertThat(refused.exitCode()).as(broken).isEqualTo(2);
            assertThat(refused.err()).as(broken).contains(file.toString()).contains("left as it is");
            assertThat(Files.readString(file)).as(broken).isEqualTo(broken);
        }
        CliRunner.Result unknown = cli.run("hooks", "install", "--client", "gemini");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("gemini").contains("claude or codex");
    }
}
