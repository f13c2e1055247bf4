package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.cli.Swarm;
import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.EventLog;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.HubProcess;
import dev.swarmhub.testing.JavaProcess;
import dev.swarmhub.testing.TestStores;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
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
            "renew_locks", "release_locks", "who_has_lock", "list_locks", "check_fence", "write_file_fenced", "send_message", "broadcast_message", "reply_message",
            "fetch_inbox", "read_message", "ack_message", "search_messages", "create_task", "claim_task", "report_task", "list_tasks",
            "spawn_agent", "list_processes", "stop_process", "read_doc", "update_doc");

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
        return http(token, contents -> { });
    }

    /** A streamable-HTTP session that hands each resource update (the re-read contents) to {@code updates}. */
    private McpSyncClient http(String token, java.util.function.Consumer<List<McpSchema.ResourceContents>> updates) {
        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport.builder(endpoint())
                .endpoint(McpService.PATH)
                .httpRequestCustomizer((request, method, uri, body, context) -> request.header("Authorization", "Bearer " + token))
                .build();
        return started(transport, updates);
    }

    private McpSyncClient stdio() {
        return stdio(contents -> { });
    }

    private McpSyncClient stdio(java.util.function.Consumer<List<McpSchema.ResourceContents>> updates) {
        ServerParameters swarmMcp = ServerParameters.builder(JavaProcess.javaBinary())
                .args("--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Swarm.class.getName(),
                        "mcp", "--root", project.toString())
                .build();
        StdioClientTransport transport = new StdioClientTransport(swarmMcp, new JacksonMcpJsonMapper(JsonViews.JSON));
        return started(transport, updates);
    }

    /**
     * A client that initializes its session; its waits only bound a failing test's time (a loaded
     * machine starts the stdio server's JVM and the hub's MCP SDK slowly; the SDK's default gives up after 20 s).
     */
    private McpSyncClient started(McpClientTransport transport, java.util.function.Consumer<List<McpSchema.ResourceContents>> updates) {
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(60)).initializationTimeout(Duration.ofSeconds(120))
                .resourcesUpdateConsumer(updates).build();
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

    /** A session opened by hand, as a client of this protocol version opens it; its id. */
    private String rawSession(String token, String protocolVersion) throws Exception {
        HttpResponse<String> initialized = rawPost(token, null, null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
                + "{\"protocolVersion\":\"" + protocolVersion + "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}");
        assertThat(rawAnswer(initialized).path("result").path("protocolVersion").asString()).as("negotiated").isEqualTo(protocolVersion);
        return initialized.headers().firstValue("Mcp-Session-Id").orElseThrow(() -> new AssertionError(initialized.body()));
    }

    /** A JSON-RPC message POSTed by hand; the MCP-Protocol-Version header only when {@code protocolVersion} is given. */
    private HttpResponse<String> rawPost(String token, String session, String protocolVersion, String message) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(endpoint() + McpService.PATH))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream").POST(HttpRequest.BodyPublishers.ofString(message));
        if (session != null) {
            request.header("Mcp-Session-Id", session);
        }
        if (protocolVersion != null) {
            request.header(McpService.PROTOCOL_HEADER, protocolVersion);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The one JSON-RPC message of an answer, sent as JSON or as an event stream's event. */
    private static JsonNode rawAnswer(HttpResponse<String> response) {
        String body = response.body().strip();
        if (body.startsWith("{")) {
            return JSON.readTree(body);
        }
        return JSON.readTree(body.lines().filter(line -> line.startsWith("data:")).map(line -> line.substring(5)).reduce("", String::concat));
    }

    private static String toolCall(String tool, String arguments) {
        return "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool + "\",\"arguments\":" + arguments + "}}";
    }

    /**
     * A tools/call of a session the transport holds is answered as one JSON document, echoing its
     * id (a string or a number) and acting as the session's agent; once the session is deleted,
     * or for an id the transport never gave, the transport answers (404) and no tool runs.
     */
    @Test
    void aSessionsToolCallIsAnsweredAsOneJsonDocumentUntilTheSessionIsDeleted() throws Exception {
        String session = rawSession(operatorToken, "2025-06-18");
        HttpResponse<String> registered = rawPost(operatorToken, session, "2025-06-18", toolCall("register_agent", "{\"id\":\"plain\"}"));
        assertThat(registered.headers().firstValue("Content-Type").orElse("")).as(registered.body()).startsWith("application/json");
        JsonNode answer = JSON.readTree(registered.body());
        assertThat(answer.get("id").isIntegralNumber()).as("the id as sent: " + answer).isTrue();
        assertThat(answer.get("id").asInt()).isEqualTo(2);
        assertThat(answer.path("result").path("structuredContent").path("id").asString()).isEqualTo("plain");

        HttpResponse<String> named = rawPost(operatorToken, session, "2025-06-18",
                "{\"jsonrpc\":\"2.0\",\"id\":\"call-7\",\"method\":\"tools/call\",\"params\":{\"name\":\"whoami\",\"arguments\":{}}}");
        JsonNode whoami = JSON.readTree(named.body());
        assertThat(whoami.get("id").asString()).as(named.body()).isEqualTo("call-7");
        assertThat(whoami.path("result").path("structuredContent").path("id").asString()).as(named.body()).isEqualTo("plain");

        HttpResponse<String> deleted = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(endpoint() + McpService.PATH))
                .header("Authorization", "Bearer " + operatorToken).header("Mcp-Session-Id", session).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);
        String registerAnother = toolCall("register_agent", "{\"id\":\"after-delete\"}");
        assertThat(rawPost(operatorToken, session, "2025-06-18", registerAnother).statusCode()).as("a deleted session's call").isEqualTo(404);
        assertThat(rawPost(operatorToken, "never-given", "2025-06-18", registerAnother).statusCode()).as("an unknown session's call")
                .isEqualTo(404);
        try (Store store = TestStores.open(project)) {
            assertThat(new EventLog(store).latest("after-delete", null, 10)).as("what the refused calls did").isEmpty();
        }
    }

    /**
     * Structured content once: the same JSON as text as well only for a client older than
     * structured content (2025-06-18; such a client sends no protocol header), and with every error,
     * which clients show from the text.
     */
    @Test
    void aResultCarriesItsJsonAsTextOnlyForClientsOlderThanStructuredContentAndWithErrors() throws Exception {
        for (McpSyncClient current : List.of(http(operatorToken), stdio())) {
            McpSchema.CallToolResult registered = current.callTool(new McpSchema.CallToolRequest("register_agent", Map.of()));
            assertThat(registered.isError()).as(String.valueOf(registered)).isFalse();
            assertThat(registered.structuredContent()).isNotNull();
            assertThat(registered.content()).as("a current client's answer, over HTTP and through swarm mcp's relay").isEmpty();
            McpSchema.CallToolResult refused = current.callTool(new McpSchema.CallToolRequest("who_has_lock", Map.of()));
            assertThat(refused.isError()).isTrue();
            assertThat(((McpSchema.TextContent) refused.content().get(0)).text()).as("the error as text too")
                    .contains("missing argument 'resource'");
        }

        String older = rawSession(operatorToken, "2025-03-26");
        JsonNode answered = rawAnswer(rawPost(operatorToken, older, null, toolCall("register_agent", "{\"id\":\"older\"}"))).get("result");
        assertThat(answered.get("structuredContent").get("id").asString()).isEqualTo("older");
        assertThat(answered.get("content")).hasSize(1);
        assertThat(JSON.readTree(answered.get("content").get(0).get("text").asString())).as("the same JSON, as text")
                .isEqualTo(answered.get("structuredContent"));
        String current = rawSession(operatorToken, "2025-06-18");
        rawPost(operatorToken, current, "2025-06-18", toolCall("register_agent", "{}"));
        assertThat(rawAnswer(rawPost(operatorToken, current, "2025-06-18", toolCall("whoami", "{}"))).get("result").path("content"))
                .as("a 2025-06-18 client's answer").isEmpty();

        HttpResponse<String> unsupported = rawPost(operatorToken, current, "2099-01-01", toolCall("whoami", "{}"));
        assertThat(unsupported.statusCode()).as(unsupported.body()).isEqualTo(400);
        assertThat(JSON.readTree(unsupported.body()).get("error").get("message").asString()).contains("2099-01-01", "2025-06-18");
    }

    /**
     * Every session's agent reads the tool list into its context, so its size is a cost paid in
     * every session: it must not grow unnoticed. The budget is about 10% over the size measured
     * when it was set (docs/PERFORMANCE.md); a tool or argument that needs more raises it there too.
     */
    @Test
    void theToolListStaysWithinItsSizeBudget() {
        int budgetBytes = 14_700; // measured 13,332 (27 tools, with their annotations)
        byte[] listed = JsonViews.json(http(operatorToken).listTools()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int tokens = listed.length / 4; // the usual estimate for English text and JSON
        System.out.println("McpTest: tools/list is " + listed.length + " bytes of JSON, about " + tokens + " tokens, for "
                + TOOLS.size() + " tools (budget " + budgetBytes + " bytes, " + budgetBytes / 4 + " tokens)");
        assertThat(listed.length).as("tools/list in bytes of JSON").isLessThanOrEqualTo(budgetBytes);
        assertThat(tokens).as("tools/list in estimated tokens").isLessThanOrEqualTo(budgetBytes / 4);
    }

    @Test
    void bothTransportsListTheToolsAndActAsTheRegisteredAgent() {
        for (McpSyncClient client : List.of(http(operatorToken), stdio())) {
            assertThat(client.listTools().tools()).extracting(McpSchema.Tool::name).containsExactlyInAnyOrderElementsOf(TOOLS);

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
            assertThat(error(client, "release_locks", Map.of()).get("message").asString()).as("release all is asked for, as over HTTP and the CLI")
                    .contains("'resources'", "'all'");
            assertThat(call(client, "release_locks", Map.of("all", true)).get("released")).hasSize(1);
        }
    }

    /**
     * The hints a client may act on before calling (approve reads without asking, warn before a
     * destructive call), per tool, written out here so that a change to an operation's effect is
     * a change to this table too.
     */
    @Test
    void eachToolsAnnotationsSayWhatItDoes() {
        List<String> readOnly = List.of("whoami", "list_agents", "who_has_lock", "list_locks", "check_fence", "fetch_inbox",
                "search_messages", "list_tasks", "list_processes", "read_doc");
        List<String> destructive = List.of("release_locks", "write_file_fenced", "report_task", "stop_process", "update_doc");
        List<String> repeatable = List.of("heartbeat", "acquire_locks", "renew_locks", "release_locks", "write_file_fenced", "read_message",
                "ack_message", "stop_process");
        Map<String, McpSchema.ToolAnnotations> hints = new java.util.TreeMap<>();
        http(operatorToken).listTools().tools().forEach(tool -> hints.put(tool.name(), tool.annotations()));

        assertThat(hints.keySet()).containsExactlyInAnyOrderElementsOf(TOOLS);
        hints.forEach((tool, hint) -> {
            assertThat(hint.readOnlyHint()).as(tool + " read-only").isEqualTo(readOnly.contains(tool));
            if (readOnly.contains(tool)) {
                assertThat(hint.destructiveHint()).as(tool + ": only a change is destructive").isNull();
                assertThat(hint.idempotentHint()).as(tool + ": only a change is idempotent").isNull();
            } else {
                assertThat(hint.destructiveHint()).as(tool + " destructive").isEqualTo(destructive.contains(tool));
                assertThat(hint.idempotentHint()).as(tool + " idempotent").isEqualTo(repeatable.contains(tool));
            }
            assertThat(hint.openWorldHint()).as(tool + " reaches beyond the hub").isEqualTo(tool.equals("spawn_agent"));
        });
    }

    /** An argument that takes one of a few values lists them, so that an agent picks one instead of guessing. */
    @Test
    void everyArgumentWithFixedValuesListsThemInItsSchema() {
        McpSyncClient client = http(operatorToken);
        Map<String, JsonNode> schemas = new java.util.HashMap<>();
        client.listTools().tools().forEach(tool -> schemas.put(tool.name(), JSON.valueToTree(tool.inputSchema()).get("properties")));
        Map<String, List<String>> fixed = Map.ofEntries(
                Map.entry("register_agent.kind", List.of("claude", "codex", "aider", "gemini", "cursor", "human", "other")),
                Map.entry("acquire_locks.mode", List.of("exclusive", "shared")),
                Map.entry("send_message.type", dev.swarmhub.messages.MessageType.names()),
                Map.entry("send_message.priority", List.of("normal", "urgent")),
                Map.entry("broadcast_message.priority", List.of("normal", "urgent")),
                Map.entry("reply_message.priority", List.of("normal", "urgent")),
                Map.entry("reply_message.type", dev.swarmhub.messages.MessageType.names()),
                Map.entry("list_tasks.status", dev.swarmhub.tasks.Task.Status.names()),
                Map.entry("report_task.outcome", List.of("progress", "done", "failed", "released")),
                Map.entry("spawn_agent.kind", dev.swarmhub.processes.Run.Kind.names()),
                Map.entry("stop_process.signal", List.of("TERM", "KILL")),
                Map.entry("update_doc.action", List.of("append", "set")));
        fixed.forEach((argument, values) -> {
            String[] toolAndName = argument.split("\\.");
            JsonNode property = schemas.get(toolAndName[0]).get(toolAndName[1]);
            assertThat(property).as(argument).isNotNull();
            assertThat(property.get("enum")).as(argument + " lists its values").isNotNull();
            assertThat(property.get("enum")).extracting(JsonNode::asString).as(argument).containsExactlyElementsOf(values);
        });
        call(client, "register_agent", Map.of("id", "picky", "kind", "CODEX"));
        assertThat(error(client, "send_message", Map.of("to", List.of("picky"), "type", "info", "text", "x", "priority", "asap"))
                .get("message").asString()).isEqualTo("argument 'priority': unknown priority 'asap': use normal or urgent");
        assertThat(call(client, "send_message", Map.of("to", List.of("picky"), "type", "info", "text", "x", "priority", "urgent"))
                .get("priority").asString()).isEqualTo("urgent");
        assertThat(error(client, "stop_process", Map.of("process", "picky", "signal", "HUP")).get("message").asString())
                .isEqualTo("argument 'signal': unknown signal 'HUP': use TERM or KILL");
    }

    /** The four task tools: one creates, one finds and claims work, one reports on it, one reads; a second claimant is refused. */
    @Test
    void agentsShareWorkThroughTheTaskTools() {
        McpSyncClient alice = http(operatorToken);
        call(alice, "register_agent", Map.of("id", "alice"));
        McpSyncClient bob = http(operatorToken);
        call(bob, "register_agent", Map.of("id", "bob"));
        String first = call(alice, "create_task", Map.of("title", "write the parser", "label", List.of("parser"))).get("id").asString();
        String second = call(alice, "create_task", Map.of("title", "test the parser", "after", List.of(first))).get("id").asString();

        JsonNode claimed = call(bob, "claim_task", Map.of());
        assertThat(claimed.get("task").get("id").asString()).as("the only ready task").isEqualTo(first);
        assertThat(error(alice, "claim_task", Map.of("task", first)).get("code").asString()).isEqualTo("denied");
        assertThat(error(alice, "claim_task", Map.of("task", second)).get("message").asString()).contains("waits for " + first);
        assertThat(error(alice, "report_task", Map.of("task", first, "outcome", "done")).get("message").asString())
                .contains("claimed by bob, not by alice");
        call(bob, "report_task", Map.of("task", first, "outcome", "done", "note", "merged", "fencing", claimed.get("lease").get("token").asLong()));

        JsonNode ready = call(alice, "list_tasks", Map.of("ready", true));
        assertThat(ready.get("tasks")).extracting(task -> task.get("id").asString()).containsExactly(second);
        assertThat(call(alice, "claim_task", Map.of()).get("task").get("id").asString()).isEqualTo(second);
    }

    @Test
    void agentsKeepTheCoordinationDocumentThroughTheDocTools() {
        McpSyncClient alice = http(operatorToken);
        call(alice, "register_agent", Map.of("id", "alice"));
        McpSyncClient bob = http(operatorToken);
        call(bob, "register_agent", Map.of("id", "bob"));
        long read = call(alice, "read_doc", Map.of("section", "Blocked")).get("sections").get(0).get("version").asLong();
        JsonNode appended = call(bob, "update_doc", Map.of("section", "Blocked", "action", "append", "text", "- bob: waiting on CI"));
        assertThat(appended.get("section").get("version").asLong()).isEqualTo(read + 1);
        JsonNode refused = JSON.valueToTree(alice.callTool(new McpSchema.CallToolRequest("update_doc", Map.of("section", "Blocked",
                "action", "set", "text", "- nothing", "expected_version", read))).structuredContent());
        assertThat(refused.get("error").get("code").asString()).isEqualTo("version_conflict");
        assertThat(refused.get("section").get("text").asString()).as("the section as it is now").isEqualTo("- bob: waiting on CI");
        JsonNode set = call(alice, "update_doc", Map.of("section", "Blocked", "action", "set", "text", "- nothing", "expected_version", read + 1));
        assertThat(set.get("section").get("changedBy").asString()).isEqualTo("alice");
        assertThat(error(alice, "update_doc", Map.of("section", "Blocked", "action", "merge", "text", "x")).get("message").asString())
                .isEqualTo("argument 'action': unknown action 'merge': use append or set");
        assertThat(call(bob, "read_doc", Map.of()).get("sections")).extracting(section -> section.get("name").asString())
                .contains("Blocked", "Decisions");
    }

    /** The prompt prime: the session's agent, who else is here, its unread messages (read from then on) and the tools to use. */
    @Test
    void thePrimePromptPrimesTheSessionsAgentWithItsUnreadMessagesOnce() {
        McpSyncClient alice = http(operatorToken);
        assertThat(alice.listPrompts().prompts()).extracting(McpSchema.Prompt::name).containsExactly("prime");
        call(alice, "register_agent", Map.of("id", "alice", "kind", "claude"));
        McpSyncClient bob = http(operatorToken);
        call(bob, "register_agent", Map.of("id", "bob"));
        call(bob, "acquire_locks", Map.of("resources", List.of("src/db.py"), "reason", "migration"));
        String sent = call(bob, "send_message", Map.of("to", List.of("alice"), "type", "question", "text", "are you in src/db?"))
                .get("id").asString();

        String primer = ((McpSchema.TextContent) alice.getPrompt(new McpSchema.GetPromptRequest("prime", Map.of())).messages().get(0)
                .content()).text();

        assertThat(primer).contains("you are agent alice").contains("bob (other)").contains("holds src/db.py").contains(sent)
                .contains("are you in src/db?").contains("acquire_locks").contains("send_message").doesNotContain("swarm lock");
        assertThat(call(alice, "fetch_inbox", Map.of("unread", true)).get("messages")).as("read through the primer").isEmpty();
        String again = ((McpSchema.TextContent) alice.getPrompt(new McpSchema.GetPromptRequest("prime", Map.of())).messages().get(0)
                .content()).text();
        assertThat(again).contains("No unread messages").doesNotContain(sent);
    }

    /** A resource reads the same operation as its tool and answers with the same view (never the stored row: no signature). */
    @Test
    void theResourcesAnswerWhatTheToolsAnswer() {
        McpSyncClient alice = http(operatorToken);
        call(alice, "register_agent", Map.of("id", "alice"));
        McpSyncClient bob = http(operatorToken);
        call(bob, "register_agent", Map.of("id", "bob"));
        call(alice, "acquire_locks", Map.of("resources", List.of("src/shared.py"), "reason", "refactor"));
        call(alice, "send_message", Map.of("to", List.of("bob"), "type", "question", "text", "may I take src/util.py?"));
        call(bob, "fetch_inbox", Map.of()); // delivered now: reading the resource changes nothing more

        assertThat(resource(bob, "swarm://agents")).isEqualTo(call(bob, "list_agents", Map.of()));
        assertThat(resource(bob, "swarm://locks")).isEqualTo(call(bob, "list_locks", Map.of()));
        JsonNode inbox = resource(bob, "swarm://inbox/bob");
        assertThat(inbox).isEqualTo(call(bob, "fetch_inbox", Map.of()));
        assertThat(inbox.get("messages").get(0).has("signature")).as("the stored signature stays in the store").isFalse();
        JsonNode log = resource(bob, "swarm://log");
        assertThat(log.get("events")).extracting(event -> event.get("kind").asString()).contains("lease.acquired", "message.sent");
        assertThat(log.get("events").get(0).propertyNames()).containsExactly("id", "at", "kind", "agent", "resource", "details");
    }

    private static JsonNode resource(McpSyncClient client, String uri) {
        return JSON.readTree(((McpSchema.TextResourceContents) client.readResource(new McpSchema.ReadResourceRequest(uri)).contents().get(0)).text());
    }

    /** One definition per operation: the tool's input schema is the API's request schema, both from the operation's arguments. */
    @Test
    void aLeaseOperationIsDescribedAlikeByItsToolAndItsRoute() throws Exception {
        McpSyncClient client = http(operatorToken);
        McpSchema.Tool tool = client.listTools().tools().stream().filter(listed -> listed.name().equals("acquire_locks")).findFirst().orElseThrow();
        JsonNode toolSchema = JSON.valueToTree(tool.inputSchema());
        HttpResponse<String> openApi = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(endpoint() + "/api/v1/openapi.json"))
                .header("Authorization", "Bearer " + operatorToken).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode acquire = JSON.readTree(openApi.body()).path("paths").path("/locks").path("post");
        JsonNode routeSchema = acquire.path("requestBody").path("content").path("application/json").path("schema");

        JsonNode routeSchemaWithoutExamples = routeSchema.deepCopy();
        routeSchemaWithoutExamples.path("properties").forEach(property -> ((tools.jackson.databind.node.ObjectNode) property).remove("examples"));
        ((tools.jackson.databind.node.ObjectNode) routeSchemaWithoutExamples).remove("additionalProperties");
        assertThat(toolSchema).as("the tool's schema is the route's, without examples and additionalProperties (a tool list stays short)")
                .isEqualTo(routeSchemaWithoutExamples);
        assertThat(routeSchema.path("properties").path("ttl").path("examples")).extracting(JsonNode::asString).containsExactly("5m");
        assertThat(routeSchema.path("required")).extracting(JsonNode::asString).containsExactly("resources");
        assertThat(routeSchema.path("properties").propertyNames()).containsExactly("resources", "mode", "ttl", "reason", "wait");
        assertThat(routeSchema.path("additionalProperties").asBoolean(true)).isFalse();
        assertThat(acquire.path("summary").asString()).isEqualTo(tool.description());

        // a route naming its message in the path documents the same arguments, the path's one left out
        JsonNode replyTool = JSON.valueToTree(client.listTools().tools().stream().filter(listed -> listed.name().equals("reply_message"))
                .findFirst().orElseThrow().inputSchema());
        JsonNode replyRoute = JSON.readTree(openApi.body()).path("paths").path("/messages/{id}/reply").path("post").path("requestBody")
                .path("content").path("application/json").path("schema");
        assertThat(replyRoute.path("properties").propertyNames()).containsExactly("text", "type", "priority", "ack");
        assertThat(replyRoute.path("required")).extracting(JsonNode::asString).containsExactly("text");
        assertThat(replyRoute.path("properties").path("type")).as("the message types, from MessageType").isEqualTo(replyTool.path("properties").path("type"));
        assertThat(replyRoute.path("properties").path("type").path("enum")).extracting(JsonNode::asString).contains("QUESTION", "BLOCKED");
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
        assertThat(call(alice, "list_agents", Map.of()).get("agents")).as("refused registrations create no agent")
                .extracting(agent -> agent.get("id").asString()).containsExactly("alice");

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
        HttpResponse<String> repeatedKey = raw.send(HttpRequest.newBuilder(URI.create(endpoint() + McpService.PATH))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .header("Authorization", "Bearer " + aliceToken)
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"method\":\"ping\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(repeatedKey.statusCode()).as(repeatedKey.body()).isEqualTo(400);
        assertThat(JSON.readTree(repeatedKey.body()).get("error").get("message").asString()).contains("\"method\"");
        HttpResponse<String> streamOfNoSession = raw.send(HttpRequest.newBuilder(URI.create(endpoint() + McpService.PATH))
                .header("Accept", "text/event-stream").header("Authorization", "Bearer " + aliceToken).GET()
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(streamOfNoSession.statusCode()).as(streamOfNoSession.body()).isEqualTo(400);
        assertThat(JSON.readTree(streamOfNoSession.body()).get("error").get("message").asString()).contains("Mcp-Session-Id")
                .doesNotContain("Exception");

        // alice's token replaced by another process (out of the hub's sight) after the hub verified it: a tool whose
        // transaction checks no token (whoami, first: a refusal makes the hub forget the token) and one whose does both refuse it
        String session = rawSession(aliceToken, "2025-06-18");
        assertThat(rawAnswer(rawPost(aliceToken, session, "2025-06-18", toolCall("acquire_locks", "{\"resources\":[\"b.py\"]}")))
                .path("result").path("isError").asBoolean()).as("granted while the token is alice's").isFalse();
        int replaced = dev.swarmhub.cli.Swarm.run(new String[] {"--no-hub", "agent", "env", "alice"}, Map.of("SWARM_ROOT", project.toString(),
                "SWARM_TOKEN", operatorToken), project, new java.io.PrintWriter(java.io.Writer.nullWriter()), new java.io.PrintWriter(System.err));
        assertThat(replaced).isZero();
        for (String call : List.of(toolCall("whoami", "{}"), toolCall("acquire_locks", "{\"resources\":[\"c.py\"]}"))) {
            HttpResponse<String> refused = rawPost(aliceToken, session, "2025-06-18", call);
            String code = refused.statusCode() == 401 ? JSON.readTree(refused.body()).path("error").path("code").asString()
                    : rawAnswer(refused).path("result").path("structuredContent").path("error").path("code").asString();
            assertThat(code).as(call + " with the replaced token: " + refused.statusCode() + " " + refused.body()).isEqualTo("unauthenticated");
        }
    }

    @Test
    void agentsMessageEachOtherAndASubscribedInboxIsNotifiedOfArrivals() throws Exception {
        McpSyncClient operatorSession = http(operatorToken);
        String aliceToken = call(operatorSession, "register_agent", Map.of("id", "alice")).get("token").asString();
        String bobToken = call(http(operatorToken), "register_agent", Map.of("id", "bob")).get("token").asString();
        McpSyncClient alice = http(aliceToken);
        java.util.concurrent.BlockingQueue<List<McpSchema.ResourceContents>> bobsUpdates = new java.util.concurrent.LinkedBlockingQueue<>();
        McpSyncClient bob = http(bobToken, bobsUpdates::add);
        bob.subscribeResource(new McpSchema.SubscribeRequest("swarm://inbox/bob"));
        java.util.concurrent.BlockingQueue<List<McpSchema.ResourceContents>> evesUpdates = new java.util.concurrent.LinkedBlockingQueue<>();
        McpSyncClient eve = http(call(http(operatorToken), "register_agent", Map.of("id", "eve")).get("token").asString(), evesUpdates::add);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> eve.subscribeResource(new McpSchema.SubscribeRequest("swarm://inbox/bob")))
                .hasMessageContaining("inbox of bob");

        JsonNode sent = call(alice, "send_message", Map.of("to", List.of("bob"), "type", "blocked", "text", "need the db lock"));
        String id = sent.get("id").asString();
        assertThat(sent.get("ackRequired").asBoolean()).isTrue();
        List<McpSchema.ResourceContents> update = bobsUpdates.poll(30, TimeUnit.SECONDS);
        assertThat(update).as("bob's inbox update after alice's send").isNotNull();
        assertThat(((McpSchema.TextResourceContents) update.get(0)).text()).contains(id);
        assertThat(evesUpdates).as("eve is told nothing of bob's mail").isEmpty();

        JsonNode inbox = call(bob, "fetch_inbox", Map.of("unread", true));
        assertThat(inbox.get("messages")).extracting(message -> message.get("id").asString()).containsExactly(id);
        assertThat(call(bob, "read_message", Map.of("message", id.substring(0, 12))).get("mine").get("readAt").asString()).isNotEmpty();
        assertThat(error(alice, "ack_message", Map.of("message", id)).get("code").asString()).isEqualTo("denied");
        assertThat(call(bob, "ack_message", Map.of("message", id)).get("mine").get("ackedAt").asString()).isNotEmpty();
        JsonNode reply = call(bob, "reply_message", Map.of("message", id, "text", "released it"));
        assertThat(reply.get("thread").asString()).isEqualTo(id);
        assertThat(call(alice, "search_messages", Map.of("query", "releas*")).get("messages"))
                .extracting(message -> message.get("id").asString()).containsExactly(reply.get("id").asString());
        assertThat(call(alice, "broadcast_message", Map.of("type", "info", "text", "all clear")).get("to"))
                .extracting(recipient -> recipient.get("agent").asString()).containsExactlyInAnyOrder("bob", "eve");

        // a waiting fetch returns when a message arrives from another session
        ExecutorService waiting = Executors.newSingleThreadExecutor();
        call(alice, "fetch_inbox", Map.of()); // nothing new for alice beyond the reply
        call(alice, "read_message", Map.of("message", reply.get("id").asString()));
        Future<JsonNode> fetched = waiting.submit(() -> call(alice, "fetch_inbox", Map.of("unread", true, "wait", "30s")));
        waiting.shutdown();
        String late = call(bob, "send_message", Map.of("to", List.of("alice"), "type", "info", "text", "one more")).get("id").asString();
        assertThat(Await.done(fetched).get("messages")).extracting(message -> message.get("id").asString()).contains(late);

        assertThat(error(bob, "send_message", Map.of("to", List.of("nobody"), "type", "info", "text", "x")).get("message").asString())
                .contains("nobody");
        assertThat(error(bob, "send_message", Map.of("to", List.of("alice"), "type", "info", "text", "x", "ack", "yes"))
                .get("message").asString()).contains("'ack'", "true or false");
        assertThat(error(bob, "search_messages", Map.of("query", "x", "limit", 0)).get("message").asString()).contains("'limit'");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> bob.readResource(new McpSchema.ReadResourceRequest("swarm://inbox/alice")))
                .hasMessageContaining("alice");
    }

    @Test
    void aStdioSessionSubscribedToItsInboxIsNotifiedOfArrivalsToo() throws Exception {
        java.util.concurrent.BlockingQueue<List<McpSchema.ResourceContents>> updates = new java.util.concurrent.LinkedBlockingQueue<>();
        McpSyncClient overStdio = stdio(updates::add);
        call(overStdio, "register_agent", Map.of("id", "stdio-agent"));
        overStdio.subscribeResource(new McpSchema.SubscribeRequest("swarm://inbox/stdio-agent"));
        McpSyncClient sender = http(operatorToken);
        call(sender, "register_agent", Map.of("id", "sender"));
        String id = call(sender, "send_message", Map.of("to", List.of("stdio-agent"), "type", "info", "text", "through the relay"))
                .get("id").asString();
        List<McpSchema.ResourceContents> update = updates.poll(30, TimeUnit.SECONDS);
        assertThat(update).as("the stdio session's inbox update").isNotNull();
        assertThat(((McpSchema.TextResourceContents) update.get(0)).text()).contains(id);
    }

    @Test
    void aWaitingToolCallWhoseClientLeavesIsDroppedAndNeverGranted() throws Exception {
        McpSyncClient holder = http(operatorToken);
        call(holder, "register_agent", Map.of("id", "holder"));
        String goneToken = call(http(operatorToken), "register_agent", Map.of("id", "gone")).get("token").asString();
        call(holder, "acquire_locks", Map.of("resources", List.of("y.py")));

        // gone's own session, opened by hand so that its waiting call runs on a socket the test can close
        String session = rawSession(goneToken, "2025-06-18");
        String call = toolCall("acquire_locks", "{\"resources\":[\"y.py\"],\"wait\":\"60s\"}");
        int port = ((Number) Hub.readInfo(project).get("port")).intValue();
        try (Store store = TestStores.open(project)) {
            EventLog log = new EventLog(store);
            try (java.net.Socket waiting = new java.net.Socket("127.0.0.1", port)) {
                waiting.getOutputStream().write(("POST " + McpService.PATH + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                        + "\r\nAuthorization: Bearer " + goneToken + "\r\nMcp-Session-Id: " + session
                        + "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: "
                        + call.length() + "\r\n\r\n" + call).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                Await.until("gone's acquire to queue", () -> !log.latest("gone", "lease.queued", 1).isEmpty());
            } // gone's client goes away
            Await.until("gone's wait to be abandoned", () -> !log.latest("gone", "lease.wait-abandoned", 1).isEmpty());
            call(holder, "release_locks", Map.of("all", true));
            assertThat(call(holder, "who_has_lock", Map.of("resource", "y.py")).get("leases")).as("y.py after the release").isEmpty();
            assertThat(log.latest("gone", "lease.acquired", 10)).as("grants to gone").isEmpty();
        }
    }

    @Test
    void aWaitingToolCallIsAnsweredWhenTheHubStops() throws Exception {
        McpSyncClient holder = http(operatorToken);
        call(holder, "register_agent", Map.of("id", "holder"));
        McpSyncClient waiter = http(operatorToken);
        call(waiter, "register_agent", Map.of("id", "waiter"));
        call(holder, "acquire_locks", Map.of("resources", List.of("z.py")));
        ExecutorService waiting = Executors.newSingleThreadExecutor();
        Future<Object> answer = waiting.submit(() -> {
            try {
                McpSchema.CallToolResult result = waiter.callTool(new McpSchema.CallToolRequest("acquire_locks",
                        Map.of("resources", List.of("z.py"), "wait", "60s")));
                return JSON.valueToTree(result.structuredContent());
            } catch (RuntimeException dropped) {
                return dropped;
            }
        });
        waiting.shutdown();
        try (Store store = TestStores.open(project)) {
            EventLog log = new EventLog(store);
            Await.until("the waiter's acquire to queue", () -> !log.latest("waiter", "lease.queued", 1).isEmpty());
            hub.process().destroy(); // SIGTERM, as swarm down sends
            Object outcome = Await.done(answer); // a hang fails here
            hub.awaitExit();
            System.out.println("McpTest: the waiting tool call after SIGTERM: " + outcome);
            assertThat(log.latest("waiter", "lease.acquired", 10)).as("grants to the waiter").isEmpty();
            assertThat(log.latest("waiter", "lease.wait-abandoned", 10)).as("the wait recorded as abandoned").hasSize(1);
            assertThat(outcome).as("the waiting call gets an answer, not a dropped connection").isInstanceOf(JsonNode.class);
            assertThat(((JsonNode) outcome).path("error").path("message").asString()).contains("interrupted");
        }
    }

    @Test
    void aFencedWriteTakesASourceFileLargerThanOtherRequestsUpToOneMebibyte() throws Exception {
        McpSyncClient writer = http(operatorToken);
        call(writer, "register_agent", Map.of("id", "writer"));
        long token = call(writer, "acquire_locks", Map.of("resources", List.of("big.txt"))).get("leases").get(0).get("token").asLong();
        String source = "line of a generated source file\n".repeat(10_000); // 320 KB: over the 64 KB other requests take
        call(writer, "write_file_fenced", Map.of("path", "big.txt", "token", token, "content", source));
        assertThat(Files.readString(project.resolve("big.txt"))).isEqualTo(source);

        JsonNode refused = error(writer, "write_file_fenced", Map.of("path", "big.txt", "token", token, "content", "y".repeat(1024 * 1024 + 1)));
        assertThat(refused.get("message").asString()).contains("'content' is over 1 MiB");
        assertThat(Files.readString(project.resolve("big.txt"))).as("unchanged").isEqualTo(source);
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
        try (Store store = TestStores.open(project)) {
            EventLog log = new EventLog(store);
            Await.until("second's acquire to queue", () -> !log.latest("second", "lease.queued", 1).isEmpty());
            assertThat(waited.isDone()).as("second's wait answered before the release").isFalse();
            assertThat(call(first, "who_has_lock", Map.of("resource", "shared.py")).get("leases").get(0).get("agent").asString())
                    .as("while second waits").isEqualTo("first");

            call(first, "release_locks", Map.of("resources", List.of("shared.py")));
            JsonNode granted = Await.done(waited);
            assertThat(granted.get("leases").get(0).get("agent").asString()).isEqualTo("second");
            List<Event> grants = log.latest(null, "lease.acquired", 10);
            assertThat(grants).extracting(Event::agent).containsExactly("first", "second");
        }
    }
}
