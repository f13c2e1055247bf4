package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.testing.JavaProcess;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The task queue across real OS processes on one project's store: 16 processes taking the next
 * task until none is left each get different tasks and together all of them; counts read while 8
 * processes finish, fail and release tasks and 8 others claim equal a recount of the history up
 * to the event they include, every time; a claimant killed with SIGKILL loses its task once its
 * death is seen, with the reason in the history; a chain becomes ready step by step, and a failed
 * first step leaves the next blocked.
 */
class TaskProcessTest {


    @TempDir
    Path project;

    private CliWorkers workers;
    private CliRunner cli;

    @BeforeEach
    void startOnTheProject() {
        cli = new CliRunner(project);
        workers = new CliWorkers(project);
    }

    @AfterEach
    void stopWorkers() throws InterruptedException {
        workers.close();
    }

    private List<String> createTasks(Map<String, String> creator, int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            CliRunner.Result created = cli.run(creator, "task", "create", "task " + i, "--json");
            assertThat(created.exitCode()).as(created.err()).isZero();
            ids.add(created.json().get("id").asString());
        }
        return ids;
    }

    private static List<String> ids(JsonNode listing) {
        List<String> ids = new ArrayList<>();
        listing.get("tasks").forEach(task -> ids.add(task.get("id").asString()));
        return ids;
    }

    @Test
    void sixteenProcessesTakingTheNextTaskGetEachOfAHundredExactlyOnce() {
        Map<String, String> creator = cli.register("creator");
        List<String> created = createTasks(creator, 100);
        List<JavaProcess> takers = workers.start(16);
        List<Map<String, String>> agents = new ArrayList<>();
        for (int i = 0; i < takers.size(); i++) {
            agents.add(cli.register("taker-" + i));
        }

        Map<String, String> claimedBy = new HashMap<>();
        List<String> claims = new ArrayList<>();
        List<Integer> active = new ArrayList<>(java.util.stream.IntStream.range(0, takers.size()).boxed().toList());
        while (!active.isEmpty()) {
            active.forEach(i -> takers.get(i).send(CliWorkers.as(agents.get(i), "task", "next")));
            List<Integer> still = new ArrayList<>();
            for (int i : active) {
                CliWorkers.Answer answer = CliWorkers.answer(takers.get(i));
                if (answer.exitCode() == 0) {
                    JsonNode task = answer.json().get("task");
                    String id = task.get("id").asString();
                    claims.add(id);
                    claimedBy.put(id, "taker-" + i);
                    assertThat(task.get("assignee").asString()).isEqualTo("taker-" + i);
                    assertThat(answer.json().get("lease").get("resource").asString()).isEqualTo("task:" + id);
                    still.add(i);
                } else {
                    assertThat(answer.exitCode()).as(answer.out()).isEqualTo(3);
                    assertThat(answer.json().get("error").get("message").asString()).contains("no task is ready");
                }
            }
            active = still;
        }

        assertThat(claims).as("no task claimed twice").doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(created);
        assertThat(cli.run(creator, "log", "--kind", "task.claimed", "--limit", "500", "--json").json().get("events")).hasSize(100)
                .allSatisfy(event -> assertThat(event.get("agent").asString())
                        .isEqualTo(claimedBy.get(event.get("resource").asString().substring("task:".length()))));
        JsonNode stats = cli.run(creator, "task", "stats", "--json").json();
        assertThat(stats.get("byStatus").get("inProgress").asLong()).isEqualTo(100);
        assertThat(stats.get("byStatus").get("open").asLong()).isZero();
        assertThat(stats.get("activeAgents")).hasSize(100);
    }

    @Test
    void countsReadWhileEightProcessesFinishAndEightClaimEqualARecountOfTheHistory() throws Exception {
        String operator = cli.operatorToken();
        Map<String, String> creator = cli.register("creator");
        int total = 60;
        createTasks(creator, total);
        List<JavaProcess> claimers = workers.start(8);
        List<JavaProcess> finishers = workers.start(8);
        List<Map<String, String>> agents = new ArrayList<>();
        for (int i = 0; i < claimers.size(); i++) {
            agents.add(cli.register("claimer-" + i));
        }
        Random random = new Random(13);
        int checks = 0;
        for (int round = 0; round < 12; round++) {
            for (int i = 0; i < claimers.size(); i++) {
                claimers.get(i).send(CliWorkers.as(agents.get(i), "task", "next"));
                finishers.get(i).send(String.join("\t", "task", "list", "--status", "in-progress", "--token", operator, "--json"));
            }
            checks += checkCountsAgainstHistory(total); // while the processes work
            List<List<String>> held = new ArrayList<>();
            for (int i = 0; i < claimers.size(); i++) {
                assertThat(CliWorkers.answer(claimers.get(i)).exitCode()).isIn(0, 3);
                CliWorkers.Answer listed = CliWorkers.answer(finishers.get(i));
                assertThat(listed.exitCode()).as(listed.out()).isZero();
                held.add(ids(listed.json()));
            }
            for (int i = 0; i < finishers.size(); i++) {
                List<String> inProgress = held.get(i);
                if (inProgress.isEmpty()) {
                    finishers.get(i).send(String.join("\t", "task", "stats", "--token", operator, "--json"));
                    continue;
                }
                String task = inProgress.get(random.nextInt(inProgress.size()));
                List<String> action = switch (random.nextInt(3)) {
                    case 0 -> List.of("task", "done", task, "finished by finisher " + i);
                    case 1 -> List.of("task", "fail", task, "failed by finisher " + i);
                    default -> List.of("task", "release", task);
                };
                finishers.get(i).send(String.join("\t", action) + "\t--token\t" + operator + "\t--json");
            }
            checks += checkCountsAgainstHistory(total);
            for (JavaProcess finisher : finishers) {
                CliWorkers.Answer acted = CliWorkers.answer(finisher);
                assertThat(acted.exitCode()).as("two finishers may pick one task: the second is denied; " + acted.out()).isIn(0, 3);
            }
        }
        checks += checkCountsAgainstHistory(total);
        assertThat(checks).isEqualTo(25);
        JsonNode stats = cli.run(creator, "task", "stats", "--json").json();
        assertThat(stats.get("byStatus").get("done").asLong() + stats.get("byStatus").get("failed").asLong()).as("something was finished")
                .isPositive();
    }

    /** Reads task stats, then recounts the statuses from the task events up to the one they include; returns 1. */
    private int checkCountsAgainstHistory(int total) {
        JsonNode stats = cli.run("task", "stats", "--token", cli.operatorToken(), "--json").json();
        long asOf = stats.get("asOfEvent").asLong();
        Map<String, String> statusOf = new HashMap<>();
        Map<String, String> holderOf = new HashMap<>();
        try (Store store = TestStores.open(project)) {
            for (Event event : store.read(tx -> tx.events(0, null, null, Integer.MAX_VALUE))) {
                if (event.id() <= asOf && event.kind().startsWith("task.")) {
                    statusOf.put(event.resource(), (String) event.details().get("status"));
                    holderOf.put(event.resource(), (String) event.details().get("assignee"));
                }
            }
        }
        Map<String, Long> recount = new TreeMap<>();
        for (String status : List.of("open", "blocked", "inProgress", "done", "failed", "cancelled")) {
            recount.put(status, 0L);
        }
        statusOf.values().forEach(status -> recount.merge(status.equals("in-progress") ? "inProgress" : status, 1L, Long::sum));
        Map<String, Long> counted = new TreeMap<>();
        stats.get("byStatus").properties().forEach(entry -> counted.put(entry.getKey(), entry.getValue().asLong()));
        assertThat(counted).as("stats as of event %d", asOf).isEqualTo(recount);
        assertThat(counted.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(total);
        Map<String, Long> holding = new TreeMap<>();
        statusOf.forEach((task, status) -> {
            if (status.equals("in-progress")) {
                holding.merge(holderOf.get(task), 1L, Long::sum);
            }
        });
        Map<String, Long> countedHolding = new TreeMap<>();
        stats.get("byAssignee").forEach(agent -> {
            if (agent.get("inProgress").asLong() > 0) {
                countedHolding.put(agent.get("agent").asString(), agent.get("inProgress").asLong());
            }
        });
        assertThat(countedHolding).as("in progress per agent as of event %d", asOf).isEqualTo(holding);
        return 1;
    }

    @Test
    void aKilledClaimantsTaskIsReadyAgainOnceItsDeathIsSeenWithTheReasonLogged() throws Exception {
        Map<String, String> creator = cli.register("creator");
        String id = createTasks(creator, 1).getFirst();
        JavaProcess claimant = workers.start(1).getFirst();
        CliRunner.Result registered = cli.run("agent", "register", "--id", "mortal", "--pid", Long.toString(claimant.pid()), "--json");
        assertThat(registered.exitCode()).as(registered.err()).isZero();
        Map<String, String> mortal = Map.of("SWARM_AGENT", "mortal", "SWARM_TOKEN", registered.json().get("token").asString());
        claimant.send(CliWorkers.as(mortal, "task", "next"));
        CliWorkers.Answer claimed = CliWorkers.answer(claimant);
        assertThat(claimed.exitCode()).as(claimed.out()).isZero();
        assertThat(claimed.json().get("task").get("id").asString()).isEqualTo(id);
        assertThat(ids(cli.run(creator, "task", "ready", "--json").json())).as("claimed: not ready").isEmpty();

        claimant.kill();
        assertThat(cli.run(creator, "agents", "--json").exitCode()).isZero(); // a listing sees the death first

        assertThat(ids(cli.run(creator, "task", "ready", "--json").json())).containsExactly(id);
        JsonNode history = cli.run(creator, "task", "show", id, "--json").json().get("history");
        JsonNode lapsed = history.get(history.size() - 1);
        assertThat(lapsed.get("kind").asString()).isEqualTo("task.lapsed");
        assertThat(lapsed.get("details").get("was").asString()).isEqualTo("mortal");
        assertThat(lapsed.get("details").get("reason").asString()).startsWith("the claim of mortal was released: ")
                .contains("process " + claimant.pid() + " exited");
        Map<String, String> heir = cli.register("heir");
        CliRunner.Result taken = cli.run(heir, "task", "next", "--json");
        assertThat(taken.exitCode()).as(taken.err()).isZero();
        assertThat(taken.json().get("task").get("id").asString()).isEqualTo(id);
    }

    @Test
    void aChainBecomesReadyStepByStepAcrossProcessesAndAFailedStepLeavesTheNextBlocked() {
        List<JavaProcess> steps = workers.start(3);
        List<Map<String, String>> agents = List.of(cli.register("first"), cli.register("second"), cli.register("third"));
        Map<String, String> reader = cli.register("reader");
        List<String> chain = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            List<String> command = new ArrayList<>(List.of("task", "create", "step " + i));
            if (i > 0) {
                command.addAll(List.of("--after", chain.getLast()));
            }
            steps.get(i).send(CliWorkers.as(agents.get(i), command.toArray(String[]::new)));
            CliWorkers.Answer created = CliWorkers.answer(steps.get(i));
            assertThat(created.exitCode()).as(created.out()).isZero();
            chain.add(created.json().get("id").asString());
        }
        for (int step = 0; step < 3; step++) {
            assertThat(ids(cli.run(reader, "task", "ready", "--json").json())).as("ready before step %d is done", step)
                    .containsExactly(chain.get(step));
            for (int later = step + 1; later < 3; later++) {
                steps.get(later).send(CliWorkers.as(agents.get(later), "task", "claim", chain.get(later)));
                CliWorkers.Answer refused = CliWorkers.answer(steps.get(later));
                assertThat(refused.exitCode()).as(refused.out()).isEqualTo(3);
                assertThat(refused.json().get("error").get("message").asString()).contains("it waits for " + chain.get(later - 1));
            }
            steps.get(step).send(CliWorkers.as(agents.get(step), "task", "claim", chain.get(step)));
            assertThat(CliWorkers.answer(steps.get(step)).exitCode()).isZero();
            steps.get(step).send(CliWorkers.as(agents.get(step), "task", "done", chain.get(step), "step " + step + " done"));
            assertThat(CliWorkers.answer(steps.get(step)).exitCode()).isZero();
        }
        assertThat(ids(cli.run(reader, "task", "ready", "--json").json())).isEmpty();

        steps.get(0).send(CliWorkers.as(agents.get(0), "task", "create", "fails"));
        String fails = CliWorkers.answer(steps.get(0)).json().get("id").asString();
        steps.get(1).send(CliWorkers.as(agents.get(1), "task", "create", "after the failure", "--after", fails));
        String after = CliWorkers.answer(steps.get(1)).json().get("id").asString();
        steps.get(0).send(CliWorkers.as(agents.get(0), "task", "next"));
        assertThat(CliWorkers.answer(steps.get(0)).json().get("task").get("id").asString()).isEqualTo(fails);
        steps.get(0).send(CliWorkers.as(agents.get(0), "task", "fail", fails, "the build is broken"));
        assertThat(CliWorkers.answer(steps.get(0)).exitCode()).isZero();

        assertThat(ids(cli.run(reader, "task", "ready", "--json").json())).as("a failed blocker frees nothing").isEmpty();
        JsonNode blocked = cli.run(reader, "task", "show", after, "--json").json();
        assertThat(blocked.get("status").asString()).isEqualTo("blocked");
        assertThat(blocked.get("waitingFor").toString()).isEqualTo("[\"" + fails + "\"]");
        steps.get(1).send(CliWorkers.as(agents.get(1), "task", "next"));
        CliWorkers.Answer none = CliWorkers.answer(steps.get(1));
        assertThat(none.exitCode()).isEqualTo(3);
        assertThat(none.json().get("error").get("message").asString()).contains("1 blocked");
        Set<String> statuses = new HashSet<>();
        cli.run(reader, "task", "list", "--all", "--json").json().get("tasks").forEach(task -> statuses.add(task.get("status").asString()));
        assertThat(statuses).containsExactlyInAnyOrder("done", "failed", "blocked");
    }
}
