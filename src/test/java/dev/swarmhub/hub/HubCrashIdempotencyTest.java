package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.testing.HubProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * kill -9 of the hub, then a client retries with the same Idempotency-Key against the
 * restarted hub: it gets the first answer and nothing is applied twice.
 */
class HubCrashIdempotencyTest {

    @TempDir
    Path root;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private record Reply(int status, JsonNode json) {
    }

    private Reply post(String url, String token, String key, String path, Map<String, Object> body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JsonViews.json(body)));
        if (key != null) {
            request.header("Idempotency-Key", key);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(response.statusCode(), JsonViews.JSON.readTree(response.body()));
    }

    private JsonNode get(String url, String token, String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + token).build();
        return JsonViews.JSON.readTree(http.send(request, HttpResponse.BodyHandlers.ofString()).body());
    }

    private static String url(Path root) throws Exception {
        return JsonViews.JSON.readTree(Files.readString(HubFiles.info(root))).get("url").asString();
    }

    @Test
    void retriesWithTheSameKeyAfterAKilledHubGetTheFirstAnswerAndApplyNothingTwice() throws Exception {
        Files.createDirectories(root.resolve(".git"));
        List<Reply> firstAnswers = new ArrayList<>();
        String operator;
        String agentToken;
        try (HubProcess hub = HubProcess.start(root)) {
            String url = url(root);
            operator = OperatorToken.readOrCreate(root);
            for (int i = 0; i < 5; i++) {
                firstAnswers.add(post(url, operator, "register-" + i, "/agents", Map.of("kind", "codex")));
            }
            agentToken = firstAnswers.get(0).json().get("token").asString();
            firstAnswers.add(post(url, agentToken, "acquire-1", "/locks", Map.of("resources", List.of("src/a.py"), "reason", "once")));
            hub.kill(); // SIGKILL: no shutdown, no flush beyond what each committed transaction wrote
        }
        try (HubProcess hub = HubProcess.start(root)) {
            String url = url(root);
            for (int i = 0; i < 5; i++) {
                Reply retry = post(url, operator, "register-" + i, "/agents", Map.of("kind", "codex"));
                assertThat(retry.status()).isEqualTo(201);
                JsonNode first = firstAnswers.get(i).json();
                assertThat(retry.json().get("id")).as("retry %d names the same agent", i).isEqualTo(first.get("id"));
                assertThat(retry.json().get("registeredAt")).isEqualTo(first.get("registeredAt"));
                // the token is stored only sealed: the retry gives back the first answer's own token, which works
                String same = retry.json().get("token").asString();
                assertThat(same).isEqualTo(first.get("token").asString());
                assertThat(retry.json().get("replayed").asBoolean()).isTrue();
                assertThat(post(url, same, null, "/agents/heartbeat", Map.of()).status()).isEqualTo(200);
            }
            agentToken = post(url, operator, "register-0", "/agents", Map.of("kind", "codex")).json().get("token").asString();
            Reply acquireAgain = post(url, agentToken, "acquire-1", "/locks", Map.of("resources", List.of("src/a.py"), "reason", "once"));
            JsonNode firstLease = firstAnswers.get(5).json().get("leases").get(0);
            assertThat(acquireAgain.json().get("replayed").asBoolean()).isTrue();
            assertThat(acquireAgain.json().get("leases").get(0).get("id")).isEqualTo(firstLease.get("id"));
            assertThat(acquireAgain.json().get("leases").get(0).get("token")).isEqualTo(firstLease.get("token"));
            assertThat(acquireAgain.json().get("leases").get(0).get("state").asString()).isEqualTo("held");
            assertThat(get(url, operator, "/agents").get("agents")).as("five registrations, not ten").hasSize(5);
            assertThat(get(url, operator, "/log?kind=lease.acquired").get("events")).hasSize(1);
            assertThat(get(url, operator, "/log?kind=agent.registered").get("events")).hasSize(5);
            Reply reused = post(url, operator, "register-0", "/agents", Map.of("kind", "aider"));
            assertThat(reused.status()).as("a key names one request").isEqualTo(400);
            hub.stop();
        }
        if (dev.swarmhub.testing.TestStores.onPostgres()) {
            return; // the bytes of the store's files below are SQLite's; the contract suite checks PostgreSQL stores hashes only
        }
        String stored = new String(Files.readAllBytes(root.resolve(".swarm/swarm.db")), java.nio.charset.StandardCharsets.ISO_8859_1);
        Path wal = root.resolve(".swarm/swarm.db-wal");
        if (Files.exists(wal)) {
            stored += new String(Files.readAllBytes(wal), java.nio.charset.StandardCharsets.ISO_8859_1);
        }
        for (Reply first : firstAnswers.subList(0, 5)) {
            assertThat(stored).as("no plain-text token in the store").doesNotContain(first.json().get("token").asString());
        }
    }
}
