package dev.swarmhub.cli;

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

/**
 * One persistent HTTP/1.1 connection of a bench client to the hub. A load generator sharing the
 * machine with the hub must cost little CPU per request, or it measures itself: the JDK's
 * HttpClient spends several times the hub's own work per request here. This speaks only what
 * the hub answers (Content-Length framed JSON, keep-alive), and fails loudly on anything else.
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

    /** Sends one request to {@code absolutePath} with extra headers (an MCP session's) and reads its whole response. */
    Response exchange(String token, String method, String absolutePath, Map<String, String> headers, String body) throws IOException {
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
        return readResponse();
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
        for (int size = Integer.parseInt(readLine().split(";", 2)[0].strip(), 16); size > 0;
                size = Integer.parseInt(readLine().split(";", 2)[0].strip(), 16)) {
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
