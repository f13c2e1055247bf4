package dev.swarmhub.hub;

import dev.swarmhub.agents.Agents;
import dev.swarmhub.agents.PaneBinding;
import dev.swarmhub.host.PaneGuard;
import dev.swarmhub.host.Tmux;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Durations;
import dev.swarmhub.kernel.Limits;
import dev.swarmhub.kernel.RateLimitedException;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.leases.Fencing;
import dev.swarmhub.leases.LeaseOperations;
import dev.swarmhub.leases.ResourceParser;
import dev.swarmhub.processes.ProcessOperations;
import dev.swarmhub.processes.Run;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.eclipse.jetty.http.BadMessageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.type.LogicalType;

/**
 * The HTTP JSON API under /api/v1. Order of checks: bearer token (401 before anything else),
 * Host header, body size and JSON shape (400 naming the problem), then the operation. Errors
 * are {"error":{"code","message"}} with the status of their class: 400 bad input, 401
 * unauthenticated, 404 no such resource, 409 denied, 413 body too large, 500 internal.
 */
final class Api extends HttpServlet {

    static final int MAX_BODY = 64 * 1024;
    /**
     * A fenced write's body: its content at its largest with every byte escaped (JSON may write a
     * byte as the six characters of a \\u escape), so that the content's own limit is the one that
     * speaks, as over the CLI.
     */
    static final int MAX_WRITE_BODY = 6 * LeaseOperations.FencedWrite.LARGEST_CONTENT_BYTES + MAX_BODY;
    private static final String FENCED_WRITE = "POST /locks/write";
    private static final int DISCARD_LIMIT = 1024 * 1024;
    private static final TypeReference<Map<String, Object>> DOCUMENT = new TypeReference<>() {
    };
    /** /messages/{id}/{action}, /tasks/{id}/{action}, /processes/{id}/{action}: an operation on one message, task or process. */
    private static final Pattern ON_ONE = Pattern.compile("(GET|POST) /(messages|tasks|processes)/([^/]+)(?:/([a-z]+))?");
    /** GET /processes/{id}/output: a run's last lines of output. */
    private static final Pattern OUTPUT = Pattern.compile("GET /processes/([^/]+)/output");
    private static final int MOST_OUTPUT_LINES = 1_000;
    /** The argument the path names, per collection: /messages/{id} is the message, /tasks/{id} the task. */
    private static final Map<String, String> NAMED_IN_PATH = Map.of("messages", "message", "tasks", "task", "processes", "process");

    private static final Logger LOG = LoggerFactory.getLogger(Api.class);
    private static final JsonMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION) // {"ttl":"1m","ttl":"1h"} is ambiguous, not "the last wins"
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .withCoercionConfig(LogicalType.Textual, strings -> strings // 5 is not "5": a number where text belongs is a mistake
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .build();

    private final Services services;
    private final RequestGuard guard;
    private final WaitingRequests waits;
    private final EventStream events;
    private final ResourceParser parser;
    private final IdempotentAnswers answers;
    private final LeaseEndpoints lease;
    private final MessageEndpoints message;
    private final AgentEndpoints agent;
    private final LogEndpoints log;
    private final TaskEndpoints task;
    private final PlanEndpoints doc;
    private final ProcessEndpoints process;
    /** POST routes defined as operations: the body's fields are the operation's arguments. */
    private final Map<String, Exposed<?, ?>> postedOperations;
    /** GET routes defined as operations: the query's parameters are the operation's arguments. */
    private final Map<String, Exposed<?, ?>> queriedOperations;
    /** Operations on one message or task named in the path ("POST /tasks/{id}/report"); a POST's body gives the other arguments. */
    private final Map<String, Exposed<?, ?>> onOne;
    private final JsonNode openApi;

    Api(Services services, RequestGuard guard, WaitingRequests waits) {
        this.services = services;
        this.guard = guard;
        this.waits = waits;
        this.events = new EventStream(services.log, services.store, services.settings);
        this.parser = new ResourceParser(services.root); // resolves the root's real path once, not per request
        this.answers = new IdempotentAnswers(services, parser);
        this.lease = services.leaseEndpoints;
        this.message = services.messageEndpoints;
        this.agent = services.agentEndpoints;
        this.log = services.logEndpoints;
        this.task = services.taskEndpoints;
        this.process = services.processEndpoints;
        this.doc = services.planEndpoints;
        this.postedOperations = Map.ofEntries(Map.entry("POST /locks", lease.acquire), Map.entry("POST /locks/renew", lease.renew),
                Map.entry("POST /locks/release", lease.release), Map.entry("POST /locks/cleanup", lease.cleanup),
                Map.entry("POST /locks/release-agent", lease.releaseAgent), Map.entry("POST /locks/write", lease.fencedWrite),
                Map.entry("POST /messages", message.send),
                Map.entry("POST /messages/broadcast", message.broadcast), Map.entry("POST /agents/heartbeat", agent.heartbeat),
                Map.entry("POST /agents/leave", agent.leave), Map.entry("POST /agents/activity", agent.report),
                Map.entry("POST /tasks", task.create), Map.entry("POST /tasks/claim", task.claim), Map.entry("POST /processes", process.spawn),
                Map.entry("POST /doc", doc.update), Map.entry("POST /doc/set", doc.set), Map.entry("POST /doc/append", doc.append),
                Map.entry("POST /doc/remove-line", doc.removeLine), Map.entry("POST /doc/sections", doc.addSection),
                Map.entry("POST /doc/rename-section", doc.renameSection), Map.entry("POST /doc/remove-section", doc.removeSection));
        this.queriedOperations = Map.ofEntries(Map.entry("GET /agents", agent.list), Map.entry("GET /locks/waiters", lease.waiters),
                Map.entry("GET /locks/fence", lease.fenceCheck),
                Map.entry("GET /messages/recent", message.recent), Map.entry("GET /log", log.read),
                Map.entry("GET /messages", message.inbox), Map.entry("GET /tasks", task.list), Map.entry("GET /tasks/stats", task.stats),
                Map.entry("GET /processes", process.list), Map.entry("GET /processes/stats", process.stats), Map.entry("GET /doc", doc.show),
                Map.entry("GET /doc/sections", doc.sections), Map.entry("GET /doc/history", doc.history));
        this.onOne = Map.ofEntries(Map.entry("GET /messages/{id}", message.show), Map.entry("GET /messages/{id}/thread", message.thread),
                Map.entry("POST /messages/{id}/read", message.read), Map.entry("POST /messages/{id}/ack", message.ack),
                Map.entry("POST /messages/{id}/reply", message.reply), Map.entry("GET /tasks/{id}", task.show),
                Map.entry("GET /tasks/{id}/tree", task.tree), Map.entry("POST /tasks/{id}/report", task.report),
                Map.entry("POST /tasks/{id}/cancel", task.cancel), Map.entry("POST /tasks/{id}/reopen", task.reopen),
                Map.entry("POST /tasks/{id}/assign", task.assign),
                Map.entry("POST /tasks/{id}/link", task.link), Map.entry("POST /tasks/{id}/unlink", task.unlink),
                Map.entry("GET /processes/{id}", process.show), Map.entry("POST /processes/{id}/kill", process.kill));
        Map<String, Exposed<?, ?>> operations = new LinkedHashMap<>(postedOperations);
        operations.putAll(queriedOperations);
        operations.putAll(onOne);
        this.openApi = OpenApi.document(operations, Api::namedInPath, answers());
    }

    /** What each route answers on success, as the OpenAPI document names routes; the POST routes of operations from their definitions. */
    private Map<String, OpenApi.Success> answers() {
        Map<String, OpenApi.Success> answers = new LinkedHashMap<>();
        answers.put("GET /locks", OpenApi.Success.of(lease.who, lease.holders));
        answers.put("POST /agents", OpenApi.Success.json(201, JsonViews.RegisteredAgentView.class));
        answers.put("GET /events", OpenApi.Success.eventStream(JsonViews.EventView.class));
        answers.put("GET /openapi.json", OpenApi.Success.json(200, JsonNode.class));
        answers.put("GET /messages/search", OpenApi.Success.of(message.search));
        answers.put("GET /processes/{id}/output", OpenApi.Success.json(200, JsonViews.OutputView.class));
        for (Map<String, Exposed<?, ?>> routes : List.of(postedOperations, queriedOperations, onOne)) {
            routes.forEach((route, exposed) -> answers.put(route, OpenApi.Success.of(exposed)));
        }
        return answers;
    }

    void stopStreams() {
        events.stop();
    }

    record RegisterBody(String id, String kind, String pane, String tmuxSocket, Long pid, String label) {
    }

    /** A JSON answer: status and document; {@code committed}: the document to send instead once the write committed (a send's typings). */
    record Answer(int status, Object document, Supplier<Object> committed) {
        Answer(int status, Object document) {
            this(status, document, null);
        }
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            String route = request.getMethod() + " " + (request.getPathInfo() == null ? "/" : request.getPathInfo());
            Exposed<?, ?> operation = operationOf(route);
            Caller caller = guard.authenticate(request, operation != null && operation.operation().admitting());
            guard.checkHost(request);
            if (route.equals("GET /events")) {
                events.stream(caller, guard.credentialCheck(request), request, response);
                return;
            }
            String body = request.getMethod().equals("POST") ? readBody(request, route.equals(FENCED_WRITE) ? MAX_WRITE_BODY : MAX_BODY) : "";
            String key = request.getHeader("Idempotency-Key");
            Answer answer;
            if (key == null || !request.getMethod().equals("POST") || isWaiting(route, body)) {
                answer = route(route, caller, request, response, body);
            } else {
                Caller thisRequest = new Caller(caller.agent(), caller.token(), caller.operator()); // its own: a file hold is the request's
                try (Fencing.FileHold held = route.equals(FENCED_WRITE) ? holdWrittenFile(thisRequest, body) : null) {
                    answer = answers.answer(key, thisRequest, RequestGuard.credential(request), route, body,
                            () -> route(route, thisRequest, request, response, body));
                }
            }
            send(request, response, answer.committed() == null ? answer : new Answer(answer.status(), answer.committed().get())); // the typist can see it now
        } catch (SwarmException failure) {
            discardBody(request);
            if (failure instanceof RateLimitedException limited) {
                response.setHeader("Retry-After", Long.toString((limited.retryAfterMillis() + 999) / 1000));
            }
            if (failure.kind() == SwarmException.Kind.INTERNAL) {
                LOG.error("internal error on {} {}", request.getMethod(), request.getRequestURI(), failure);
            }
            send(request, response, new Answer(status(failure), JsonViews.error(RequestGuard.hinted(failure))));
        } catch (BadMessageException malformed) { // the container's parse of the request (a query with a bad %-escape)
            discardBody(request);
            send(request, response, new Answer(400, JsonViews.error(SwarmException.badInput("malformed request: " + malformed.getReason()))));
        } catch (RuntimeException unexpected) {
            discardBody(request);
            LOG.error("internal error on {} {}", request.getMethod(), request.getRequestURI(), unexpected);
            send(request, response, new Answer(500, JsonViews.error(new SwarmException(SwarmException.Kind.INTERNAL,
                    "internal error: " + unexpected))));
        }
    }

    /**
     * Reads and drops what is left of a refused request's body (up to 1 MB), so a client still
     * uploading it gets the error answer instead of a broken connection.
     */
    private static void discardBody(HttpServletRequest request) {
        if ("100-continue".equalsIgnoreCase(request.getHeader("Expect"))) {
            return; // the client waits for a go-ahead it does not get: it sent no body (reading would ask for it)
        }
        try (InputStream in = request.getInputStream()) {
            in.skipNBytes(Math.min(Math.max(0, request.getContentLengthLong()), DISCARD_LIMIT));
            in.readNBytes(DISCARD_LIMIT); // a chunked body has no announced length
        } catch (IOException | RuntimeException ignored) {
            // the client is gone or sent less than it announced: nothing to keep for
        }
    }

    /** The request's JSON body, refused (413) when over {@code limit} bytes. */
    static String readBody(HttpServletRequest request, int limit) throws IOException {
        if (request.getContentLengthLong() > limit) {
            throw new BodyTooLarge(limit);
        }
        String type = request.getHeader("Content-Type"); // the header itself: the container's parse fails on a charset it does not know
        if (type != null && !type.split(";", 2)[0].strip().equalsIgnoreCase("application/json")) {
            throw SwarmException.badInput("content type must be application/json, not " + type);
        }
        for (String parameter : type == null ? new String[0] : type.split(";")) {
            String named = parameter.strip();
            if (named.regionMatches(true, 0, "charset=", 0, 8) && !named.substring(8).replace("\"", "").equalsIgnoreCase("utf-8")) {
                throw SwarmException.badInput("the API reads UTF-8 JSON only, not " + type);
            }
        }
        try (InputStream in = request.getInputStream()) {
            byte[] bytes = in.readNBytes(limit + 1);
            if (bytes.length > limit) {
                throw new BodyTooLarge(limit);
            }
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    /** A body over the limit; mapped to 413. */
    private static final class BodyTooLarge extends SwarmException {
        BodyTooLarge(int limit) {
            super(Kind.BAD_INPUT, "request body larger than " + limit + " bytes");
        }
    }

    /** An acquire with a "wait" field (read from the parsed body, not its text); a waiting inbox is a GET: never stored. */
    private boolean isWaiting(String route, String body) {
        Exposed<?, ?> posted = postedOperations.get(route);
        return posted != null && waits(posted, fields(body, posted));
    }

    private static <A extends Record> boolean waits(Exposed<A, ?> exposed, Map<String, Object> body) {
        return exposed.waits().test(exposed.arguments(body, OperationArguments.Wording.BODY));
    }

    /** Calls an operation with the request body's fields, watching the client while it waits. */
    private <A extends Record> Answer posted(Exposed<A, ?> exposed, Caller caller, HttpServletRequest request, HttpServletResponse response,
            String body) {
        return answer(exposed, caller, exposed.arguments(fields(body, exposed), OperationArguments.Wording.BODY), request, response);
    }

    /** Runs the operation, watching the client while it waits; an answer completed after the commit is completed then. */
    private <A extends Record, R> Answer answer(Exposed<A, R> exposed, Caller caller, A arguments, HttpServletRequest request,
            HttpServletResponse response) {
        R result;
        try (WaitingRequests.Watch watch = exposed.waits().test(arguments) ? waits.watch(request, response) : null) {
            result = exposed.operation().run(caller, arguments);
        }
        Record document = exposed.render(arguments, result);
        return exposed.afterCommit() == null ? new Answer(exposed.status(), document)
                : new Answer(exposed.status(), document, () -> exposed.render(arguments, exposed.committed(result)));
    }

    /** The body's fields; an operation without arguments may have no body. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> fields(String body, Exposed<?, ?> exposed) {
        return body.isBlank() && exposed.operation().arguments().getRecordComponents().length == 0 ? Map.of() : parse(body, Map.class);
    }

    /** Calls an operation with the request's query parameters ({@code renamed}: a parameter's name to the argument's). */
    private <A extends Record> Answer queried(Exposed<A, ?> exposed, Caller caller, HttpServletRequest request, HttpServletResponse response,
            Map<String, String> renamed) {
        Map<String, Object> parameters = new LinkedHashMap<>();
        request.getParameterMap().forEach((name, values) -> parameters.put(renamed.getOrDefault(name, name), values[0]));
        return answer(exposed, caller, exposed.arguments(parameters, OperationArguments.Wording.QUERY), request, response);
    }

    /** Calls an operation on one message or task, named in the path as {@code argument}; {@code fields}: the body's. */
    private <A extends Record> Answer onOne(Exposed<A, ?> exposed, Caller caller, String argument, String id, Map<String, Object> fields,
            HttpServletRequest request, HttpServletResponse response) {
        if (fields.containsKey(argument)) {
            throw SwarmException.badInput("unknown field '" + argument + "': the " + argument + " is named in the path");
        }
        Map<String, Object> arguments = new LinkedHashMap<>(fields);
        arguments.put(argument, id);
        return answer(exposed, caller, exposed.arguments(arguments, OperationArguments.Wording.BODY), request, response);
    }

    /** A stored JSON document (an answer kept for an Idempotency-Key), as a mutable map. */
    static Map<String, Object> document(String json) {
        return STRICT.readValue(json, DOCUMENT);
    }

    private Answer route(String route, Caller caller, HttpServletRequest request, HttpServletResponse response, String body) {
        Agents agents = services.agents;
        return switch (route) {
            case "GET /openapi.json" -> new Answer(200, openApi);
            case "GET /locks" -> request.getParameter("resource") != null ? queried(lease.who, caller, request, response, Map.of())
                    : queried(lease.holders, caller, request, response, Map.of());
            case "POST /agents" -> {
                RegisterBody register = parse(body, RegisterBody.class);
                Agents.Registered registered = agents.register(new Agents.Registration(register.id(), register.kind(),
                        register.pane(), register.pid(), register.label(), paneBinding(register)));
                yield new Answer(201, JsonViews.registered(registered.agent(), registered.token()));
            }
            case "GET /messages/search" -> queried(message.search, caller, request, response, Map.of("q", "query"));
            default -> OUTPUT.matcher(route).matches() ? output(caller, OUTPUT.matcher(route).replaceFirst("$1"), request.getParameter("lines"))
                    : postedOperations.containsKey(route) ? posted(postedOperations.get(route), caller, request, response, body)
                    : queriedOperations.containsKey(route) ? queried(queriedOperations.get(route), caller, request, response, Map.of())
                    : onOne(route, caller, body, request, response);
        };
    }

    /** A run's last lines of output ({@code lines}: how many, default 50), read from its file in this hub's checkout. */
    private Answer output(Caller caller, String id, String lines) {
        int count = lines == null ? 50 : Limits.digits(lines, 4) ? Integer.parseInt(lines) : -1;
        if (count < 0 || count > MOST_OUTPUT_LINES) {
            throw SwarmException.badInput("bad parameter 'lines' '" + lines + "': use a number from 0 to " + MOST_OUTPUT_LINES);
        }
        Run run = process.show.callCommitted(caller, new ProcessOperations.One(id));
        if (run.hubScope() != null && !run.hubScope().equals(services.hubScope)) {
            throw SwarmException.badInput("the output of " + run.agent() + " is in the checkout of the hub it was spawned through ("
                    + run.hubScope() + "), under .swarm/runs: ask that hub");
        }
        Path file = HubFiles.runOutput(services.root, run.agent());
        try {
            return new Answer(200, new JsonViews.OutputView(run.agent(), Files.exists(file) ? LogFileReader.last(file, count) : List.of()));
        } catch (IOException unreadable) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot read the output of " + run.agent() + ": " + unreadable.getMessage(), unreadable);
        }
    }

    private Answer onOne(String route, Caller caller, String body, HttpServletRequest request, HttpServletResponse response) {
        Matcher matcher = ON_ONE.matcher(route);
        Exposed<?, ?> exposed = matcher.matches() ? onOne.get(onOneTemplate(matcher)) : null;
        if (exposed == null) {
            return noSuchOperation(route);
        }
        Map<String, Object> fields = matcher.group(1).equals("POST") && !body.isBlank() ? fields(body, exposed) : Map.of(); // the path may say it all
        return onOne(exposed, caller, NAMED_IN_PATH.get(matcher.group(2)), matcher.group(3), fields, request, response);
    }

    /** The route's template in {@link #onOne} ("POST /tasks/{id}/report"), from a matched {@link #ON_ONE}. */
    private static String onOneTemplate(Matcher matched) {
        return matched.group(1) + " /" + matched.group(2) + "/{id}" + (matched.group(4) == null ? "" : "/" + matched.group(4));
    }

    /**
     * The operation a route runs, or null for a route of its own (registration, the event stream,
     * a run's output, the OpenAPI document) or for two (GET /locks: who, or holders).
     */
    private Exposed<?, ?> operationOf(String route) {
        Exposed<?, ?> named = postedOperations.getOrDefault(route, queriedOperations.get(route));
        if (named != null) {
            return named;
        }
        if (route.equals("GET /messages/search")) {
            return message.search;
        }
        Matcher matcher = ON_ONE.matcher(route);
        return matcher.matches() ? onOne.get(onOneTemplate(matcher)) : null;
    }

    /** The argument a route's path names ("/tasks/{id}/report": task), or null. */
    private static String namedInPath(String route) {
        Matcher matcher = Pattern.compile(" /([a-z]+)/\\{id}").matcher(route);
        return matcher.find() ? NAMED_IN_PATH.get(matcher.group(1)) : null;
    }

    private static Answer noSuchOperation(String route) {
        return new Answer(404, JsonViews.error(new SwarmException(SwarmException.Kind.BAD_INPUT,
                "no such operation: " + route + " (see /api/v1/openapi.json)")));
    }

    /**
     * The binding of a registration's pane, like the CLI's --pane/--tmux-socket/--pid: an HTTP
     * request has no terminal ($TMUX) to name the pane's server, so the body must. The hub checks
     * the pane and process on its own host.
     */
    private static PaneBinding paneBinding(RegisterBody register) {
        if (register.pane() == null) {
            if (register.tmuxSocket() != null) {
                throw SwarmException.badInput("field 'tmuxSocket' names the server of a 'pane': give the pane too");
            }
            return null;
        }
        Agents.Registration.checkPane(register.pane());
        if (register.tmuxSocket() == null || !Path.of(register.tmuxSocket()).isAbsolute()) {
            throw SwarmException.badInput("field 'pane' needs 'tmuxSocket': the absolute path of the pane's tmux server socket (in the pane: "
                    + "tmux display-message -p '#{socket_path}'); add 'pid' when the agent's process is not the pane's foreground");
        }
        return new PaneGuard().bind(new Tmux(Tmux.socketPath(register.tmuxSocket(), Map.of(), Path.of("/"))), register.pane(),
                register.pid(), null);
    }

    private static <T> T parse(String body, Class<T> type) {
        if (body.isBlank()) {
            throw SwarmException.badInput("missing JSON body");
        }
        try {
            T value = STRICT.readValue(body, type);
            if (value == null) {
                throw SwarmException.badInput("the request body must be a JSON object, not null");
            }
            return value;
        } catch (UnrecognizedPropertyException unknown) {
            throw SwarmException.badInput("unknown field '" + unknown.getPropertyName() + "'");
        } catch (MismatchedInputException wrongType) {
            String field = wrongType.getPath().stream()
                    .map(step -> step.getPropertyName() != null ? step.getPropertyName() : "[" + step.getIndex() + "]")
                    .collect(Collectors.joining("."));
            if (field.isEmpty()) {
                throw SwarmException.badInput("the request body must be a JSON object, not "
                        + (body.strip().startsWith("[") ? "an array" : "a single value"));
            }
            throw SwarmException.badInput("wrong type for field '" + field + "': expected " + jsonType(wrongType.getTargetType()));
        } catch (JacksonException malformed) {
            throw malformedJson(malformed);
        }
    }

    /** A request body as a JSON tree, read as strictly as the API's bodies (a duplicate key is refused). */
    /**
     * The file a fenced write's body names, held (waiting for a write of it in progress) before the
     * Idempotency-Key's store write that the write joins; null when the body names none (the
     * write refuses it).
     */
    private Fencing.FileHold holdWrittenFile(Caller caller, String body) {
        JsonNode path;
        try {
            path = tree(body.getBytes(StandardCharsets.UTF_8)).path("path");
        } catch (SwarmException malformed) {
            return null;
        }
        return path.isString() ? services.fencing.holdFile(caller, parser.parse(path.asString())) : null;
    }

    static JsonNode tree(byte[] body) {
        try {
            return STRICT.readTree(body);
        } catch (JacksonException malformed) {
            throw malformedJson(malformed);
        }
    }

    private static SwarmException malformedJson(JacksonException malformed) {
        TokenStreamLocation at = malformed.getLocation(); // none when a limit stopped the read (nesting too deep)
        return SwarmException.badInput("malformed JSON" + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
                + ": " + malformed.getOriginalMessage());
    }

    private static String jsonType(Class<?> target) {
        if (target == null) {
            return "another type";
        }
        if (List.class.isAssignableFrom(target)) {
            return "an array";
        }
        if (target == String.class) {
            return "a string";
        }
        if (target == Boolean.class || target == boolean.class) {
            return "true or false";
        }
        return Number.class.isAssignableFrom(target) || target.isPrimitive() ? "a number" : "an object";
    }

    private static Duration duration(String text) {
        return text == null ? null : Durations.parse(text);
    }

    static int status(SwarmException failure) {
        if (failure instanceof BodyTooLarge) {
            return 413;
        }
        if (failure instanceof RateLimitedException) {
            return 429;
        }
        return switch (failure.kind()) {
            case BAD_INPUT -> 400;
            case UNAUTHENTICATED -> 401;
            case DENIED -> 409;
            case INTERNAL -> 500;
            case UNAVAILABLE -> 503;
        };
    }

    /** Writes the answer; a refusal's code and message also go into the hub's log line for the request ({@link RequestLog}). */
    static void send(HttpServletRequest request, HttpServletResponse response, Answer answer) throws IOException {
        if (answer.document() instanceof JsonViews.ErrorView refusal) {
            RequestLog.refused(request, refusal.error());
        }
        response.setStatus(answer.status());
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store"); // answers hold state and secrets (a token, a session): never kept by a cache
        if (answer.status() == 401) {
            response.setHeader("WWW-Authenticate", "Bearer");
        }
        byte[] json = JsonViews.JSON.writeValueAsBytes(answer.document());
        response.setContentLength(json.length); // framed by length, not chunks: one write carries head and body
        response.getOutputStream().write(json);
    }
}
