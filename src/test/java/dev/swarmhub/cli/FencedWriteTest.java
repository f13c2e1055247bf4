package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.testing.JavaProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario 31, with real processes: holder A is paused (SIGSTOP) past its lease's TTL, B takes the
 * file, and A, resumed, writes with its old fencing token: refused (exit 3), the file unchanged.
 * And what a fenced write refuses or keeps: the file's mode, files outside the project, text that
 * is not UTF-8, a directory that does not exist; no draft is left behind.
 */
class FencedWriteTest {

    @TempDir
    Path project;

    @Test
    void aHolderPausedPastItsLeaseWritesWithItsOldTokenAndIsRefusedTheFileUnchanged() throws Exception {
        CliRunner cli = new CliRunner(project);
        Map<String, String> alice = cli.register("alice");
        Map<String, String> bob = cli.register("bob");
        Files.createDirectories(project.resolve("src"));
        Files.writeString(project.resolve("src/app.py"), "original\n");
        Files.writeString(project.resolve("alice.txt"), "alice's edit\n");

        try (CliWorkers workers = new CliWorkers(project)) {
            JavaProcess holder = workers.start(1).getFirst();
            holder.send(CliWorkers.as(alice, "lock", "acquire", "src/app.py", "--ttl", "2s"));
            CliWorkers.Answer granted = CliWorkers.answer(holder);
            assertThat(granted.exitCode()).as(granted.out()).isZero();
            long aliceToken = granted.json().path("leases").get(0).path("token").asLong();

            signal("STOP", holder.pid());
            try {
                // bob queues and is granted once alice's lease expires by the store's clock, while she is paused
                CliRunner.Result taken = cli.run(bob, "lock", "acquire", "src/app.py", "--wait", "2m", "--json");
                assertThat(taken.exitCode()).as(taken.err()).isZero();
                long bobToken = taken.json().path("leases").get(0).path("token").asLong();
                assertThat(bobToken).isGreaterThan(aliceToken);
            } finally {
                signal("CONT", holder.pid());
            }

            holder.send(CliWorkers.as(alice, "write", "src/app.py", "--fencing-token", Long.toString(aliceToken), "--from",
                    project.resolve("alice.txt").toString())); // the worker's working directory is not the project
            CliWorkers.Answer refused = CliWorkers.answer(holder);
            assertThat(refused.exitCode()).as(refused.out()).isEqualTo(3);
            assertThat(refused.out()).contains("fencing token " + aliceToken).contains("bob's lease on src/app.py");
            assertThat(Files.readString(project.resolve("src/app.py"))).as("the file, untouched").isEqualTo("original\n");
            holder.send(CliWorkers.as(alice, "fence", "check", "src/app.py", Long.toString(aliceToken)));
            assertThat(CliWorkers.answer(holder).exitCode()).isEqualTo(3);
        }

        long bobToken = cli.run(bob, "lock", "list", "--mine", "--json").json().path("leases").get(0).path("token").asLong();
        assertThat(cli.run(bob, "fence", "check", "src/app.py", Long.toString(bobToken)).exitCode()).isZero();
        Files.writeString(project.resolve("bob.txt"), "bob's edit\n");
        CliRunner.Result written = cli.run(bob, "write", "src/app.py", "--fencing-token", Long.toString(bobToken), "--from", "bob.txt", "--json");
        assertThat(written.exitCode()).as(written.err()).isZero();
        assertThat(written.json().path("lease").path("agent").asString()).isEqualTo("bob");
        assertThat(Files.readString(project.resolve("src/app.py"))).isEqualTo("bob's edit\n");
        assertThat(cli.run(Map.of(), "log", "--kind", "lease.fenced-write", "--json").json().path("events")).singleElement()
                .satisfies(event -> assertThat(event.path("agent").asString()).isEqualTo("bob"));
        assertThat(drafts()).isEmpty();
    }

    @Test
    void aFencedWriteKeepsTheFilesModeAndRefusesWhatItCannotWriteSafely() throws Exception {
        CliRunner cli = new CliRunner(project);
        Map<String, String> alice = cli.register("alice");
        Path script = Files.createDirectories(project.resolve("bin")).resolve("run.sh");
        Files.writeString(script, "#!/bin/sh\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-x---"));
        long token = cli.run(alice, "lock", "acquire", "bin/**", "elsewhere/**", "--json").json().path("leases").get(0).path("token").asLong();
        Files.writeString(project.resolve("new.txt"), "#!/bin/sh\necho new\n");

        assertThat(write(cli, alice, "bin/run.sh", token, "new.txt").exitCode()).isZero();
        assertThat(Files.readString(script)).isEqualTo("#!/bin/sh\necho new\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(script))).as("still executable").isEqualTo("rwxr-x---");
        assertThat(write(cli, alice, "bin/fresh.txt", token, "new.txt").exitCode()).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(project.resolve("bin/fresh.txt")))).isEqualTo("rw-r--r--");

        Files.write(project.resolve("binary.bin"), new byte[] {(byte) 0xff, (byte) 0xfe, 0});
        CliRunner.Result notText = write(cli, alice, "bin/run.sh", token, "binary.bin");
        assertThat(notText.exitCode()).isEqualTo(2);
        assertThat(notText.err()).contains("is not UTF-8 text");
        CliRunner.Result noDirectory = write(cli, alice, "bin/sub/x.txt", token, "new.txt");
        assertThat(noDirectory.exitCode()).isEqualTo(2);
        assertThat(noDirectory.err()).contains("no directory bin/sub");
        Path outside = Files.createTempDirectory(project.getParent(), "outside");
        Files.createSymbolicLink(project.resolve("elsewhere"), outside);
        CliRunner.Result throughLink = write(cli, alice, "elsewhere/x.txt", token, "new.txt");
        assertThat(throughLink.exitCode()).as(throughLink.err()).isEqualTo(2);
        try (var listed = Files.list(outside)) {
            assertThat(listed.toList()).as("nothing written outside the project").isEmpty();
        }
        for (String forbidden : List.of(".git/hooks/pre-commit", ".git/config", ".swarm/operator.token", ".swarm/worktrees/w1/bin/run.sh",
                "bin/../.git/config")) {
            CliRunner.Result refused = write(cli, alice, forbidden, token, "new.txt");
            assertThat(refused.exitCode()).as(forbidden + ": " + refused.err()).isEqualTo(2);
            assertThat(refused.err()).contains("a fenced write names a file of the main tree");
        }
        assertThat(project.resolve(".git/hooks/pre-commit")).doesNotExist();
        CliRunner.Result missingToken = cli.run(alice, "write", "bin/run.sh", "--from", "new.txt");
        assertThat(missingToken.exitCode()).isEqualTo(2);
        assertThat(missingToken.err()).contains("--fencing-token");
        CliRunner.Result noContent = cli.run(alice, "write", "bin/run.sh", "--fencing-token", Long.toString(token));
        assertThat(noContent.exitCode()).as("no --from: nothing read from an empty standard input").isEqualTo(2);
        assertThat(noContent.err()).contains("--from");
        assertThat(Files.readString(script)).isEqualTo("#!/bin/sh\necho new\n");
        assertThat(drafts()).isEmpty();
    }

    private static CliRunner.Result write(CliRunner cli, Map<String, String> agent, String path, long token, String from) {
        return cli.run(agent, "write", path, "--fencing-token", Long.toString(token), "--from", from);
    }

    private List<Path> drafts() throws Exception {
        try (var walk = Files.walk(project)) {
            return walk.filter(file -> file.getFileName().toString().endsWith(".swarm-write")).toList();
        }
    }

    private static void signal(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-s", signal, Long.toString(pid)).redirectErrorStream(true).start();
        assertThat(kill.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).as(new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
    }
}
