package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.HubProcess;
import dev.swarmhub.testing.PostgresServer;
import dev.swarmhub.testing.TestStores;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Three hubs on one PostgreSQL database, each with its own checkout (as on three machines),
 * under load from HTTP clients, and {@code kill -9} of one of them mid-load: no operation a hub
 * answered is lost, no lease is ever held twice, fencing tokens only grow, the other hubs serve
 * on, and the killed one serves again once restarted.
 */
class HubKilledUnderLoadTest {

    private static final int HUBS = 3;
    private static final int CLIENTS_PER_HUB = 4;
    private static final int RESOURCES = 6;
    private static final int KILLED = 2;
    /** Answers the killed hub gives before its kill, and each other hub after it. */
    private static final int ANSWERS = 60;

    @TempDir
    Path work;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicBoolean killed = new AtomicBoolean();
    private final AtomicInteger[] answered = {new AtomicInteger(), new AtomicInteger(), new AtomicInteger()};
    private final Queue<String> answeredGrants = new ConcurrentLinkedQueue<>();
    private final Queue<String> answeredMessages = new ConcurrentLinkedQueue<>();
    private final Queue<String> surprises = new ConcurrentLinkedQueue<>();

    private record Reply(int status, JsonNode json) {
    }

    private Reply post(String url, String token, String path, Map<String, Object> body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JsonViews.json(body))).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        return new Reply(response.statusCode(), JsonViews.JSON.readTree(response.body()));
    }

    private static String url(Path checkout) throws IOException {
        return JsonViews.JSON.readTree(Files.readString(HubFiles.info(checkout))).get("url").asString();
    }

    @Test
    void killingAHubUnderLoadLosesNoAnsweredOperationAndGrantsNothingTwice() throws Exception {
        String database = PostgresServer.shared().newDatabase();
        List<Path> checkouts = new ArrayList<>();
        List<HubProcess> hubs = new ArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(HUBS * CLIENTS_PER_HUB);
        try {
            for (int hub = 0; hub < HUBS; hub++) {
                Path checkout = TestStores.checkoutOn(work.resolve("machine-" + hub), database);
                checkouts.add(checkout);
                hubs.add(HubProcess.start(checkout));
            }
            Map<String, String> tokens = new HashMap<>();
            for (int hub = 0; hub < HUBS; hub++) {
                for (int client = 0; client < CLIENTS_PER_HUB; client++) {
                    String agent = "h" + hub + "c" + client;
                    Reply registered = post(url(checkouts.get(hub)), OperatorToken.readOrCreate(checkouts.get(hub)), "/agents",
                            Map.of("id", agent, "kind", "codex"));
                    assertThat(registered.status()).isEqualTo(201);
                    tokens.put(agent, registered.json().get("token").asString());
                }
            }
            List<Future<?>> running = new ArrayList<>();
            for (int hub = 0; hub < HUBS; hub++) {
                for (int client = 0; client < CLIENTS_PER_HUB; client++) {
                    int hubIndex = hub;
                    String agent = "h" + hub + "c" + client;
                    String peer = "h" + (hub + 1) % HUBS + "c" + client;
                    String url = url(checkouts.get(hub));
                    long seed = hub * 100L + client;
                    running.add(clients.submit(() -> load(hubIndex, url, tokens.get(agent), peer, new Random(seed))));
                }
            }
            Await.untilWhileProgressing("the hub to be killed answering under load", answered[KILLED]::get,
                    () -> answered[KILLED].get() >= ANSWERS);
            killed.set(true);
            hubs.get(KILLED).kill(); // SIGKILL, with requests in flight
            int[] atKill = {answered[0].get(), answered[1].get()};
            Await.untilWhileProgressing("the other hubs answering after the kill", () -> answered[0].get() + answered[1].get(),
                    () -> answered[0].get() >= atKill[0] + ANSWERS && answered[1].get() >= atKill[1] + ANSWERS);
            stop.set(true);
            for (Future<?> client : running) {
                client.get();
            }
            assertThat(surprises).as("answers other than granted, conflict, sent or rate-limited").isEmpty();

            hubs.set(KILLED, HubProcess.start(checkouts.get(KILLED)));
            Reply afterRestart = post(url(checkouts.get(KILLED)), tokens.get("h2c0"), "/locks",
                    Map.of("resources", List.of("name:after-restart"), "ttl", "10m"));
            assertThat(afterRestart.status()).as("the restarted hub serves: %s", afterRestart.json()).isEqualTo(200);

            try (Store store = TestStores.open(checkouts.getFirst())) {
                List<Event> events = store.read(tx -> tx.events(0, null, null, 1_000_000));
                assertNoLeaseHeldTwice(events);
                Set<String> grants = events.stream().filter(event -> event.kind().equals("lease.acquired"))
                        .map(event -> event.resource() + "#" + event.details().get("token")).collect(Collectors.toSet());
                assertThat(grants).as("every answered grant is stored").containsAll(answeredGrants);
                Set<Object> sent = events.stream().filter(event -> event.kind().equals("message.sent"))
                        .map(event -> String.valueOf(event.details().get("id"))).collect(Collectors.toSet());
                assertThat(sent).as("every answered message is stored").containsAll(answeredMessages);
            }
            System.out.printf("HubKilledUnderLoadTest: %d grants and %d messages answered; answers per hub %d, %d, %d%n",
                    answeredGrants.size(), answeredMessages.size(), answered[0].get(), answered[1].get(), answered[2].get());
        } finally {
            stop.set(true);
            clients.shutdownNow();
            hubs.forEach(HubProcess::close);
        }
    }

    /** A client of one hub: takes a lease on one of a few names, releases it, sends a message; counts what was answered. */
    private Void load(int hub, String url, String token, String peer, Random random) throws InterruptedException {
        while (!stop.get()) {
            try {
                String resource = "name:r" + random.nextInt(RESOURCES);
                Reply acquired = post(url, token, "/locks", Map.of("resources", List.of(resource), "ttl", "10m"));
                if (acquired.status() == 200) {
                    answeredGrants.add(resource + "#" + acquired.json().get("leases").get(0).get("token").asLong());
                    answered[hub].incrementAndGet();
                    expect(post(url, token, "/locks/release", Map.of("resources", List.of(resource))), Set.of(200), hub);
                } else {
                    expect(acquired, Set.of(409), hub);
                }
                Reply sent = post(url, token, "/messages", Map.of("to", List.of(peer), "type", "info", "text", "from " + token.hashCode()));
                if (sent.status() == 201) {
                    answeredMessages.add(sent.json().get("id").asString());
                }
                expect(sent, Set.of(201, 429), hub);
            } catch (IOException hubGone) {
                if (hub == KILLED && killed.get()) {
                    return null; // the killed hub's clients stop: their last request may or may not have been applied
                }
                surprises.add("hub " + hub + ": " + hubGone);
                return null;
            }
        }
        return null;
    }

    private void expect(Reply reply, Set<Integer> statuses, int hub) {
        if (statuses.contains(reply.status())) {
            answered[hub].incrementAndGet();
        } else {
            surprises.add("hub " + hub + ": " + reply.status() + " " + reply.json());
        }
    }

    /** Replays the lease events in commit order: a grant while the name is held, or a token not above the last, is a violation. */
    private static void assertNoLeaseHeldTwice(List<Event> events) {
        Map<String, String> holder = new HashMap<>();
        Map<String, Long> lastToken = new HashMap<>();
        int grants = 0;
        for (Event event : events) {
            String resource = event.resource();
            if (resource == null || !resource.startsWith("name:r")) {
                continue;
            }
            switch (event.kind()) {
                case "lease.acquired" -> {
                    assertThat(holder.get(resource)).as("event %d: %s granted to %s while held", event.id(), resource, event.agent()).isNull();
                    long token = ((Number) event.details().get("token")).longValue();
                    assertThat(token).as("event %d: fencing token of %s", event.id(), resource).isGreaterThan(lastToken.getOrDefault(resource, 0L));
                    holder.put(resource, event.agent());
                    lastToken.put(resource, token);
                    grants++;
                }
                case "lease.released", "lease.force-released", "lease.expired" -> {
                    assertThat(holder.get(resource)).as("event %d: %s freed by its holder", event.id(), resource).isEqualTo(event.agent());
                    holder.remove(resource);
                }
                default -> { }
            }
        }
        assertThat(grants).isPositive();
    }
}
