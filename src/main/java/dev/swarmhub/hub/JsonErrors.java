package dev.swarmhub.hub;

import dev.swarmhub.kernel.SwarmException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * The HTTP server's own refusals, made before any servlet sees the request (a path with an empty
 * segment, which Jetty will not route), in the API's error document rather than an HTML page:
 * clients of the API and MCP read every error the same way.
 */
final class JsonErrors extends ErrorHandler {

    /** Jetty writes an error document only for GET, POST and HEAD; the API answers every method with one. */
    @Override
    public boolean errorPageForMethod(String method) {
        return true;
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause, Callback callback) {
        String why = message == null || message.isBlank() ? HttpStatus.getMessage(code) : message;
        SwarmException.Kind kind = kind(code);
        String by = kind == SwarmException.Kind.INTERNAL ? "internal error in the HTTP server: " : "refused by the HTTP server: ";
        byte[] json = JsonViews.JSON.writeValueAsBytes(JsonViews.error(new SwarmException(kind, by + why)));
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.write(true, ByteBuffer.wrap(json), callback);
    }

    /** The kind of a status the server chose itself, as {@link Api#status} maps kinds to statuses. */
    private static SwarmException.Kind kind(int status) {
        return switch (status) {
            case 401 -> SwarmException.Kind.UNAUTHENTICATED;
            case 409 -> SwarmException.Kind.DENIED;
            case 503 -> SwarmException.Kind.UNAVAILABLE;
            default -> HttpStatus.isClientError(status) ? SwarmException.Kind.BAD_INPUT : SwarmException.Kind.INTERNAL;
        };
    }
}
