package dev.swarmhub.cli;

import dev.swarmhub.hub.JsonViews;
import dev.swarmhub.kernel.SwarmException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * One persistent HTTP/1.1 connection of a bench client to the hub. A load generator sharing the
 * machine with the hub must cost little CPU per request, or it measures itself: the JDK's
 * HttpClient spends several times the hub's own work per request here. This speaks only what
 * the hub answers (Content-Length framed JSON, keep-alive), and fails loudly on anything else.
 * Besides API calls it speaks what a bench client needs of MCP (a session, tool calls) and
 * follows an event stream.
 */
final class BenchConnection implements AutoCloseable {

    /** A response: status, body (JSON, or an MCP answer's event stream) and its MCP session header (or null). */
    record Response(int status, String body, String mcpSession) {
    }

    private final InetSocketAddress address;
    private final String host;
    private final String basePath;
    private final StringBuilder line = new StringBuilder();
    private Socket socket;
    private OutputStream out;
    private InputStream in;
    /** When the last answer was read: a connection idle longer than {@link #IDLE_NANOS} is opened anew. */
    private long lastUsed;
    /** Well under the hub's idle timeout, which closes a quiet connection from its side (a closed socket only shows on reading). */
    private static final long IDLE_NANOS = 10_000_000_000L;

    BenchConnection(String apiUrl) {
        URI uri = URI.create(apiUrl);
        address = new InetSocketAddress(uri.getHost(), uri.getPort());
        host = uri.getHost() + ":" + uri.getPort();
        basePath = uri.getPath();
    }

    /** The API's path of this connection's URL (/api/v1). */
    String apiPath() {
        return basePath;
    }

    /** Connects when there is no open connection: at first, and after the hub answered with Connection: close. */
    private void connect() throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(30_000);
        socket.connect(address, 5_000);
        out = socket.getOutputStream();
        in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
    }

    /** Sends one API request (body null: none) and reads its whole response. */
    Response exchange(String token, String method, String path, String body) throws IOException {
        return exchange(token, method, basePath + path, Map.of(), body);
    }

    /** Sends one API request (body: a document for JSON, or null) and returns its JSON answer; fails naming the request on any other status than success. */
    @SuppressWarnings("unchecked")
    Map<String, Object> call(String token, String method, String path, Object body) throws IOException {
        Response response = exchange(token, method, path, body == null ? null : JsonViews.json(body));
        if (response.status() >= 300) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, method + " " + path + " answered " + response.status() + ": " + response.body());
        }
        return JsonViews.JSON.readValue(response.body(), Map.class);
    }

    /** Sends one request to {@code absolutePath} with extra headers (an MCP session's) and reads its whole response. */
    Response exchange(String token, String method, String absolutePath, Map<String, String> headers, String body) throws IOException {
        try {
            send(token, method, absolutePath, headers, body);
            return readResponse();
        } catch (IOException broken) {
            close(); // what is left on this connection is unknown: the next request opens another
            throw broken;
        }
    }

    private void send(String token, String method, String absolutePath, Map<String, String> headers, String body) throws IOException {
        if (socket != null && System.nanoTime() - lastUsed > IDLE_NANOS) {
            close();
        }
        if (socket == null) {
            connect();
        }
        byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder(256).append(method).append(' ').append(absolutePath).append(" HTTP/1.1\r\n")
                .append("Host: ").append(host).append("\r\nAuthorization: Bearer ").append(token).append("\r\n");
        headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        if (body != null) {
            head.append("Content-Type: application/json\r\nContent-Length: ").append(payload.length).append("\r\n");
        }
        byte[] headBytes = head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] request = new byte[headBytes.length + payload.length];
        System.arraycopy(headBytes, 0, request, 0, headBytes.length);
        System.arraycopy(payload, 0, request, headBytes.length, payload.length);
        out.write(request);
        out.flush();
    }

    private static final String MCP_PATH = "/mcp";
    private static final String MCP_PROTOCOL = "2025-06-18";

    /** Opens an MCP session (streamable HTTP) acting as the token's caller: initialize, then the initialized notification; returns the session id. */
    String openMcpSession(String token) throws IOException {
        Response initialized = mcp(token, null, Map.of("jsonrpc", "2.0", "id", 0, "method", "initialize", "params",
                Map.of("protocolVersion", MCP_PROTOCOL, "capabilities", Map.of(), "clientInfo", Map.of("name", "swarm bench", "version", "1"))));
        if (initialized.status() != 200 || initialized.mcpSession() == null) {
            throw new IOException("MCP initialize answered " + initialized.status() + ": " + initialized.body());
        }
        mcp(token, initialized.mcpSession(), Map.of("jsonrpc", "2.0", "method", "notifications/initialized"));
        return initialized.mcpSession();
    }

    /** A tool's answer: its structured content, which is the API's error document when the tool failed. */
    record ToolAnswer(JsonNode content, boolean failed) {
        /** The error's code (conflict, timeout, denied...) of a failed call; "" for a successful one. */
        String errorCode() {
            return content.path("error").path("code").asString("");
        }
    }

    /** Calls a tool in the session; fails only when the answer is not a tool's result (a failed tool is an answer too). */
    ToolAnswer callTool(String token, String session, String name, Map<String, Object> arguments) throws IOException {
        Response answer = mcp(token, session, Map.of("jsonrpc", "2.0", "id", 1, "method", "tools/call",
                "params", Map.of("name", name, "arguments", arguments)));
        String body = answer.body();
        int data = body.indexOf("data: "); // an event stream of one message, or the JSON itself
        JsonNode message = JsonViews.JSON.readTree(data < 0 ? body : body.substring(data + 6, body.indexOf('\n', data)));
        JsonNode result = message.path("result");
        if (answer.status() != 200 || result.isMissingNode()) {
            throw new IOException(name + " answered " + answer.status() + ": " + body);
        }
        return new ToolAnswer(result.path("structuredContent"), result.path("isError").asBoolean(false));
    }

    /** Ends the session (DELETE), as a client that is done does. */
    void closeMcpSession(String token, String session) throws IOException {
        Response closed = exchange(token, "DELETE", MCP_PATH, mcpHeaders(session), null);
        if (closed.status() >= 300) {
            throw new IOException("MCP session end answered " + closed.status() + ": " + closed.body());
        }
    }

    private Response mcp(String token, String session, Map<String, Object> message) throws IOException {
        return exchange(token, "POST", MCP_PATH, mcpHeaders(session), JsonViews.json(message));
    }

    private static Map<String, String> mcpHeaders(String session) {
        return session == null ? Map.of("Accept", "application/json, text/event-stream")
                : Map.of("Accept", "application/json, text/event-stream", "Mcp-Session-Id", session, "MCP-Protocol-Version", MCP_PROTOCOL);
    }

    /**
     * Follows an API event stream ({@code path}: /events with its query) on this connection until
     * either side closes it (the bench closes it from another thread: {@link #close}); calls
     * {@code onOpen} once the hub answered with the stream, then {@code onEvent} for each event
     * received (an event's lines start with its "id:").
     */
    void followEvents(String token, String path, Runnable onOpen, Runnable onEvent) throws IOException {
        send(token, "GET", basePath + path, Map.of("Accept", "text/event-stream"), null);
        String statusLine = readLine();
        boolean chunked = false;
        for (String header = readLine(); !header.isEmpty(); header = readLine()) {
            chunked |= header.toLowerCase(Locale.ROOT).replace(" ", "").equals("transfer-encoding:chunked");
        }
        if (!statusLine.startsWith("HTTP/1.1 200") || !chunked) {
            throw new IOException("the event stream answered " + statusLine + (chunked ? "" : " without chunks"));
        }
        onOpen.run();
        int matched = 0; // characters of "id:" seen at the start of the current line; -1: the line is no event's id
        for (int size = chunkSize(); size > 0; size = chunkSize()) {
            for (int i = 0; i < size; i++) {
                int c = in.read();
                if (c < 0) {
                    return; // the hub ended the stream
                }
                if (c == '\n') {
                    matched = 0;
                } else if (matched >= 0 && matched < 3) {
                    matched = c == "id:".charAt(matched) ? matched + 1 : -1;
                    if (matched == 3) {
                        onEvent.run();
                    }
                }
            }
            readLine(); // the chunk's closing CRLF
        }
    }

    private int chunkSize() throws IOException {
        return Integer.parseInt(readLine().split(";", 2)[0].strip(), 16);
    }

    private Response readResponse() throws IOException {
        String statusLine = readLine();
        if (!statusLine.startsWith("HTTP/1.1 ") || statusLine.length() < 12) {
            throw new IOException("unexpected status line from the hub: " + statusLine);
        }
        int status = Integer.parseInt(statusLine.substring(9, 12));
        int length = -1;
        boolean chunked = false;
        String session = null;
        boolean lastOnThisConnection = false;
        for (String header = readLine(); !header.isEmpty(); header = readLine()) {
            int colon = header.indexOf(':');
            String name = colon < 0 ? header : header.substring(0, colon).toLowerCase(Locale.ROOT);
            if (name.equals("content-length")) {
                length = Integer.parseInt(header.substring(colon + 1).strip());
            } else if (name.equals("connection")) {
                lastOnThisConnection = header.substring(colon + 1).strip().equalsIgnoreCase("close");
            } else if (name.equals("transfer-encoding")) {
                chunked = header.substring(colon + 1).strip().equalsIgnoreCase("chunked");
            } else if (name.equals("mcp-session-id")) {
                session = header.substring(colon + 1).strip();
            }
        }
        if (length < 0 && !chunked) {
            throw new IOException("answer without Content-Length or chunks (status " + status + ")");
        }
        byte[] body = chunked ? readChunks() : in.readNBytes(length);
        Response response = new Response(status, new String(body, StandardCharsets.UTF_8), session);
        lastUsed = System.nanoTime();
        if (lastOnThisConnection) {
            close();
        }
        return response;
    }

    /** A chunked body (the MCP transport's event streams), to its last chunk. */
    private byte[] readChunks() throws IOException {
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        for (int size = chunkSize(); size > 0; size = chunkSize()) {
            body.write(in.readNBytes(size));
            readLine(); // the chunk's closing CRLF
        }
        for (String trailer = readLine(); !trailer.isEmpty(); trailer = readLine()) {
            // trailers: none expected, skipped
        }
        return body.toByteArray();
    }

    private String readLine() throws IOException {
        line.setLength(0);
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("the hub closed the connection");
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    @Override
    public void close() throws IOException {
        if (socket != null) {
            socket.close();
            socket = null;
        }
    }
}
