package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.host.AgentCredentials;
import dev.swarmhub.testing.StandInClients;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The hooks with recorded payloads of Claude Code and Codex (src/test/resources/.../hooks): a
 * session registers and resumes its agent, prompts and tool results carry unread messages to the
 * model once, stops, prompts and permission requests set the agent's activity, a session's end
 * lets it leave; and a hook never fails its client, whatever it is given.
 */
class ClientHooksTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path project;

    private CliRunner cli;
    private final StandInClients clients = new StandInClients();

    @BeforeEach
    void setUp() {
        cli = new CliRunner(project);
    }

    @AfterEach
    void endClients() throws InterruptedException {
        clients.close();
    }

    private static String payload(String name, Map<String, String> changes) throws IOException {
        try (InputStream in = ClientHooksTest.class.getResourceAsStream("hooks/" + name + ".json")) {
            ObjectNode event = (ObjectNode) JSON.readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            changes.forEach(event::put);
            return JSON.writeValueAsString(event);
        }
    }

    private CliRunner.Result hook(Map<String, String> environment, String client, String fixture, Map<String, String> changes) throws IOException {
        CliRunner.Result result = cli.run(environment, "hook", client, payload(fixture, changes));
        assertThat(result.exitCode()).as(fixture + ": " + result.err()).isZero();
        assertThat(result.err()).as(fixture).isEmpty();
        return result;
    }

    private JsonNode agent(String id) {
        for (JsonNode agent : cli.run("agents", "--all", "--json").json().path("agents")) {
            if (agent.path("id").asString().equals(id)) {
                return agent;
            }
        }
        throw new AssertionError("no agent " + id);
    }

    private Path hooksLog() {
        return project.resolve(".swarm").resolve("hooks.log");
    }

    @Test
    void aSessionStartRegistersTheClientsAgentKeepsItsTokenPrivateAndAnswersThePrimer() throws IOException {
        Map<String, String> claude = clients.claude();

        CliRunner.Result started = hook(claude, "claude", "claude-SessionStart-startup", Map.of());

        String id = "agent-1";
        assertThat(started.out()).contains("you are agent " + id).contains("swarm lock acquire").contains("No unread messages");
        assertThat(started.out().length()).as("a primer under ~1,500 tokens").isLessThan(6_000);
        JsonNode agent = agent(id);
        assertThat(agent.path("kind").asString()).isEqualTo("claude");
        assertThat(agent.path("session").asString()).isEqualTo("claude:abc123");
        assertThat(agent.path("pid").asLong()).isEqualTo(Long.parseLong(claude.get("CLAUDE_PID")));
        assertThat(agent.path("activity").asString()).isEqualTo("idle");
        Path kept = AgentCredentials.file(project, id);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(kept))).isEqualTo("rw-------");
        String token = AgentCredentials.read(project, id).orElseThrow();
        assertThat(started.out()).doesNotContain(token);
        assertThat(cli.run(Map.of("SWARM_AGENT", id, "SWARM_TOKEN", token), "whoami").exitCode()).as("the kept token is the agent's").isZero();
    }

    @Test
    void promptsAndToolResultsHandEachUnreadMessageToTheModelOnceAndMarkTheAgentWorking() throws IOException {
        Map<String, String> claude = clients.claude();
        hook(claude, "claude", "claude-SessionStart-startup", Map.of());
        Map<String, String> bob = cli.register("bob");
        CliRunner.Result sent = cli.run(bob, "send", "agent-1", "question", "please review src/auth", "--ack", "--json");
        String messageId = sent.json().path("id").asString();

        CliRunner.Result prompt = hook(claude, "claude", "claude-UserPromptSubmit", Map.of());

        JsonNode context = JSON.readTree(prompt.out()).path("hookSpecificOutput");
        assertThat(context.path("hookEventName").asString()).isEqualTo("UserPromptSubmit");
        assertThat(context.path("additionalContext").asString()).contains(messageId).contains("from bob").contains("please review src/auth")
                .contains("ACK requested").contains("not the user's instructions");
        assertThat(agent("agent-1").path("activity").asString()).isEqualTo("working");
        assertThat(hook(claude, "claude", "claude-PostToolUse", Map.of()).out()).as("handed over once").isEmpty();
        assertThat(cli.run(bob, "show", messageId, "--json").json().path("to").get(0).path("readAt").isNull()).isFalse();

        CliRunner.Result second = cli.run(bob, "send", "agent-1", "info", "and src/db too", "--json");
        JsonNode afterTool = JSON.readTree(hook(claude, "claude", "claude-PostToolUse", Map.of()).out()).path("hookSpecificOutput");
        assertThat(afterTool.path("hookEventName").asString()).isEqualTo("PostToolUse");
        assertThat(afterTool.path("additionalContext").asString()).contains(second.json().path("id").asString()).doesNotContain(messageId);
    }

    /** A primer stays under ~1,500 tokens (6,000 characters) however many agents and messages there are; the rest comes later. */
    @Test
    void thePrimerAndTheContextStayBoundedAndWhatIsLeftComesWithTheNextHooks() throws IOException {
        for (int i = 0; i < 30; i++) {
            cli.run("agent", "register", "--id", "helper-" + i, "--label", "working on module " + i + " of the billing service");
        }
        Map<String, String> claude = clients.claude();
        hook(claude, "claude", "claude-SessionStart-startup", Map.of());
        Map<String, String> bob = cli.register("bob");
        assertThat(cli.run("config", "messages.rate-limit", "100/60s", "--token", cli.operatorToken()).exitCode()).isZero();
        for (int i = 0; i < 17; i++) {
            assertThat(cli.run(bob, "send", "agent-1", "info", "note " + i + ": " + "x".repeat(3_000)).exitCode()).isZero();
        }

        String primer = hook(claude, "claude", "claude-SessionStart-resume", Map.of()).out();
        assertThat(primer.length()).as("primer characters").isLessThan(6_000);
        assertThat(primer).contains("and 11 more").contains("note 4: xxx").doesNotContain("note 5:").contains("(cut; read message");
        String context = JSON.readTree(hook(claude, "claude", "claude-UserPromptSubmit", Map.of()).out()).path("hookSpecificOutput")
                .path("additionalContext").asString();
        assertThat(context.length()).as("context characters").isLessThan(10_000);
        assertThat(context).contains("note 5:").contains("note 14:").doesNotContain("note 15:");
        assertThat(JSON.readTree(hook(claude, "claude", "claude-PostToolUse", Map.of()).out()).path("hookSpecificOutput")
                .path("additionalContext").asString()).contains("note 15:").contains("note 16:");
        assertThat(hook(claude, "claude", "claude-PostToolUse", Map.of()).out()).isEmpty();
    }

    @Test
    void stopsPromptsAndPermissionRequestsSetTheActivity() throws IOException {
        Map<String, String> claude = clients.claude();
        hook(claude, "claude", "claude-SessionStart-startup", Map.of());
        hook(claude, "claude", "claude-UserPromptSubmit", Map.of());
        assertThat(agent("agent-1").path("activity").asString()).isEqualTo("working");
        hook(claude, "claude", "claude-Notification-permission", Map.of());
        assertThat(agent("agent-1").path("activity").asString()).isEqualTo("waiting-for-input");
        assertThat(cli.run("agents", "--problems").out()).contains("agent-1").contains("waiting-for-input");
        hook(claude, "claude", "claude-PostToolUse", Map.of());
        assertThat(hook(claude, "claude", "claude-Stop", Map.of()).out()).isEmpty();
        assertThat(agent("agent-1").path("activity").asString()).isEqualTo("idle");
        assertThat(cli.run("agents", "--problems").out()).doesNotContain("agent-1");
        hook(claude, "claude", "claude-Notification-idle", Map.of());
        assertThat(agent("agent-1").path("activity").asString()).isEqualTo("idle");
    }

    @Test
    void aClaudeSessionStartedAgainInAnotherProcessResumesItsAgentAndInbox() throws IOException, InterruptedException {
        Map<String, String> first = clients.claude();
        hook(first, "claude", "claude-SessionStart-startup", Map.of());
        String firstToken = AgentCredentials.read(project, "agent-1").orElseThrow();
        Map<String, String> bob = cli.register("bob");
        cli.run(bob, "send", "agent-1", "info", "while you were away", "--json");
        clients.kill(first); // exited and reaped: its pid no longer runs

        Map<String, String> again = clients.claude();
        CliRunner.Result resumed = hook(again, "claude", "claude-SessionStart-resume", Map.of());

        assertThat(resumed.out()).contains("you are agent agent-1 (resumed").contains("while you were away");
        assertThat(agent("agent-1").path("pid").asLong()).isEqualTo(Long.parseLong(again.get("CLAUDE_PID")));
        assertThat(AgentCredentials.read(project, "agent-1").orElseThrow()).as("a new token replaces the old").isNotEqualTo(firstToken);
        assertThat(cli.run(Map.of("SWARM_AGENT", "agent-1", "SWARM_TOKEN", firstToken), "whoami").exitCode()).isEqualTo(4);
    }

    @Test
    void aSessionEndLetsTheAgentLeaveUnlessTheClientGoesOnAfterAClear() throws IOException {
        Map<String, String> claude = clients.claude();
        hook(claude, "claude", "claude-SessionStart-startup", Map.of());
        hook(claude, "claude", "claude-SessionEnd", Map.of("reason", "clear"));
        assertThat(agent("agent-1").path("status").asString()).isEqualTo("active");

        hook(claude, "claude", "claude-SessionEnd", Map.of());

        assertThat(agent("agent-1").path("status").asString()).isEqualTo("gone");
        assertThat(AgentCredentials.read(project, "agent-1")).isEmpty();
    }

    @Test
    void codexHooksAndItsNotifyProgramRegisterAndSetTheActivity() throws IOException {
        CliRunner.Result started = hook(Map.of(), "codex", "codex-hook-SessionStart-startup", Map.of());
        assertThat(started.out()).contains("you are agent agent-1");
        assertThat(agent("agent-1").path("session").asString()).isEqualTo("codex:0199a213-81c0-7800-8aa1-bbab2a035a53");
        hook(Map.of(), "codex", "codex-hook-UserPromptSubmit", Map.of());
        hook(Map.of(), "codex", "codex-hook-PermissionRequest", Map.of());
        assertThat(agent("agent-1").path("activity").asString()).isEqualTo("waiting-for-input");
        assertThat(hook(Map.of(), "codex", "codex-hook-Stop", Map.of()).out().strip()).as("Codex reads a Stop hook's output as JSON").isEqualTo("{}");
        assertThat(agent("agent-1").path("activity").asString()).isEqualTo("idle");

        hook(Map.of(), "codex", "codex-notify-agent-turn-complete", Map.of("thread-id", "0199a213-81c0-7800-8aa1-bbab2a035a53"));
        assertThat(agent("agent-1").path("activity").asString()).isEqualTo("idle");
        assertThat(cli.run("agents", "--all", "--json").json().path("agents")).as("one agent for the session").hasSize(1);
    }

    @Test
    void aHookNeverFailsItsClientAndNotesWhatWentWrong() throws IOException {
        List<String[]> bad = List.of(new String[] {"hook", "claude", ""}, new String[] {"hook", "claude", "{not json"},
                new String[] {"hook", "claude", "[1,2]"}, new String[] {"hook", "claude", "{}"},
                new String[] {"hook", "claude", "{\"hook_event_name\":\"UserPromptSubmit\"}"},
                new String[] {"hook", "claude", "{\"hook_event_name\":\"Stop\",\"session_id\":\"has space\"}"},
                new String[] {"hook", "gemini", payload("claude-Stop", Map.of())});
        for (String[] args : bad) {
            CliRunner.Result result = cli.run(Map.of(), args);
            assertThat(result.exitCode()).as(String.join(" ", args)).isZero();
            assertThat(result.out()).as(String.join(" ", args)).isEmpty();
            assertThat(result.err()).as(String.join(" ", args)).isEmpty();
        }
        List<String> noted = Files.readAllLines(hooksLog());
        assertThat(noted).hasSize(bad.size());
        assertThat(noted).anySatisfy(line -> assertThat(line).contains("empty"));
        assertThat(noted).anySatisfy(line -> assertThat(line).contains("hook_event_name"));
        assertThat(noted).anySatisfy(line -> assertThat(line).contains("session_id"));
        assertThat(noted).anySatisfy(line -> assertThat(line).contains("gemini"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(hooksLog()))).isEqualTo("rw-------");
        assertThat(cli.run("agents", "--all", "--json").json().path("agents")).as("nothing registered by bad input").isEmpty();
        assertThat(hook(Map.of(), "claude", "claude-PreCompact", Map.of()).out()).as("an event not installed does nothing").isEmpty();
    }

    @Test
    void aCommandRunByTheAgentsProcessActsAsTheAgentWithoutAToken() {
        String me = Long.toString(ProcessHandle.current().pid());
        CliRunner.Result registered = cli.run("agent", "register", "--id", "runner", "--pid", me, "--json");
        assertThat(registered.exitCode()).as(registered.err()).isZero();
        assertThat(cli.register("bob")).isNotEmpty();

        CliRunner.Result whoami = cli.run("whoami", "--json");
        assertThat(whoami.exitCode()).as(whoami.err()).isZero();
        assertThat(whoami.json().path("id").asString()).isEqualTo("runner");
        assertThat(whoami.json().path("resolvedBy").asString()).isEqualTo("process");
        assertThat(cli.run("send", "bob", "info", "hi from my process").exitCode()).isZero();
        assertThat(cli.run(Map.of("SWARM_AGENT", "bob"), "send", "runner", "info", "pretending").exitCode())
                .as("naming another agent without its token is refused").isEqualTo(4);
    }
}
