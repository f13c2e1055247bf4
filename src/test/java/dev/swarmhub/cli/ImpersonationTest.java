package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.testing.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Impersonation through the CLI: every command that acts for an agent refuses another agent's
 * token, a missing token and a made-up token with exit code 4 and a message, and changes
 * nothing; operator-only commands refuse agent tokens and accept the operator token.
 */
class ImpersonationTest {

    private static final int UNAUTHENTICATED = 4;

    @TempDir
    Path project;

    private CliRunner cli;
    private Map<String, String> agentA;
    private Map<String, String> agentB;

    /** How an impostor presents itself as agent-a: an environment plus extra arguments. */
    private record Credentials(String description, Map<String, String> environment, List<String> arguments) {
    }

    @BeforeEach
    void twoAgentsHoldingLeases() {
        cli = new CliRunner(project);
        agentA = cli.register("agent-a");
        agentB = cli.register("agent-b");
        ok(cli.run(agentA, "lock", "acquire", "name:held", "src/held.py", "--ttl", "1h"));
        ok(cli.run(agentB, "lock", "acquire", "name:b-held", "--ttl", "1h"));
    }

    /** Every command line that acts for the agent named by SWARM_AGENT/--agent (in an order that also works for the agent itself). */
    private static List<List<String>> agentCommands() {
        return List.of(
                List.of("lock", "acquire", "name:new"),
                List.of("lock", "acquire", "name:held", "--ttl", "2h"),
                List.of("lock", "acquire", "name:new", "--wait", "2s"),
                List.of("lock", "renew", "name:held", "--ttl", "2h"),
                List.of("lock", "renew", "--all", "--ttl", "2h"),
                List.of("agent", "heartbeat"),
                List.of("whoami"),
                List.of("lock", "release", "name:held"),
                List.of("lock", "release", "--all"),
                List.of("agent", "leave"));
    }

    private List<Credentials> impostors() {
        String tokenOfB = agentB.get("SWARM_TOKEN");
        return List.of(
                new Credentials("agent-b's token in SWARM_TOKEN", Map.of("SWARM_AGENT", "agent-a", "SWARM_TOKEN", tokenOfB), List.of()),
                new Credentials("agent-b's token in --token", Map.of(), List.of("--agent", "agent-a", "--token", tokenOfB)),
                new Credentials("no token", Map.of("SWARM_AGENT", "agent-a"), List.of()),
                new Credentials("an empty token", Map.of("SWARM_AGENT", "agent-a", "SWARM_TOKEN", ""), List.of()),
                new Credentials("a garbage token", Map.of("SWARM_AGENT", "agent-a", "SWARM_TOKEN", "swt_" + "A".repeat(43)), List.of()),
                new Credentials("agent-a's token with a character changed",
                        Map.of("SWARM_AGENT", "agent-a", "SWARM_TOKEN", changeLastCharacter(agentA.get("SWARM_TOKEN"))), List.of()));
    }

    @Test
    void everyCommandActingForAnAgentRefusesImpostorsWithExitCode4AndChangesNothing() {
        Snapshot before = snapshot();
        for (List<String> command : agentCommands()) {
            for (Credentials impostor : impostors()) {
                String attempt = String.join(" ", command) + " with " + impostor.description();
                List<String> args = new ArrayList<>(command);
                args.addAll(impostor.arguments());

                CliRunner.Result result = cli.run(impostor.environment(), args.toArray(String[]::new));

                assertThat(result.exitCode()).as(attempt + "\nstdout: " + result.out() + "\nstderr: " + result.err())
                        .isEqualTo(UNAUTHENTICATED);
                assertThat(result.err()).as(attempt + ": message on stderr").startsWith("swarm: ")
                        .contains("agent-a").containsIgnoringCase("token");
                assertThat(result.out()).as(attempt + ": nothing on stdout").isEmpty();
                assertThat(snapshot()).as("store after " + attempt).isEqualTo(before);
            }
        }
    }

    @Test
    void jsonRefusalsCarryTheUnauthenticatedCode() {
        CliRunner.Result refused = cli.run(Map.of("SWARM_AGENT", "agent-a", "SWARM_TOKEN", agentB.get("SWARM_TOKEN")),
                "lock", "acquire", "name:new", "--json");

        assertThat(refused.exitCode()).isEqualTo(UNAUTHENTICATED);
        assertThat(refused.json().get("error").get("code").asString()).isEqualTo("unauthenticated");
        assertThat(refused.err()).contains("wrong token for agent agent-a");
    }

    /** The control: with agent-a's own token the same command lines succeed, so exit 4 above is the token's doing. */
    @Test
    void theSameCommandsSucceedWithTheAgentsOwnToken() {
        for (List<String> command : agentCommands()) {
            CliRunner.Result result = cli.run(agentA, command.toArray(String[]::new));
            assertThat(result.exitCode()).as(String.join(" ", command) + ": " + result.err()).isZero();
        }
        assertThat(agentStatus("agent-a")).isEqualTo("gone");
    }

    @Test
    void operatorCommandsRefuseAgentTokensAndAcceptTheOperatorToken() {
        List<List<String>> operatorCommands = List.of(
                List.of("config", "agents.stale-after", "10s"),
                List.of("lock", "release-agent", "agent-b"),
                List.of("agent", "env", "agent-b"),
                List.of("agent", "remove", "agent-b"));
        List<Credentials> agents = List.of(
                new Credentials("agent-a's token", agentA, List.of()),
                new Credentials("agent-b's own token", agentB, List.of()),
                new Credentials("agent-a's token without SWARM_AGENT", Map.of("SWARM_TOKEN", agentA.get("SWARM_TOKEN")), List.of()),
                new Credentials("no token", Map.of(), List.of()),
                new Credentials("a garbage token", Map.of("SWARM_TOKEN", "not-the-operator"), List.of()));

        Snapshot before = snapshot();
        String settingsBefore = cli.run("config", "--json").out();
        for (List<String> command : operatorCommands) {
            for (Credentials caller : agents) {
                String attempt = String.join(" ", command) + " with " + caller.description();
                CliRunner.Result result = cli.run(caller.environment(), command.toArray(String[]::new));
                assertThat(result.exitCode()).as(attempt + "\nstdout: " + result.out() + "\nstderr: " + result.err())
                        .isEqualTo(UNAUTHENTICATED);
                assertThat(result.err()).as(attempt).startsWith("swarm: ").contains("operator");
                assertThat(snapshot()).as("store after " + attempt).isEqualTo(before);
            }
        }
        assertThat(cli.run("config", "--json").out()).isEqualTo(settingsBefore);

        Map<String, String> operator = Map.of("SWARM_TOKEN", cli.operatorToken());
        ok(cli.run(operator, "config", "agents.stale-after", "10s"));
        assertThat(cli.run("config", "--json").json().get("settings").get("agents.stale-after").asString()).isEqualTo("10s");

        ok(cli.run(operator, "lock", "release-agent", "agent-b", "--reason", "test"));
        assertThat(leaseResources()).containsExactlyInAnyOrder("name:held", "src/held.py");

        CliRunner.Result env = ok(cli.run(operator, "agent", "env", "agent-b", "--json"));
        String freshToken = env.json().get("token").asString();
        assertThat(env.json().get("id").asString()).isEqualTo("agent-b");
        assertThat(cli.run(agentB, "agent", "heartbeat").exitCode()).as("agent-b's old token").isEqualTo(UNAUTHENTICATED);
        ok(cli.run(Map.of("SWARM_AGENT", "agent-b", "SWARM_TOKEN", freshToken), "agent", "heartbeat"));
        assertThat(cli.run(operator, "agent", "env", "agent-b").out())
                .contains("export SWARM_AGENT=agent-b").contains("export SWARM_TOKEN=");

        ok(cli.run(operator, "agent", "remove", "agent-b"));
        assertThat(agentIds()).containsExactly("agent-a");
    }

    @Test
    void theOperatorTokenFileIsReadableByItsOwnerOnly() throws IOException {
        String token = cli.operatorToken();

        Path file = OperatorToken.file(project);
        assertThat(Files.getPosixFilePermissions(file))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        assertThat(Files.readString(file).strip()).isEqualTo(token);
        assertThat(token).isNotEqualTo(agentA.get("SWARM_TOKEN"));
    }

    @Test
    void concurrentFirstUsesOfTheOperatorTokenAllGetOneToken(@TempDir Path projects) throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < 20; round++) {
                Path fresh = Files.createDirectories(projects.resolve("project-" + round));
                CyclicBarrier start = new CyclicBarrier(threads);
                List<Future<String>> tokens = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    tokens.add(pool.submit(() -> {
                        start.await(); // a thread that never comes fails the test in Await.done
                        return OperatorToken.readOrCreate(fresh);
                    }));
                }
                List<String> seen = new ArrayList<>();
                for (Future<String> token : tokens) {
                    seen.add(Await.done(token));
                }

                assertThat(seen).as("round " + round).hasSize(threads).containsOnly(seen.get(0));
                Path file = OperatorToken.file(fresh);
                try (Stream<Path> files = Files.list(file.getParent())) {
                    assertThat(files.map(path -> path.getFileName().toString()).toList())
                            .as("files in .swarm after round " + round).containsExactly("operator.token");
                }
                assertThat(Files.readString(file).strip()).isEqualTo(seen.get(0));
                assertThat(Files.getPosixFilePermissions(file))
                        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            }
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    // ------------------------------------------------------------------ helpers

    /** What a refused command must not change: the event count and last event, the leases, the agents. */
    private record Snapshot(int events, long lastEventId, String leases, Map<String, String> agents) {
    }

    private Snapshot snapshot() {
        JsonNode events = ok(cli.run("log", "--json", "--limit", "10000")).json().get("events");
        long lastId = events.isEmpty() ? 0 : events.get(events.size() - 1).get("id").asLong();
        String leases = ok(cli.run("lock", "list", "--all", "--json")).out();
        Map<String, String> agents = new HashMap<>();
        for (JsonNode agent : agentsJson()) {
            agents.put(agent.get("id").asString(), agent.get("status").asString() + " " + agent.get("lastSeen").asString());
        }
        return new Snapshot(events.size(), lastId, leases, agents);
    }

    private JsonNode agentsJson() {
        return ok(cli.run("agents", "--all", "--json")).json().get("agents");
    }

    private String agentStatus(String id) {
        for (JsonNode agent : agentsJson()) {
            if (agent.get("id").asString().equals(id)) {
                return agent.get("status").asString();
            }
        }
        throw new AssertionError("no agent " + id);
    }

    private List<String> agentIds() {
        List<String> ids = new ArrayList<>();
        agentsJson().forEach(agent -> ids.add(agent.get("id").asString()));
        return ids;
    }

    private List<String> leaseResources() {
        List<String> resources = new ArrayList<>();
        ok(cli.run("lock", "list", "--all", "--json")).json().get("leases")
                .forEach(lease -> resources.add(lease.get("resource").asString()));
        return resources;
    }

    private static CliRunner.Result ok(CliRunner.Result result) {
        assertThat(result.exitCode()).as(result.err()).isZero();
        return result;
    }

    private static String changeLastCharacter(String token) {
        char last = token.charAt(token.length() - 1);
        return token.substring(0, token.length() - 1) + (last == 'A' ? 'B' : 'A');
    }
}
