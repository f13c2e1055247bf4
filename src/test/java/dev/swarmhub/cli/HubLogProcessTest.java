package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.hub.CliFrames;
import dev.swarmhub.hub.Hub;
import dev.swarmhub.hub.HubFiles;
import dev.swarmhub.hub.HubLog;
import dev.swarmhub.kernel.Tokens;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.HubProcess;
import dev.swarmhub.testing.JavaProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * The hub's own log as a hub process writes it (.swarm/hub.log): what it says about starts,
 * refused and slow requests, without any token, rotated at its size limit; and the lean client,
 * which never loads the logging library.
 */
class HubLogProcessTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Small, so that a few hundred refused requests rotate the log. */
    private static final int LOG_LIMIT = 20_000;

    @TempDir
    Path project;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void refusedAndAuthenticatedCallsAreLoggedWithoutAnyTokenAcrossRotations() throws Exception {
        CliRunner cli = new CliRunner(project);
        String agentToken = cli.register("alice").get("SWARM_TOKEN");
        String operatorToken = OperatorToken.readOrCreate(project);
        String wrongToken = Tokens.newToken();
        String oddToken = "not-shaped-like-a-token-" + Tokens.newToken().substring(4); // not masked by the token pattern
        try (HubProcess hub = HubProcess.start(project, Map.of(), List.of("-D" + HubLog.MAX_SIZE_PROPERTY + "=" + LOG_LIMIT))) {
            assertThat(get("/locks", agentToken).statusCode()).isEqualTo(200);
            HttpResponse<String> registered = post("/agents", operatorToken, "{\"id\":\"bob\"}");
            assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
            String bobsToken = JSON.readTree(registered.body()).path("token").asString();
            assertThat(post("/locks", wrongToken, "{\"resources\":[\"a.py\"]}").statusCode()).isEqualTo(401);
            assertThat(post("/locks", oddToken, "{\"resources\":[\"a.py\"]}").statusCode()).isEqualTo(401);
            assertThat(post("/locks", agentToken, "{\"resources\":[\"a.py\"],\"ttl\":\"forever\"}").statusCode()).isEqualTo(400);
            assertThat(post("/locks", bobsToken, "{\"resources\":[\"a.py\"]}").statusCode()).isEqualTo(200);
            assertThat(post("/locks", agentToken, "{\"resources\":[\"a.py\"]}").statusCode()).as("held by bob").isEqualTo(409);

            Await.until("the refusals in the hub's log", () -> log().contains("refused 409 POST /api/v1/locks: conflict"));
            String log = log();
            assertThat(log).contains("hub started for " + project, "pid " + hub.pid())
                    .contains("refused 401 POST /api/v1/locks: unauthenticated: ")
                    .contains("refused 400 POST /api/v1/locks: bad_input: ");
            List<String> secrets = List.of(agentToken, operatorToken, wrongToken, oddToken, bobsToken);
            assertNoneIn(secrets, log);

            // refusals until the log is rotated: the rotated file holds them, and no token either
            for (int i = 0; !Files.exists(rotated(1)); i++) {
                assertThat(post("/locks", i % 2 == 0 ? wrongToken : oddToken, "{\"resources\":[\"a.py\"]}").statusCode()).isEqualTo(401);
                assertThat(i).as("requests refused before hub.log was rotated at " + LOG_LIMIT + " bytes").isLessThan(2_000);
            }
            // Logback renames hub.log, then creates it again: a look in between finds no hub.log
            Await.until("hub.log created again after its rotation", () -> Files.exists(HubFiles.log(project)));
            assertThat(Files.size(rotated(1))).isGreaterThanOrEqualTo(LOG_LIMIT).isLessThan(LOG_LIMIT + 1_000);
            for (Path file : List.of(HubFiles.log(project), rotated(1))) {
                assertNoneIn(secrets, Files.readString(file));
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).as(file.toString()).isEqualTo("rw-------");
            }
            assertThat(hub.log()).as("the foreground hub's stderr: warnings only").doesNotContain("refused 401");

            hub.stop();
            assertThat(log()).contains("hub stopped (pid " + hub.pid());
        }
    }

    @Test
    void requestsAndCommandsSlowerThanTheSettingAreLoggedWithTheirDuration() throws Exception {
        CliRunner cli = new CliRunner(project);
        String operatorToken = cli.operatorToken();
        try (HubProcess hub = HubProcess.start(project)) {
            assertThat(cli.run(Map.of("SWARM_TOKEN", operatorToken), "config", "hub.slow-request", "0s").exitCode()).isZero();
            // the hub reads the setting at most once a second: ask until it applies it
            Await.until("a slow request in the hub's log", () -> get("/agents", operatorToken).statusCode() == 200
                    && log().contains("slow request: GET /api/v1/agents took "));
            CliFrames.Response agents = SwarmClient.exchange(project, new String[] {"agents", "--json"},
                    Map.of("SWARM_ROOT", project.toString()), project);
            assertThat(agents.exitCode()).as(agents.err()).isZero();
            Await.until("a slow command in the hub's log", () -> log().contains("slow command: swarm agents took "));
            assertThat(hub.log()).as("warnings of a hub in the foreground also go to its stderr").contains("slow request: GET /api/v1/agents");
        }
    }

    @Test
    void theLeanClientNeverLoadsTheLoggingLibrary() throws Exception {
        try (HubProcess hub = HubProcess.start(project)) {
            Path classes = project.resolve("classes.txt");
            Process client = new ProcessBuilder(JavaProcess.javaBinary(), "-XX:+UseSerialGC", "-XX:-UsePerfData",
                    "--enable-native-access=ALL-UNNAMED", "-Xlog:class+load=info:file=" + classes, "-cp", System.getProperty("java.class.path"),
                    SwarmClient.class.getName(), "--root", project.toString(), "lock", "list", "--json")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(client.waitFor()).as(out).isZero();
            assertThat(JSON.readTree(out).has("leases")).as(out).isTrue();
            String loaded = Files.readString(classes);
            assertThat(loaded).as("the client ran its command through the hub").contains(SwarmClient.class.getName())
                    .doesNotContain(Swarm.class.getName() + " ");
            assertThat(loaded).doesNotContain("ch.qos.logback").doesNotContain("org.slf4j");
        }
    }

    private static void assertNoneIn(List<String> secrets, String text) {
        for (String secret : secrets) {
            assertThat(text).as("a token in the hub's log").doesNotContain(secret);
        }
    }

    private Path rotated(int index) {
        return HubFiles.log(project).resolveSibling("hub.log." + index);
    }

    private String log() {
        try {
            return Files.readString(HubFiles.log(project));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String base() {
        return "http://127.0.0.1:" + Hub.readInfo(project).get("port") + "/api/v1";
    }

    private HttpResponse<String> get(String path, String token) {
        return send(HttpRequest.newBuilder(URI.create(base() + path)).header("Authorization", "Bearer " + token).GET().build());
    }

    private HttpResponse<String> post(String path, String token, String body) {
        return send(HttpRequest.newBuilder(URI.create(base() + path)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
