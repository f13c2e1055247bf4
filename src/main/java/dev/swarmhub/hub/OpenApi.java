package dev.swarmhub.hub;

import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.kernel.SwarmException;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import tools.jackson.core.JsonPointer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The API's OpenAPI document: kept as a resource beside this class (paths, summaries, query and
 * path parameters), with what the definitions say filled in: each POST route defined as an
 * operation gets its summary and request schema from it, and every route its answers' schemas,
 * derived from the view records that write them ({@link JsonViews}, {@link JsonSchemas}): the
 * success, and the error document for 4xx and 5xx. Records appear once, under
 * {@code components/schemas}.
 */
final class OpenApi {

    private static final JsonNode DOCUMENT = load();
    private static final String SCHEMAS = "#/components/schemas/";

    private OpenApi() {
    }

    /**
     * What a route answers on success: its status, its media type, and the type of its JSON (a
     * record of {@link JsonViews}, or JsonNode: any object); with more than one, any of them.
     * {@code application/json} unless an event stream, whose events' data has the type.
     */
    record Success(int status, String mediaType, List<Class<?>> types) {

        static Success of(Exposed<?, ?>... exposed) {
            return new Success(exposed[0].status(), "application/json", List.of(exposed).stream().<Class<?>>map(Exposed::answer).toList());
        }

        static Success json(int status, Class<?> type) {
            return new Success(status, "application/json", List.of(type));
        }

        static Success eventStream(Class<?> type) {
            return new Success(200, "text/event-stream", List.of(type));
        }
    }

    /**
     * The document with what each route defined as an operation says of itself
     * ({@code operations}, by route as the document names it: "POST /tasks/{id}/report"): its
     * summary, its request schema (POST), its query parameters (GET) and the path's id (the
     * argument {@code namedInPath} gives for the route), where the written document does not say
     * them; and each route's answers ({@code answers}).
     */
    static JsonNode document(Map<String, Exposed<?, ?>> operations, Function<String, String> namedInPath, Map<String, Success> answers) {
        ObjectNode document = (ObjectNode) DOCUMENT.deepCopy();
        operations.forEach((route, exposed) -> describe(document, route, exposed, namedInPath.apply(route)));
        JsonSchemas.Definitions definitions = new JsonSchemas.Definitions(SCHEMAS);
        Map<String, Object> error = JsonSchemas.of(JsonViews.ErrorView.class, definitions);
        answers.forEach((route, success) -> {
            ObjectNode responses = operation(document, route).putObject("responses");
            List<Map<String, Object>> schemas = success.types().stream().map(type -> JsonSchemas.of(type, definitions)).toList();
            Map<String, Object> schema = schemas.size() == 1 ? schemas.get(0) : OrderedMap.of("anyOf", schemas);
            Map<String, Object> content = success.mediaType().equals("application/json") ? OrderedMap.of("schema", schema)
                    : OrderedMap.of("schema", OrderedMap.of("type", "string"), "x-event-data", schema); // each event's data: one JSON document
            String description = success.mediaType().equals("application/json") ? success.status() == 201 ? "Created" : "OK"
                    : "Server-sent events: id = the event's id, event = its kind, data = the event (x-event-data)";
            responses.set(Integer.toString(success.status()), JsonViews.JSON.valueToTree(OrderedMap.of(
                    "description", description, "content", OrderedMap.of(success.mediaType(), content))));
            if (route.equals("POST /locks")) {
                responses.set("409", response("Denied: \"granted\": false, the leases in the way (\"conflicts\") and the waiters queued before it "
                        + "(\"queuedAhead\"); \"code\": \"timeout\" when a wait ran out", error));
            }
            if (route.equals("POST /messages") || route.equals("POST /messages/broadcast") || route.equals("POST /messages/{id}/reply")) {
                responses.set("429", response("Over the sender's rate limit (messages.rate-limit, default 10/60s): \"retryAfterMs\"", error));
            }
            if (route.equals("GET /events")) {
                responses.set("429", response("Over events.streams-per-token open streams: \"retryAfterMs\"", error));
            }
            responses.set("4XX", response("Refused: 400 bad input, 401 unauthenticated, 404 no such operation or message, 409 denied, "
                    + "413 body too large, 429 rate limited; nothing was changed", error));
            responses.set("5XX", response("500 internal, 503 unavailable (the store stayed locked: retry)", error));
        });
        document.withObject("/components").set("schemas", JsonViews.JSON.valueToTree(new TreeMap<>(definitions.schemas())));
        document.path("paths").properties().forEach(path -> path.getValue().properties().forEach(method -> {
            if (!method.getValue().has("responses")) {
                throw new IllegalStateException("no answers given for " + method.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey());
            }
        }));
        return document;
    }

    private static JsonNode response(String description, Map<String, Object> schema) {
        return JsonViews.JSON.valueToTree(OrderedMap.of("description", description, "content",
                OrderedMap.of("application/json", OrderedMap.of("schema", schema))));
    }

    /** The operation object of a route ("POST /locks"): paths./locks.post. */
    private static ObjectNode operation(ObjectNode document, String route) {
        int space = route.indexOf(' ');
        String path = route.substring(space + 1);
        return document.withObject("/paths").withObject(JsonPointer.compile("/" + path.replace("~", "~0").replace("/", "~1")))
                .withObject("/" + route.substring(0, space).toLowerCase(Locale.ROOT));
    }

    /** The route's summary, request schema or query parameters, and path parameter from its operation ({@code inPath}: the argument the path gives, or null). */
    private static void describe(ObjectNode document, String route, Exposed<?, ?> exposed, String inPath) {
        ObjectNode operation = operation(document, route);
        if (!operation.has("summary")) {
            operation.put("summary", exposed.operation().summary());
        }
        ObjectNode schema = JsonViews.JSON.valueToTree(exposed.schema(route.startsWith("GET ") ? OperationArguments.Wording.QUERY
                : OperationArguments.Wording.BODY));
        if (inPath != null) {
            ((ObjectNode) schema.path("properties")).remove(inPath);
            if (schema.path("required") instanceof ArrayNode required) {
                for (int i = required.size() - 1; i >= 0; i--) {
                    if (required.get(i).asString().equals(inPath)) {
                        required.remove(i);
                    }
                }
            }
        }
        if (route.startsWith("POST ")) {
            operation.withObject("/requestBody").withObject("/content").withObject(JsonPointer.compile("/application~1json"))
                    .set("schema", schema);
        }
        if (operation.has("parameters")) {
            return; // written by hand
        }
        ArrayNode parameters = operation.putArray("parameters");
        if (inPath != null) {
            parameters.add(JsonViews.JSON.valueToTree(OrderedMap.of("name", "id", "in", "path", "required", true,
                    "schema", OrderedMap.of("type", "string"), "description", inPath + " id, or a unique prefix of 6+ characters")));
        }
        if (route.startsWith("GET ")) {
            schema.path("properties").properties().forEach(property -> parameters.add(JsonViews.JSON.valueToTree(OrderedMap.of(
                    "name", property.getKey(), "in", "query", "schema", property.getValue()))));
        }
        if (parameters.isEmpty()) {
            operation.remove("parameters");
        }
    }

    private static JsonNode load() {
        try (InputStream in = OpenApi.class.getResourceAsStream("openapi.json")) {
            if (in == null) {
                throw new IOException("openapi.json is missing from the jar");
            }
            return JsonViews.JSON.readTree(in);
        } catch (IOException e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot load the OpenAPI document: " + e.getMessage(), e);
        }
    }
}
