package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.swarmhub.testing.Fuzzing;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * MCP tool calls and their arguments, fuzzed over the hub's streamable HTTP endpoint in one
 * session of the fuzzer's agent (seeds: McpFuzzTestInputs). An input is the tool's name, then its
 * arguments (a JSON object, sent as given).
 */
class McpFuzzTest {

    /** What an MCP client accepts: a JSON answer or an event stream. */
    private static final Map<String, String> ACCEPT = Map.of("Accept", "application/json, text/event-stream");
    /** JSON-RPC's "internal error": what the SDK answers when a tool fails with an exception of no documented kind. */
    private static final int INTERNAL_ERROR = -32603;

    @TempDir
    static Path project;
    private static FuzzedHub hub;
    private static String session;
    private static String sessionToken;
    private static int calls;

    @AfterAll
    static void stop() {
        if (hub != null) {
            hub.close();
        }
    }

    /**
     * Every tool call is answered, or refused with a documented error (a tool's error document, a
     * JSON-RPC error other than an internal one, or the request checks' 4xx), and a refused call
     * changed nothing.
     */
    @FuzzTest
    void everyToolCallIsAnsweredOrRefusedAndARefusalChangesNothing(byte[] input) {
        String[] lines = Fuzzing.text(input).split("\n", 2);
        if (lines.length < 2 || FuzzedHub.leftOut(lines[0]) || FuzzedHub.leftOut(lines[1])) {
            return;
        }
        hub = FuzzedHub.ready(hub, project);
        openSession();
        String call = "{\"jsonrpc\":\"2.0\",\"id\":" + ++calls + ",\"method\":\"tools/call\",\"params\":{\"name\":"
                + FuzzedHub.JSON.writeValueAsString(lines[0]) + ",\"arguments\":" + lines[1] + "}}";
        FuzzedHub.State before = hub.state();
        FuzzedHub.Reply reply = hub.send("POST", McpService.PATH, sessionToken, withSession(), call).orElseThrow();
        String what = call + " answered " + reply.status() + " " + reply.body();
        boolean refused;
        if (reply.status() == 200) {
            JsonNode answer = message(reply);
            if (answer.has("error")) {
                assertThat(answer.path("error").path("code").asInt()).as(what).isNotEqualTo(INTERNAL_ERROR);
                assertThat(answer.path("error").path("message").asString()).as(what).isNotBlank();
                refused = true;
            } else {
                JsonNode result = answer.path("result");
                refused = result.path("isError").asBoolean(false);
                assertThat(result.path("structuredContent").isObject()).as(what + ": a JSON document").isTrue();
                if (refused) {
                    FuzzedHub.assertRefusal(result.path("structuredContent"), what);
                }
            }
        } else {
            assertThat(reply.status()).as(what).isIn(400, 401, 413);
            FuzzedHub.assertRefusal(reply.json(), what);
            refused = true;
        }
        if (refused) {
            assertThat(hub.state()).as(what + "; logged since: " + hub.since(before)).isEqualTo(before);
        }
        if (reply.status() == 401) {
            hub.register(); // its agent left: the next input opens a session as a new one
        }
    }

    /** A session of the fuzzer's agent (again, when that agent changed): initialize, then initialized. */
    private static void openSession() {
        if (hub.agentToken().equals(sessionToken)) {
            return;
        }
        FuzzedHub.Reply initialized = hub.send("POST", McpService.PATH, hub.agentToken(), ACCEPT,
                "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                        + "\"clientInfo\":{\"name\":\"fuzzer\",\"version\":\"1\"}}}").orElseThrow();
        assertThat(initialized.status()).as(initialized.body()).isEqualTo(200);
        session = initialized.session();
        hub.send("POST", McpService.PATH, hub.agentToken(), withSession(),
                "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}").orElseThrow();
        sessionToken = hub.agentToken();
    }

    private static Map<String, String> withSession() {
        return Map.of("Accept", ACCEPT.get("Accept"), "Mcp-Session-Id", session);
    }

    /** The JSON-RPC answer: the document itself, or the data of an event stream's message. */
    private static JsonNode message(FuzzedHub.Reply reply) {
        if (!reply.type().startsWith("text/event-stream")) {
            return reply.json();
        }
        String data = reply.body().lines().filter(line -> line.startsWith("data:")).map(line -> line.substring(5).strip())
                .collect(Collectors.joining("\n"));
        return FuzzedHub.JSON.readTree(data);
    }
}
