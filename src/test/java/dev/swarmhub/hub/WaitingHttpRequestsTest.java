package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.testing.HubProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Many HTTP clients taking one lock in turn with waiting acquires, against a hub process: every
 * wait is answered (granted), and Jetty never fails a connection of a watched request (the
 * disconnect watch once ran Jetty's own read loop beside it: "already released", answer lost).
 */
class WaitingHttpRequestsTest {

    private static final int CLIENTS = 8;
    private static final int TURNS = 200;
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(60); // a failure timeout only

    @TempDir
    Path project;

    @Test
    void everyWaitingAcquireOfManyClientsIsAnsweredAndJettyNeverFailsTheConnection() throws Exception {
        try (HubProcess hub = HubProcess.start(project); ExecutorService clients = Executors.newFixedThreadPool(CLIENTS)) {
            String base = "http://127.0.0.1:" + Hub.readInfo(project).get("port") + "/api/v1";
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String operator = OperatorToken.readOrCreate(project);
            List<Future<Integer>> granted = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                String token = post(http, base, operator, "/agents", "{\"id\":\"waiter-" + i + "\"}").path("token").asString();
                granted.add(clients.submit(() -> {
                    int grants = 0;
                    for (int turn = 0; turn < TURNS; turn++) {
                        JsonNode answer = post(http, base, token, "/locks", "{\"resources\":[\"name:turn\"],\"wait\":\"50s\"}");
                        assertThat(answer.path("granted").asBoolean()).as(answer.toString()).isTrue();
                        grants++;
                        post(http, base, token, "/locks/release", "{\"resources\":[\"name:turn\"]}");
                    }
                    return grants;
                }));
            }
            int total = 0;
            for (Future<Integer> client : granted) {
                total += client.get(ANSWER_TIMEOUT.toSeconds() * TURNS, TimeUnit.SECONDS);
            }
            System.out.println("WaitingHttpRequestsTest: " + total + " waiting acquires by " + CLIENTS + " clients, all answered");
            assertThat(total).isEqualTo(CLIENTS * TURNS);
            hub.stop();
            assertThat(hub.log()).as("the hub's log").doesNotContain("already released").doesNotContain("Read pending");
        }
    }

    private static JsonNode post(HttpClient http, String base, String token, String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path)).timeout(ANSWER_TIMEOUT)
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(path + " " + body + ": " + response.body()).isIn(200, 201);
        return JsonViews.JSON.readTree(response.body());
    }
}
