package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.cli.Swarm;
import dev.swarmhub.core.Event;
import dev.swarmhub.core.EventLog;
import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.store.SqliteStore;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.HubProcess;
import dev.swarmhub.testing.JavaProcess;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The hub's MCP server driven by the official SDK's client, over streamable HTTP and over `swarm mcp` (stdio). */
class McpTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final List<String> TOOLS = List.of("register_agent", "whoami", "list_agents", "heartbeat", "acquire_locks",
            "renew_locks", "release_locks", "who_has_lock", "list_locks");

    @TempDir
    Path project;

    private HubProcess hub;
    private String operatorToken;
    private final List<McpSyncClient> clients = new ArrayList<>();

    @BeforeEach
    void startHub() {
        hub = HubProcess.start(project);
        operatorToken = OperatorToken.readOrCreate(project);
    }

    @AfterEach
    void stopHub() {
        clients.forEach(McpSyncClient::closeGracefully);
        hub.close();
    }

    private String endpoint() {
        return "http://127.0.0.1:" + Hub.readInfo(project).get("port");
    }

    private McpSyncClient http(String token) {
        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport.builder(endpoint())
                .endpoint(McpService.PATH)
                .httpRequestCustomizer((request, method, uri, body, context) -> request.header("Authorization", "Bearer " + token))
                .build();
        return started(McpClient.sync(transport).requestTimeout(Duration.ofSeconds(60)).build());
    }

    private McpSyncClient stdio() {
        ServerParameters swarmMcp = ServerParameters.builder(JavaProcess.javaBinary())
                .args("--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Swarm.class.getName(),
                        "mcp", "--root", project.toString())
                .build();
        StdioClientTransport transport = new StdioClientTransport(swarmMcp, new JacksonMcpJsonMapper(JsonViews.JSON));
        return started(McpClient.sync(transport).requestTimeout(Duration.ofSeconds(60)).build());
    }

    private McpSyncClient started(McpSyncClient client) {
        clients.add(client);
        client.initialize();
        return client;
    }

    private static JsonNode call(McpSyncClient client, String tool, Map<String, Object> arguments) {
        McpSchema.CallToolResult result = client.callTool(new McpSchema.CallToolRequest(tool, arguments));
        JsonNode document = JSON.valueToTree(result.structuredContent());
        assertThat(result.isError()).as(tool + " answered " + document).isFalse();
        return document;
    }

    private static JsonNode error(McpSyncClient client, String tool, Map<String, Object> arguments) {
        McpSchema.CallToolResult result = client.callTool(new McpSchema.CallToolRequest(tool, arguments));
        JsonNode document = JSON.valueToTree(result.structuredContent());
        assertThat(result.isError()).as(tool + " should fail but answered " + document).isTrue();
        return document.get("error");
    }

    @Test
    void bothTransportsListTheToolsCompactlyAndActAsTheRegisteredAgent() {
        for (McpSyncClient client : List.of(http(operatorToken), stdio())) {
            McpSchema.ListToolsResult tools = client.listTools();
            assertThat(tools.tools()).extracting(McpSchema.Tool::name).containsExactlyInAnyOrderElementsOf(TOOLS);
            assertThat(JsonViews.json(tools).length()).as("tools/list size in characters").isLessThan(6_000);

            assertThat(error(client, "acquire_locks", Map.of("resources", List.of("a.py"))).get("code").asString())
                    .isEqualTo("unauthenticated");
            String id = client == clients.get(0) ? "over-http" : "over-stdio";
            JsonNode registered = call(client, "register_agent", Map.of("id", id, "kind", "claude"));
            assertThat(registered.get("token").asString()).startsWith("swt_");
            assertThat(call(client, "whoami", Map.of()).get("id").asString()).isEqualTo(id);
            JsonNode granted = call(client, "acquire_locks", Map.of("resources", List.of(id + ".py"), "reason", "edit"));
            assertThat(granted.get("leases").get(0).get("agent").asString()).isEqualTo(id);
            assertThat(call(client, "who_has_lock", Map.of("resource", id + ".py")).get("leases").get(0).get("agent").asString())
                    .isEqualTo(id);
            String locks = ((McpSchema.TextResourceContents) client.readResource(new McpSchema.ReadResourceRequest("swarm://locks"))
                    .contents().get(0)).text();
            assertThat(locks).contains(id + ".py");
            assertThat(call(client, "release_locks", Map.of()).get("released")).hasSize(1);
        }
    }

    @Test
    void aSessionNeverActsAsAnotherAgentAndBadArgumentsAreClearErrors() throws Exception {
        McpSyncClient operatorSession = http(operatorToken);
        String aliceToken = call(operatorSession, "register_agent", Map.of("id", "alice")).get("token").asString();
        assertThat(error(operatorSession, "register_agent", Map.of("id", "bob")).get("code").asString()).isEqualTo("denied");

        McpSyncClient alice = http(aliceToken);
        assertThat(call(alice, "whoami", Map.of()).get("id").asString()).isEqualTo("alice");
        JsonNode other = error(alice, "register_agent", Map.of("id", "mallory"));
        assertThat(other.get("code").asString()).isEqualTo("denied");
        assertThat(other.get("message").asString()).contains("alice");

        assertThat(error(alice, "acquire_locks", Map.of("resources", "a.py")).get("message").asString())
                .contains("'resources'", "array of strings");
        assertThat(error(alice, "acquire_locks", Map.of("resources", List.of("a.py"), "colour", "red")).get("message").asString())
                .contains("unknown argument 'colour'");
        assertThat(error(alice, "acquire_locks", Map.of("resources", List.of("../etc/passwd"))).get("code").asString())
                .isEqualTo("bad_input");
        assertThat(error(alice, "who_has_lock", Map.of()).get("message").asString()).contains("missing argument 'resource'");

        HttpClient raw = HttpClient.newHttpClient();
        for (String authorization : new String[] {null, "Bearer swt_wrong", "Basic x"}) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(endpoint() + McpService.PATH))
                    .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}"));
            if (authorization != null) {
                request.header("Authorization", authorization);
            }
            HttpResponse<String> refused = raw.send(request.build(), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).as(String.valueOf(authorization)).isEqualTo(401);
            assertThat(JSON.readTree(refused.body()).get("error").get("code").asString()).isEqualTo("unauthenticated");
        }
    }

    @Test
    void twoSessionsContendingForOneFileTheSecondWaitsAndIsGrantedOnRelease() throws Exception {
        McpSyncClient first = http(operatorToken);
        call(first, "register_agent", Map.of("id", "first"));
        McpSyncClient second = http(operatorToken);
        call(second, "register_agent", Map.of("id", "second"));

        call(first, "acquire_locks", Map.of("resources", List.of("shared.py")));
        // its own thread: the common pool (one thread on two cores) also completes the clients' HTTP responses
        ExecutorService waiting = Executors.newSingleThreadExecutor();
        Future<JsonNode> waited = waiting.submit(
                () -> call(second, "acquire_locks", Map.of("resources", List.of("shared.py"), "wait", "30s")));
        waiting.shutdown();
        try (SqliteStore store = SqliteStore.openProject(project)) {
            EventLog log = new EventLog(store);
            Await.until("second's acquire to queue", () -> !log.latest("second", "lease.queued", 1).isEmpty());
            assertThat(waited.isDone()).as("second's wait answered before the release").isFalse();
            assertThat(call(first, "who_has_lock", Map.of("resource", "shared.py")).get("leases").get(0).get("agent").asString())
                    .as("while second waits").isEqualTo("first");

            call(first, "release_locks", Map.of("resources", List.of("shared.py")));
            JsonNode granted = waited.get(30, TimeUnit.SECONDS);
            assertThat(granted.get("leases").get(0).get("agent").asString()).isEqualTo("second");
            List<Event> grants = log.latest(null, "lease.acquired", 10);
            assertThat(grants).extracting(Event::agent).containsExactly("first", "second");
        }
    }
}
