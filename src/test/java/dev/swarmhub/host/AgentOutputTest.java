package dev.swarmhub.host;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.host.AgentOutput.Format;
import dev.swarmhub.host.AgentOutput.Summary;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Agent outputs read line by line: the recorded replays of Claude Code and Codex
 * (src/test/resources/agent-outputs) give their exact summaries, a stream cut short gives what
 * was seen, and no line, however broken, throws or spoils what was known.
 */
class AgentOutputTest {

    private static final String CLAUDE_SESSION = "7c2e9a41-5b3d-4f80-9e16-2d8c0b7a4f12";
    private static final String CODEX_THREAD = "019b3f6e-2a41-7c90-8d15-4e7a9b0c3d21";
    private static final Summary NOTHING = new Summary(null, null, null, null, null, null, null);

    private static List<String> recorded(String file) throws IOException {
        try (InputStream in = AgentOutputTest.class.getResourceAsStream("/agent-outputs/" + file)) {
            assertThat(in).as(file).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    private static AgentOutput read(Format format, List<String> lines) {
        AgentOutput output = new AgentOutput(format);
        lines.forEach(output::accept);
        return output;
    }

    /** A line written with ' for " (none of these lines holds a quote of its own). */
    private static String json(String line) {
        return line.replace('\'', '"');
    }

    private static String claudeMessage(String id, String usage, String content) {
        return json("{'type':'assistant','message':{'id':'" + id + "','content':" + content + ",'usage':" + usage + "},'session_id':'" + CLAUDE_SESSION + "'}");
    }

    private static String codexTurn(long input, long output) {
        return json("{'type':'turn.completed','usage':{'input_tokens':" + input + ",'cached_input_tokens':1,'output_tokens':" + output + "}}");
    }

    @Test
    void kindsNameTheirFormatsAndAnyOtherKindIsPlain() {
        assertThat(AgentOutput.forKind("claude")).isEqualTo(Format.CLAUDE);
        assertThat(AgentOutput.forKind("codex")).isEqualTo(Format.CODEX);
        assertThat(AgentOutput.forKind("command")).isEqualTo(Format.PLAIN);
        assertThat(AgentOutput.forKind("Claude")).isEqualTo(Format.PLAIN);
        assertThat(AgentOutput.forKind(null)).isEqualTo(Format.PLAIN);
    }

    @Test
    void claudesSuccessfulRunGivesItsTotalsCostTurnsAndSession() throws IOException {
        AgentOutput output = read(Format.CLAUDE, recorded("claude-stream-success.jsonl"));

        // input: 13 + cache creation 4780 + cache read 44130
        assertThat(output.summary()).isEqualTo(new Summary(48_923L, 181L, 0.0412335, 3, CLAUDE_SESSION, "success", "message"));
        assertThat(output.lines()).isEqualTo(8);
    }

    @Test
    void claudesLinesEachChangeTheSummaryAndAMessagesSecondBlockAddsNoTokens() throws IOException {
        List<String> lines = recorded("claude-stream-success.jsonl");
        // per line: changed, input, output, last step
        List<String> expected = List.of(
                "true null null null",
                "true 16016 41 message",
                "true 16016 41 tool Bash", // the same message id and usage again: counted once
                "true 16016 41 tool result",
                "true 32340 159 tool Edit",
                "true 32340 159 tool result",
                "true 48923 181 message",
                "true 48923 181 message");
        AgentOutput output = new AgentOutput(Format.CLAUDE);
        for (int i = 0; i < lines.size(); i++) {
            boolean changed = output.accept(lines.get(i));
            Summary summary = output.summary();
            assertThat(changed + " " + summary.inputTokens() + " " + summary.outputTokens() + " " + summary.lastStep()).as("line " + (i + 1))
                    .isEqualTo(expected.get(i));
        }
        assertThat(output.accept(lines.get(6))).as("the last message again").isFalse();
        assertThat(output.summary().inputTokens()).isEqualTo(48_923L);
    }

    @Test
    void claudesRunEndingAtItsTurnLimitIsAnErrorWithItsReason() throws IOException {
        AgentOutput output = read(Format.CLAUDE, recorded("claude-stream-error.jsonl"));

        assertThat(output.summary()).isEqualTo(new Summary(31_629L, 115L, 0.0198764, 3, "d41b7e09-3a6c-4c2f-b8e5-91f0a2c6d7e3",
                "error: Reached maximum number of turns (2)", "tool error"));
    }

    @Test
    void claudesApiFailureIsAnErrorThoughItsSubtypeSaysSuccess() throws IOException {
        AgentOutput output = read(Format.CLAUDE, recorded("claude-stream-api-error.jsonl"));

        assertThat(output.summary()).isEqualTo(new Summary(0L, 0L, 0.0, 1, "2f9c4d18-e0a7-4b53-9c61-7d3e8a1b5c20",
                "error: Invalid API key · Please run /login", "error: authentication_failed"));
    }

    @Test
    void codexsSuccessfulRunGivesItsTokensThreadAndNoCost() throws IOException {
        AgentOutput output = read(Format.CODEX, recorded("codex-exec-success.jsonl"));

        assertThat(output.summary()).isEqualTo(new Summary(31_420L, 612L, null, null, CODEX_THREAD, "success", "todo: 2/2 done"));
    }

    @Test
    void codexsItemsAreItsSteps() throws IOException {
        List<String> lines = recorded("codex-exec-success.jsonl");
        String grep = "command: bash -lc 'grep -rn lease_expires src | head -5'";
        List<Map.Entry<Boolean, String>> expected = List.of(Map.entry(true, "null"), Map.entry(false, "null"), Map.entry(true, "reasoning"),
                Map.entry(true, grep), Map.entry(false, grep), Map.entry(true, "todo: 1/2 done"),
                Map.entry(true, "file change: src/main/java/hub/Leases.java"), Map.entry(true, "message"), Map.entry(true, "todo: 2/2 done"),
                Map.entry(true, "todo: 2/2 done"));
        AgentOutput output = new AgentOutput(Format.CODEX);
        for (int i = 0; i < lines.size(); i++) {
            boolean changed = output.accept(lines.get(i));
            assertThat(Map.entry(changed, String.valueOf(output.summary().lastStep()))).as("line " + (i + 1)).isEqualTo(expected.get(i));
        }
    }

    @Test
    void codexsFailedTurnIsAnErrorAndItsRetryErrorsAreOnlySteps() throws IOException {
        List<String> lines = recorded("codex-exec-failed.jsonl");
        AgentOutput output = read(Format.CODEX, lines.subList(0, 6));

        assertThat(output.summary()).as("after a retry error").isEqualTo(new Summary(null, null, null, null, "019b3f71-8c05-7e12-a4d6-0f3b5c7e9a11", null,
                "error: Reconnecting... 1/5 (stream disconnected before completion)"));
        assertThat(read(Format.CODEX, lines.subList(0, 4)).summary().lastStep()).isEqualTo("command failed: bash -lc './run-tests'");
        assertThat(read(Format.CODEX, lines.subList(0, 5)).summary().lastStep()).isEqualTo("warning: model rerouted: gpt-5-codex -> gpt-5-codex-mini (HighLoad)");

        lines.subList(6, 8).forEach(output::accept);
        assertThat(output.summary()).isEqualTo(new Summary(null, null, null, null, "019b3f71-8c05-7e12-a4d6-0f3b5c7e9a11",
                "error: stream disconnected before completion: idle timeout waiting for the response",
                "error: stream disconnected before completion: idle timeout waiting for the response"));
    }

    @Test
    void aStreamCutShortGivesWhatWasSeenAndNoOutcome() throws IOException {
        List<String> claude = recorded("claude-stream-success.jsonl");
        assertThat(read(Format.CLAUDE, claude.subList(0, 7)).summary()).as("killed before the result")
                .isEqualTo(new Summary(48_923L, 181L, null, null, CLAUDE_SESSION, null, "message"));
        assertThat(read(Format.CLAUDE, recorded("claude-stream-error.jsonl").subList(0, 4)).summary())
                .isEqualTo(new Summary(31_629L, 115L, null, null, "d41b7e09-3a6c-4c2f-b8e5-91f0a2c6d7e3", null, "tool Bash"));

        List<String> codex = recorded("codex-exec-success.jsonl");
        assertThat(read(Format.CODEX, codex.subList(0, 5)).summary())
                .isEqualTo(new Summary(null, null, null, null, CODEX_THREAD, null, "command: bash -lc 'grep -rn lease_expires src | head -5'"));
    }

    @Test
    void claudesResultTotalsReplaceTheMessagesAndLaterMessagesAddNothing() {
        AgentOutput output = new AgentOutput(Format.CLAUDE);
        output.accept(claudeMessage("msg_1", json("{'input_tokens':10,'output_tokens':1}"), json("[{'type':'text','text':'hi'}]")));
        assertThat(output.summary().inputTokens()).isEqualTo(10L);

        // the result counts a sub-agent's messages too, which this stream did not show
        assertThat(output.accept(json("{'type':'result','subtype':'success','is_error':false,'num_turns':0,'total_cost_usd':0.25,"
                + "'usage':{'input_tokens':100,'cache_creation_input_tokens':20,'cache_read_input_tokens':3,'output_tokens':7}}"))).isTrue();
        assertThat(output.summary()).isEqualTo(new Summary(123L, 7L, 0.25, 0, CLAUDE_SESSION, "success", "message"));

        assertThat(output.accept(claudeMessage("msg_2", json("{'input_tokens':50,'output_tokens':5}"), json("[{'type':'thinking','thinking':'…'}]"))))
                .isTrue();
        assertThat(output.summary()).isEqualTo(new Summary(123L, 7L, 0.25, 0, CLAUDE_SESSION, "success", "thinking"));
    }

    @Test
    void aClaudeResultWithoutUsageKeepsCountingMessages() {
        AgentOutput output = new AgentOutput(Format.CLAUDE);
        output.accept(claudeMessage("msg_1", json("{'input_tokens':10,'output_tokens':1}"), "[]"));
        output.accept(json("{'type':'result','subtype':'success','total_cost_usd':0.5}"));
        output.accept(claudeMessage("msg_2", json("{'input_tokens':5,'output_tokens':2}"), "[]"));

        assertThat(output.summary()).isEqualTo(new Summary(15L, 3L, 0.5, null, CLAUDE_SESSION, "success", null));
    }

    @Test
    void claudeUsageNeedsAMessageIdAndWellTypedCounts() {
        AgentOutput output = new AgentOutput(Format.CLAUDE);
        output.accept(claudeMessage("msg_1", json("{'input_tokens':10,'output_tokens':1}"), "[]"));
        assertThat(output.summary().inputTokens()).as("cache counts left out are none").isEqualTo(10L);

        List<String> ignored = List.of(
                json("{'type':'assistant','message':{'usage':{'input_tokens':1,'output_tokens':1}}}"), // no id: cannot tell a repeat
                json("{'type':'assistant','message':{'id':7,'usage':{'input_tokens':1,'output_tokens':1}}}"),
                claudeMessage("msg_2", "'lots'", "[]"),
                claudeMessage("msg_3", json("{'output_tokens':1}"), "[]"),
                claudeMessage("msg_4", json("{'input_tokens':1}"), "[]"),
                claudeMessage("msg_5", json("{'input_tokens':1,'output_tokens':1,'cache_creation_input_tokens':'2'}"), "[]"),
                claudeMessage("msg_6", json("{'input_tokens':1,'output_tokens':1,'cache_read_input_tokens':null}"), "[]"),
                claudeMessage("msg_7", json("{'input_tokens':1.5,'output_tokens':1}"), "[]"),
                claudeMessage("msg_8", json("{'input_tokens':-1,'output_tokens':1}"), "[]"),
                claudeMessage("msg_9", json("{'input_tokens':1,'output_tokens':100000000000000000000000000}"), "[]"));
        for (String line : ignored) {
            assertThat(output.accept(line)).as(line).isFalse();
        }
        ignored.forEach(output::accept); // the message without an id, twice: still not counted
        assertThat(output.summary()).isEqualTo(new Summary(10L, 1L, null, null, CLAUDE_SESSION, null, null));

        output.accept(claudeMessage("msg_5", json("{'input_tokens':1,'output_tokens':1,'cache_creation_input_tokens':2}"), "[]"));
        assertThat(output.summary().inputTokens()).as("a message whose bad usage was skipped counts once it comes right").isEqualTo(13L);
    }

    @Test
    void hugeCountsStopAtTheLargestNumberInsteadOfTurningNegative() {
        AgentOutput claude = new AgentOutput(Format.CLAUDE);
        claude.accept(claudeMessage("msg_1", json("{'input_tokens':9223372036854775807,'cache_read_input_tokens':1,'output_tokens':0}"), "[]"));
        assertThat(claude.summary().inputTokens()).isEqualTo(Long.MAX_VALUE);

        AgentOutput codex = new AgentOutput(Format.CODEX);
        codex.accept(codexTurn(Long.MAX_VALUE, 1));
        codex.accept(codexTurn(Long.MAX_VALUE, 1));
        assertThat(codex.summary().inputTokens()).isEqualTo(Long.MAX_VALUE);
        assertThat(codex.summary().outputTokens()).isEqualTo(2L);
    }

    @Test
    void codexUsageIsSummedOverTurnsAndANewTurnIsRunningAgain() {
        AgentOutput output = new AgentOutput(Format.CODEX);
        output.accept(json("{'type':'thread.started','thread_id':'" + CODEX_THREAD + "'}"));
        output.accept(json("{'type':'turn.started'}"));
        assertThat(output.accept(codexTurn(100, 10))).isTrue();
        assertThat(output.summary()).isEqualTo(new Summary(100L, 10L, null, null, CODEX_THREAD, "success", null));

        assertThat(output.accept(json("{'type':'turn.started'}"))).isTrue();
        assertThat(output.summary().outcome()).isNull();
        assertThat(output.accept(codexTurn(50, 5))).isTrue();
        assertThat(output.summary()).isEqualTo(new Summary(150L, 15L, null, null, CODEX_THREAD, "success", null));
    }

    @Test
    void aCodexTurnWithBadUsageStillSucceedsAndKeepsTheTokens() {
        AgentOutput output = new AgentOutput(Format.CODEX);
        output.accept(codexTurn(100, 10));
        output.accept(json("{'type':'turn.started'}"));
        output.accept(json("{'type':'turn.completed','usage':{'input_tokens':'50','output_tokens':5}}"));
        assertThat(output.summary()).isEqualTo(new Summary(100L, 10L, null, null, null, "success", null));
        output.accept(json("{'type':'turn.started'}"));
        output.accept(json("{'type':'turn.completed','usage':{'input_tokens':50}}"));
        assertThat(output.summary()).isEqualTo(new Summary(100L, 10L, null, null, null, "success", null));
    }

    @Test
    void codexErrorsWithoutAMessage() {
        AgentOutput output = new AgentOutput(Format.CODEX);
        assertThat(output.accept(json("{'type':'error'}"))).isFalse();
        assertThat(output.accept(json("{'type':'turn.failed','error':'gone'}"))).isTrue();
        assertThat(output.summary()).isEqualTo(new Summary(null, null, null, null, null, "error: turn failed", null));
    }

    @Test
    void eachKindOfCodexItemIsAStep() {
        Map<String, String> steps = Map.ofEntries(
                Map.entry("{'type':'item.started','item':{'type':'mcp_tool_call','server':'swarm','tool':'send','status':'in_progress'}}", "tool swarm.send"),
                Map.entry("{'type':'item.started','item':{'type':'mcp_tool_call'}}", "tool ?.?"),
                Map.entry("{'type':'item.completed','item':{'type':'web_search','query':'jackson 3 readTree'}}", "web search: jackson 3 readTree"),
                Map.entry("{'type':'item.completed','item':{'type':'web_search'}}", "web search: ?"),
                Map.entry("{'type':'item.completed','item':{'type':'command_execution','command':'rm -rf /','status':'declined'}}", "command declined: rm -rf /"),
                Map.entry("{'type':'item.completed','item':{'type':'command_execution','command':'ls','status':'completed','exit_code':0}}", "command: ls"),
                Map.entry("{'type':'item.started','item':{'type':'command_execution'}}", "command: ?"),
                Map.entry("{'type':'item.completed','item':{'type':'file_change','changes':[{'path':'a','kind':'add'},{'path':'b','kind':'delete'}]}}",
                        "file change: a, b"),
                Map.entry("{'type':'item.completed','item':{'type':'file_change','changes':[{'path':5},{'path':'b'}]}}", "file change: b"),
                Map.entry("{'type':'item.completed','item':{'type':'file_change','changes':'a'}}", "file change: ?"),
                Map.entry("{'type':'item.updated','item':{'type':'todo_list','items':[{'text':'a','completed':'true'},{'text':'b','completed':true}]}}",
                        "todo: 1/2 done"),
                Map.entry("{'type':'item.updated','item':{'type':'todo_list','items':{'text':'a','completed':true}}}", "todo: 0/0 done"),
                Map.entry("{'type':'item.completed','item':{'type':'error'}}", "warning: ?"),
                Map.entry("{'type':'item.completed','item':{'type':'agent_message','text':'done'}}", "message"));
        steps.forEach((line, step) -> {
            AgentOutput output = new AgentOutput(Format.CODEX);
            assertThat(output.accept(json(line))).as(line).isTrue();
            assertThat(output.summary()).as(line).isEqualTo(new Summary(null, null, null, null, null, null, step));
        });
    }

    @Test
    void eachKindOfClaudeBlockIsAStepAndOthersLeaveTheLastOne() {
        Map<String, String> steps = Map.of(
                "[{'type':'thinking','thinking':'hmm'}]", "thinking",
                "[{'type':'tool_use','id':'t1','input':{}}]", "tool ?",
                "[{'type':'text','text':'a'},{'type':'tool_use','name':'Read'},{'type':'image'}]", "tool Read");
        steps.forEach((content, step) -> {
            AgentOutput output = new AgentOutput(Format.CLAUDE);
            assertThat(output.accept(json("{'type':'assistant','message':{'content':" + content + "}}"))).as(content).isTrue();
            assertThat(output.summary().lastStep()).as(content).isEqualTo(step);
        });
        Map<String, String> results = Map.of(
                "[{'type':'tool_result','tool_use_id':'t1','content':'x','is_error':'true'}]", "tool result",
                "[{'type':'tool_result','is_error':true},{'type':'text','text':'and'}]", "tool error");
        results.forEach((content, step) -> {
            AgentOutput output = new AgentOutput(Format.CLAUDE);
            assertThat(output.accept(json("{'type':'user','message':{'role':'user','content':" + content + "}}"))).as(content).isTrue();
            assertThat(output.summary().lastStep()).as(content).isEqualTo(step);
        });
        List<String> noSteps = List.of(
                "{'type':'assistant','message':{'content':[{'type':'image'}]}}",
                "{'type':'assistant','message':{'content':{'type':'text','text':'an object, not a list'}}}",
                "{'type':'user','message':{'role':'user','content':'a prompt'}}",
                "{'type':'user','message':{'role':'user','content':[{'type':'text','text':'a prompt'}]}}",
                "{'type':'system','subtype':'status'}",
                "{'type':'rate_limit_event'}");
        for (String line : noSteps) {
            AgentOutput output = new AgentOutput(Format.CLAUDE);
            assertThat(output.accept(json(line))).as(line).isFalse();
            assertThat(output.summary()).as(line).isEqualTo(NOTHING);
        }
    }

    @Test
    void aClaudeFailuresReasonIsItsFirstErrorElseItsTextElseItsSubtype() {
        Map<String, String> outcomes = Map.of(
                "{'type':'result','subtype':'error_during_execution','is_error':true}", "error: error_during_execution",
                "{'type':'result','subtype':'error_max_budget_usd','is_error':false,'errors':['','Budget']}", "error: error_max_budget_usd",
                "{'type':'result','subtype':'error_max_turns','errors':[5],'result':'Stopped'}", "error: Stopped",
                "{'type':'result','subtype':'success','is_error':true,'result':' '}", "error: success",
                "{'type':'result','is_error':false}", "error: unknown",
                "{'type':'result','subtype':'success','is_error':'true'}", "success",
                "{'type':'result','subtype':'success','is_error':false,'result':'Done'}", "success");
        outcomes.forEach((line, outcome) -> {
            AgentOutput output = new AgentOutput(Format.CLAUDE);
            assertThat(output.accept(json(line))).as(line).isTrue();
            assertThat(output.summary()).as(line).isEqualTo(new Summary(null, null, null, null, null, outcome, null));
        });

        AgentOutput output = new AgentOutput(Format.CLAUDE);
        output.accept(json("{'type':'result','subtype':'error_during_execution','errors':['line one\\nline two " + "x".repeat(200) + "']}"));
        assertThat(output.summary().outcome()).startsWith("error: line one line two xxx").hasSize(AgentOutput.MAX_STEP_CHARS).endsWith("x…");
    }

    @Test
    void wronglyTypedResultFieldsAreSkippedAndWhatWasKnownStays() throws IOException {
        AgentOutput output = read(Format.CLAUDE, recorded("claude-stream-success.jsonl").subList(0, 7));

        output.accept(json("{'type':'result','subtype':'success','is_error':false,'session_id':42,'usage':'lots','total_cost_usd':'0.04','num_turns':'3'}"));
        assertThat(output.summary()).isEqualTo(new Summary(48_923L, 181L, null, null, CLAUDE_SESSION, "success", "message"));

        for (String fields : List.of("'total_cost_usd':-1,'num_turns':-1", "'total_cost_usd':1e400,'num_turns':3.5", "'num_turns':10000000000",
                "'usage':{'input_tokens':'1','output_tokens':1}")) {
            output.accept(json("{'type':'result','subtype':'success'," + fields + "}"));
        }
        assertThat(output.summary()).isEqualTo(new Summary(48_923L, 181L, null, null, CLAUDE_SESSION, "success", "message"));
    }

    @Test
    void garbageNeverThrowsNorChangesWhatWasKnown() throws IOException {
        List<String> garbage = List.of("", "   ", "not json at all", "{", "{\"type\":\"result\"", "{\"type\":\"result\",\"subtype\":\"success\"} trailing",
                "null", "5", "[1,2]", "\"text\"", "{}", "{\"type\":5}", "{\"type\":\"no.such.type\",\"usage\":{\"input_tokens\":1}}", "[".repeat(100_000),
                "\u0000\u001b[31m\u202e", "{\"type\":\"assistant\",\"message\":\"text\"}", "{\"type\":\"item.completed\",\"item\":[]}",
                "{\"type\":\"item.completed\",\"item\":{\"type\":\"collab_tool_call\"}}", "{\"type\":\"item.plan.delta\"}",
                "{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"not an id\"}", "{\"type\":\"thread.started\",\"thread_id\":\"a\\u0007b\"}",
                "{\"type\":\"thread.started\",\"thread_id\":\"" + "a".repeat(129) + "\"}");
        for (String file : List.of("claude-stream-success.jsonl", "codex-exec-success.jsonl")) {
            Format format = file.startsWith("claude") ? Format.CLAUDE : Format.CODEX;
            AgentOutput output = read(format, recorded(file));
            Summary known = output.summary();
            for (String line : garbage) {
                assertThat(output.accept(line)).as(file + ": " + line.substring(0, Math.min(line.length(), 60))).isFalse();
            }
            assertThat(output.summary()).as(file).isEqualTo(known);
            assertThat(output.lines()).isEqualTo(recorded(file).size() + garbage.size());
        }
    }

    @Test
    void aLineCutAnywhereIsSkipped() throws IOException {
        for (String file : List.of("claude-stream-success.jsonl", "claude-stream-error.jsonl", "claude-stream-api-error.jsonl",
                "codex-exec-success.jsonl", "codex-exec-failed.jsonl")) {
            Format format = file.startsWith("claude") ? Format.CLAUDE : Format.CODEX;
            for (String line : recorded(file)) {
                AgentOutput output = new AgentOutput(format);
                for (int end = 0; end < line.length(); end++) {
                    output.accept(line.substring(0, end));
                }
                assertThat(output.summary()).as(file + ": " + line).isEqualTo(NOTHING);
            }
        }
    }

    @Test
    void sessionIdsThatAreNoIdsAreSkipped() {
        AgentOutput output = new AgentOutput(Format.CODEX);
        output.accept(json("{'type':'thread.started','thread_id':'" + CODEX_THREAD + "'}"));
        for (String id : List.of("'with space'", "''", "7", "'" + "a".repeat(129) + "'")) {
            assertThat(output.accept(json("{'type':'thread.started','thread_id':" + id + "}"))).as(id).isFalse();
        }
        assertThat(output.accept(json("{'type':'thread.started','thread_id':'" + "a".repeat(128) + "'}"))).isTrue();
        assertThat(output.summary().session()).isEqualTo("a".repeat(128));
    }

    @Test
    void linesOverAMegabyteCountAsActivityOnly() {
        String start = json("{'type':'result','subtype':'success','num_turns':2,'result':'");
        String end = json("'}");
        String atLimit = start + "x".repeat(AgentOutput.MAX_PARSED_CHARS - start.length() - end.length()) + end;
        String overLimit = start + "x".repeat(AgentOutput.MAX_PARSED_CHARS + 1 - start.length() - end.length()) + end;
        assertThat(atLimit).hasSize(1 << 20);

        AgentOutput output = new AgentOutput(Format.CLAUDE);
        assertThat(output.accept(overLimit)).isFalse();
        assertThat(output.summary()).isEqualTo(NOTHING);
        assertThat(output.lines()).isEqualTo(1);
        assertThat(output.accept(atLimit)).isTrue();
        assertThat(output.summary()).isEqualTo(new Summary(null, null, null, 2, null, "success", null));
    }

    @Test
    void aCommandsOutputIsOnlyCounted() throws IOException {
        AgentOutput output = new AgentOutput(Format.PLAIN);
        for (String line : recorded("claude-stream-success.jsonl")) {
            assertThat(output.accept(line)).isFalse();
        }
        assertThat(output.accept(null)).as("no line").isFalse();
        assertThat(output.summary()).isEqualTo(NOTHING);
        assertThat(output.lines()).isEqualTo(8);
    }

    @Test
    void aStepIsOneShortLineWithoutControlCharacters() {
        AgentOutput output = new AgentOutput(Format.CODEX);
        String command = "\\u001b[31mls\\u001b[0m\\n\\trm x\\u202e\\u200bevil\\r\\n"; // JSON escapes: colours, line breaks, a tab, hiding characters
        output.accept(json("{'type':'item.started','item':{'type':'command_execution','command':'" + command + "','status':'in_progress'}}"));
        assertThat(output.summary().lastStep()).isEqualTo("command: [31mls[0m  rm xevil");

        output.accept(json("{'type':'item.started','item':{'type':'command_execution','command':'" + "y".repeat(500) + "'}}"));
        assertThat(output.summary().lastStep()).hasSize(AgentOutput.MAX_STEP_CHARS).startsWith("command: yyy").endsWith("y…");
    }

    @Test
    void oneLineKeepsAtMostItsLengthAndNeverSplitsACharacter() {
        assertThat(AgentOutput.oneLine("x".repeat(120))).isEqualTo("x".repeat(120));
        assertThat(AgentOutput.oneLine("x".repeat(121))).isEqualTo("x".repeat(119) + "…");
        assertThat(AgentOutput.oneLine("\uD83D\uDE80".repeat(121))).isEqualTo("\uD83D\uDE80".repeat(119) + "…");
        assertThat(AgentOutput.oneLine(" \u2028 a\u0085b\uD800 \n")).as("separators, a C1 control, half a pair").isEqualTo("ab");
    }
}
