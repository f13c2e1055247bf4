package dev.swarmhub.hub;

import dev.swarmhub.kernel.SwarmException;
import java.io.IOException;
import java.io.InputStream;
import tools.jackson.databind.JsonNode;

/** The API's OpenAPI document, kept as a resource beside this class. */
final class OpenApi {

    private static final JsonNode DOCUMENT = load();

    private OpenApi() {
    }

    static JsonNode document() {
        return DOCUMENT;
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
