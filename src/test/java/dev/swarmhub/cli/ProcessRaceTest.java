package dev.swarmhub.cli;

import static dev.swarmhub.testing.TestGate.as;
import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.host.LocalProcesses;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.EventLog;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.leases.Leases;
import dev.swarmhub.leases.Mode;
import dev.swarmhub.leases.ResourceParser;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.JavaProcess;
import dev.swarmhub.testing.TestGate;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Separate OS processes running the CLI race for the same resources on one store. */
class ProcessRaceTest {

    private static final int PROCESSES = 8;
    private static final int ROUNDS = 50;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path project;
    private final List<JavaProcess> workers = new ArrayList<>();

    /** Per agent id, the flags that act as it: --agent ID --token TOKEN. */
    private final Map<String, String> identities = new java.util.HashMap<>();

    @BeforeEach
    void startWorkers() {
        CliRunner cli = new CliRunner(project);
        for (String agent : List.of("w0", "w1", "w2", "w3", "w4", "w5", "w6", "w7", "A", "B")) {
            identities.put(agent, "--agent\t" + agent + "\t--token\t" + cli.register(agent).get("SWARM_TOKEN"));
        }
        for (int i = 0; i < PROCESSES; i++) {
            workers.add(JavaProcess.start(CliWorker.class, Map.of("SWARM_ROOT", project.toString()), project.resolve("worker-" + i + ".err")));
        }
        workers.forEach(worker -> assertThat(worker.receive()).isEqualTo("ready"));
    }

    @AfterEach
    void stopWorkers() throws InterruptedException {
        for (JavaProcess worker : workers) {
            worker.close();
        }
    }

    private record Answer(int exitCode, JsonNode json) {
    }

    /** Sends one command to every worker at once (worker i gets commands[i]) and collects the answers. */
    private List<Answer> race(List<String> commands) {
        for (int i = 0; i < workers.size(); i++) {
            workers.get(i).send(commands.get(i));
        }
        List<Answer> answers = new ArrayList<>();
        for (JavaProcess worker : workers) {
            String[] answer = worker.receive().split("\t", 2);
            answers.add(new Answer(Integer.parseInt(answer[0]), JSON.readTree(answer[1])));
        }
        return answers;
    }

    private String acquire(int worker, String resource) {
        return String.join("\t", "lock", "acquire", resource, identities.get("w" + worker), "--json");
    }

    @Test
    void exactlyOneProcessWinsEachRoundForOnePath() {
        long lastToken = 0;
        for (int round = 0; round < ROUNDS; round++) {
            String path = "race/r" + round + ".py";
            List<String> commands = new ArrayList<>();
            for (int i = 0; i < PROCESSES; i++) {
                // spellings differ per process; they are one resource
                commands.add(acquire(i, i % 2 == 0 ? path : "./race/../" + path));
            }
            lastToken = assertOneWinner(race(commands), round, lastToken);
        }
    }

    @Test
    void exactlyOneProcessWinsEachRoundWhenOneAsksForAGlobOverThePath() {
        long lastToken = 0;
        for (int round = 0; round < ROUNDS; round++) {
            List<String> commands = new ArrayList<>();
            commands.add(acquire(0, "glob" + round + "/*.py"));
            for (int i = 1; i < PROCESSES; i++) {
                commands.add(acquire(i, "glob" + round + "/a.py"));
            }
            lastToken = assertOneWinner(race(commands), round, lastToken);
        }
    }

    private static long assertOneWinner(List<Answer> answers, int round, long lastToken) {
        List<Integer> winners = new ArrayList<>();
        for (int i = 0; i < answers.size(); i++) {
            if (answers.get(i).exitCode() == 0) {
                winners.add(i);
            }
        }
        assertThat(winners).as("winners of round %d: %s", round, answers).hasSize(1);
        String winner = "w" + winners.get(0);
        for (Answer answer : answers) {
            if (answer.exitCode() != 0) {
                assertThat(answer.exitCode()).as("loser exit code in round %d", round).isEqualTo(3);
                assertThat(answer.json().get("conflicts").get(0).get("holder").asString()).isEqualTo(winner);
            }
        }
        long token = answers.get(winners.get(0)).json().get("leases").get(0).get("token").asLong();
        assertThat(token).as("fencing token of round %d", round).isGreaterThan(lastToken);
        return token;
    }

    @Test
    void processesWaitingForOneFileAreServedInArrivalOrder() throws Exception {
        ResourceParser parser = new ResourceParser(project);
        try (Store store = TestStores.open(project)) {
            Leases leases = new Leases(store, TestGate.OPEN, new LocalProcesses());
            EventLog log = new EventLog(store);
            leases.acquire(new Leases.Request(as("holder"), List.of(parser.parse("x.py")), Mode.EXCLUSIVE, null, "first"));
            for (int i = 0; i < 3; i++) {
                workers.get(i).send(String.join("\t", "lock", "acquire", "x.py", "--wait", "60s", identities.get("w" + i), "--json"));
                awaitEvent(log, "lease.queued", "w" + i);
            }
            leases.release(as("holder"), List.of(parser.parse("x.py")));
            for (int i = 0; i < 3; i++) {
                String[] answer = workers.get(i).receive().split("\t", 2);
                assertThat(answer[0]).as("w%d's exit code", i).isEqualTo("0");
                workers.get(i).send(String.join("\t", "lock", "release", "x.py", identities.get("w" + i)));
                assertThat(workers.get(i).receive()).startsWith("0\t");
            }
            List<String> grantOrder = log.latest(null, "lease.acquired", 100).stream()
                    .filter(event -> "x.py".equals(event.resource())).map(Event::agent).toList();
            assertThat(grantOrder).containsExactly("holder", "w0", "w1", "w2");
        }
    }

    /**
     * A renews a 2 s lease while B tries to take it and a janitor cleans up, each in its own
     * process, 40 times each. On a fast machine A keeps it throughout; on a loaded one A may stall
     * past its TTL and lose it. Either way, judged in store time: A and B never hold it at once,
     * A's renewals keep its token, and cleanup removes only A's lease once expired.
     */
    @Test
    void renewingHolderKeepsItsLeaseWhileOtherProcessesAcquireAndCleanUp() throws Exception {
        JavaProcess holder = workers.get(0);
        JavaProcess rival = workers.get(1);
        JavaProcess janitor = workers.get(2);
        holder.send(String.join("\t", "lock", "acquire", "test.py", identities.get("A"), "--ttl", "2s", "--json"));
        String[] granted = holder.receive().split("\t", 2);
        assertThat(granted[0]).isEqualTo("0");
        long token = JSON.readTree(granted[1]).get("leases").get(0).get("token").asLong();

        ExecutorService drivers = Executors.newFixedThreadPool(3);
        Future<List<Answer>> renews = drivers.submit(() -> repeat(holder,
                String.join("\t", "lock", "renew", "test.py", identities.get("A"), "--ttl", "2s", "--json")));
        Future<List<Answer>> acquires = drivers.submit(() -> repeat(rival,
                String.join("\t", "lock", "acquire", "./test.py", identities.get("B"), "--json")));
        Future<List<Answer>> cleanups = drivers.submit(() -> repeat(janitor, String.join("\t", "lock", "cleanup", "--json")));
        drivers.shutdown();

        Instant taken = Instant.MAX; // when B got it, if it did
        for (Answer acquire : acquires.get()) {
            if (acquire.exitCode() == 0) {
                Instant at = Instant.parse(acquire.json().get("leases").get(0).get("acquiredAt").asString());
                taken = at.isBefore(taken) ? at : taken;
            } else {
                assertThat(acquire.exitCode()).as("acquire by B: %s", acquire).isEqualTo(3);
                assertThat(acquire.json().get("conflicts").get(0).get("holder").asString()).isEqualTo("A");
            }
        }
        for (Answer renew : renews.get()) {
            if (renew.exitCode() == 0) {
                JsonNode lease = renew.json().get("renewed").get(0);
                assertThat(lease.get("token").asLong()).isEqualTo(token);
                assertThat(Instant.parse(lease.get("expiresAt").asString())).as("A's renewal ends before B holds it: %s", renew)
                        .isBeforeOrEqualTo(taken);
            } else {
                assertThat(renew.exitCode()).as("renew by A: %s", renew).isEqualTo(3);
            }
        }
        for (Answer cleanup : cleanups.get()) {
            assertThat(cleanup.exitCode()).isZero();
            for (JsonNode expired : cleanup.json().get("expired")) {
                assertThat(expired.get("agent").asString()).as("cleanup never removes B's live lease").isEqualTo("A");
                assertThat(Instant.parse(expired.get("expiresAt").asString())).isBeforeOrEqualTo(taken);
            }
        }
    }

    private static List<Answer> repeat(JavaProcess worker, String command) {
        List<Answer> answers = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            worker.send(command);
            String[] answer = worker.receive().split("\t", 2);
            answers.add(new Answer(Integer.parseInt(answer[0]), JSON.readTree(answer[1])));
        }
        return answers;
    }

    /** Follows the event log until the event appears. */
    static void awaitEvent(EventLog log, String kind, String agent) {
        Await.until(kind + " of " + agent, () -> !log.latest(agent, kind, 1).isEmpty());
    }
}
