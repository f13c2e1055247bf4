package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code swarm prune}: what it removes is what it archived, the archive is private, and bad input changes nothing. */
class PruneCommandTest {

    @TempDir
    Path project;

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
}
