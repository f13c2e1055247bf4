package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.swarmhub.testing.JavaProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Two process spaces with one host name (containers, or machines named alike) share a store:
 * a pid of one means nothing in the other, so neither may judge the other's agents by their
 * pids. The other space here is a real pid namespace ({@code unshare --pid}, as root).
 */
class HostIdentityTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path project;

    @Test
    void aProcessSpaceWithTheSameHostNameLeavesTheOthersAgentsAliveAndRecordsItsOwnUnderItsOwnHost() throws Exception {
        assumeTrue(run(List.of("unshare", "--pid", "--fork", "--mount-proc", "true")).exitCode() == 0,
                "pid namespaces can be made here (root, or user namespaces allowed)");
        CliRunner cli = new CliRunner(project);
        CliRunner.Result keeper = cli.run("agent", "register", "--id", "keeper", "--pid", Long.toString(ProcessHandle.current().pid()), "--json");
        assertThat(keeper.exitCode()).as(keeper.err()).isZero();

        // in the other space the test's JVM pid names no process (or another one): an older version marked keeper gone here
        Answer visitor = inOtherPidNamespace("agent", "register", "--id", "visitor", "--json");
        assertThat(visitor.exitCode()).as(visitor.out()).isZero();
        Answer seenThere = inOtherPidNamespace("agents", "--json");
        assertThat(seenThere.exitCode()).as(seenThere.out()).isZero();

        JsonNode agents = JSON.readTree(seenThere.out()).path("agents");
        JsonNode keeperThere = agentOf(agents, "keeper");
        assertThat(keeperThere.path("status").asString()).as("keeper, seen from the other pid namespace").isEqualTo("active");
        String keeperHost = keeperThere.path("host").asString();
        String visitorHost = agentOf(agents, "visitor").path("host").asString();
        assertThat(visitorHost).as("the other space is another host").isNotEqualTo(keeperHost);
        assertThat(hostName(visitorHost)).as("with the same host name").isEqualTo(hostName(keeperHost));
        assertThat(agentOf(cli.run("agents", "--json").json().path("agents"), "keeper").path("status").asString()).isEqualTo("active");
    }

    private static JsonNode agentOf(JsonNode agents, String id) {
        for (JsonNode agent : agents) {
            if (agent.path("id").asString().equals(id)) {
                return agent;
            }
        }
        throw new AssertionError("no agent " + id + " in " + agents);
    }

    private static String hostName(String host) {
        return host.contains("/") ? host.substring(0, host.indexOf('/')) : host;
    }

    private Answer inOtherPidNamespace(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("unshare", "--pid", "--fork", "--mount-proc", JavaProcess.javaBinary(),
                "-cp", System.getProperty("java.class.path"), Swarm.class.getName())); // the CLI on the store directly, as --no-hub
        command.addAll(List.of(args));
        return run(command);
    }

    private record Answer(int exitCode, String out) {
    }

    private Answer run(List<String> command) throws IOException, InterruptedException {
        Path output = Files.createTempFile(project.getParent(), "unshare", ".out");
        ProcessBuilder builder = new ProcessBuilder(command).directory(project.toFile()).redirectOutput(output.toFile())
                .redirectError(ProcessBuilder.Redirect.appendTo(project.resolveSibling("unshare.err").toFile()));
        builder.environment().put("SWARM_ROOT", project.toString());
        Process process = builder.start();
        process.getOutputStream().close();
        assertThat(process.waitFor(2, TimeUnit.MINUTES)).as("finished: " + command).isTrue();
        String out = Files.readString(output, StandardCharsets.UTF_8);
        Files.delete(output);
        return new Answer(process.exitValue(), out);
    }
}
