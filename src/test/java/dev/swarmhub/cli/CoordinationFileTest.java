package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.hub.CliFrames;
import dev.swarmhub.hub.HubFiles;
import dev.swarmhub.plan.PlanText;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.HubProcess;
import dev.swarmhub.testing.JavaProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * COORDINATION.md with a real hub and real OS processes: 8 processes appending 50 lines each at
 * once keep all 400, each once, in the store and the file; 4 processes setting one section with
 * the version they read give exactly one winner per round over 50 rounds, the others refused
 * (exit 3) with the current version, and the file ends equal to the store; a hand edit of the file
 * while agents append keeps the hand-edited lines and every appended one; and a hub killed with
 * SIGKILL during a burst of appends through it writes every answered append after its restart.
 */
class CoordinationFileTest {

    private static final String WORK = "Current Work";

    @TempDir
    Path project;

    private HubProcess hub;
    private CliRunner cli;
    private CliWorkers workers;
    private Map<String, String> operator;

    @BeforeEach
    void startHub() {
        hub = HubProcess.start(project);
        cli = new CliRunner(project);
        workers = new CliWorkers(project);
        operator = Map.of("SWARM_TOKEN", OperatorToken.readOrCreate(project));
    }

    @AfterEach
    void stopAll() throws InterruptedException {
        workers.close();
        hub.close();
    }

    private Path file() {
        return project.resolve("COORDINATION.md");
    }

    /** The document in the store: section name to text. */
    private Map<String, String> stored() {
        CliRunner.Result shown = cli.run(operator, "doc", "show", "--json");
        assertThat(shown.exitCode()).as(shown.err()).isZero();
        Map<String, String> sections = new LinkedHashMap<>();
        shown.json().get("sections").forEach(section -> sections.put(section.get("name").asString(), section.get("text").asString()));
        return sections;
    }

    /** The file read back: section name to normalised text. */
    private Map<String, String> inFile() {
        try {
            Map<String, String> sections = new LinkedHashMap<>();
            PlanText.parse(Files.readString(file(), StandardCharsets.UTF_8)).sections().forEach((name, text) -> sections.put(name,
                    PlanText.text(name, text)));
            return sections;
        } catch (NoSuchFileException none) {
            return Map.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until the hub has written the document as the store holds it now. */
    private Map<String, String> fileOnceWritten() {
        Map<String, String> stored = stored();
        Await.until("the hub to write the document", () -> inFile().equals(stored));
        return inFile();
    }

    private List<Map<String, String>> agents(int count) {
        List<Map<String, String>> agents = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            agents.add(cli.register("agent-" + i));
        }
        return agents;
    }

    private static List<String> lines(String text) {
        return text.isEmpty() ? List.of() : Arrays.asList(text.split("\n"));
    }

    /** Each worker appends {@code perWorker} lines "- agent-W line N", all workers at once, round after round; every append must succeed. */
    private void appendAtOnce(List<JavaProcess> appenders, List<Map<String, String>> agents, int from, int to) {
        for (int line = from; line < to; line++) {
            for (int w = 0; w < appenders.size(); w++) {
                appenders.get(w).send(CliWorkers.as(agents.get(w), "doc", "append", WORK, "- agent-" + w + " line " + line));
            }
            for (JavaProcess appender : appenders) {
                CliWorkers.Answer answer = CliWorkers.answer(appender);
                assertThat(answer.exitCode()).as(answer.out()).isZero();
            }
        }
    }

    private static List<String> appended(int workers, int lines) {
        List<String> all = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            for (int line = 0; line < lines; line++) {
                all.add("- agent-" + w + " line " + line);
            }
        }
        return all;
    }

    @Test
    void eightProcessesAppendingFiftyLinesEachAtOnceKeepAllFourHundredEachOnce() {
        List<JavaProcess> appenders = workers.start(8);
        List<Map<String, String>> agents = agents(8);
        appendAtOnce(appenders, agents, 0, 50);

        List<String> stored = lines(stored().get(WORK));
        assertThat(stored).hasSize(400).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(appended(8, 50));
        for (int w = 0; w < 8; w++) {
            String mine = "- agent-" + w + " ";
            assertThat(stored.stream().filter(line -> line.startsWith(mine)).toList()).as("agent-%d's lines in the order it appended them", w)
                    .isEqualTo(appended(8, 50).stream().filter(line -> line.startsWith(mine)).toList());
        }
        assertThat(lines(fileOnceWritten().get(WORK))).isEqualTo(stored);
        JsonNode section = cli.run(operator, "doc", "show", WORK, "--json").json().get("sections").get(0);
        assertThat(section.get("version").asLong()).as("one version per append").isEqualTo(1 + 400);
        assertThat(cli.run(operator, "log", "--kind", "doc.appended", "--limit", "1000", "--json").json().get("events")).hasSize(400);
    }

    @Test
    void fourProcessesSettingWithTheVersionTheyReadGiveOneWinnerPerRoundOverFiftyRounds() {
        List<JavaProcess> setters = workers.start(4);
        List<Map<String, String>> agents = agents(4);
        for (int round = 0; round < 50; round++) {
            List<Long> read = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                setters.get(w).send(CliWorkers.as(agents.get(w), "doc", "show", "Blocked"));
            }
            for (JavaProcess setter : setters) {
                CliWorkers.Answer answer = CliWorkers.answer(setter);
                assertThat(answer.exitCode()).as(answer.out()).isZero();
                read.add(answer.json().get("sections").get(0).get("version").asLong());
            }
            assertThat(read).as("all read the same version").containsOnly(read.getFirst());
            for (int w = 0; w < 4; w++) {
                setters.get(w).send(CliWorkers.as(agents.get(w), "doc", "set", "Blocked", "round " + round + " by agent-" + w, "--if-version",
                        Long.toString(read.get(w))));
            }
            List<Integer> winners = new ArrayList<>();
            List<JsonNode> refusals = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                CliWorkers.Answer answer = CliWorkers.answer(setters.get(w));
                if (answer.exitCode() == 0) {
                    winners.add(w);
                } else {
                    assertThat(answer.exitCode()).as(answer.out()).isEqualTo(3);
                    refusals.add(answer.json());
                }
            }
            assertThat(winners).as("round %d: exactly one set wins", round).hasSize(1);
            long now = read.getFirst() + 1;
            int current = round;
            assertThat(refusals).hasSize(3).allSatisfy(refused -> {
                assertThat(refused.get("error").get("code").asString()).isEqualTo("version_conflict");
                assertThat(refused.get("section").get("version").asLong()).as("the current version").isEqualTo(now);
                assertThat(refused.get("section").get("text").asString()).isEqualTo("round " + current + " by agent-" + winners.getFirst());
            });
            assertThat(stored().get("Blocked")).isEqualTo("round " + round + " by agent-" + winners.getFirst());
        }
        assertThat(fileOnceWritten()).isEqualTo(stored());
        assertThat(cli.run(operator, "log", "--kind", "doc.set", "--limit", "1000", "--json").json().get("events")).hasSize(50);
    }

    @Test
    void aHandEditOfTheFileWhileAgentsAppendKeepsTheHandEditedLinesAndEveryAppendedOne() throws Exception {
        List<JavaProcess> appenders = workers.start(4);
        List<Map<String, String>> agents = agents(4);
        appendAtOnce(appenders, agents, 0, 10);
        fileOnceWritten(); // the hand edit is made on a file holding some appends
        String written = Files.readString(file());

        ExecutorService appending = Executors.newSingleThreadExecutor();
        try {
            Future<?> more = appending.submit(() -> appendAtOnce(appenders, agents, 10, 25));
            Path draft = project.resolve("COORDINATION.md.edit");
            Files.writeString(draft, edited(written));
            Files.move(draft, file(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING); // as an editor saves
            more.get(120, TimeUnit.SECONDS);
        } finally {
            appending.shutdownNow();
        }

        Await.until("the hand edit taken in", () -> stored().get("Decisions").contains("- hand: use SQLite"));
        Map<String, String> stored = stored();
        assertThat(stored.get("Decisions")).isEqualTo("- hand: use SQLite");
        assertThat(stored.get("Blocked")).isEqualTo("- hand: waiting for review");
        assertThat(lines(stored.get(WORK))).as("every appended line, once").containsAll(appended(4, 25))
                .filteredOn(line -> line.startsWith("- agent-")).hasSize(100).doesNotHaveDuplicates();
        String middle = "- hand: in the middle";
        assertThat(stored.getOrDefault(WORK, "") + stored.getOrDefault("Conflict: " + WORK, "")).as("kept in the section or beside it: "
                + stored.keySet() + cli.run(operator, "doc", "history", "--limit", "1000").out().lines().filter(line -> !line.contains("appended")).toList())
                .contains(middle);
        assertThat(fileOnceWritten()).isEqualTo(stored);
        try (var copies = Files.list(project.resolve(".swarm/hand-edits"))) {
            assertThat(copies.toList()).singleElement().satisfies(copy -> assertThat(Files.readString(copy)).isEqualTo(edited(written)));
        }
    }

    private static String edited(String written) {
        return written.replace("## Decisions\n", "## Decisions\n\n- hand: use SQLite\n").replace("## Blocked\n",
                "## Blocked\n\n- hand: waiting for review\n").replace("- agent-1 line 3\n", "- agent-1 line 3\n- hand: in the middle\n");
    }

    @Test
    void aLinkPutInPlaceOfTheFileIsReplacedNeverFollowed() throws Exception {
        fileOnceWritten();
        Path outside = Files.createTempFile("outside", ".txt");
        try {
            Files.writeString(outside, "not yours");
            Files.delete(file());
            Files.createSymbolicLink(file(), outside);
            CliRunner.Result appended = cli.run(operator, "doc", "append", "Blocked", "- after the link");
            assertThat(appended.exitCode()).as(appended.err()).isZero();
            Await.until("the link replaced by the document", () -> !Files.isSymbolicLink(file()) && Files.exists(file())
                    && inFile().getOrDefault("Blocked", "").equals("- after the link"));
            assertThat(Files.readString(outside)).isEqualTo("not yours");
        } finally {
            Files.deleteIfExists(outside);
        }
    }

    @Test
    void aHubKilledDuringABurstOfAppendsThroughItWritesEveryAnsweredAppendAfterItsRestart() throws Exception {
        List<Map<String, String>> agents = agents(4);
        ConcurrentLinkedQueue<String> answered = new ConcurrentLinkedQueue<>();
        CountDownLatch someAnswered = new CountDownLatch(40);
        ExecutorService appending = Executors.newFixedThreadPool(4);
        List<Future<?>> appenders = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            Map<String, String> agent = new LinkedHashMap<>(agents.get(w));
            agent.put("SWARM_ROOT", project.toString());
            int worker = w;
            appenders.add(appending.submit(() -> {
                for (int line = 0; ; line++) {
                    String text = "- agent-" + worker + " line " + line;
                    CliFrames.Response answer;
                    try {
                        answer = SwarmClient.exchange(project, new String[] {"doc", "append", WORK, text}, agent, project);
                    } catch (IOException hubGone) {
                        return; // unanswered: it may or may not be stored
                    }
                    if (answer.exitCode() != 0) {
                        return; // the hub stopping: not answered as done
                    }
                    answered.add(text);
                    someAnswered.countDown();
                }
            }));
        }
        assertThat(someAnswered.await(120, TimeUnit.SECONDS)).as("appends answered before the kill").isTrue();
        hub.kill();
        for (Future<?> appender : appenders) {
            Await.done(appender);
        }
        appending.shutdown();
        assertThat(answered).hasSizeGreaterThanOrEqualTo(40);

        hub = HubProcess.start(project);
        Map<String, String> file = fileOnceWritten();
        assertThat(lines(file.get(WORK))).as("every answered append is in the file").containsAll(answered).doesNotHaveDuplicates();
    }
}
