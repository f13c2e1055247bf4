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
     * {@code swarm mcp config --client C [--write]}: the configuration that adds Swarmhub to an MCP
     * client, as that client's file holds it. Only the document goes to stdout (so that it can be
     * redirected into the file); where it goes, on stderr. {@code --write} merges it into the file,
     * keeping the other servers and settings. The stdio server holds no secret: {@code swarm mcp}
     * reads the operator's token from .swarm/ itself.
     */
    @Command(name = "config", description = "Print (or --write) the configuration that adds Swarmhub to an MCP client: "
            + "${COMPLETION-CANDIDATES}.")
    static final class Config implements Callable<Integer> {

        @ParentCommand
        McpCommand mcp;

        @Option(names = "--client", required = true, paramLabel = "CLIENT", completionCandidates = Clients.class,
                description = "One of ${COMPLETION-CANDIDATES}.")
        String client;

        @Option(names = "--write", description = "Merge it into the client's file (keeping its other servers) instead of printing it.")
        boolean write;

        /** A client whose configuration is a JSON file: where it is, and under which key it lists servers. */
        private record JsonClient(String name, String file, boolean inProject, String serversKey, boolean typed) {
            Path path(Path root) {
                return inProject ? root.resolve(file) : Path.of(System.getProperty("user.home")).resolve(file);
            }
        }

        /** The JSON clients, from their documentation (VS Code names its list "servers" and each server's type). */
        private static final List<JsonClient> JSON_CLIENTS = List.of(
                new JsonClient("claude", ".mcp.json", true, "mcpServers", false),
                new JsonClient("claude-desktop", System.getProperty("os.name").startsWith("Mac")
                        ? "Library/Application Support/Claude/claude_desktop_config.json" : ".config/Claude/claude_desktop_config.json",
                        false, "mcpServers", false),
                new JsonClient("cursor", ".cursor/mcp.json", true, "mcpServers", false),
                new JsonClient("vscode", ".vscode/mcp.json", true, "servers", true),
                new JsonClient("windsurf", ".codeium/windsurf/mcp_config.json", false, "mcpServers", false),
                new JsonClient("gemini", ".gemini/settings.json", true, "mcpServers", false));
        private static final String CODEX = "codex";

        static final class Clients implements Iterable<String> {
            @Override
            public java.util.Iterator<String> iterator() {
                return java.util.stream.Stream.concat(JSON_CLIENTS.stream().map(JsonClient::name), java.util.stream.Stream.of(CODEX)).iterator();
            }
        }

        @Override
        public Integer call() throws IOException {
            Swarm swarm = mcp.swarm;
            String launcher = swarm.environment("SWARM_LAUNCHER") != null ? swarm.environment("SWARM_LAUNCHER") : "swarm";
            Path root = swarm.projectRoot();
            List<String> arguments = List.of("mcp", "--root", root.toString());
            String name = client.toLowerCase(Locale.ROOT);
            if (name.equals(CODEX)) {
                if (write) {
                    throw SwarmException.badInput("--write does not edit Codex's TOML: add what swarm mcp config --client codex prints to ~/.codex/config.toml");
                }
                swarm.output.warning("swarm: add this to ~/.codex/config.toml");
                String toml = "[mcp_servers.swarmhub]\ncommand = " + JsonViews.json(launcher) + "\nargs = " + JsonViews.json(arguments) + "\n";
                return swarm.output.result(Output.document("client", name, "file", "~/.codex/config.toml", "config", toml), toml);
            }
            JsonClient format = JSON_CLIENTS.stream().filter(known -> known.name().equals(name)).findFirst().orElseThrow(() ->
                    SwarmException.badInput("unknown --client '" + client + "': use one of " + String.join(", ", new Clients())));
            Map<String, Object> server = format.typed() ? OrderedMap.of("type", "stdio", "command", launcher, "args", arguments)
                    : OrderedMap.of("command", launcher, "args", arguments);
            Path file = format.path(root);
            if (!write) {
                swarm.output.warning("swarm: this goes in " + file + " (swarm mcp config --client " + name + " --write merges it there)");
                Map<String, Object> document = Map.of(format.serversKey(), Map.of("swarmhub", server));
                return swarm.output.result(document, JsonViews.json(document));
            }
            ClientConfigFile.merge(file, format.serversKey(), "swarmhub", server);
            return swarm.output.result(Output.document("client", name, "file", file.toString(), "written", true),
                    "added swarmhub to " + file);
        }
    }
}
