package dev.swarmhub.cli;

import dev.swarmhub.host.AgentCredentials;
import dev.swarmhub.hub.CliFrames;
import dev.swarmhub.hub.JsonViews;
import dev.swarmhub.kernel.SwarmException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One simulated agent of a swarm run ({@link SwarmBench}): a Claude Code session whose hooks
 * relay to the hub over its Unix socket, and whose tools reach it over MCP or the API (with a
 * tenth of an API agent's calls made by the CLI over the socket instead). Each turn is one tool
 * call of the agent: see {@link SwarmBench#MODEL} for what a turn does. Not thread-safe: one
 * thread at a time runs its steps, in order: {@link #register}, {@link #join}, {@link #run}, {@link #leave}.
 */
final class SwarmBenchAgent {

    /** How an operation reached the hub; its label names the latencies by transport. */
    enum Via {
        HOOK("hook (socket)"), HTTP("http"), MCP("mcp"), CLI("cli (socket)");

        final String label;

        Via(String label) {
            this.label = label;
        }
    }

    /**
     * What the agents of a run share: where they work, their ids (for a message's recipient), the
     * pace, the operation counter, and the platform threads their Unix-socket exchanges run on.
     */
    record Run(Path root, String label, List<SwarmBenchAgent> agents, long turnNanos, AtomicLong operations, ExecutorService socketThreads) {
    }

    /*
     * How often an agent does each thing: every EDIT_EVERY-th turn an edit, and so on. Each agent
     * counts from its index, so the agents' turns of each kind are spread evenly and the first
     * agents do every kind at once (a short run has them all); what is random is the time between
     * turns, the files and the recipients.
     */
    static final int EDIT_EVERY = 5;
    static final int HOT_EDIT_EVERY = 10;
    static final int MESSAGE_EVERY = 20;
    static final int TASK_EVERY = 50;
    static final int CLI_CALL_EVERY = 10;
    static final int OWN_FILES = 10;
    static final int HOT_FILES = 20;
    static final String EDIT_WAIT = "2s";
    /** Found in the text of every message the agents send, so a hook's output shows how many it handed over. */
    private static final String MESSAGE_MARK = "swarm bench message";
    private static final Pattern PRIMED_AGENT = Pattern.compile("you are agent (\\S+)");

    private final Run run;
    private final int index;
    private final String session;
    private final boolean overMcp;
    private final SplittableRandom random;
    private final BenchConnection connection;
    private final Map<String, String> hookEnvironment;
    private Map<String, String> cliEnvironment;
    private String id;
    private String token;
    private String mcpSession;
    /** The file leased at the last edit, released on the next turn; null when none. */
    private String held;
    private BenchCommand.ClaimedTask task;
    private boolean progressReported;
    private long turnsTaken;
    private long editsMade;
    private long apiCallsMade;
    /** When latencies start to count ({@link System#nanoTime()}): operations begun before it are the warm-up. */
    private long countedFrom;

    /** Latencies and failures by operation, and by how it reached the hub. */
    final BenchCommand.Tally byKind = new BenchCommand.Tally();
    final BenchCommand.Tally byVia = new BenchCommand.Tally();
    long messagesSent;
    long messagesHandedOver;
    long hotEditsRefused;
    long claimsStarved;
    long tasksDone;

    /** {@code standIn}: the live process the hub takes for this agent's Claude Code (a hook's session is tied to one). */
    SwarmBenchAgent(Run run, int index, long standIn, boolean overMcp, SplittableRandom random, String apiUrl) {
        this.run = run;
        this.index = index;
        this.session = run.label() + "-" + index;
        this.overMcp = overMcp;
        this.random = random;
        this.connection = new BenchConnection(apiUrl);
        this.hookEnvironment = Map.of("CLAUDE_PID", Long.toString(standIn), "CLAUDE_PROJECT_DIR", run.root().toString(),
                SwarmClient.CLIENT_PID, Long.toString(ProcessHandle.current().pid()));
    }

    String id() {
        return id;
    }

    String token() {
        return token;
    }

    /** The session as the hub records it (hooks name Claude Code's sessions so). */
    String recordedSession() {
        return "claude:" + session;
    }

    /** Registers as Claude Code's SessionStart hook does; the primer it answers names the agent, whose token the hook kept. */
    void register() throws IOException {
        String primer = hook(Map.of("hook_event_name", "SessionStart", "source", "startup", "session_id", session));
        Matcher named = PRIMED_AGENT.matcher(primer);
        if (!named.find()) {
            throw new IOException("the SessionStart hook answered no primer (see .swarm/hooks.log): " + primer);
        }
        id = named.group(1);
        token = AgentCredentials.read(run.root(), id).orElseThrow(() -> new IOException("no token kept for agent " + id));
        cliEnvironment = Map.of("SWARM_AGENT", id, "SWARM_TOKEN", token, "SWARM_ROOT", run.root().toString(),
                SwarmClient.CLIENT_PID, Long.toString(ProcessHandle.current().pid()));
    }

    /** Opens the agent's MCP session, when it speaks MCP (before the run: the run measures tool calls only). */
    void join() throws IOException {
        if (overMcp) {
            mcpSession = connection.openMcpSession(token);
        }
    }

    /** A failed operation (but a hook's) ends the agent's turn; the run goes on and reports it. */
    private static final class TurnFailed extends Exception {
        TurnFailed() {
            super(null, null, false, false);
        }
    }

    /**
     * Takes turns from a random offset within the first turn until {@code deadline}, each the
     * model's random gap after the last ended; stays until the deadline (the run lasts as long
     * whatever the pace). Latencies count from {@code countFrom} on (a warm-up before it); failures
     * count all along.
     */
    void run(long began, long countFrom, long deadline) throws InterruptedException {
        countedFrom = countFrom;
        for (long next = began + (long) (random.nextDouble() * run.turnNanos()); next < deadline;
                next = System.nanoTime() + (long) (-Math.log(1 - random.nextDouble()) * run.turnNanos())) {
            pauseUntil(next);
            try {
                turn();
            } catch (TurnFailed counted) {
                // counted in byKind; the next turn starts afresh
            }
        }
        pauseUntil(deadline);
    }

    /** The agent at work between tool calls: the model's gap, not a synchronisation. */
    private static void pauseUntil(long nanoTime) throws InterruptedException {
        Thread.sleep(Duration.ofNanos(Math.max(0, nanoTime - System.nanoTime())));
    }

    private void turn() throws TurnFailed {
        boolean edit = every(EDIT_EVERY, turnsTaken);
        boolean hot = edit && every(HOT_EDIT_EVERY, editsMade++);
        boolean message = every(MESSAGE_EVERY, turnsTaken);
        boolean takeTask = every(TASK_EVERY, turnsTaken);
        turnsTaken++;
        int file = random.nextInt(hot ? HOT_FILES : OWN_FILES);
        SwarmBenchAgent recipient = run.agents().get(random.nextInt(run.agents().size() - 1)); // a random other agent:
        if (recipient == this) {
            recipient = run.agents().get(run.agents().size() - 1); // the last stands in for this one
        }
        String toolName = edit ? "Edit" : "Bash";
        try {
            String handed = timed("hook", Via.HOOK, () -> hook(Map.of("hook_event_name", "PostToolUse", "session_id", session,
                    "tool_name", toolName, "tool_input", Map.of("command", "git status"), "tool_response", Map.of("stdout", "nothing to commit"))));
            messagesHandedOver += handed.split(MESSAGE_MARK, -1).length - 1;
        } catch (TurnFailed counted) {
            // a hook never stops its client: the agent goes on with its turn
        }
        if (held != null) {
            String resource = held;
            held = null;
            timed("release_locks", callVia(), via -> release(via, resource));
        }
        if (task != null) {
            advanceTask();
        } else if (takeTask) {
            task = timed("claim_task", callVia(), this::claim);
            claimsStarved += task == null ? 1 : 0;
        }
        if (edit) {
            String resource = "bench/" + run.label() + (hot ? "/hot/file-" + file : "/" + id + "/file-" + file) + ".py";
            boolean granted = timed(hot ? "acquire_locks hot" : "acquire_locks", callVia(), via -> acquire(via, resource));
            held = granted ? resource : null;
            hotEditsRefused += granted ? 0 : 1;
        }
        if (message) {
            String to = recipient.id;
            timed("send_message", callVia(), via -> send(via, to));
            messagesSent++;
        }
    }

    /** A claimed task's next step: progress on the turn after the claim, done on the one after that. */
    private void advanceTask() throws TurnFailed {
        BenchCommand.ClaimedTask claimed = task;
        if (!progressReported) {
            timed("report_task", callVia(), via -> report(via, claimed, "progress"));
            progressReported = true;
            return;
        }
        timed("report_task", callVia(), via -> report(via, claimed, "done"));
        task = null;
        progressReported = false;
        tasksDone++;
    }

    /**
     * Leaves as a session that ends does: gives back a task still claimed, ends its MCP session,
     * then Claude Code's SessionEnd hook, with which the hub releases its leases and marks it gone.
     */
    void leave() throws IOException {
        if (task != null) {
            report(overMcp ? Via.MCP : Via.HTTP, task, "released");
            task = null;
        }
        if (mcpSession != null) {
            connection.closeMcpSession(token, mcpSession);
            mcpSession = null;
        }
        hook(Map.of("hook_event_name", "SessionEnd", "reason", "logout", "session_id", session));
        connection.close();
    }

    /** Whether this agent's {@code count}-th thing of a kind (from 0) is the one in {@code every}. */
    private boolean every(int every, long count) {
        return (count + index) % every == 0;
    }

    /** How the agent's next tool call reaches the hub: its MCP session, or the API with one call in ten by the CLI. */
    private Via callVia() {
        return overMcp ? Via.MCP : every(CLI_CALL_EVERY, apiCallsMade++) ? Via.CLI : Via.HTTP;
    }

    @FunctionalInterface
    private interface Call<T> {
        T run() throws IOException;
    }

    @FunctionalInterface
    private interface CallVia<T> {
        T run(Via via) throws IOException;
    }

    private <T> T timed(String kind, Via via, CallVia<T> call) throws TurnFailed {
        return timed(kind, via, () -> call.run(via));
    }

    /** Runs one operation, its latency counted by kind and by transport; a failure is counted and ends the turn. */
    private <T> T timed(String kind, Via via, Call<T> call) throws TurnFailed {
        long begin = System.nanoTime();
        try {
            T result = call.run();
            long nanos = System.nanoTime() - begin;
            if (begin >= countedFrom) {
                byKind.add(kind, nanos);
                byVia.add(via.label, nanos);
            }
            return result;
        } catch (IOException | RuntimeException failure) {
            byKind.fail(kind, failure);
            throw new TurnFailed();
        } finally {
            run.operations().incrementAndGet();
        }
    }

    /** One Claude Code hook as its command relays it (one connection, which the hub must take within the hook's limit); returns what it printed. */
    private String hook(Map<String, Object> event) throws IOException {
        CliFrames.Response answer = overSocket(() -> SwarmClient.relayHook(run.root(), new String[] {HookCommand.NAME, "claude", JsonViews.json(event)},
                hookEnvironment, run.root()));
        if (answer.exitCode() != 0) {
            throw new IOException("the hook exited " + answer.exitCode() + ": " + answer.err());
        }
        return answer.out();
    }

    /** A CLI command as the agent's shell runs it (the native relay: one exchange); returns its answer when it exited 0 or {@code refusedCode}, else fails. */
    private CliFrames.Response cli(int refusedCode, String... args) throws IOException {
        CliFrames.Response answer = overSocket(() -> SwarmClient.exchange(run.root(), args, cliEnvironment, run.root()));
        if (answer.exitCode() != 0 && answer.exitCode() != refusedCode) {
            throw new IOException("swarm " + String.join(" ", args) + " exited " + answer.exitCode() + ": " + answer.err().strip());
        }
        return answer;
    }

    /**
     * Runs a Unix-socket exchange on a platform thread, as the CLI's own process does: there a
     * connect waits while the hub's accept queue is full. On a virtual thread the JDK connects
     * without blocking, and a full queue fails the connect at once (EAGAIN), which no client sees.
     */
    private <T> T overSocket(Call<T> exchange) throws IOException {
        try {
            return run.socketThreads().submit(exchange::run).get();
        } catch (ExecutionException failed) {
            Throwable cause = failed.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException unchecked) {
                throw unchecked;
            }
            throw new IOException(cause);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while the hub answered");
        }
    }

    /** A tool call in the agent's session; a failure with one of the {@code refusals} codes is returned, any other fails. */
    private BenchConnection.ToolAnswer tool(String name, Map<String, Object> arguments, String... refusals) throws IOException {
        BenchConnection.ToolAnswer answer = connection.callTool(token, mcpSession, name, arguments);
        if (answer.failed() && !List.of(refusals).contains(answer.errorCode())) {
            throw new IOException(name + " failed: " + answer.content());
        }
        return answer;
    }

    /** An API call answering success, or {@code refusedStatus} (returned as null); anything else fails. */
    private String api(String path, Object body, int refusedStatus) throws IOException {
        BenchConnection.Response answer = connection.exchange(token, "POST", path, JsonViews.json(body));
        if (answer.status() == refusedStatus) {
            return null;
        }
        if (answer.status() >= 300) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "POST " + path + " answered " + answer.status() + ": " + answer.body());
        }
        return answer.body();
    }

    /** An exclusive lease on the file, waiting up to {@link #EDIT_WAIT} for its holder; false: still held by another then. */
    private boolean acquire(Via via, String resource) throws IOException {
        return switch (via) {
            case MCP -> !tool("acquire_locks", Map.of("resources", List.of(resource), "wait", EDIT_WAIT), "conflict", "timeout").failed();
            case CLI -> cli(SwarmException.Kind.DENIED.exitCode, "lock", "acquire", resource, "--wait", EDIT_WAIT).exitCode() == 0;
            default -> api("/locks", Map.of("resources", List.of(resource), "wait", EDIT_WAIT), 409) != null;
        };
    }

    private Void release(Via via, String resource) throws IOException {
        switch (via) {
            case MCP -> tool("release_locks", Map.of("resources", List.of(resource)));
            case CLI -> cli(0, "lock", "release", resource);
            default -> api("/locks/release", Map.of("resources", List.of(resource)), 0);
        }
        return null;
    }

    private Void send(Via via, String to) throws IOException {
        String text = MESSAGE_MARK + " from " + id;
        switch (via) {
            case MCP -> tool("send_message", Map.of("to", List.of(to), "type", "info", "text", text));
            case CLI -> cli(0, "send", to, "info", text);
            default -> api("/messages", Map.of("to", List.of(to), "type", "info", "text", text), 0);
        }
        return null;
    }

    /** Claims the next ready task of the run; null when none is ready. */
    private BenchCommand.ClaimedTask claim(Via via) throws IOException {
        return switch (via) {
            case MCP -> {
                BenchConnection.ToolAnswer answer = tool("claim_task", Map.of("label", run.label()), "denied");
                yield answer.failed() ? null : BenchCommand.ClaimedTask.of(answer.content());
            }
            case CLI -> {
                CliFrames.Response answer = cli(SwarmException.Kind.DENIED.exitCode, "task", "next", "--label", run.label(), "--json");
                yield answer.exitCode() == 0 ? BenchCommand.ClaimedTask.of(JsonViews.JSON.readTree(answer.out())) : null;
            }
            default -> {
                String claimed = api("/tasks/claim", Map.of("label", run.label()), 409);
                yield claimed == null ? null : BenchCommand.ClaimedTask.of(JsonViews.JSON.readTree(claimed));
            }
        };
    }

    /** Reports on the claimed task: progress (half done), done, or released (given back). */
    private Void report(Via via, BenchCommand.ClaimedTask claimed, String outcome) throws IOException {
        boolean progress = outcome.equals("progress");
        switch (via) {
            case MCP -> tool("report_task", progress ? Map.of("task", claimed.id(), "outcome", outcome, "percent", 50, "fencing", claimed.fencing())
                    : Map.of("task", claimed.id(), "outcome", outcome, "fencing", claimed.fencing()));
            case CLI -> cli(0, progress ? new String[] {"task", "progress", claimed.id(), "50", "--fencing", Long.toString(claimed.fencing())}
                    : new String[] {"task", outcome.equals("done") ? "done" : "release", claimed.id(), "--fencing", Long.toString(claimed.fencing())});
            default -> api("/tasks/" + claimed.id() + "/report", progress ? Map.of("outcome", outcome, "percent", 50, "fencing", claimed.fencing())
                    : Map.of("outcome", outcome, "fencing", claimed.fencing()), 0);
        }
        return null;
    }
}
