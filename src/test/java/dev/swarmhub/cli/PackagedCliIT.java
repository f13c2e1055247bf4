package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged launcher ./swarm (and target/swarm.jar), as agents call it: one process per
 * command, through the project's hub (which the first command starts).
 */
class PackagedCliIT {

    private static final int PROCESSES = 8;
    private static final int ROUNDS = 5;

    @TempDir
    Path project;

    @AfterEach
    void stopTheHub() throws Exception {
        start("down").waitFor(); // the launcher started one for the project on first use
    }

    private Process start(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(System.getProperty("swarm.launcher"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(Path.of("/").toFile());
        builder.environment().put("SWARM_ROOT", project.toString());
        return builder.start();
    }

    @Test
    void launcherProcessesRacingForOnePathHaveExactlyOneWinnerPerRound() throws Exception {
        CliRunner cli = new CliRunner(project);
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < PROCESSES; i++) {
            tokens.add(cli.register("p" + i).get("SWARM_TOKEN"));
        }
        for (int round = 0; round < ROUNDS; round++) {
            List<Process> racers = new ArrayList<>();
            for (int i = 0; i < PROCESSES; i++) {
                racers.add(start("lock", "acquire", "race/" + round + ".py", "--agent", "p" + i, "--token", tokens.get(i), "--json"));
            }
            int winners = 0;
            for (Process racer : racers) {
                int code = racer.waitFor();
                String err = new String(racer.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(code).as("exit code (stderr: %s)", err).isIn(0, 3);
                winners += code == 0 ? 1 : 0;
            }
            assertThat(winners).as("winners in round %d", round).isEqualTo(1);
        }
    }

    @Test
    void messageTextFromStandardInputArrivesWholeThroughTheHubAndWithout() throws Exception {
        CliRunner cli = new CliRunner(project);
        String alice = cli.register("alice").get("SWARM_TOKEN");
        String bob = cli.register("bob").get("SWARM_TOKEN");
        String text = "line one\nline two; ends with a semicolon;\n\ttabbed \"quoted\" ünïcødé\n";
        for (List<String> mode : List.of(List.<String>of(), List.of("--no-hub"))) {
            List<String> args = new ArrayList<>(List.of("send", "bob", "review-request", "-", "--agent", "alice", "--token", alice, "--json"));
            args.addAll(mode);
            Process send = start(args.toArray(String[]::new));
            send.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
            send.getOutputStream().close();
            String sent = new String(send.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(send.waitFor()).as("send %s: %s %s", mode, sent, new String(send.getErrorStream().readAllBytes(),
                    StandardCharsets.UTF_8)).isZero();
            String id = new CliRunner.Result(0, sent, "").json().path("id").asString();
            CliRunner.Result read = cli.run(java.util.Map.of("SWARM_AGENT", "bob", "SWARM_TOKEN", bob), "read", id, "--json");
            assertThat(read.json().path("text").asString()).as("text sent %s", mode).isEqualTo(text);
            assertThat(read.json().path("type").asString()).isEqualTo("REVIEW-REQUEST");
        }
    }

    @Test
    void withJsonStdoutCarriesOneDocumentAndNothingElseWhatTheLibrariesLog() throws Exception {
        // the first command creates the store (Flyway migrates it, and logs), then one through the hub it starts (Jetty logs)
        for (List<String> args : List.of(List.of("--no-hub", "lock", "list", "--json"), List.of("lock", "list", "--json"),
                List.of("status", "--json"), List.of("status", "--log", "--json"))) {
            Process command = start(args.toArray(String[]::new));
            String out = new String(command.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(command.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(command.waitFor()).as("%s: %s", args, err).isZero();
            assertThat(out).as("%s: one line", args).endsWith("}\n").doesNotContain("}\n{").hasLineCount(1);
            new CliRunner.Result(0, out, err).json(); // one JSON document
            assertThat(err).as("%s: stderr", args).isEmpty();
        }
        Process log = start("status", "--log", "--json");
        String lines = new String(log.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(log.waitFor()).isZero();
        assertThat(lines).as("the hub's log, read by the client").contains("hub started for " + project.toRealPath());
    }

    @Test
    void launcherWorksFromAnyDirectoryAndPrintsVersion() throws Exception {
        Process version = start("--version");
        assertThat(version.waitFor()).isZero();
        assertThat(new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).startsWith("swarm ");
        assertThat(Path.of(System.getProperty("swarm.jar"))).exists();
        Process demo = new ProcessBuilder(System.getProperty("swarm.launcher"), "demo").directory(Files.createTempDirectory("cwd").toFile()).start();
        String narration = new String(demo.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(demo.waitFor()).isZero();
        assertThat(narration).contains("bob is granted");
    }
}
