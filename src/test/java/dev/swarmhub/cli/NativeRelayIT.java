package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.swarmhub.hub.HubFiles;
import dev.swarmhub.kernel.EventLog;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.FullBacklog;
import dev.swarmhub.testing.HubProcess;
import dev.swarmhub.testing.TestStores;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native relay (src/main/c/swarm-relay.c) the build compiles beside the jar: through the
 * launcher it answers exactly as the JVM client does, it hands every command it must not send
 * over to the JVM client untouched, and it reports a paused or killed hub as the JVM client does.
 * Runs wherever the build could compile it (a C compiler on PATH).
 */
class NativeRelayIT {

    private static final Path RELAY = Path.of(System.getProperty("swarm.relay", "target/swarm-relay"));

    @TempDir
    Path project;
    @TempDir
    Path scratch;

    private final List<HubProcess> hubs = new ArrayList<>();
    private CliRunner cli;
    private Map<String, String> alice;
    private Map<String, String> bob;

    @BeforeEach
    void projectWithAgents() throws IOException {
        assertThat(Files.isExecutable(RELAY) || !(onPath("cc") || onPath("gcc") || onPath("clang")))
                .as("a C compiler is on PATH, so the build (scripts/build-relay) must have made " + RELAY).isTrue();
        assumeTrue(Files.isExecutable(RELAY), "no C compiler here: no native relay to test");
        Files.createDirectories(project.resolve(".git"));
        Files.createDirectories(project.resolve("src/auth"));
        cli = new CliRunner(project);
        alice = cli.register("alice");
        bob = cli.register("bob");
    }

    @AfterEach
    void stopHubs() {
        hubs.forEach(HubProcess::close);
    }

    private static boolean onPath(String program) {
        for (String directory : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!directory.isEmpty() && Files.isExecutable(Path.of(directory, program))) {
                return true;
            }
        }
        return false;
    }

    private HubProcess startHub() {
        HubProcess hub = HubProcess.start(project);
        hubs.add(hub);
        return hub;
    }

    record Run(int exitCode, String out, String err) {
    }

    /** The launcher as an agent runs it: from a directory in the project, found by walking up (no SWARM_ROOT). */
    private Run launch(Map<String, String> agent, Map<String, String> extra, Path directory, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(System.getProperty("swarm.launcher")));
        command.addAll(List.of(args));
        return run(command, agent, extra, directory);
    }

    private static Run run(List<String> command, Map<String, String> agent, Map<String, String> extra, Path directory) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("SWARM_"));
        builder.environment().putAll(agent);
        builder.environment().putAll(extra);
        Path out = Files.createTempFile("relay", ".out");
        Path err = Files.createTempFile("relay", ".err");
        Process process = builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        int code = process.waitFor();
        Run result = new Run(code, Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return result;
    }

    @Test
    void answersEveryCommandLineAsTheJvmClientDoes() throws Exception {
        startHub();
        Path auth = project.resolve("src/auth");
        assertThat(launch(alice, Map.of(), auth, "lock", "acquire", "jwt.py", "--json").exitCode()).isZero();
        String text = "ünïcødé \"quoted\"\n".repeat(450); // 9,450 bytes: under the default largest text
        String id = "";
        for (int i = 0; i < 9; i++) { // under the default rate limit (10 a minute); an inbox of more than 64 KB, read in many pieces
            CliRunner.Result sent = cli.run(alice, "send", "bob", "info", i + text, "--json");
            assertThat(sent.exitCode()).as(sent.err()).isZero();
            id = sent.json().path("id").asString();
        }
        List<List<String>> commandLines = List.of(
                List.of("lock", "list", "--json"),
                List.of("lock", "list"),
                List.of("lock", "acquire", "jwt.py", "--ttl", "10"), // refused: a bare number (exit 2)
                List.of("lock", "acquire", "jwt.py", "--json"), // denied: alice holds it (exit 3)
                List.of("nosuch", "command"),
                List.of("inbox", "--json"),
                List.of("thread", id, "--json"),
                List.of("search", "ünïcødé", "--json"));
        for (List<String> commandLine : commandLines) {
            String[] args = commandLine.toArray(String[]::new);
            Run relayed = launch(bob, Map.of(), auth, args);
            Run byTheJvm = launch(bob, Map.of("SWARM_NO_RELAY", "1"), auth, args);
            assertThat(relayed).as("%s", commandLine).isEqualTo(byTheJvm);
        }
        assertThat(launch(bob, Map.of(), auth, "inbox", "--json").out()).contains("ünïcødé \\\"quoted\\\"\\nünïcødé")
                .hasSizeGreaterThan(65_536);
        assertThat(launch(bob, Map.of(), auth, "lock", "list").out()).as("jwt.py named from src/auth").contains("src/auth/jwt.py");
    }

    @Test
    void aNonUtf8LocaleNamesTheSameFileThroughEitherClient() throws Exception {
        startHub();
        Path accented = Files.createDirectories(project.resolve("sübdir"));
        Run byTheJvm = launch(alice, Map.of("SWARM_NO_RELAY", "1", "LC_ALL", "C"), accented, "lock", "acquire", "jwt.py", "--json");
        assertThat(byTheJvm.out()).as(byTheJvm.err()).contains("\"resource\":\"sübdir/jwt.py\"").contains("\"kind\":\"path\"");
        Run relayed = launch(bob, Map.of("LC_ALL", "C"), accented, "lock", "who", "jwt.py");
        assertThat(relayed.out()).as(relayed.err()).contains("sübdir/jwt.py").contains("alice");
    }

    /** The relay run directly, with a launcher that only says what it was handed. */
    private Run relayWithFakeLauncher(Map<String, String> agent, String... args) throws Exception {
        Path launcher = scratch.resolve("launcher");
        if (!Files.exists(launcher)) {
            Files.writeString(launcher, "#!/bin/sh\necho \"handed over ($SWARM_NO_RELAY):$*\"\nexit 42\n");
            Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwx------"));
        }
        List<String> command = new ArrayList<>(List.of(RELAY.toAbsolutePath().toString()));
        command.addAll(List.of(args));
        Map<String, String> environment = new HashMap<>(Map.of("SWARM_LAUNCHER", launcher.toString(), "SWARM_ROOT", project.toString()));
        return run(command, agent, environment, project.resolve("src"));
    }

    @Test
    void handsOverWhatOnlyTheJvmClientDoesWithItsArgumentsUntouched() throws Exception {
        assertThat(relayWithFakeLauncher(alice, "lock", "list")).as("no hub runs: the JVM client starts one")
                .isEqualTo(new Run(42, "handed over (1):lock list\n", ""));
        startHub();
        assertThat(relayWithFakeLauncher(alice, "lock", "list").out()).isEqualTo("no leases\n");
        for (List<String> commandLine : List.of(List.of("status"), List.of("--help"), List.of("lock", "list", "--no-hub"),
                List.of("up"), List.of("down"), List.of("--version"), List.of("hook", "claude"), List.of("send", "bob", "info", "-"),
                List.of("lock", "list", "--root", project.toString()), List.of("lock", "list", "--root=" + project))) {
            assertThat(relayWithFakeLauncher(alice, commandLine.toArray(String[]::new))).as("%s", commandLine)
                    .isEqualTo(new Run(42, "handed over (1):" + String.join(" ", commandLine) + "\n", ""));
        }
        assertThat(relayWithFakeLauncher(alice, "send", "bob", "info", "a text").exitCode()).as("a text given in place").isZero();
    }

    @Test
    void aPausedHubIsNamedAfterTheSilenceLimitAndAKilledOneLeavesTheOutcomeUnknown() throws Exception {
        HubProcess hub = startHub();
        Path auth = project.resolve("src/auth");
        hub.pause();
        List<String> bigRequest = new ArrayList<>(List.of(System.getProperty("swarm.launcher"), "lock", "acquire"));
        for (int i = 0; i < 4; i++) {
            bigRequest.add("f" + i + "x".repeat(100_000)); // more than the socket takes while nobody reads: the write blocks
        }
        ProcessBuilder big = new ProcessBuilder(bigRequest).directory(auth.toFile());
        big.environment().keySet().removeIf(name -> name.startsWith("SWARM_"));
        big.environment().putAll(alice);
        Process blockedWrite = big.redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Run silent;
        try {
            silent = launch(alice, Map.of(), auth, "lock", "list");
            assertThat(blockedWrite.waitFor(2, TimeUnit.MINUTES)).as("a request the paused hub does not read ends by the silence limit").isTrue();
            assertThat(blockedWrite.exitValue()).isEqualTo(1);
            assertThat(new String(blockedWrite.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                    .isEqualTo(SwarmClient.silentHub(project.toRealPath(), hub.pid()) + "\n");
        } finally {
            blockedWrite.destroyForcibly();
        }
        try (FullBacklog ignored = FullBacklog.of(HubFiles.socket(project))) {
            assertThat(relayWithFakeLauncher(alice, "lock", "list")).as("a connect the paused hub's full backlog holds: no second hub started")
                    .isEqualTo(new Run(1, "", SwarmClient.silentHub(project.toRealPath(), hub.pid()) + "\n"));
        }
        for (String[] wayOut : List.of(new String[] {"down"}, new String[] {"--no-hub", "lock", "list"}, new String[] {"hook", "claude"})) {
            assertThat(relayWithFakeLauncher(alice, wayOut)).as("the ways out of a paused hub, and hooks, never wait for it")
                    .isEqualTo(new Run(42, "handed over (1):" + String.join(" ", wayOut) + "\n", ""));
        }
        hub.resume();
        assertThat(silent.exitCode()).isEqualTo(1);
        assertThat(silent.err()).isEqualTo(SwarmClient.silentHub(project.toRealPath(), hub.pid()) + "\n");

        assertThat(launch(alice, Map.of(), auth, "lock", "acquire", "jwt.py").exitCode()).isZero();
        ProcessBuilder waiting = new ProcessBuilder(System.getProperty("swarm.launcher"), "lock", "acquire", "jwt.py", "--wait", "60s")
                .directory(auth.toFile());
        waiting.environment().keySet().removeIf(name -> name.startsWith("SWARM_"));
        waiting.environment().putAll(bob);
        Process waiter = waiting.redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try (Store store = TestStores.open(project)) {
            EventLog events = new EventLog(store);
            Await.until("bob queued", () -> !events.latest("bob", "lease.queued", 1).isEmpty());
        }
        hub.kill();
        assertThat(waiter.waitFor()).isEqualTo(1);
        assertThat(new String(waiter.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo(SwarmClient.unreachableHub(project.toRealPath(), SwarmClient.HUB_CLOSED) + "\n");
        assertThat(relayWithFakeLauncher(alice, "lock", "list")).as("the killed hub's hub.json and socket left behind: nobody listens")
                .isEqualTo(new Run(42, "handed over (1):lock list\n", ""));
    }
}
