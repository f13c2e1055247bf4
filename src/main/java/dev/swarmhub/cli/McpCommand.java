package dev.swarmhub.cli;

import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.hub.Hub;
import dev.swarmhub.hub.JsonViews;
import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.kernel.SwarmException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * {@code swarm mcp}: the hub's MCP server for clients that only launch stdio servers. It relays
 * each JSON-RPC line from stdin to the hub's streamable-HTTP endpoint and writes every message
 * the hub answers (a JSON body or an event stream's events) to stdout, one per line; a GET
 * stream carries the hub's own notifications. Requests run concurrently, so a waiting
 * acquire_locks does not hold up other calls. It starts the hub when none runs, acts with
 * SWARM_TOKEN when set (that agent) and else with the operator's token (then register_agent
 * picks the agent), and exits when stdin closes.
 */
@ClientSide.RunsInClient
@Command(name = "mcp", description = "Serve MCP over stdio, relayed to the project's hub (starting it when needed).",
        subcommands = McpCommand.Config.class)
final class McpCommand implements Callable<Integer> {

    private static final String JSON_AND_EVENTS = "application/json, text/event-stream";

    @ParentCommand
    Swarm swarm;

    private HttpClient http;
    private URI endpoint;
    private String token;
    private volatile String session;
    /** The protocol version initialize settled on, sent with every later request as the spec asks of HTTP clients. */
    private volatile String protocolVersion;
    private final Object stdout = new Object();

    @Override
    public Integer call() throws Exception {
        Path root = swarm.projectRoot();
        if (HubCommands.servingPid(root).isEmpty()) {
            HubCommands.startInBackground(root);
        }
        endpoint = mcpEndpoint(root);
        token = swarm.tokenOrNull() != null ? swarm.tokenOrNull() : OperatorToken.readOrCreate(root);
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        boolean listening = false;
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.isBlank()) {
                continue;
            }
            String message = line;
            if (session == null) {
                relay(message); // initialize: its answer names the session every later request carries
            } else {
                if (!listening) {
                    listening = true;
                    requests.submit(this::listen);
                }
                requests.submit(() -> relay(message));
            }
        }
        endSession();
        requests.shutdownNow();
        return 0;
    }

    static URI mcpEndpoint(Path root) {
        Object port = Hub.readInfo(root).get("port");
        if (port == null) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "the hub of " + root + " did not say its port (.swarm/hub.json)");
        }
        return URI.create("http://127.0.0.1:" + port + "/mcp");
    }

    /** Posts one message and writes whatever the hub answers with. */
    private Void relay(String message) throws IOException, InterruptedException {
        HttpRequest.Builder request = request().header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(message));
        HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        response.headers().firstValue("Mcp-Session-Id").ifPresent(id -> session = id);
        try (InputStream body = response.body()) {
            String type = response.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
            if (type.startsWith("text/event-stream")) {
                copyEvents(body);
            } else {
                String answer = new String(body.readAllBytes(), StandardCharsets.UTF_8).strip();
                if (!answer.isEmpty() && response.statusCode() < 300) {
                    write(answer);
                } else if (response.statusCode() >= 300) {
                    System.err.println("swarm mcp: the hub answered " + response.statusCode() + ": " + answer);
                }
            }
        }
        return null;
    }

    /** The hub's notifications outside any request (resource updates), for the session's life. */
    private Void listen() throws IOException, InterruptedException {
        HttpResponse<InputStream> response = http.send(request().GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            if (response.statusCode() == 200) {
                copyEvents(body);
            }
        }
        return null;
    }

    private HttpRequest.Builder request() {
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint).header("Authorization", "Bearer " + token)
                .header("Accept", JSON_AND_EVENTS);
        String version = protocolVersion;
        if (version != null) {
            request.header("MCP-Protocol-Version", version);
        }
        String id = session;
        return id == null ? request : request.header("Mcp-Session-Id", id);
    }

    /** The protocol version an initialize answer settled on, or null for any other message. */
    private static String negotiatedVersion(String message) {
        try {
            JsonNode version = JsonViews.JSON.readTree(message).path("result").path("protocolVersion");
            return version.isString() ? version.asString() : null;
        } catch (JacksonException notJson) {
            return null;
        }
    }

    /** Writes the data of each server-sent event as one line. */
    private void copyEvents(InputStream events) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(events, StandardCharsets.UTF_8));
        StringBuilder data = new StringBuilder();
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            if (line.startsWith("data:")) {
                data.append(data.isEmpty() ? "" : "\n").append(line.substring(5).stripLeading());
            } else if (line.isEmpty() && !data.isEmpty()) {
                write(data.toString());
                data.setLength(0);
            }
        }
        if (!data.isEmpty()) {
            write(data.toString());
        }
    }

    private void write(String message) {
        if (protocolVersion == null) { // the first answer is initialize's
            protocolVersion = negotiatedVersion(message);
        }
        synchronized (stdout) {
            PrintStream out = System.out;
            out.print(message.replace("\n", " "));
            out.print('\n');
            out.flush();
        }
    }

    private void endSession() {
        if (session == null) {
            return;
        }
        try {
            http.send(request().DELETE().build(), HttpResponse.BodyHandlers.discarding());
        } catch (IOException | InterruptedException ignored) {
            // the hub ends idle sessions itself
        }
    }

    /**
     * {@code swarm mcp config --client C [--transport http] [--write]}: the configuration that adds
     * Swarmhub to an MCP client, as that client's file holds it. Only the document goes to stdout (so
     * that it can be redirected into the file); where it goes, on stderr. {@code --write} merges it
     * into the file, keeping the other servers and settings. The stdio server holds no secret:
     * {@code swarm mcp} reads the operator's token from .swarm/ itself. The HTTP server entry is the
     * hub's MCP URL with a bearer token in it (SWARM_TOKEN's agent, else the operator's): a secret
     * on disk, so a written file is made readable by its owner only, and stderr says so.
     */
    @Command(name = "config", description = "Print (or --write) the configuration that adds Swarmhub to an MCP client: "
            + "${COMPLETION-CANDIDATES}.")
    static final class Config implements Callable<Integer> {

        private static final String STDIO = "stdio";
        private static final String HTTP = "http";

        @ParentCommand
        McpCommand mcp;

        @Option(names = "--client", required = true, paramLabel = "CLIENT", completionCandidates = Clients.class,
                description = "One of ${COMPLETION-CANDIDATES}.")
        String client;

        @Option(names = "--transport", paramLabel = "TRANSPORT", defaultValue = STDIO, completionCandidates = Transports.class,
                description = "stdio (default: the client starts swarm mcp) or http (the client connects to the running hub's URL "
                        + "with a bearer token).")
        String transport;

        @Option(names = "--write", description = "Merge it into the client's file (keeping its other servers) instead of printing it.")
        boolean write;

        /**
         * A client whose configuration is a JSON file: where it is, under which key it lists servers,
         * the "type" its stdio and HTTP entries carry (null: none), and the key of an HTTP entry's URL
         * (null: the file takes no remote server).
         */
        private record JsonClient(String name, String file, boolean inProject, String serversKey, String stdioType, String urlKey,
                String httpType) {
            Path path(Path root) {
                return inProject ? root.resolve(file) : Path.of(System.getProperty("user.home")).resolve(file);
            }
        }

        /**
         * The JSON clients, from their documentation: VS Code names its list "servers" and each
         * server's type; Claude Code types only an HTTP server; Windsurf's URL is "serverUrl" and
         * Gemini CLI's streamable-HTTP one "httpUrl" (its "url" is the old SSE transport); Claude
         * Desktop's file takes local servers only (remote ones are its Connectors, reached from Anthropic's side).
         */
        private static final List<JsonClient> JSON_CLIENTS = List.of(
                new JsonClient("claude", ".mcp.json", true, "mcpServers", null, "url", HTTP),
                new JsonClient("claude-desktop", System.getProperty("os.name").startsWith("Mac")
                        ? "Library/Application Support/Claude/claude_desktop_config.json" : ".config/Claude/claude_desktop_config.json",
                        false, "mcpServers", null, null, null),
                new JsonClient("cursor", ".cursor/mcp.json", true, "mcpServers", null, "url", null),
                new JsonClient("vscode", ".vscode/mcp.json", true, "servers", STDIO, "url", HTTP),
                new JsonClient("windsurf", ".codeium/windsurf/mcp_config.json", false, "mcpServers", null, "serverUrl", null),
                new JsonClient("gemini", ".gemini/settings.json", true, "mcpServers", null, "httpUrl", null));
        private static final String CODEX = "codex";
        private static final String CODEX_FILE = "~/.codex/config.toml";

        static final class Clients implements Iterable<String> {
            @Override
            public java.util.Iterator<String> iterator() {
                return java.util.stream.Stream.concat(JSON_CLIENTS.stream().map(JsonClient::name), java.util.stream.Stream.of(CODEX)).iterator();
            }
        }

        static final class Transports implements Iterable<String> {
            @Override
            public java.util.Iterator<String> iterator() {
                return List.of(STDIO, HTTP).iterator();
            }
        }

        /** Where the client finds the server: the command that starts swarm mcp, or the hub's URL and the header that authenticates. */
        private record Server(String command, List<String> arguments, String url, String authorization) {
            boolean http() {
                return url != null;
            }
        }

        @Override
        public Integer call() throws IOException {
            Swarm swarm = mcp.swarm;
            String name = client.toLowerCase(Locale.ROOT);
            String via = transport.toLowerCase(Locale.ROOT);
            if (!via.equals(STDIO) && !via.equals(HTTP)) {
                throw SwarmException.badInput("unknown --transport '" + transport + "': use stdio or http");
            }
            JsonClient format = name.equals(CODEX) ? null : JSON_CLIENTS.stream().filter(known -> known.name().equals(name)).findFirst()
                    .orElseThrow(() -> SwarmException.badInput("unknown --client '" + client + "': use one of " + String.join(", ", new Clients())));
            if (via.equals(HTTP) && format != null && format.urlKey() == null) {
                throw SwarmException.badInput(name + " takes no HTTP server in its file (remote servers are added in its settings, as "
                        + "Connectors, which connect from outside this machine): use --transport stdio");
            }
            Server server = via.equals(HTTP) ? httpServer(swarm) : stdioServer(swarm);
            if (server.http()) {
                swarm.output.warning("swarm: this entry holds " + (swarm.tokenOrNull() != null ? "SWARM_TOKEN's agent's" : "the operator's")
                        + " token: the file holding it is a secret (keep it out of version control); the URL has the port of the hub"
                        + " now serving, which a hub started again changes unless it is started with --port");
            }
            return format == null ? codex(swarm, server) : json(swarm, format, server);
        }

        private Server stdioServer(Swarm swarm) {
            String launcher = swarm.environment("SWARM_LAUNCHER") != null ? swarm.environment("SWARM_LAUNCHER") : "swarm";
            return new Server(launcher, List.of("mcp", "--root", swarm.projectRoot().toString()), null, null);
        }

        /** The hub's MCP URL as the hub published it, and the token swarm mcp would act with. */
        private Server httpServer(Swarm swarm) {
            Path root = swarm.projectRoot();
            if (Hub.readInfo(root).get("port") == null) {
                throw SwarmException.badInput("no hub serves " + root + ", so its URL is unknown: start it first (swarm hub start --port PORT "
                        + "keeps the URL the same across restarts)");
            }
            String token = swarm.tokenOrNull() != null ? swarm.tokenOrNull() : OperatorToken.readOrCreate(root);
            return new Server(null, null, mcpEndpoint(root).toString(), "Bearer " + token);
        }

        private int codex(Swarm swarm, Server server) {
            if (write) {
                throw SwarmException.badInput("--write does not edit Codex's TOML: add what swarm mcp config --client codex prints to "
                        + CODEX_FILE);
            }
            swarm.output.warning("swarm: add this to " + CODEX_FILE);
            String toml = "[mcp_servers.swarmhub]\n" + (server.http()
                    ? "url = " + JsonViews.json(server.url()) + "\nhttp_headers = { \"Authorization\" = " + JsonViews.json(server.authorization()) + " }\n"
                    : "command = " + JsonViews.json(server.command()) + "\nargs = " + JsonViews.json(server.arguments()) + "\n");
            return swarm.output.result(Output.document("client", CODEX, "file", CODEX_FILE, "config", toml), toml);
        }

        private int json(Swarm swarm, JsonClient format, Server server) throws IOException {
            Map<String, Object> entry = OrderedMap.of();
            String type = server.http() ? format.httpType() : format.stdioType();
            if (type != null) {
                entry.put("type", type);
            }
            if (server.http()) {
                entry.put(format.urlKey(), server.url());
                entry.put("headers", OrderedMap.of("Authorization", server.authorization()));
            } else {
                entry.put("command", server.command());
                entry.put("args", server.arguments());
            }
            Path file = format.path(swarm.projectRoot());
            if (!write) {
                swarm.output.warning("swarm: this goes in " + file + " (swarm mcp config --client " + format.name()
                        + (server.http() ? " --transport http" : "") + " --write merges it there)");
                Map<String, Object> document = Map.of(format.serversKey(), Map.of("swarmhub", entry));
                return swarm.output.result(document, JsonViews.json(document));
            }
            ClientConfigFile.merge(file, format.serversKey(), "swarmhub", entry, server.http());
            return swarm.output.result(Output.document("client", format.name(), "file", file.toString(), "written", true),
                    "added swarmhub to " + file + (server.http() ? " (readable by its owner only: it holds a token)" : ""));
        }
    }
}
