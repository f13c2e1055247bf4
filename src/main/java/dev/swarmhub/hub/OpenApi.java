package dev.swarmhub.hub;

import dev.swarmhub.kernel.SwarmException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import tools.jackson.core.JsonPointer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The API's OpenAPI document: kept as a resource beside this class, with the request schemas and
 * summaries of the routes defined as operations filled in from those definitions.
 */
final class OpenApi {

    private static final JsonNode DOCUMENT = load();

    private OpenApi() {
    }

    /** The document with each POST route's summary and request schema taken from its operation ("POST /locks" -> acquire). */
    static JsonNode document(Map<String, Exposed<?, ?>> postedOperations) {
        ObjectNode document = (ObjectNode) DOCUMENT.deepCopy();
        postedOperations.forEach((route, exposed) -> {
            ObjectNode post = document.withObject("/paths").withObject(JsonPointer.compile("/" + route.substring("POST ".length())
                    .replace("~", "~0").replace("/", "~1"))).withObject("/post");
            post.put("summary", exposed.operation().summary());
            post.withObject("/requestBody").withObject("/content").withObject(JsonPointer.compile("/application~1json"))
                    .set("schema", JsonViews.JSON.valueToTree(exposed.schema(OperationArguments.Wording.BODY)));
        });
        return document;
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
