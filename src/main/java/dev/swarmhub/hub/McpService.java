package dev.swarmhub.hub;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.AgentOperations;
import dev.swarmhub.agents.Agents;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Doc;
import dev.swarmhub.kernel.Effect;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.EventLog;
import dev.swarmhub.kernel.LogOperations;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.leases.LeaseOperations;
import dev.swarmhub.leases.ResourceParser;
import dev.swarmhub.messages.MessageOperations;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncPromptSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceTemplateSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.ProtocolVersions;
import jakarta.servlet.Filter;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * The hub's MCP server: streamable HTTP at {@code /mcp} (the official SDK's servlet transport),
 * exposing Swarmhub's operations as tools and its state as resources. Every request passes the
 * same bearer and Host checks as the API. A session acts as one agent: the agent whose token it
 * connected with, or, for a session opened with the operator's token, the agent that
 * {@code register_agent} registered or named by its token; it never acts as another.
 */
final class McpService implements AutoCloseable {

    static final String PATH = "/mcp";
    static final String INBOX = "swarm://inbox/";
    private static final String CALLER = "swarm.caller";
    private static final String SESSION_HEADER = "Mcp-Session-Id";
    /** The header naming the session's negotiated protocol version, which HTTP clients send from 2025-06-18 on. */
    static final String PROTOCOL_HEADER = "MCP-Protocol-Version";
    private static final String PROTOCOL = "swarm.protocol";
    /** The version the spec says to assume of a request without the header (its clients predate it). */
    private static final String PROTOCOL_WITHOUT_HEADER = ProtocolVersions.MCP_2025_03_26;
    private static final int MAX_SESSIONS = 10_000;
    /**
     * How recently the transport must have answered a session for this service to answer its tool
     * calls itself. The transport forgets a session that no request reached during a whole sweep
     * interval (30 minutes), so one it answered within 10 minutes is still there, or was deleted
     * by a DELETE, which passes through here.
     */
    private static final long TRANSPORT_SAW_WITHIN_NANOS = Duration.ofMinutes(10).toNanos();

    private final Services services;
    private final RequestGuard guard;
    private final WaitingRequests waits;
    private final ResourceParser parser;
    private final HttpServletStreamableServerTransportProvider transport;
    private final McpSyncServer server;
    /** Started by the first inbox subscription: until one, no session waits to be notified, and each send's read is saved. */
    private Thread arrivals;
    /** Each tool's call, answered by the transport's handler or by {@link #toolCallHere}. */
    private final Map<String, ToolCall> toolCalls = new HashMap<>();
    private final Set<String> admittingTools = new HashSet<>();
    /** When the transport last answered a request of each session it holds (System.nanoTime). */
    private final Map<String, Long> transportSaw = new ConcurrentHashMap<>();
    /** The newest message.sent event whose recipients were notified (only the arrivals thread touches it). */
    private long lastNoticed;
    /** The agent each operator-opened session acts as, once bound; oldest forgotten first past the cap. */
    private final Map<String, Caller> boundSessions = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Caller> eldest) {
            return size() > MAX_SESSIONS;
        }
    });

    McpService(Services services, RequestGuard guard, WaitingRequests waits) {
        this.services = services;
        this.guard = guard;
        this.waits = waits;
        this.parser = new ResourceParser(services.root);
        JacksonMcpJsonMapper json = new JacksonMcpJsonMapper(JsonViews.JSON);
        transport = HttpServletStreamableServerTransportProvider.builder()
                .jsonMapper(json)
                .mcpEndpoint(PATH)
                .contextExtractor(request -> McpTransportContext.create(Map.of(CALLER, request.getAttribute(CALLER),
                        PROTOCOL, protocolVersion(request))))
                .build();
        server = McpServer.sync(transport)
                .serverInfo("swarmhub", "0.1.0")
                .jsonMapper(json)
                .validateToolInputs(false) // Arguments checks them, answering with the API's error document
                .immediateExecution(true) // tools run on the request's (virtual) thread: a waiting acquire holds no pool thread
                .instructions("Swarmhub coordinates agents in one repository: register_agent first, lock files before editing "
                        + "them, release when done.")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(false).resources(true, false).prompts(false).build())
                .tools(tools())
                .resources(resources())
                .prompts(prime())
                .resourceTemplates(inbox())
                .build();
    }

    /** The MCP endpoint's servlet: the SDK's transport (async, for its event streams). */
    HttpServlet servlet() {
        return transport;
    }

    /**
     * Runs the hub's request checks before the transport sees a request; refusals are the API's
     * JSON errors. A POST's body is read here (at most the API's limit for a fenced write, as strictly as the API's:
     * a repeated key is refused), so that a tool call that waits can be dequeued when its client
     * leaves, as over the API, and a subscription to another agent's inbox is refused.
     */
    Filter guard() {
        return (request, response, chain) -> {
            HttpServletRequest http = (HttpServletRequest) request;
            HttpServletRequest passed = http;
            boolean waiting = false;
            ToolCallRequest toolCall = null;
            try {
                boolean post = http.getMethod().equals("POST");
                Caller caller = guard.authenticate(http, post); // a POST's token verified lately stands only for an admitting tool call (below)
                guard.checkHost(http);
                String version = http.getHeader(PROTOCOL_HEADER);
                if (version != null && !transport.protocolVersions().contains(version)) { // the spec: 400
                    throw SwarmException.badInput("unsupported " + PROTOCOL_HEADER + " '" + version + "': this hub speaks "
                            + String.join(", ", transport.protocolVersions()));
                }
                request.setAttribute(CALLER, caller);
                if (http.getMethod().equals("GET") && http.getHeader(SESSION_HEADER) == null) { // the SDK would answer with a Java exception's text
                    throw SwarmException.badInput("GET " + PATH + " opens a session's event stream: send the " + SESSION_HEADER
                            + " header that initialize answered");
                }
                if (post) {
                    byte[] body = Api.readBody(http, Api.MAX_WRITE_BODY).getBytes(StandardCharsets.UTF_8); // any tool call may be a fenced write
                    JsonNode message = Api.tree(body);
                    if (!caller.operator() && !isAdmittingToolCall(message)) {
                        caller = guard.authenticate(http, false); // no transaction of its operation checks the token again: checked here
                        request.setAttribute(CALLER, caller);
                    }
                    String refusal = malformedToolCall(message);
                    if (refusal == null) {
                        refusal = othersInboxSubscription(message, caller, http.getHeader(SESSION_HEADER));
                    }
                    if (refusal != null) {
                        refuseRequest(http, (HttpServletResponse) response, message, refusal);
                        return;
                    }
                    if (isInboxSubscription(message)) {
                        noticeArrivalsFromNow(); // before the transport takes the subscription: no arrival after it is missed
                    }
                    waiting = isWaitingToolCall(message);
                    passed = new ReadBody(http, body);
                    toolCall = toolCallHere(http, message);
                }
            } catch (SwarmException refused) {
                Api.send(http, (HttpServletResponse) response, new Api.Answer(Api.status(refused), JsonViews.error(RequestGuard.hinted(refused))));
                return;
            }
            // the answer is written inside: the watch ends after it, before the request completes
            try (WaitingRequests.Watch watch = waiting ? waits.watch(http, (HttpServletResponse) response) : null) {
                if (toolCall != null) {
                    Api.send(http, (HttpServletResponse) response, new Api.Answer(200, answer(toolCall)));
                    return;
                }
                chain.doFilter(passed, response);
            }
            noteTransportAnswer(http, (HttpServletResponse) response);
        };
    }

    /**
     * A tools/call this service answers itself, as one JSON document (which the streamable HTTP
     * transport allows in place of an event stream), or null for the transport to answer. It
     * takes a request to a session the transport answered lately; the transport's own handling
     * of the call (a second read of the body, an event stream per call) was half of the call's
     * hub CPU (docs/PERFORMANCE.md).
     */
    private ToolCallRequest toolCallHere(HttpServletRequest http, JsonNode message) {
        String sessionId = http.getHeader(SESSION_HEADER);
        String accept = Objects.requireNonNullElse(http.getHeader("Accept"), "");
        JsonNode id = message.get("id");
        ToolCall call = toolCalls.get(message.path("params").path("name").asString(""));
        Long saw = sessionId == null ? null : transportSaw.get(sessionId);
        if (call == null || saw == null || System.nanoTime() - saw > TRANSPORT_SAW_WITHIN_NANOS || id == null
                || !(id.isString() || id.isIntegralNumber()) // what a JSON-RPC request's id may be
                || !"tools/call".equals(message.path("method").asString(null)) || !accept.contains("application/json")
                || !accept.contains("text/event-stream")) { // what the transport requires of every request
            return null;
        }
        JsonNode arguments = message.path("params").path("arguments");
        Session session = new Session((Caller) http.getAttribute(CALLER), sessionId, protocolVersion(http));
        return new ToolCallRequest(id.isString() ? id.asString() : id.numberValue(), call, session,
                arguments.isObject() ? JsonViews.JSON.treeToValue(arguments, Map.class) : Map.of());
    }

    /** A tools/call taken from the transport: its JSON-RPC id, the tool's call, the session and the arguments. */
    private record ToolCallRequest(Object id, ToolCall call, Session session, Map<String, Object> arguments) {
    }

    /** The JSON-RPC answer to a tools/call taken from the transport, as the transport's handler answers it. */
    private static Object answer(ToolCallRequest request) {
        try {
            return McpSchema.JSONRPCResponse.result(request.id(), answer(request.session(), request.call(), request.arguments()));
        } catch (RuntimeException failure) { // as the transport answers a handler's failure
            LoggerFactory.getLogger(McpService.class).error("internal error in an MCP tool call", failure);
            return new RpcError("2.0", request.id(), new RpcError.Detail(McpSchema.ErrorCodes.INTERNAL_ERROR, "internal error: " + failure));
        }
    }

    /**
     * Keeps {@link #transportSaw} true to the transport's sessions, from its answers (a tool call
     * answered here is not one: after 10 minutes of those, the next goes to the transport).
     * Sessions their clients left without a DELETE are forgotten once past the cap.
     */
    private void noteTransportAnswer(HttpServletRequest http, HttpServletResponse response) {
        String sessionId = Objects.requireNonNullElse(http.getHeader(SESSION_HEADER), Objects.requireNonNullElse(response.getHeader(SESSION_HEADER), ""));
        if (sessionId.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        if (http.getMethod().equals("DELETE") || response.getStatus() == 404) { // deleted, or no longer the transport's
            transportSaw.remove(sessionId);
        } else if (response.getStatus() < 300 && transportSaw.put(sessionId, now) == null && transportSaw.size() > MAX_SESSIONS) {
            transportSaw.values().removeIf(saw -> now - saw > TRANSPORT_SAW_WITHIN_NANOS);
        }
    }

    /**
     * Why a tools/call is malformed, or null: arguments that are no JSON object, which the SDK cannot
     * read and then answers with nothing at all (its client would wait for an answer forever).
     */
    private static String malformedToolCall(JsonNode message) {
        JsonNode arguments = message.path("params").path("arguments");
        if (!"tools/call".equals(message.path("method").asString(null)) || arguments.isMissingNode() || arguments.isNull() || arguments.isObject()) {
            return null;
        }
        return "the arguments of a tools/call must be a JSON object, not " + (arguments.isArray() ? "an array" : "a single value");
    }

    /** A tools/call of an operation whose write transaction checks the caller's token again ({@link dev.swarmhub.kernel.Operation#admitting}). */
    private boolean isAdmittingToolCall(JsonNode message) {
        return "tools/call".equals(message.path("method").asString(null)) && admittingTools.contains(message.path("params").path("name").asString(""));
    }

    /** A tools/call whose arguments ask to wait (acquire_locks, fetch_inbox). */
    private static boolean isWaitingToolCall(JsonNode message) {
        return "tools/call".equals(message.path("method").asString(null)) && message.path("params").path("arguments").hasNonNull("wait");
    }

    /**
     * Why a resources/subscribe request is refused, or null: the SDK notifies every subscriber of
     * a URI, so a subscription to another agent's inbox would tell its subscriber of each message
     * that agent receives. Reading such an inbox is refused by the inbox resource itself.
     */
    private String othersInboxSubscription(JsonNode message, Caller bearer, String sessionId) {
        if (!isInboxSubscription(message)) {
            return null;
        }
        String uri = message.path("params").path("uri").asString("");
        Caller me = actingOrNull(bearer, sessionId);
        String agent = uri.substring(INBOX.length());
        if (me == null) {
            return "this MCP session acts for no agent yet: call register_agent before subscribing to " + uri;
        }
        return agent.equals(me.agent()) ? null : "this MCP session acts as " + me.agent() + "; it cannot subscribe to the inbox of " + agent;
    }

    private static boolean isInboxSubscription(JsonNode message) {
        return "resources/subscribe".equals(message.path("method").asString(null)) && message.path("params").path("uri").asString("").startsWith(INBOX);
    }

    /** Starts following sent messages for subscribed sessions, from the newest event on, unless that runs already. */
    private synchronized void noticeArrivalsFromNow() {
        if (arrivals == null) {
            lastNoticed = services.log.latest(null, null, 1).stream().mapToLong(Event::id).findFirst().orElse(0);
            arrivals = BackgroundLoop.start("inbox notifications", this::noticeArrivals);
        }
    }

    /** A JSON-RPC error answer. */
    private record RpcError(String jsonrpc, Object id, Detail error) {
        private record Detail(int code, String message) {
        }
    }

    /** Answers a JSON-RPC request with an error (invalid params), as the SDK answers a refused request. */
    private static void refuseRequest(HttpServletRequest http, HttpServletResponse response, JsonNode request, String why) throws IOException {
        Api.send(http, response, new Api.Answer(200, new RpcError("2.0", request.get("id"), new RpcError.Detail(McpSchema.ErrorCodes.INVALID_PARAMS, why))));
    }

    /** The request with its body already read, served again to the transport. */
    private static final class ReadBody extends HttpServletRequestWrapper {
        private final byte[] body;

        ReadBody(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] buffer, int offset, int length) {
                    return in.read(buffer, offset, length);
                }

                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new IllegalStateException("the body was read already; read it blocking");
                }
            };
        }

        @Override
        public BufferedReader getReader() {
            return new BufferedReader(new InputStreamReader(new ByteArrayInputStream(body), StandardCharsets.UTF_8));
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (arrivals != null) {
                arrivals.interrupt();
            }
        }
        server.close();
    }

    // ------------------------------------------------------------------------------------- tools

    private List<SyncToolSpecification> tools() {
        List<SyncToolSpecification> tools = new ArrayList<>();
        tools.add(registerTool());
        AgentEndpoints agent = services.agentEndpoints;
        tools.add(tool("whoami", agent.whoami));
        tools.add(tool("list_agents", agent.list));
        tools.add(tool("heartbeat", agent.heartbeat));
        LeaseEndpoints lease = services.leaseEndpoints;
        tools.add(tool("acquire_locks", lease.acquire));
        tools.add(tool("renew_locks", lease.renew));
        tools.add(tool("release_locks", lease.release));
        tools.add(tool("who_has_lock", lease.who));
        tools.add(tool("list_locks", lease.holders));
        tools.add(tool("check_fence", lease.fenceCheck));
        tools.add(tool("write_file_fenced", lease.fencedWrite));
        messageTools(tools);
        TaskEndpoints task = services.taskEndpoints;
        tools.add(tool("create_task", task.create));
        tools.add(tool("claim_task", task.claim));
        tools.add(tool("report_task", task.report));
        tools.add(tool("list_tasks", task.list));
        ProcessEndpoints process = services.processEndpoints;
        tools.add(tool("spawn_agent", process.spawn));
        tools.add(tool("list_processes", process.list));
        tools.add(tool("stop_process", process.kill));
        PlanEndpoints doc = services.planEndpoints;
        tools.add(tool("read_doc", doc.show));
        tools.add(tool("update_doc", doc.update));
        return tools;
    }

    private void messageTools(List<SyncToolSpecification> tools) {
        MessageEndpoints message = services.messageEndpoints;
        tools.add(tool("send_message", message.send));
        tools.add(tool("broadcast_message", message.broadcast));
        tools.add(tool("reply_message", message.reply));
        tools.add(tool("fetch_inbox", message.inbox));
        tools.add(tool("read_message", message.read));
        tools.add(tool("ack_message", message.ack));
        tools.add(tool("search_messages", message.search));
    }

    /** register_agent's arguments: an MCP session registers, or binds itself to an agent by token. */
    record Registration(
            @Doc("Agent id (default: next agent-N)") String id,
            @Doc("Its client (default other)") Agent.Kind kind,
            @Doc("Short description") String label,
            @Doc("Act as the agent owning this token instead") String token) {
    }

    private SyncToolSpecification registerTool() {
        McpSchema.Tool tool = McpSchema.Tool.builder().name("register_agent")
                .description("Register this session's agent (or bind it to an agent by token). Call first.")
                .inputSchema(OperationArguments.schema(Registration.class, OperationArguments.Wording.TOOL))
                .annotations(hints(Effect.ADD)).build(); // each call without a token or id registers another agent
        return specification(tool, (session, arguments) -> register(session, OperationArguments.bind(Registration.class, arguments,
                OperationArguments.Wording.TOOL)));
    }

    private JsonViews.RegisteredAgentView register(Session session, Registration args) {
        Caller bearer = session.bearer();
        Caller already = bearer.operator() ? boundSessions.get(session.id()) : bearer;
        Caller wanted;
        String token = null;
        if (args.token() != null) {
            wanted = services.agents.bearer(args.token());
        } else if (already != null) {
            wanted = already;
            if (args.id() != null && !args.id().equals(already.agent())) {
                throw actsAsAnother(already, args.id()); // before registering: a refused call creates nothing
            }
        } else {
            Agents.Registered registered = services.agents.register(new Agents.Registration(args.id(), args.kind() == null ? null : args.kind().label(),
                    null, null, args.label()));
            token = registered.token();
            wanted = Caller.ofAgent(registered.agent().id(), token);
        }
        if (already != null && !already.agent().equals(wanted.agent())) {
            throw actsAsAnother(already, wanted.agent());
        }
        boundSessions.put(session.id(), wanted);
        // with a new agent, its own token, for its CLI calls (SWARM_TOKEN)
        return JsonViews.registered(services.agents.find(wanted.agent()).orElseThrow(), token);
    }

    private static SwarmException actsAsAnother(Caller already, String other) {
        return SwarmException.denied("this MCP session acts as agent " + already.agent() + "; it cannot act as " + other);
    }

    /** A request's session: who sent it (its bearer), the session's id, and its protocol version. */
    private record Session(Caller bearer, String id, String protocolVersion) {
        static Session of(McpSyncServerExchange exchange) {
            McpTransportContext context = exchange.transportContext();
            return new Session((Caller) context.get(CALLER), exchange.sessionId(), (String) context.get(PROTOCOL));
        }
    }

    /** The protocol version a request is in: its header's, or what the spec says to assume without one. */
    private static String protocolVersion(HttpServletRequest request) {
        return Objects.requireNonNullElse(request.getHeader(PROTOCOL_HEADER), PROTOCOL_WITHOUT_HEADER);
    }

    /** A tool's work: its answer's document for a session's call with these arguments. */
    private interface ToolCall {
        Object call(Session session, Map<String, Object> arguments);
    }

    /** A tool as the transport lists and calls it; the same call answers the tools/call this service takes itself. */
    private SyncToolSpecification specification(McpSchema.Tool tool, ToolCall call) {
        toolCalls.put(tool.name(), call);
        return SyncToolSpecification.builder().tool(tool).callHandler((exchange, request) -> answer(Session.of(exchange), call,
                request.arguments() == null ? Map.of() : request.arguments())).build();
    }

    /** The agent this session acts as. */
    private Caller acting(Session session) {
        Caller acting = actingOrNull(session.bearer(), session.id());
        if (acting == null) {
            throw SwarmException.unauthenticated("this MCP session acts for no agent yet: call register_agent first");
        }
        return acting;
    }

    /** The agent a session opened with this bearer acts as; null for an operator's session not bound yet. */
    private Caller actingOrNull(Caller bearer, String sessionId) {
        return !bearer.operator() ? bearer : sessionId == null ? null : boundSessions.get(sessionId);
    }

    /** A tool for a domain operation: its summary, its arguments' schema, its effect's hints, its view. */
    private <A extends Record> SyncToolSpecification tool(String name, Exposed<A, ?> exposed) {
        if (exposed.operation().admitting()) {
            admittingTools.add(name);
        }
        McpSchema.Tool tool = McpSchema.Tool.builder().name(name).description(exposed.operation().summary())
                .inputSchema(exposed.schema(OperationArguments.Wording.TOOL)).annotations(hints(exposed.operation().effect())).build();
        return specification(tool, (session, arguments) -> committedView(exposed, acting(session),
                exposed.arguments(arguments, OperationArguments.Wording.TOOL)));
    }

    /**
     * The tool annotations for an operation's effect. A read-only tool says only that: the spec
     * gives destructiveHint and idempotentHint meaning only for tools that change something (and
     * the tool list stays shorter).
     */
    static McpSchema.ToolAnnotations hints(Effect effect) {
        return effect.readOnly ? new McpSchema.ToolAnnotations(null, true, null, null, effect.openWorld, null)
                : new McpSchema.ToolAnnotations(null, false, effect.destructive, effect.idempotent, effect.openWorld, null);
    }

    private static <A extends Record, R> Object committedView(Exposed<A, R> exposed, Caller caller, A arguments) {
        return exposed.render(arguments, exposed.callCommitted(caller, arguments));
    }

    /**
     * A tool's answer: the JSON document as structured content. The same JSON as text goes only to
     * a session whose protocol predates structured content (2025-06-18), and with every error:
     * the spec reports a tool's failure as content with isError, which clients show to the model.
     */
    private static McpSchema.CallToolResult answer(Session session, ToolCall call, Map<String, Object> arguments) {
        Object document;
        boolean failed = false;
        try {
            document = call.call(session, arguments);
        } catch (SwarmException refused) {
            if (refused.kind() == SwarmException.Kind.INTERNAL) {
                LoggerFactory.getLogger(McpService.class).error("internal error in an MCP tool call", refused);
            }
            document = JsonViews.error(RequestGuard.hinted(refused));
            failed = true;
        }
        McpSchema.CallToolResult.Builder result = McpSchema.CallToolResult.builder().structuredContent(document).isError(failed);
        if (failed || !knowsStructuredContent(session.protocolVersion())) {
            result.addTextContent(JsonViews.json(document));
        }
        return result.build();
    }

    /** Whether a protocol version has structured content: 2025-06-18 and later (versions are dates, so they sort as text). */
    static boolean knowsStructuredContent(String protocolVersion) {
        return protocolVersion.compareTo(ProtocolVersions.MCP_2025_06_18) >= 0;
    }

    // --------------------------------------------------------------------------------- resources

    /** Reads by any session (the bearer authenticated it): the same operations as the tools, with their arguments' defaults. */
    private List<SyncResourceSpecification> resources() {
        return List.of(
                resource("swarm://agents", "agents", "Registered agents and their locks", services.agentEndpoints.list,
                        new AgentOperations.Listing(null, null)),
                resource("swarm://locks", "locks", "Live locks", services.leaseEndpoints.holders,
                        new LeaseOperations.Holders(null, null)),
                resource("swarm://log", "log", "The newest 50 events", services.logEndpoints.read,
                        new LogOperations.Read(null, null, null, null, null)));
    }

    /**
     * The prompt {@code prime}: the primer for the session's agent (who is here, what it holds,
     * its unread messages, which then count as read, and the tools it needs).
     */
    private SyncPromptSpecification prime() {
        McpSchema.Prompt prompt = new McpSchema.Prompt("prime", "How to work in this swarm now: who is here, what you hold, your unread "
                + "messages", List.of());
        return new SyncPromptSpecification(prompt, (exchange, request) -> {
            Caller me = acting(Session.of(exchange));
            services.agents.heartbeat(me); // checks the token before anything is read
            String text = Primer.text(services.agents, me, false, services.messages.handOver(me, Primer.Batch.PRIMER.messages, "prime"),
                    Primer.Via.MCP);
            return new McpSchema.GetPromptResult("The swarm, for agent " + me.agentId(),
                    List.of(new McpSchema.PromptMessage(McpSchema.Role.USER, new McpSchema.TextContent(text))));
        });
    }

    /** swarm://inbox/{agent}: the session's own agent's inbox; reading it counts as delivery. */
    private SyncResourceTemplateSpecification inbox() {
        McpSchema.ResourceTemplate template = McpSchema.ResourceTemplate.builder().uriTemplate(INBOX + "{agent}").name("inbox")
                .description("This agent's messages; subscribe to be notified when one arrives").mimeType("application/json").build();
        return new SyncResourceTemplateSpecification(template, (exchange, request) -> {
            Caller me = acting(Session.of(exchange));
            String agent = request.uri().substring(INBOX.length());
            if (!agent.equals(me.agent())) {
                throw SwarmException.denied("this MCP session acts as " + me.agent() + "; it cannot read the inbox of " + agent);
            }
            Object document = committedView(services.messageEndpoints.inbox, me, new MessageOperations.Inbox(null, null));
            return new McpSchema.ReadResourceResult(List.of(new McpSchema.TextResourceContents(request.uri(), "application/json",
                    JsonViews.json(document))));
        });
    }

    /**
     * Follows the event log for sent messages and notifies the sessions subscribed to each
     * recipient's inbox. A send in the hub wakes it at once; sends by other processes are seen
     * within 250 ms.
     */
    private void noticeArrivals() throws InterruptedException {
        long seen = services.store.signalCount(Store.Signal.MAIL);
        List<Event> sent = services.log.after(lastNoticed, null, "message.sent", EventLog.MAX_LIMIT);
        for (Event event : sent) {
            lastNoticed = event.id();
            for (Object recipient : (List<?>) event.details().get("to")) {
                server.notifyResourcesUpdated(new McpSchema.ResourcesUpdatedNotification(INBOX + recipient));
            }
        }
        if (sent.isEmpty()) {
            services.store.awaitSignal(Store.Signal.MAIL, seen, 250);
        }
    }

    private <A extends Record> SyncResourceSpecification resource(String uri, String name, String description, Exposed<A, ?> exposed,
            A arguments) {
        McpSchema.Resource resource = McpSchema.Resource.builder().uri(uri).name(name).description(description)
                .mimeType("application/json").build();
        BiFunction<McpSyncServerExchange, McpSchema.ReadResourceRequest, McpSchema.ReadResourceResult> reader = (exchange, request) ->
                new McpSchema.ReadResourceResult(List.of(new McpSchema.TextResourceContents(uri, "application/json",
                        JsonViews.json(committedView(exposed, Session.of(exchange).bearer(), arguments)))));
        return new SyncResourceSpecification(resource, reader);
    }
}
