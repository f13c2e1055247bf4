package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.swarmhub.kernel.Retention;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.JavaProcess;
import dev.swarmhub.testing.TestStores;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code swarm prune}: what it removes is what it archived, the archive is private, and bad input changes nothing. */
class PruneCommandTest {

    @TempDir
    Path project;
    @TempDir
    Path scratch;

    @Test
    void prunedRowsAreExactlyTheArchivedOnesInAPrivateFile() throws Exception {
        CliRunner cli = new CliRunner(project);
        Map<String, String> alice = cli.register("alice");
        Map<String, String> bob = cli.register("bob");
        assertThat(cli.run(alice, "send", "bob", "info", "settled news").exitCode()).isZero();
        assertThat(cli.run(bob, "inbox").exitCode()).isZero(); // bob reads it: no ACK was asked
        assertThat(cli.run(bob, "agent", "leave").exitCode()).isZero();
        JsonNode events = cli.run("log", "--json").json().get("events");
        long lastEventAt = Instant.parse(events.get(events.size() - 1).get("at").asString()).toEpochMilli();
        Await.until("the store's clock to pass the last event", () -> System.currentTimeMillis() > lastEventAt); // SQLite's clock is this machine's
        long eventsBefore = cli.run("log", "--limit", "1000", "--json").json().get("events").size();

        CliRunner.Result pruned = cli.run("prune", "--older-than", "1ms", "--archive", "old.jsonl", "--json", "--token", cli.operatorToken());
        assertThat(pruned.exitCode()).as(pruned.err()).isZero();
        JsonNode removed = pruned.json().get("removed");
        assertThat(removed.get("messages").asLong()).isEqualTo(1);
        assertThat(removed.get("agents").asLong()).as("bob, gone").isEqualTo(1);
        assertThat(removed.get("events").asLong()).isEqualTo(eventsBefore);

        Path archive = project.resolve("old.jsonl");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(archive))).isEqualTo("rw-------");
        List<JsonNode> lines = Files.readAllLines(archive).stream().map(line -> JsonMapper.shared().readTree(line)).toList();
        assertThat(lines).hasSize((int) (eventsBefore + 2));
        assertThat(lines).filteredOn(line -> line.get("kind").asString().equals("messages")).singleElement()
                .satisfies(line -> assertThat(line.get("row").get("text").asString()).isEqualTo("settled news"));
        assertThat(lines).filteredOn(line -> line.get("kind").asString().equals("agents")).singleElement()
                .satisfies(line -> assertThat(line.get("row").get("id").asString()).isEqualTo("bob"));

        assertThat(cli.run("agents", "--all", "--json").json().get("agents")).extracting(agent -> agent.get("id").asString()).containsExactly("alice");
        assertThat(cli.run("log", "--json").json().get("events")).extracting(event -> event.get("kind").asString()).containsExactly("retention.pruned");
    }

    @Test
    void badInputIsRefusedNamingWhatWasWrongAndRemovesNothing() {
        CliRunner cli = new CliRunner(project);
        cli.register("alice");
        long events = cli.run("log", "--json").json().get("events").size();
        String operator = cli.operatorToken();
        CliRunner.Result bare = cli.run("prune", "--older-than", "30", "--token", operator);
        assertThat(bare.exitCode()).isEqualTo(2);
        assertThat(bare.err()).contains("option '--older-than'").contains("needs a unit");
        CliRunner.Result zero = cli.run("prune", "--older-than", "0", "--token", operator);
        assertThat(zero.exitCode()).isEqualTo(2);
        assertThat(zero.err()).contains("positive duration");
        assertThat(cli.run("prune", "--token", operator).exitCode()).as("--older-than is required").isEqualTo(2);
        CliRunner.Result agent = cli.run(Map.of("SWARM_TOKEN", "not-the-operators"), "prune", "--older-than", "1ms");
        assertThat(agent.exitCode()).as(agent.err()).isEqualTo(4);
        assertThat(agent.err()).contains("operator token");
        assertThat(cli.run("log", "--json").json().get("events")).hasSize((int) events);
    }

    /**
     * The archive's disk (a real 1 MB tmpfs) fills in the middle of a prune: the prune fails naming
     * the archive, every line already in it is whole, every event still in the store is not yet
     * archived or was archived at least once, and, the disk given room, a second prune finishes.
     */
    @Test
    void anArchiveWhoseDiskFillsStopsThePruneWithEveryRemovedRowArchivedAndNoHalfLine() throws Exception {
        Path disk = Files.createDirectories(scratch.resolve("disk"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", disk.toString()).redirectErrorStream(true).start();
        String said = new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assumeTrue(mount.waitFor() == 0, "mounting a tmpfs needs root (as in CI): " + said);
        try {
            CliRunner cli = new CliRunner(project);
            Set<Long> before = oldEvents(cli, 10 * Retention.BATCH);
            Path archive = disk.resolve("old.jsonl");

            CliRunner.Result full = cli.run("prune", "--older-than", "1ms", "--archive", archive.toString(), "--token", cli.operatorToken());
            assertThat(full.exitCode()).as(full.err()).isEqualTo(1);
            assertThat(full.err()).startsWith("swarm: cannot write the archive " + archive + ": the disk is full; nothing of the batch being"
                    + " archived was removed. Free space and retry");
            List<Long> archived = archivedEventIds(archive);
            Set<Long> left = eventIds(cli);
            assertThat(left).as("some were pruned before the disk filled, some not").isNotEmpty().hasSizeLessThan(before.size());
            Set<Long> removed = new HashSet<>(before);
            removed.removeAll(left);
            assertThat(archived).as("every removed event is in the archive").containsAll(removed);

            assertThat(new ProcessBuilder("mount", "-o", "remount,size=16m", disk.toString()).inheritIO().start().waitFor()).isZero();
            CliRunner.Result done = cli.run("prune", "--older-than", "1ms", "--archive", archive.toString(), "--token", cli.operatorToken());
            assertThat(done.exitCode()).as(done.err()).isZero();
            assertThat(archivedEventIds(archive)).as("every event, some twice (at least once)").containsAll(before);
            assertThat(eventIds(cli)).as("only the prune's own record").hasSize(1);
        } finally {
            new ProcessBuilder("umount", "-l", disk.toString()).inheritIO().start().waitFor();
        }
    }

    /**
     * Prunes in three processes at once, each through the real CLI entry point on the same store:
     * each old event is removed by one of them (their counts sum to the events) and is in the
     * archive of the one that removed it.
     */
    @Test
    void prunesInSeveralProcessesAtOnceRemoveEachOldEventOnce() throws Exception {
        CliRunner cli = new CliRunner(project);
        Set<Long> before = oldEvents(cli, 12 * Retention.BATCH); // twelve batches: the three prunes overlap here, though nothing forces it
        List<JavaProcess> pruners = new ArrayList<>();
        try {
            for (int p = 0; p < 3; p++) {
                JavaProcess pruner = JavaProcess.start(CliWorker.class, Map.of("SWARM_ROOT", project.toString()), scratch.resolve(p + ".err"));
                assertThat(pruner.receive()).isEqualTo("ready");
                pruners.add(pruner);
            }
            for (int p = 0; p < pruners.size(); p++) { // warm JVMs, started at once
                pruners.get(p).send(String.join("\t", "prune", "--older-than", "1ms", "--archive", scratch.resolve(p + ".jsonl").toString(),
                        "--json", "--token", cli.operatorToken()));
            }
            long removed = 0;
            List<Long> archived = new ArrayList<>();
            for (int p = 0; p < pruners.size(); p++) {
                String[] answer = pruners.get(p).receive().split("\t", 2);
                assertThat(answer[0]).as("pruner %d: %s", p, answer[1]).isEqualTo("0");
                removed += JsonMapper.shared().readTree(answer[1]).get("removed").get("events").asLong();
                archived.addAll(archivedEventIds(scratch.resolve(p + ".jsonl")));
            }
            assertThat(archived).as("each removed event archived once, across the processes").doesNotHaveDuplicates().containsAll(before);
            assertThat(removed).as("the removed counts sum to the archived events").isEqualTo(archived.size());
            // a prune finishing first may be pruned by another: its record is then archived, not left
            Set<Long> records = new HashSet<>(eventIds(cli));
            archived.stream().filter(id -> !before.contains(id)).forEach(records::add);
            assertThat(records).as("the prunes' own records, left or archived").hasSize(pruners.size());
        } finally {
            for (JavaProcess pruner : pruners) {
                pruner.close();
            }
        }
    }

    /** Appends {@code count} events of 300 characters, and waits until the store's clock has passed them; returns every event id. */
    private Set<Long> oldEvents(CliRunner cli, int count) {
        cli.register("alice");
        try (Store store = TestStores.open(project)) {
            for (int written = 0; written < count; written += Retention.BATCH) {
                int batch = Math.min(Retention.BATCH, count - written);
                store.write(tx -> {
                    for (int e = 0; e < batch; e++) {
                        tx.appendEvent("test.filler", "alice", null, Map.of("text", "x".repeat(300)));
                    }
                    return null;
                });
            }
        }
        Set<Long> ids = eventIds(cli);
        long lastAt = eventAt(cli, ids.stream().mapToLong(Long::longValue).max().orElseThrow());
        Await.until("the store's clock to pass the last event", () -> System.currentTimeMillis() > lastAt + 1); // SQLite's clock is this machine's
        return ids;
    }

    private static Set<Long> eventIds(CliRunner cli) {
        Set<Long> ids = new HashSet<>();
        cli.run("log", "--limit", "10000", "--json").json().get("events").forEach(event -> ids.add(event.get("id").asLong()));
        return ids;
    }

    private static long eventAt(CliRunner cli, long id) {
        for (JsonNode event : cli.run("log", "--limit", "10000", "--json").json().get("events")) {
            if (event.get("id").asLong() == id) {
                return Instant.parse(event.get("at").asString()).toEpochMilli();
            }
        }
        throw new AssertionError("no event " + id);
    }

    /** The ids of the events in the archive; parsing fails on a line that is not whole. */
    private static List<Long> archivedEventIds(Path archive) throws IOException {
        List<Long> ids = new ArrayList<>();
        for (String line : Files.readAllLines(archive)) {
            JsonNode kept = JsonMapper.shared().readTree(line);
            if (kept.get("kind").asString().equals("events")) {
                ids.add(kept.get("row").get("id").asLong());
            }
        }
        return ids;
    }
}
