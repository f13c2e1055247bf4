package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.HubProcess;
import dev.swarmhub.testing.JavaProcess;
import dev.swarmhub.testing.PostgresServer;
import dev.swarmhub.testing.TestStores;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three hubs on one PostgreSQL database, each serving a checkout of its own (as on three
 * machines), with CLI processes going through each: the same guarantees as one hub. The hubs
 * and workers are started once for the class (each test uses resources of its own).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MultiHubTest {

    private static final int HUBS = 3;
    private static final int WORKERS_PER_HUB = 8;
    private static final int ROUNDS = 10;

    @TempDir
    static Path work;

    private final List<Path> checkouts = new ArrayList<>();
    private final List<HubProcess> hubs = new ArrayList<>();
    private final List<JavaProcess> workers = new ArrayList<>();
    /** Per agent, the arguments that act as it. */
    private final Map<String, String> identities = new HashMap<>();

    @BeforeAll
    void startHubs() throws IOException {
        String database = PostgresServer.shared().newDatabase();
        for (int hub = 0; hub < HUBS; hub++) {
            Path checkout = TestStores.checkoutOn(work.resolve("machine-" + hub), database);
            checkouts.add(checkout);
            hubs.add(HubProcess.start(checkout));
        }
        CliRunner first = new CliRunner(checkouts.getFirst());
        // liveness is not under test here: 24 worker JVMs may take minutes to start on a busy machine
        for (String[] setting : List.of(new String[] {"agents.gone-after", "4h"}, new String[] {"agents.stale-after", "2h"})) {
            assertThat(first.run("config", setting[0], setting[1], "--token", first.operatorToken()).exitCode()).isZero();
        }
        for (int hub = 0; hub < HUBS; hub++) {
            CliRunner cli = new CliRunner(checkouts.get(hub));
            for (int i = 0; i < WORKERS_PER_HUB; i++) {
                String agent = "h" + hub + "w" + i;
                identities.put(agent, "--agent\t" + agent + "\t--token\t" + cli.register(agent).get("SWARM_TOKEN"));
                workers.add(JavaProcess.start(CliWorker.class, Map.of("SWARM_ROOT", checkouts.get(hub).toString()),
                        checkouts.get(hub).resolve("worker-" + i + ".err")));
            }
        }
        workers.forEach(worker -> assertThat(worker.receive()).isEqualTo("ready"));
    }

    @AfterAll
    void stopAll() throws InterruptedException {
        for (JavaProcess worker : workers) {
            worker.close();
        }
        hubs.forEach(HubProcess::close);
    }

    private static String agentOf(int worker) {
        return "h" + worker / WORKERS_PER_HUB + "w" + worker % WORKERS_PER_HUB;
    }

    @Test
    void racesThroughDifferentHubsHaveExactlyOneWinnerPerRoundAndTokensGrow() {
        long lastToken = 0;
        for (int round = 0; round < ROUNDS; round++) {
            for (int i = 0; i < workers.size(); i++) {
                workers.get(i).send(identities.get(agentOf(i)) + "\tlock\tacquire\tsrc/round-" + round + ".py\t--ttl\t10m\t--json");
            }
            List<Integer> winners = new ArrayList<>();
            for (int i = 0; i < workers.size(); i++) {
                String[] answer = workers.get(i).receive().split("\t", 2);
                if (answer[0].equals("0")) {
                    winners.add(i);
                } else {
                    assertThat(answer[0]).as("round %d, worker %d: %s", round, i, answer[1]).isEqualTo("3");
                }
            }
            assertThat(winners).as("round %d: one winner across %d hubs", round, HUBS).hasSize(1);
        }
        try (Store store = TestStores.open(checkouts.getFirst())) {
            List<Event> grants = store.read(tx -> tx.events(0, null, "lease.acquired", 10_000)).stream()
                    .filter(event -> event.resource().startsWith("src/round-")).toList();
            assertThat(grants).hasSize(ROUNDS);
            long[] tokens = grants.stream().mapToLong(event -> ((Number) event.details().get("token")).longValue()).toArray();
            assertThat(LongStream.range(1, tokens.length).allMatch(i -> tokens[(int) i] > tokens[(int) i - 1]))
                    .as("fencing tokens strictly increasing across hubs").isTrue();
            lastToken = tokens[tokens.length - 1];
        }
        assertThat(lastToken).isPositive();
    }

    /**
     * One agent sending from every worker on every hub at once (the limit is 10 an hour here): the
     * store counts them in its write transaction, so exactly ten are accepted across the hubs
     * and the rest are refused as rate-limited; the inbox holds exactly the accepted ones.
     */
    @Test
    void theRateLimitHoldsAcrossHubs() {
        // an hour's window: at load 45 the 24 sends took more than a minute, and a minute's window let an 11th in
        CliRunner cli = new CliRunner(checkouts.getFirst());
        assertThat(cli.run("config", "messages.rate-limit", "10/1h", "--token", cli.operatorToken()).exitCode()).isZero();
        String sender = identities.get(agentOf(0));
        for (int i = 0; i < workers.size(); i++) {
            workers.get(i).send(sender + "\tsend\t" + agentOf(1) + "\tinfo\tfrom worker " + i + "\t--json");
        }
        List<String> accepted = new ArrayList<>();
        for (int i = 0; i < workers.size(); i++) {
            String[] answer = workers.get(i).receive().split("\t", 2);
            if (answer[0].equals("0")) {
                accepted.add(answer[1]);
            } else {
                assertThat(answer[0]).as("worker %d", i).isEqualTo("3");
                assertThat(answer[1]).as("worker %d", i).contains("rate_limited");
            }
        }
        assertThat(accepted).as("accepted across %d hubs out of %d sends", HUBS, workers.size()).hasSize(10);
        workers.getFirst().send(identities.get(agentOf(1)) + "\tinbox\t--json");
        String inbox = workers.getFirst().receive();
        assertThat(inbox).startsWith("0\t");
        assertThat(inbox.split("from worker ", -1)).as("messages in the recipient's inbox").hasSize(11);
    }

    /**
     * A waiter queued through hub B is granted when hub A commits the release: the database's
     * notification wakes it (PostgresStoreTest proves the wake across stores, LeaseScenariosTest
     * that such a waiter polls only once a second). The release-to-grant gaps, by the database's
     * clock, are printed as the figure for docs/PERFORMANCE.md: a bound on them would judge the
     * machine's speed.
     */
    @Test
    void aWaiterOnAnotherHubIsGrantedAtTheRelease() {
        JavaProcess holder = workers.getFirst(); // hub 0
        JavaProcess waiter = workers.get(WORKERS_PER_HUB); // hub 1
        List<Long> gaps = new ArrayList<>();
        try (Store store = TestStores.open(checkouts.getFirst())) {
            for (int round = 0; round < 5; round++) {
                String resource = "name:handover-" + round;
                holder.send(identities.get(agentOf(0)) + "\tlock\tacquire\t" + resource + "\t--ttl\t10m");
                assertThat(holder.receive()).startsWith("0\t");
                waiter.send(identities.get(agentOf(WORKERS_PER_HUB)) + "\tlock\tacquire\t" + resource + "\t--wait\t60s\t--ttl\t10m");
                Await.until("the waiter queued", () -> !eventsOn(store, resource, "lease.queued").isEmpty());
                holder.send(identities.get(agentOf(0)) + "\tlock\trelease\t" + resource);
                assertThat(holder.receive()).startsWith("0\t");
                assertThat(waiter.receive()).as("the waiter on the other hub").startsWith("0\t");
                long released = eventsOn(store, resource, "lease.released").getFirst().at();
                long granted = eventsOn(store, resource, "lease.acquired").stream()
                        .filter(event -> agentOf(WORKERS_PER_HUB).equals(event.agent())).findFirst().orElseThrow().at();
                assertThat(granted).as("round %d: granted after the release", round).isGreaterThanOrEqualTo(released);
                gaps.add(granted - released);
            }
        }
        System.out.printf("MultiHubTest: release on hub A to grant on hub B, store-clock ms: %s%n", gaps);
    }

    private static List<Event> eventsOn(Store store, String resource, String kind) {
        return store.read(tx -> tx.events(0, null, kind, 100_000)).stream().filter(event -> resource.equals(event.resource())).toList();
    }
}
