package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.hub.HubFiles;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code swarm status --log [-n N] [-f]}: the hub's own log, read from its files with no hub running. */
class HubLogCommandTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** A failure timeout only: each wait ends as soon as its line arrives. */
    private static final long LINE_TIMEOUT_S = 30;

    @TempDir
    Path project;

    private final ExecutorService follower = Executors.newSingleThreadExecutor();

    @AfterEach
    void stopFollowing() {
        follower.shutdownNow();
    }

    @Test
    void showsTheLastLinesAlsoFromTheRotatedFileAndSaysWhenThereIsNone() throws Exception {
        CliRunner cli = new CliRunner(project);
        Files.createDirectories(project.resolve(".swarm"));
        CliRunner.Result none = cli.run("status", "--log");
        assertThat(none.exitCode()).as(none.err()).isZero();
        assertThat(none.out()).contains("no lines in " + HubFiles.log(project), "no hub has logged there yet");

        Files.writeString(rotated(), "one\ntwo\nthree\n");
        Files.writeString(HubFiles.log(project), "four\nfive\n");
        assertThat(cli.run("status", "--log", "-n", "2").out()).isEqualTo("four\nfive\n");
        JsonNode three = cli.run("status", "--log", "-n", "3", "--json").json();
        assertThat(three.path("file").asString()).isEqualTo(HubFiles.log(project).toString());
        assertThat(three.path("lines").toString()).isEqualTo("[\"three\",\"four\",\"five\"]");
        assertThat(cli.run("status", "--log", "--json").json().path("lines")).hasSize(5);
        assertThat(cli.run("status", "--log", "-n", "0", "--json").json().path("lines")).isEmpty();

        CliRunner.Result stray = cli.run("status", "-f");
        assertThat(stray.exitCode()).isEqualTo(2);
        assertThat(stray.err()).contains("--follow goes with --log");
        assertThat(cli.run("status", "--log", "-n", "-1").exitCode()).isEqualTo(2);
    }

    @Test
    void lastLinesOfALongLogAreReadFromItsEnd() throws Exception {
        Files.createDirectories(project.resolve(".swarm"));
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            text.append("line ").append(i).append(" ").append("x".repeat(i % 50)).append('\n');
        }
        Files.writeString(HubFiles.log(project), text);
        JsonNode last = new CliRunner(project).run("status", "--log", "-n", "3", "--json").json().path("lines");
        assertThat(last).hasSize(3);
        assertThat(last.get(0).asString()).startsWith("line 19997 ");
        assertThat(last.get(2).asString()).startsWith("line 19999 ");
    }

    @Test
    void followPrintsLinesAppendedAfterItStartedAndFollowsTheLogAcrossARotation() throws Exception {
        Files.createDirectories(project.resolve(".swarm"));
        Path log = HubFiles.log(project);
        Files.writeString(log, "before it started\nthe last line before\n");
        BlockingQueue<String> printed = new LinkedBlockingQueue<>();
        StringWriter err = new StringWriter();
        Future<Integer> following = follower.submit(() -> Swarm.run(new String[] {"status", "--log", "-f", "-n", "1", "--json"},
                Map.of("SWARM_ROOT", project.toString()), project, new PrintWriter(new Lines(printed), true), new PrintWriter(err)));

        assertThat(next(printed)).as("-n 1: the last line already there").isEqualTo("the last line before");
        append(log, "appended while following\n");
        assertThat(next(printed)).isEqualTo("appended while following");
        append(log, "half a line");
        append(log, " made whole\n");
        assertThat(next(printed)).isEqualTo("half a line made whole");

        // rotated as the hub's Logback does it: renamed to hub.log.1, then a new hub.log
        append(log, "the old file's last line\n");
        Files.move(log, rotated());
        Files.writeString(log, "the new file's first line\n");
        assertThat(next(printed)).isEqualTo("the old file's last line");
        assertThat(next(printed)).isEqualTo("the new file's first line");
        append(log, "and on\n");
        assertThat(next(printed)).isEqualTo("and on");

        following.cancel(true);
        assertThat(printed).as("nothing printed twice").isEmpty();
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void followWaitsForALogThatDoesNotExistYet() throws Exception {
        Files.createDirectories(project.resolve(".swarm"));
        BlockingQueue<String> printed = new LinkedBlockingQueue<>();
        follower.submit(() -> Swarm.run(new String[] {"status", "--log", "--follow"}, Map.of("SWARM_ROOT", project.toString()), project,
                new PrintWriter(new Lines(printed), true), new PrintWriter(new StringWriter())));
        Files.writeString(HubFiles.log(project), "the first hub's first line\n");
        assertThat(printed.poll(LINE_TIMEOUT_S, TimeUnit.SECONDS)).isEqualTo("the first hub's first line");
    }

    private Path rotated() {
        return HubFiles.log(project).resolveSibling("hub.log.1");
    }

    private static void append(Path file, String text) throws Exception {
        Files.writeString(file, text, StandardOpenOption.APPEND);
    }

    /** The next JSON line the follower printed: its "line". */
    private static String next(BlockingQueue<String> printed) throws Exception {
        String line = printed.poll(LINE_TIMEOUT_S, TimeUnit.SECONDS);
        assertThat(line).as("a line printed within " + LINE_TIMEOUT_S + " s").isNotNull();
        return JSON.readTree(line).path("line").asString();
    }

    /** A writer that hands over each whole line it is given. */
    private static final class Lines extends Writer {
        private final BlockingQueue<String> lines;
        private final StringBuilder current = new StringBuilder();

        Lines(BlockingQueue<String> lines) {
            this.lines = lines;
        }

        @Override
        public synchronized void write(char[] buffer, int offset, int length) {
            for (int i = offset; i < offset + length; i++) {
                if (buffer[i] == '\n') {
                    lines.add(current.toString());
                    current.setLength(0);
                } else {
                    current.append(buffer[i]);
                }
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
