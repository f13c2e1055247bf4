package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.swarmhub.hub.CliFrames;
import dev.swarmhub.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A run printing in a loop, on a small disk of its own (a real tmpfs holding the project, its
 * store and the run's output): the hub's output guard ends it, the disk has room again, and every
 * store write answered meanwhile is kept; a run writing one burst is left alone.
 */
class RunawayOutputTest extends SupervisedProjectTest {

    private static final int DISK_MB = 64;

    @Override
    void prepareProject() throws Exception {
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + DISK_MB + "m,mode=0700", "tmpfs", project.toString())
                .redirectErrorStream(true).start();
        String said = new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assumeTrue(mount.waitFor() == 0, "mounting a tmpfs needs root (as in CI): " + said);
    }

    @Override
    void releaseProject() throws Exception {
        new ProcessBuilder("umount", "-l", project.toString()).inheritIO().start().waitFor();
    }

    @Test
    void aRunPrintingInALoopIsEndedBeforeItLeavesTheDiskFullAndNoAnsweredWriteIsLost() throws Exception {
        swarm(operator, "config", "processes.log-max-mb", "1");
        swarm(operator, "config", "processes.output-mb-per-s", "1");
        spawn(operator, "--name", "burst", "--", "sh", script("burst.sh",
                "# 512 KiB at once, within one burst, then waits to be told to exit", "head -c 524288 /dev/zero",
                "while [ ! -e \"$1\" ]; do sleep 0.01; done"), project.resolve("go").toString());

        Set<String> answered = ConcurrentHashMap.newKeySet();
        AtomicBoolean flooding = new AtomicBoolean(true);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> { // store writes before and during the flood
            for (int i = 0; flooding.get(); i++) {
                CliFrames.Response created = cli("task", "create", "written while flooding " + i, "--json");
                if (created.exitCode() == 0) {
                    answered.add(JSON.readTree(created.out()).path("id").asString());
                }
            }
        });
        Await.until("a first write answered", () -> !answered.isEmpty());
        // yes ends on a full disk; the loop starts it again: only the hub can end this run
        spawn(operator, "--name", "loud", "--", "sh", "-c", "while true; do yes; done");
        Await.until("the loud run to end", () -> stateOf("loud").equals("killed"));
        flooding.set(false);
        Await.done(writer);
        for (int i = 0; i < 10; i++) {
            CliFrames.Response created = cli("task", "create", "written after the flood " + i, "--json");
            assertThat(created.exitCode()).as("a write after the flood: " + created.err()).isZero();
            answered.add(JSON.readTree(created.out()).path("id").asString());
        }

        JsonNode loud = runOf("loud");
        assertThat(loud.path("endReason").asString()).as(loud.toString())
                .isEqualTo("stopped by the hub: its output passed 1 MB/s (processes.output-mb-per-s) beyond a burst of 1 MB (processes.log-max-mb)");
        assertThat(Files.getFileStore(project).getUsableSpace()).as("room on the disk again").isGreaterThan(DISK_MB * 1024L * 1024 / 2);
        String kept = read(output("loud")) + read(Path.of(output("loud") + ".1"));
        assertThat(kept).as("its output file, or the older one it was rotated to: the note (with how much was discarded, unless a rotation"
                + " had just emptied the file)").containsPattern("\\[swarm] (\\d+ bytes of output discarded|output stopped): its output passed");

        Files.createFile(project.resolve("go"));
        Await.until("the burst run to exit", () -> runOf("burst").path("state").asString().equals("exited"));
        JsonNode burst = runOf("burst");
        assertThat(burst.path("exitCode").asInt()).as("left alone: " + burst).isZero();
        assertThat(burst.path("outputBytes").asLong()).isEqualTo(524_288);

        Set<String> stored = ConcurrentHashMap.newKeySet();
        CliFrames.Response export = cli("task", "export");
        assertThat(export.exitCode()).as(export.err()).isZero();
        export.out().lines().forEach(line -> stored.add(JSON.readTree(line).path("id").asString()));
        assertThat(stored).as("every task whose creation was answered").containsAll(answered);
    }

    /** The state of the agent's run; empty while the store cannot answer (the disk full). */
    private String stateOf(String agent) {
        CliFrames.Response ps = cli("ps", agent, "--json");
        return ps.exitCode() == 0 ? JSON.readTree(ps.out()).path("processes").get(0).path("state").asString() : "";
    }

    private CliFrames.Response cli(String... args) {
        try {
            return hubCli(operator, args);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
