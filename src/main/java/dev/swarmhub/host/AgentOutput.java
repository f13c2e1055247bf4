package dev.swarmhub.host;

import dev.swarmhub.kernel.Limits;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The running summary of an agent process's captured stdout, read line by line: Claude Code's
 * {@code --output-format stream-json --verbose} or Codex's {@code exec --json} (one JSON object a
 * line, described in src/test/resources/agent-outputs/README.md), or a command's output, only
 * counted. Both programs add fields and types between releases and a killed one stops mid-line,
 * so a line that is not what is expected is skipped, never an error, and what was known stays.
 * Not thread-safe: one reader feeds it.
 */
public final class AgentOutput {

    /** How a process's stdout is read. PLAIN: a command's output, only counted. */
    public enum Format { CLAUDE, CODEX, PLAIN }

    /** Longer lines (a tool result of megabytes) count as activity only: parsing them costs more than they tell. */
    public static final int MAX_PARSED_CHARS = 1 << 20;
    /** A step is shown to people on one line. */
    static final int MAX_STEP_CHARS = 120;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** A session or thread id as the programs write them (UUIDs); anything else is not one. */
    private static final Pattern SESSION_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private final Format format;
    private long lines;
    private Long inputTokens;
    private Long outputTokens;
    private Double costUsd;
    private Integer turns;
    private String session;
    private String outcome;
    private String lastStep;
    /** Claude: messages whose usage is counted; each repeats it on one line per content block. */
    private final Set<String> countedMessages = new HashSet<>();
    /** Claude: a result line gave the run's totals, which replace the per-message counts. */
    private boolean resultTotals;

    /**
     * What is known so far; null = not reported (yet). {@code inputTokens} is all input, cached
     * included; {@code costUsd} is known only from Claude's result line (Codex reports none);
     * {@code session} is the program's own id (Claude's session id, Codex's thread id), as its
     * resume option takes it.
     */
    public record Summary(Long inputTokens, Long outputTokens, Double costUsd, Integer turns, String session,
                          String outcome /* null while running; "success", or "error: <short reason>" */,
                          String lastStep /* short one-line description of the latest meaningful step, e.g. "tool Bash", "command: ls", "message" */) {
    }

    public AgentOutput(Format format) {
        this.format = Objects.requireNonNull(format, "format");
    }

    /** "claude" and "codex" (as {@code swarm spawn --kind} names them) are read as theirs; any other kind's output is only counted. */
    public static Format forKind(String kind) {
        return switch (Objects.requireNonNullElse(kind, "")) {
            case "claude" -> Format.CLAUDE;
            case "codex" -> Format.CODEX;
            default -> Format.PLAIN;
        };
    }

    /** Whether its lines tell anything (plain output is only counted). */
    public boolean readsLines() {
        return format != Format.PLAIN;
    }

    /** Reads one line (without its newline); returns whether the summary changed. Never throws on bad input. */
    public boolean accept(String line) {
        if (line == null) {
            return false;
        }
        lines++;
        if (format == Format.PLAIN || line.length() > MAX_PARSED_CHARS) {
            return false;
        }
        JsonNode event; // a blank line reads as a missing node, and any value but an object has no fields: nothing changes
        try {
            event = JSON.readTree(line);
        } catch (JacksonException e) {
            return false; // not JSON, or cut short by a killed process
        }
        Summary before = summary();
        if (format == Format.CLAUDE) {
            claude(event);
        } else {
            codex(event);
        }
        return !summary().equals(before);
    }

    public Summary summary() {
        return new Summary(inputTokens, outputTokens, costUsd, turns, session, outcome, lastStep);
    }

    /** Lines read so far, whatever they held: the process's activity. */
    public long lines() {
        return lines;
    }

    private void claude(JsonNode event) {
        session(event.path("session_id"));
        switch (Objects.requireNonNullElse(string(event.path("type")), "")) {
            case "assistant" -> claudeMessage(event);
            case "user" -> claudeToolResults(event.path("message").path("content"));
            case "result" -> claudeResult(event);
            default -> { // system (init and the rest), stream_event, rate_limit_event, control_*: nothing to summarize
            }
        }
    }

    private void claudeMessage(JsonNode event) {
        JsonNode message = event.path("message");
        Usage usage = Usage.claude(message.path("usage"));
        String id = string(message.path("id"));
        if (usage != null && id != null && !resultTotals && countedMessages.add(id)) {
            add(usage);
        }
        String step = null;
        for (JsonNode block : array(message.path("content"))) {
            String blockStep = claudeStep(block);
            step = blockStep == null ? step : blockStep;
        }
        String error = string(event.path("error")); // authentication_failed, rate_limit, …: says more than the text beside it
        step(error == null ? step : "error: " + error);
    }

    private static String claudeStep(JsonNode block) {
        return switch (Objects.requireNonNullElse(string(block.path("type")), "")) {
            case "text" -> "message";
            case "thinking" -> "thinking";
            case "tool_use" -> "tool " + Objects.requireNonNullElse(string(block.path("name")), "?");
            default -> null;
        };
    }

    private void claudeToolResults(JsonNode content) {
        String step = null;
        for (JsonNode block : array(content)) {
            if ("tool_result".equals(string(block.path("type")))) {
                step = isTrue(block.path("is_error")) ? "tool error" : "tool result";
            }
        }
        step(step);
    }

    private void claudeResult(JsonNode result) {
        Usage usage = Usage.claude(result.path("usage"));
        if (usage != null) {
            inputTokens = usage.input();
            outputTokens = usage.output();
            resultTotals = true;
        }
        JsonNode cost = result.path("total_cost_usd");
        if (cost.isNumber() && Double.isFinite(cost.doubleValue()) && cost.doubleValue() >= 0) {
            costUsd = cost.doubleValue();
        }
        JsonNode numTurns = result.path("num_turns");
        if (numTurns.isIntegralNumber() && numTurns.canConvertToInt() && numTurns.intValue() >= 0) {
            turns = numTurns.intValue();
        }
        // an API failure (a bad key) comes as subtype success with is_error
        boolean failed = isTrue(result.path("is_error")) || !"success".equals(string(result.path("subtype")));
        outcome = failed ? oneLine("error: " + claudeFailure(result)) : "success";
    }

    /** The first of: the errors' first (error_* subtypes), the result text (an API failure), the subtype. */
    private static String claudeFailure(JsonNode result) {
        for (JsonNode reason : List.of(result.path("errors").path(0), result.path("result"), result.path("subtype"))) {
            String text = string(reason);
            if (text != null && !text.isBlank()) {
                return text;
            }
        }
        return "unknown";
    }

    private void codex(JsonNode event) {
        switch (Objects.requireNonNullElse(string(event.path("type")), "")) {
            case "thread.started" -> session(event.path("thread_id"));
            case "turn.started" -> outcome = null; // running again
            case "turn.completed" -> {
                Usage usage = Usage.codex(event.path("usage"));
                if (usage != null) {
                    add(usage);
                }
                outcome = "success";
            }
            case "turn.failed" -> {
                String message = string(event.path("error").path("message"));
                outcome = oneLine("error: " + Objects.requireNonNullElse(message, "turn failed"));
            }
            case "error" -> { // not final: retries ("Reconnecting…") come as errors too; the turn's event decides
                String message = string(event.path("message"));
                step(message == null ? null : "error: " + message);
            }
            case "item.started", "item.updated", "item.completed" -> step(codexStep(event.path("item")));
            default -> { // newer types (item.plan.delta, request_user_input …)
            }
        }
    }

    private static String codexStep(JsonNode item) {
        return switch (Objects.requireNonNullElse(string(item.path("type")), "")) {
            case "agent_message" -> "message";
            case "reasoning" -> "reasoning";
            case "command_execution" -> {
                String status = string(item.path("status"));
                String label = "failed".equals(status) || "declined".equals(status) ? "command " + status + ": " : "command: ";
                yield label + Objects.requireNonNullElse(string(item.path("command")), "?");
            }
            case "file_change" -> "file change: " + paths(item.path("changes"));
            case "mcp_tool_call" -> "tool " + Objects.requireNonNullElse(string(item.path("server")), "?") + "."
                    + Objects.requireNonNullElse(string(item.path("tool")), "?");
            case "web_search" -> "web search: " + Objects.requireNonNullElse(string(item.path("query")), "?");
            case "todo_list" -> {
                List<JsonNode> todos = array(item.path("items"));
                yield "todo: " + todos.stream().filter(todo -> isTrue(todo.path("completed"))).count() + "/" + todos.size() + " done";
            }
            case "error" -> "warning: " + Objects.requireNonNullElse(string(item.path("message")), "?"); // a non-fatal item
            default -> null;
        };
    }

    private static String paths(JsonNode changes) {
        List<String> paths = new ArrayList<>();
        for (JsonNode change : array(changes)) {
            String path = string(change.path("path"));
            if (path != null) {
                paths.add(path);
            }
        }
        return paths.isEmpty() ? "?" : String.join(", ", paths);
    }

    private void add(Usage usage) {
        inputTokens = plus(Objects.requireNonNullElse(inputTokens, 0L), usage.input());
        outputTokens = plus(Objects.requireNonNullElse(outputTokens, 0L), usage.output());
    }

    private void session(JsonNode id) {
        String text = string(id);
        if (text != null && SESSION_ID.matcher(text).matches()) {
            session = text;
        }
    }

    private void step(String step) {
        if (step != null) {
            lastStep = oneLine(step);
        }
    }

    /** Tokens of one report: all input (cached included) and output. */
    private record Usage(long input, long output) {

        /** Claude's input_tokens excludes the cache counts: all input is the sum of the three. */
        static Usage claude(JsonNode usage) {
            Long input = count(usage.path("input_tokens"));
            Long output = count(usage.path("output_tokens"));
            Long cacheCreation = countIfPresent(usage.path("cache_creation_input_tokens"));
            Long cacheRead = countIfPresent(usage.path("cache_read_input_tokens"));
            if (input == null || output == null || cacheCreation == null || cacheRead == null) {
                return null;
            }
            return new Usage(plus(plus(input, cacheCreation), cacheRead), output);
        }

        /** Codex's input_tokens already includes cached_input_tokens. */
        static Usage codex(JsonNode usage) {
            Long input = count(usage.path("input_tokens"));
            Long output = count(usage.path("output_tokens"));
            return input == null || output == null ? null : new Usage(input, output);
        }
    }

    /** A token count: a whole number, not negative; anything else is no count. */
    private static Long count(JsonNode node) {
        return node.isIntegralNumber() && node.canConvertToLong() && node.longValue() >= 0 ? node.longValue() : null;
    }

    /** A count that may be left out (0), but not be something else. */
    private static Long countIfPresent(JsonNode node) {
        return node.isMissingNode() ? Long.valueOf(0) : count(node); // boxed: a plain 0L would unbox count's null
    }

    /** Adds counts (never negative); absurd ones stop at the largest long instead of wrapping round. */
    private static long plus(long a, long b) {
        long sum = a + b;
        return sum < 0 ? Long.MAX_VALUE : sum;
    }

    private static String string(JsonNode node) {
        return node.isString() ? node.stringValue() : null;
    }

    private static boolean isTrue(JsonNode node) {
        return node.isBoolean() && node.booleanValue();
    }

    private static List<JsonNode> array(JsonNode node) {
        List<JsonNode> elements = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(elements::add);
        }
        return elements;
    }

    /**
     * Text shown to people on one line: line breaks and tabs become spaces, other control
     * characters and those that hide or reorder text are removed, and at most
     * {@link #MAX_STEP_CHARS} characters are kept (the last an ellipsis when cut).
     */
    static String oneLine(String text) {
        StringBuilder line = new StringBuilder();
        text.codePoints().map(c -> Character.isWhitespace(c) ? ' ' : c).filter(c -> !Limits.unsafeInLine(c)).forEach(line::appendCodePoint);
        String kept = line.toString().strip();
        if (kept.codePointCount(0, kept.length()) <= MAX_STEP_CHARS) {
            return kept;
        }
        return kept.substring(0, kept.offsetByCodePoints(0, MAX_STEP_CHARS - 1)) + "…"; // by code point: never half a pair
    }
}
