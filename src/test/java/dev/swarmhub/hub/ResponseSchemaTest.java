package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.hub.ApiTest.HubApi;
import dev.swarmhub.hub.ApiTest.Reply;
import dev.swarmhub.leases.Lease;
import dev.swarmhub.leases.Leases;
import dev.swarmhub.leases.Mode;
import dev.swarmhub.leases.ResourceParser;
import dev.swarmhub.testing.Await;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Every route's answers match the schemas the OpenAPI document gives for them: each route is
 * called in a hub, with the shapes that appear only sometimes (an expired lease released, an
 * agent's leases, a reader's own receipt, a denied acquire, a rate limit), and its JSON is
 * validated (networknt json-schema-validator, JSON Schema 2020-12, dates checked as dates)
 * against the documented schema made strict: no property the schema does not name, so a view
 * that gains, loses or renames a field without its schema fails here.
 */
class ResponseSchemaTest {

    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
            builder -> builder.schemaRegistryConfig(SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build()));

    @TempDir
    Path project;

    private Hub hub;
    private HubApi api;
    private String operator;
    private JsonNode document;
    /** The documented answers validated: "POST /locks 200". */
    private final Set<String> validated = new TreeSet<>();

    @BeforeEach
    void startHub() {
        hub = ApiTest.startHub(project);
        api = new HubApi(hub.port());
        operator = OperatorToken.readOrCreate(project);
    }

    @AfterEach
    void stopHub() {
        if (hub != null) {
            hub.close();
        }
        if (api != null) {
            api.close();
        }
    }

    @Test
    void everyRouteAnswersWhatItsSchemaSays() throws Exception {
        document = api.ok(api.get(operator, "/openapi.json")).json();
        check("GET /openapi.json", 200, api.get(operator, "/openapi.json"));

        // agents and leases, with the shapes that appear only sometimes
        String alice = check("POST /agents", 201, api.post(operator, "/agents", "{\"id\":\"alice\",\"label\":\"the first\"}"))
                .json().path("token").asString();
        String bob = api.register(operator, "bob");
        long srcToken = check("POST /locks", 200, api.post(alice, "/locks", "{\"resources\":[\"a.txt\",\"src/**\"],\"reason\":\"edit\"}"))
                .json().path("leases").get(1).path("token").asLong();
        check("GET /locks/fence", 200, api.get(bob, "/locks/fence?resource=src/app.py&token=" + srcToken));
        check("GET /locks/fence", 409, api.get(bob, "/locks/fence?resource=src/app.py&token=" + (srcToken + 1)));
        java.nio.file.Files.createDirectories(project.resolve("src"));
        check("POST /locks/write", 200, api.post(alice, "/locks/write", "{\"path\":\"src/app.py\",\"token\":" + srcToken + ",\"content\":\"v1\\n\"}"));
        check("POST /locks/write", 409, api.post(bob, "/locks/write", "{\"path\":\"src/app.py\",\"token\":" + srcToken + ",\"content\":\"bob\"}"));
        assertThat(java.nio.file.Files.readString(project.resolve("src/app.py"))).isEqualTo("v1\n");
        int largest = dev.swarmhub.leases.LeaseOperations.FencedWrite.LARGEST_CONTENT_BYTES;
        String escaped = "\\u0001".repeat(largest); // the largest content with every byte escaped, as JSON may: six times its size
        check("POST /locks/write", 200, api.post(alice, "/locks/write", "{\"path\":\"src/large.bin\",\"token\":" + srcToken + ",\"content\":\""
                + escaped + "\"}"));
        assertThat(java.nio.file.Files.size(project.resolve("src/large.bin"))).isEqualTo(largest);
        assertThat(check("POST /locks/write", 400, api.post(alice, "/locks/write", "{\"path\":\"src/large.bin\",\"token\":" + srcToken
                + ",\"content\":\"" + escaped + "\\u0001\"}")).json().path("error").path("message").asString()).as("one byte more: the content's own limit speaks")
                .contains("'content' is over 1 MiB");
        Reply denied = check("POST /locks", 409, api.post(bob, "/locks", "{\"resources\":[\"a.txt\"],\"mode\":\"shared\"}"));
        assertThat(denied.json().path("conflicts")).as("a denied acquire names what is in the way").isNotEmpty();
        check("GET /locks", 200, api.get(operator, "/locks"));
        check("GET /locks", 200, api.get(operator, "/locks?resource=a.txt"));
        check("GET /locks", 200, api.get(operator, "/locks?all=true"));
        check("POST /locks/renew", 200, api.post(alice, "/locks/renew", "{\"all\":true,\"ttl\":\"10m\"}"));
        Thread waiting = Thread.ofVirtual().start(() -> api.post(bob, "/locks", "{\"resources\":[\"a.txt\"],\"wait\":\"1m\"}"));
        Await.until("bob queued", () -> !api.get(operator, "/locks/waiters").json().path("waiters").isEmpty());
        check("GET /locks/waiters", 200, api.get(operator, "/locks/waiters"));
        check("POST /locks/release-agent", 200, api.post(operator, "/locks/release-agent", "{\"agent\":\"alice\",\"resource\":\"a.txt\"}"));
        waiting.join();
        api.ok(api.post(bob, "/locks/release", "{\"resources\":[\"a.txt\"]}"));
        Reply agents = check("GET /agents", 200, api.get(operator, "/agents"));
        assertThat(agents.json().path("agents").get(0).has("leases")).isTrue();
        check("POST /agents/heartbeat", 200, api.post(alice, "/agents/heartbeat", ""));
        check("POST /agents/activity", 200, api.post(alice, "/agents/activity", "{\"activity\":\"waiting-for-input\"}"));
        Reply problems = check("GET /agents", 200, api.get(operator, "/agents?problems=true"));
        assertThat(problems.json().path("agents")).singleElement().satisfies(agent -> assertThat(agent.path("activity").asString())
                .isEqualTo("waiting-for-input"));

        check("POST /locks/release", 200, api.post(alice, "/locks/release", "{\"resources\":[\"src/**\"]}"));
        api.ok(api.post(bob, "/locks", "{\"resources\":[\"c.txt\"],\"ttl\":\"1s\"}"));
        check("POST /locks/release-agent", 200, api.post(operator, "/locks/release-agent", "{\"agent\":\"alice\",\"reason\":\"test\"}"));
        Thread.sleep(1_100);
        check("POST /locks/cleanup", 200, api.post(operator, "/locks/cleanup", "")); // c.txt, unless the hub's timer was first
        // the states a second's timer decides: built as the routes build them
        Lease expired = new Lease(7, new ResourceParser(project).parse("b.txt"), Mode.EXCLUSIVE, "bob", 42, "", 1_000, 2_000);
        validate("POST /locks/release", 200, "application/json", tree(JsonViews.releasedList(List.of(
                new Leases.Released(expired, true, List.of("alice")), new Leases.Released(expired, false, List.of())))));
        validate("POST /locks/cleanup", 200, "application/json", tree(JsonViews.cleanup(List.of(expired), 1)));

        // messages: sent, listed, shown to a recipient (with its own receipt), read, acked, answered, searched
        JsonNode sent = check("POST /messages", 201, api.post(alice, "/messages",
                "{\"to\":[\"bob\"],\"type\":\"question\",\"text\":\"which port?\",\"priority\":\"urgent\"}")).json();
        String id = sent.path("id").asString();
        check("GET /messages", 200, api.get(bob, "/messages"));
        check("GET /messages", 200, api.get(bob, "/messages?unread=true&wait=1s"));
        Reply shown = check("GET /messages/{id}", 200, api.get(bob, "/messages/" + id));
        assertThat(shown.json().has("mine")).as("a recipient sees its own receipt").isTrue();
        check("GET /messages/{id}", 200, api.get(alice, "/messages/" + id));
        check("POST /messages/{id}/read", 200, api.post(bob, "/messages/" + id + "/read", ""));
        check("POST /messages/{id}/ack", 200, api.post(bob, "/messages/" + id + "/ack", ""));
        check("POST /messages/{id}/reply", 201, api.post(bob, "/messages/" + id + "/reply", "{\"text\":\"8080\"}"));
        check("GET /messages/{id}/thread", 200, api.get(alice, "/messages/" + id + "/thread"));
        check("GET /messages/search", 200, api.get(alice, "/messages/search?q=port"));
        check("GET /messages/recent", 200, api.get(operator, "/messages/recent?limit=2"));
        check("POST /messages/broadcast", 201, api.post(alice, "/messages/broadcast", "{\"type\":\"info\",\"text\":\"all\"}"));

        // tasks: created (one after another), listed, claimed, reported on, linked, counted, closed and opened again
        String first = check("POST /tasks", 201, api.post(alice, "/tasks", "{\"title\":\"schema\",\"label\":[\"api\"],\"priority\":0}"))
                .json().path("id").asString();
        String second = check("POST /tasks", 201, api.post(alice, "/tasks", "{\"title\":\"then\",\"parent\":\"" + first
                + "\",\"after\":[\"" + first + "\"]}")).json().path("id").asString();
        check("GET /tasks", 200, api.get(bob, "/tasks?ready=true&label=api"));
        JsonNode claimed = check("POST /tasks/claim", 200, api.post(bob, "/tasks/claim", "{}")).json();
        assertThat(claimed.path("task").path("id").asString()).isEqualTo(first);
        check("POST /tasks/{id}/report", 200, api.post(bob, "/tasks/" + first + "/report", "{\"outcome\":\"progress\",\"percent\":50,"
                + "\"fencing\":" + claimed.path("lease").path("token").asLong() + "}"));
        check("GET /tasks/{id}", 200, api.get(alice, "/tasks/" + first));
        check("GET /tasks/{id}/tree", 200, api.get(alice, "/tasks/" + first + "/tree"));
        check("GET /tasks/stats", 200, api.get(operator, "/tasks/stats"));
        check("POST /tasks/{id}/report", 200, api.post(bob, "/tasks/" + first + "/report", "{\"outcome\":\"done\"}"));
        check("POST /tasks/{id}/link", 200, api.post(alice, "/tasks/" + second + "/link", "{\"related\":\"" + first + "\"}"));
        check("POST /tasks/{id}/unlink", 200, api.post(alice, "/tasks/" + second + "/unlink", "{\"related\":\"" + first + "\"}"));
        check("POST /tasks/{id}/cancel", 200, api.post(alice, "/tasks/" + second + "/cancel", "{\"reason\":\"schema\"}"));
        check("POST /tasks/{id}/reopen", 200, api.post(alice, "/tasks/" + second + "/reopen", ""));
        check("POST /tasks/{id}/assign", 200, api.post(operator, "/tasks/" + second + "/assign", "{\"agent\":\"bob\"}"));

        // processes: spawned (by an agent: its child), listed, shown, counted, stopped
        JsonNode spawned = check("POST /processes", 201, api.post(alice, "/processes", "{\"command\":[\"sleep\",\"60\"],\"task\":\""
                + second + "\",\"env\":[\"A=1\"]}")).json().path("process");
        assertThat(spawned.path("state").asString()).isEqualTo("running");
        check("GET /processes", 200, api.get(operator, "/processes?all=true"));
        check("GET /processes/{id}", 200, api.get(alice, "/processes/" + spawned.path("agent").asString()));
        check("GET /processes/stats", 200, api.get(operator, "/processes/stats"));
        check("GET /processes/{id}/output", 200, api.get(operator, "/processes/" + spawned.path("agent").asString() + "/output?lines=5"));
        check("GET /processes/{id}/output", 400, api.get(operator, "/processes/" + spawned.path("agent").asString() + "/output?lines=1001"));
        JsonNode killed = check("POST /processes/{id}/kill", 200, api.post(alice, "/processes/" + spawned.path("id").asString() + "/kill",
                "{\"grace\":\"5s\",\"reason\":\"schema\"}")).json();
        assertThat(killed.path("processes").get(0).path("state").asString()).isEqualTo("killed");

        // the coordination document: changed every way, read whole, by section, its sections and history; a stale set refused
        check("POST /doc/sections", 200, api.post(alice, "/doc/sections", "{\"name\":\"Risks\",\"after\":\"Blocked\"}"));
        check("POST /doc/append", 200, api.post(alice, "/doc/append", "{\"section\":\"Risks\",\"text\":\"- the disk\"}"));
        check("POST /doc/set", 200, api.post(bob, "/doc/set", "{\"section\":\"Risks\",\"text\":\"- none\",\"ifVersion\":2}"));
        check("POST /doc/set", 409, api.post(bob, "/doc/set", "{\"section\":\"Risks\",\"text\":\"- stale\",\"ifVersion\":2}"));
        check("POST /doc", 200, api.post(alice, "/doc", "{\"section\":\"Risks\",\"action\":\"append\",\"text\":\"- more\"}"));
        check("POST /doc/remove-line", 200, api.post(alice, "/doc/remove-line", "{\"section\":\"Risks\",\"line\":\"more\"}"));
        check("POST /doc/rename-section", 200, api.post(alice, "/doc/rename-section", "{\"section\":\"Risks\",\"name\":\"Known Risks\"}"));
        check("GET /doc", 200, api.get(bob, "/doc"));
        check("GET /doc", 200, api.get(bob, "/doc?section=Known%20Risks"));
        check("GET /doc/sections", 200, api.get(operator, "/doc/sections"));
        check("GET /doc/history", 200, api.get(operator, "/doc/history?section=Known%20Risks&limit=5"));
        check("POST /doc/remove-section", 200, api.post(alice, "/doc/remove-section", "{\"section\":\"Known Risks\"}"));

        // the log, as a page and as a stream
        check("GET /log", 200, api.get(operator, "/log?limit=5"));
        check("GET /log", 200, api.get(operator, "/log?after=0&kind=lease.acquired"));
        try (EventStreamTest.RawStream stream = EventStreamTest.RawStream.open(hub.port(), operator, "?after=0")) {
            for (String data : stream.readData(10)) {
                validate("GET /events", 200, "text/event-stream", HubApi.JSON.readTree(data));
            }
        }

        // refusals: each the error document
        check("GET /locks", 401, api.get("not-a-token", "/locks"));
        check("POST /locks", 400, api.post(alice, "/locks", "{\"resources\":\"a.txt\"}"));
        check("GET /messages/{id}", 400, api.get(alice, "/messages/01ZZZZZZZZZZ"));
        check("POST /locks", 413, api.post(alice, "/locks", "{\"reason\":\"" + "x".repeat(Api.MAX_BODY) + "\"}"));
        check("POST /locks/write", 413, api.postLarge(alice, "/locks/write", "{\"content\":\"" + "x".repeat(Api.MAX_WRITE_BODY) + "\"}"));
        Reply unknown = api.get(alice, "/no/such/route");
        assertThat(unknown.status()).isEqualTo(404);
        validate("GET /locks", 404, "application/json", unknown.json()); // any route's 4XX
        String carol = api.register(operator, "carol");
        Reply limited = null;
        for (int i = 0; i < 20 && (limited == null || limited.status() != 429); i++) {
            limited = api.post(carol, "/messages", "{\"to\":[\"bob\"],\"type\":\"info\",\"text\":\"" + i + "\"}");
        }
        check("POST /messages", 429, limited);
        assertThat(limited.json().path("error").has("retryAfterMs")).isTrue();

        check("POST /agents/leave", 200, api.post(bob, "/agents/leave", ""));

        Set<String> documented = new TreeSet<>();
        for (Map.Entry<String, JsonNode> path : document.path("paths").properties()) {
            for (Map.Entry<String, JsonNode> operation : path.getValue().properties()) {
                for (String status : operation.getValue().path("responses").propertyNames()) {
                    if (status.startsWith("2")) {
                        documented.add(operation.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey() + " " + status);
                    }
                }
            }
        }
        assertThat(validated).as("every documented answer was checked").containsAll(documented);
        System.out.println("ResponseSchemaTest: " + validated.size() + " documented answers validated against their schemas");
    }

    /** A schema that a drifted answer fails: a lease without its id, a message with a field its schema does not name. */
    @Test
    void anAnswerThatDriftsFromItsSchemaFails() {
        document = api.ok(api.get(operator, "/openapi.json")).json();
        String alice = api.register(operator, "alice");
        ObjectNode granted = (ObjectNode) api.ok(api.post(alice, "/locks", "{\"resources\":[\"a.txt\"]}")).json();
        assertThat(errors("POST /locks", 200, "application/json", granted)).isEmpty();

        ObjectNode withoutId = granted.deepCopy();
        ((ObjectNode) withoutId.path("leases").get(0)).remove("id");
        assertThat(errors("POST /locks", 200, "application/json", withoutId)).isNotEmpty();
        ObjectNode renamed = granted.deepCopy();
        ObjectNode lease = (ObjectNode) renamed.path("leases").get(0);
        lease.set("holder", lease.remove("agent"));
        assertThat(errors("POST /locks", 200, "application/json", renamed)).isNotEmpty();
        ObjectNode extra = granted.deepCopy();
        ((ObjectNode) extra.path("leases").get(0)).put("holderPid", 5);
        assertThat(errors("POST /locks", 200, "application/json", extra)).isNotEmpty();
        ObjectNode wrongMode = granted.deepCopy();
        ((ObjectNode) wrongMode.path("leases").get(0)).put("mode", "EXCLUSIVE");
        assertThat(errors("POST /locks", 200, "application/json", wrongMode)).isNotEmpty();
        ObjectNode badTime = granted.deepCopy();
        ((ObjectNode) badTime.path("leases").get(0)).put("expiresAt", "soon");
        assertThat(errors("POST /locks", 200, "application/json", badTime)).isNotEmpty();
    }

    private static JsonNode tree(Object view) {
        return HubApi.JSON.readTree(JsonViews.json(view));
    }

    /** Validates an answer against its route's documented schema for its status; returns it. */
    private Reply check(String route, int status, Reply reply) {
        assertThat(reply.status()).as(route + ": " + reply.body()).isEqualTo(status);
        if (document != null) {
            validate(route, status, "application/json", reply.json());
        }
        return reply;
    }

    private void validate(String route, int status, String mediaType, JsonNode answer) {
        assertThat(errors(route, status, mediaType, answer)).as(route + " " + status + " answered " + answer).isEmpty();
        validated.add(route + " " + status);
    }

    /** What is wrong with the answer by the route's schema for the status (else its 4XX or 5XX), made strict. */
    private List<String> errors(String route, int status, String mediaType, JsonNode answer) {
        int space = route.indexOf(' ');
        JsonNode responses = document.path("paths").path(route.substring(space + 1)).path(route.substring(0, space).toLowerCase(Locale.ROOT))
                .path("responses");
        JsonNode response = responses.has(Integer.toString(status)) ? responses.path(Integer.toString(status)) : responses.path(status / 100 + "XX");
        JsonNode content = response.path("content").path(mediaType);
        JsonNode schema = mediaType.equals("text/event-stream") ? content.path("x-event-data") : content.path("schema");
        assertThat(schema.isObject()).as("a schema for " + route + " " + status + " " + mediaType).isTrue();
        ObjectNode root = (ObjectNode) strict(schema.deepCopy());
        root.set("components", strict(document.path("components").deepCopy()));
        Schema validator = SCHEMAS.getSchema(root);
        return validator.validate(answer).stream().map(Object::toString).toList();
    }

    /** The schema with every object schema that names its properties closed to others. */
    private static JsonNode strict(JsonNode schema) {
        if (schema instanceof ObjectNode object) {
            if (object.has("properties") && !object.has("additionalProperties")) {
                object.put("additionalProperties", false);
            }
            object.properties().forEach(entry -> strict(entry.getValue()));
        } else if (schema.isArray()) {
            schema.forEach(ResponseSchemaTest::strict);
        }
        return schema;
    }
}
