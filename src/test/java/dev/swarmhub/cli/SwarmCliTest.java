package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The CLI's contract: options anywhere, exit codes, one JSON document, errors naming the problem. */
class SwarmCliTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path project;

    private record Run(int exitCode, String out, String err) {
        JsonNode json() {
            return JSON.readTree(out);
        }
    }

    private Run swarm(Map<String, String> environment, Path workingDirectory, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Swarm.run(args, environment, workingDirectory, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    private Run swarm(String... args) {
        return swarm(Map.of("SWARM_ROOT", project.toString()), project, args);
    }

    private final Map<String, String> tokens = new HashMap<>();

    /** The token of a registered agent (registering it on first use). */
    private String token(String agent) {
        return tokens.computeIfAbsent(agent, id -> new CliRunner(project).register(id).get("SWARM_TOKEN"));
    }

    @Test
    void configTakesSetAndGetVerbsAndRefusesOtherShapesNamingTheUsage() {
        Map<String, String> operator = Map.of("SWARM_ROOT", project.toString(), "SWARM_TOKEN", new CliRunner(project).operatorToken());
        Run set = swarm(operator, project, "config", "set", "agents.stale-after", "45s");
        assertThat(set.exitCode()).as(set.err()).isZero();
        assertThat(swarm("config", "get", "agents.stale-after").out().strip()).isEqualTo("agents.stale-after = 45s");
        assertThat(swarm("config", "agents.stale-after").out().strip()).isEqualTo("agents.stale-after = 45s");
        Run byName = swarm(operator, project, "config", "agents.stale-after", "50s");
        assertThat(byName.exitCode()).as(byName.err()).isZero();
        for (List<String> wrong : List.of(List.of("set", "agents.stale-after"), List.of("get", "agents.stale-after", "60s"), List.of("set"),
                List.of("agents.stale-after", "60s", "70s"))) {
            Run refused = swarm(operator, project, concat("config", wrong));
            assertThat(refused.exitCode()).as(wrong.toString()).isEqualTo(2);
            assertThat(refused.err()).as(wrong.toString()).contains("usage: swarm config");
        }
        assertThat(swarm("config", "get", "agents.stale-after").out().strip()).as("unchanged by the refusals").isEqualTo("agents.stale-after = 50s");
    }

    @Test
    void theOperatorAssignsATaskFromTheCommandLineAndAnAgentMayNot() {
        Map<String, String> operator = Map.of("SWARM_ROOT", project.toString(), "SWARM_TOKEN", new CliRunner(project).operatorToken());
        String task = swarm(Map.of("SWARM_ROOT", project.toString(), "SWARM_AGENT", "A", "SWARM_TOKEN", token("A")), project,
                "task", "create", "port the lexer", "--json").json().get("id").asString();
        token("B");
        Run byAgent = swarm(Map.of("SWARM_ROOT", project.toString(), "SWARM_AGENT", "A", "SWARM_TOKEN", token("A")), project, "task", "assign", task, "B");
        assertThat(byAgent.exitCode()).as(byAgent.err()).isEqualTo(4);
        assertThat(byAgent.err()).contains("only the operator may assign tasks");
        Run assigned = swarm(operator, project, "task", "assign", task, "B", "--reason", "B knows it", "--json");
        assertThat(assigned.exitCode()).as(assigned.err()).isZero();
        assertThat(assigned.json().get("task").get("assignee").asString()).isEqualTo("B");
        assertThat(assigned.json().get("lease").get("agent").asString()).isEqualTo("B");
    }

    private static String[] concat(String first, List<String> rest) {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(first), rest.stream()).toArray(String[]::new);
    }

    @Test
    void globalOptionsWorkBeforeAndAfterTheSubcommand() {
        Run before = swarm(Map.of(), Path.of("/"), "--root", project.toString(), "--agent", "A", "--token", token("A"), "--json", "lock", "acquire", "a.py");
        Run after = swarm(Map.of(), Path.of("/"), "lock", "acquire", "b.py", "--root", project.toString(), "--agent", "A", "--token", token("A"), "--json");
        assertThat(before.exitCode()).as(before.err()).isZero();
        assertThat(after.exitCode()).as(after.err()).isZero();
        assertThat(before.json().get("leases").get(0).get("resource").asString()).isEqualTo("a.py");
        assertThat(after.json().get("leases").get(0).get("agent").asString()).isEqualTo("A");
    }

    @Test
    void agentAndRootComeFromTheEnvironmentOrTheNearestProjectDirectory() throws Exception {
        Files.createDirectories(project.resolve(".git"));
        Path nested = Files.createDirectories(project.resolve("src/deep"));
        String envToken = token("envagent");
        Run run = swarm(Map.of("SWARM_AGENT", "envagent", "SWARM_TOKEN", envToken), nested, "lock", "acquire", "x.py", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.json().get("leases").get(0).get("agent").asString()).isEqualTo("envagent");
        assertThat(project.resolve(".swarm/swarm.db")).exists();
        assertThat(Files.readString(project.resolve(".swarm/.gitignore"))).contains("*");
    }

    @Test
    void grantAndConflictAreSingleJsonDocumentsWithTheAgreedFields() {
        Run grant = swarm("lock", "acquire", "test.py", "--agent", "A", "--token", token("A"), "--reason", "first", "--json");
        JsonNode lease = grant.json().get("leases").get(0);
        assertThat(lease.propertyNames()).contains("resource", "mode", "agent", "token", "expiresAt", "reason");
        assertThat(grant.out().strip()).doesNotContain("\n");

        Run conflict = swarm("lock", "acquire", "./test.py", "--agent", "B", "--token", token("B"), "--json");
        assertThat(conflict.exitCode()).isEqualTo(3);
        JsonNode held = conflict.json().get("conflicts").get(0);
        assertThat(held.get("holder").asString()).isEqualTo("A");
        assertThat(held.get("resource").asString()).isEqualTo("test.py");
        assertThat(held.get("reason").asString()).isEqualTo("first");
        assertThat(held.propertyNames()).contains("mode", "since", "expiresAt");
        assertThat(conflict.err()).contains("held by A");
    }

    /** The domain says what was missing; the CLI says how to give it on a command line (HTTP names its header instead). */
    @Test
    void refusalsForLackOfCredentialsSayHowToGiveThemHere() {
        token("A");
        for (String[] command : List.of(new String[] {"lock", "acquire", "a.py"}, new String[] {"send", "A", "INFO", "hi"},
                new String[] {"agent", "heartbeat"}, new String[] {"inbox"})) {
            Run refused = swarm(command);
            assertThat(refused.exitCode()).as(String.join(" ", command)).isEqualTo(4);
            assertThat(refused.err()).as(String.join(" ", command))
                    .isEqualTo("swarm: no agent given: pass --agent ID or set SWARM_AGENT (and SWARM_TOKEN)\n");
        }
        assertThat(swarm("lock", "acquire", "a.py", "--agent", "A").err()).isEqualTo("swarm: no token for agent A: set SWARM_TOKEN or pass --token\n");
        Run unknown = swarm("agent", "heartbeat", "--agent", "nobody", "--token", "x", "--json");
        assertThat(unknown.exitCode()).isEqualTo(4);
        assertThat(unknown.json().get("error").get("message").asString())
                .isEqualTo("agent nobody is not registered (or not claimed): run swarm agent register");
    }

    @Test
    void exitCodesSeparateBadInputFromDenial() {
        assertThat(swarm("lock", "acquire", "../etc/passwd", "--agent", "A", "--token", token("A")).exitCode()).isEqualTo(2);
        assertThat(swarm("lock", "acquire", "/etc/passwd", "--agent", "A", "--token", token("A")).err()).contains("outside the project", "/etc/passwd");
        assertThat(swarm("lock", "acquire", "a.py", "--agent", "bad agent!", "--token", "x").err()).contains("bad agent id 'bad agent!'");
        assertThat(swarm("lock", "acquire", "a.py").err()).contains("SWARM_AGENT");
        assertThat(swarm("lock", "acquire", "a.py", "--agent", "A", "--token", token("A"), "--ttl", "0s").err()).contains("ttl", "1s to 24h");
        assertThat(swarm("lock", "acquire", "a.py", "--agent", "A", "--token", token("A"), "--reason", "two\nlines").exitCode()).isEqualTo(2);
        assertThat(swarm("lock", "frobnicate").exitCode()).isEqualTo(2);
        Run badJson = swarm("lock", "acquire", "a.py", "--agent", "A", "--token", token("A"), "--ttl", "soon", "--json");
        assertThat(badJson.exitCode()).isEqualTo(2);
        assertThat(badJson.json().get("error").get("code").asString()).isEqualTo("bad_input");
        assertThat(badJson.json().get("error").get("message").asString()).contains("soon");

        assertThat(swarm("lock", "acquire", "a.py", "--agent", "A", "--token", token("A")).exitCode()).isZero();
        assertThat(swarm("lock", "release", "a.py", "--agent", "B", "--token", token("B")).exitCode()).isEqualTo(3);
        assertThat(swarm("lock", "release", "never.py", "--agent", "B", "--token", token("B")).exitCode()).isZero();
        assertThat(swarm("lock", "renew", "a.py", "--agent", "B", "--token", token("B")).exitCode()).isEqualTo(3);
    }

    @Test
    void noProjectFoundIsABadInputNamingTheWayOut() throws Exception {
        Path outside = Files.createTempDirectory("no-project");
        Run run = swarm(new HashMap<>(), outside, "lock", "list");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--root");
    }

    @Test
    void optionsOfOneRunNeverLeakIntoTheNext() {
        // command lines are reused between runs: every option must start from its default again
        Run shared = swarm("lock", "acquire", "one.py", "--shared", "--reason", "r1", "--ttl", "10m", "--agent", "A", "--token", token("A"), "--json");
        assertThat(shared.json().get("leases").get(0).get("mode").asString()).isEqualTo("shared");
        Run plain = swarm("lock", "acquire", "two.py", "--agent", "A", "--token", token("A"), "--json");
        JsonNode lease = plain.json().get("leases").get(0);
        assertThat(lease.get("mode").asString()).isEqualTo("exclusive");
        assertThat(lease.get("reason").asString()).isEmpty();
        assertThat(swarm("lock", "list").out()).doesNotStartWith("{");
        Run noAgent = swarm("lock", "acquire", "three.py");
        assertThat(noAgent.exitCode()).as("the previous run's --agent is gone").isEqualTo(4);
    }

    /** --mode takes any mode Mode lists (a new mode needs no CLI change); --shared stays its shorthand. */
    @Test
    void theLeaseModeIsAnyModeTheDomainLists() {
        assertThat(swarm("lock", "acquire", "--help").out()).contains("--mode", "exclusive, shared");
        assertThat(swarm("lock", "acquire", "m.py", "--mode", "shared", "--agent", "A", "--token", token("A"), "--json").json()
                .get("leases").get(0).get("mode").asString()).isEqualTo("shared");
        assertThat(swarm("lock", "acquire", "m.py", "--mode", "SHARED", "--agent", "B", "--token", token("B"), "--json").json()
                .get("leases").get(0).get("mode").asString()).as("shared leases coexist").isEqualTo("shared");
        Run unknown = swarm("lock", "acquire", "n.py", "--mode", "intent", "--agent", "A", "--token", token("A"));
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown lease mode 'intent'", "exclusive or shared");
        Run disagree = swarm("lock", "acquire", "n.py", "--shared", "--mode", "exclusive", "--agent", "A", "--token", token("A"));
        assertThat(disagree.exitCode()).isEqualTo(2);
        assertThat(disagree.err()).contains("--shared", "--mode exclusive");
        assertThat(swarm("lock", "acquire", "n.py", "--shared", "--mode", "shared", "--agent", "A", "--token", token("A")).exitCode()).isZero();
    }

    @Test
    void logFollowPrintsNewEventsAsTheyHappen() throws Exception {
        swarm("lock", "acquire", "before.py", "--agent", "A", "--token", token("A"));
        StringWriter followed = new StringWriter();
        Thread follower = new Thread(() -> Swarm.run(new String[] {"log", "--follow", "--json", "--limit", "1"},
                Map.of("SWARM_ROOT", project.toString()), project, new PrintWriter(followed), new PrintWriter(new StringWriter())));
        follower.start();
        try {
            dev.swarmhub.testing.Await.until("the newest event", () -> followed.toString().contains("before.py"));
            swarm("lock", "acquire", "after.py", "--agent", "A", "--token", token("A"));
            dev.swarmhub.testing.Await.until("the new event", () -> followed.toString().contains("after.py"));
        } finally {
            follower.interrupt();
            follower.join();
        }
        List<String> lines = followed.toString().lines().toList();
        assertThat(lines).allSatisfy(line -> assertThat(JSON.readTree(line).get("kind")).isNotNull());
        assertThat(lines.get(lines.size() - 1)).contains("after.py", "lease.acquired");
    }

    @Test
    void helpAndVersionWork() {
        Run help = swarm("--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("lock", "log", "Exit codes");
        assertThat(swarm("lock", "acquire", "--help").out()).contains("--wait", "--shared", "--ttl");
        Run version = swarm("--version");
        assertThat(version.exitCode()).isZero();
        assertThat(version.out()).matches("(?s)swarm \\d+\\.\\d+.*");
    }

    /** A command line runs on a model of its command alone; that model must be the whole model's part for it, to the last derived subcommand. */
    @Test
    void eachCommandHelpsAndRunsTheSameOnItsOwnModelAsOnTheWholeOne() {
        CommandLine every = Swarm.newCommandLine(Swarm.EVERY_COMMAND);
        assertThat(every.getSubcommands().keySet()).contains("show", "spawn", "ps", "kill", "help");
        for (String word : every.getSubcommands().keySet()) {
            if (word.equals("help")) {
                continue;
            }
            assertThat(Swarm.commandWord(new String[] {"--json", "--agent", "A", "--root=" + project, word, "--help"})).isEqualTo(word);
            CommandLine own = Swarm.newCommandLine(word);
            assertThat(own.getSubcommands().keySet()).as(word).containsExactly(word);
            assertThat(usageTree(own.getSubcommands().get(word))).as(word).isEqualTo(usageTree(every.getSubcommands().get(word)));
        }
        Run byWhole = swarm("help", "task");
        Run byOwn = swarm("task", "--help");
        assertThat(byOwn.out()).isEqualTo(byWhole.out()).contains("claim", "ready", "progress");
    }

    @Test
    void whatNeedsEveryCommandIsRunOnTheWholeModel() {
        for (String[] args : List.<String[]>of(new String[0], new String[] {"--help"}, new String[] {"-h", "lock"}, new String[] {"help", "lock"},
                new String[] {"--json"}, new String[] {"--agent", "lock"}, new String[] {"lokc", "acquire"}, new String[] {"--nonsense", "lock"})) {
            assertThat(Swarm.commandWord(args)).as(String.join(" ", args)).isEqualTo(Swarm.EVERY_COMMAND);
        }
        Run misspelled = swarm("lokc", "acquire", "x");
        assertThat(misspelled.exitCode()).isEqualTo(2);
        assertThat(misspelled.err()).contains("did you mean lock?");
        assertThat(swarm("--help").out()).contains("hook", "spawn", "kill", "help");
        assertThat(swarm("completion", "bash").out()).contains("hook", "spawn", "release-agent");
    }

    /** A command's help with every subcommand's, depth first. */
    private static String usageTree(CommandLine command) {
        StringBuilder text = new StringBuilder(command.getUsageMessage(CommandLine.Help.Ansi.OFF));
        command.getSubcommands().values().forEach(sub -> text.append(usageTree(sub)));
        return text.toString();
    }

    @Test
    void whoListCleanupAndLogReportWhatHappened() {
        swarm("lock", "acquire", "src/*.py", "--agent", "A", "--token", token("A"), "--reason", "sweep");
        Run who = swarm("lock", "who", "src/a.py", "--json");
        assertThat(who.json().get("leases").get(0).get("resource").asString()).isEqualTo("src/*.py");
        assertThat(swarm("lock", "who", "docs/x.md").out()).contains("is free");
        assertThat(swarm("lock", "list", "--holder", "A", "--json").json().get("leases")).hasSize(1);
        String operator = new CliRunner(project).operatorToken();
        assertThat(swarm("lock", "release-agent", "A", "--reason", "crashed", "--json").exitCode()).as("needs the operator").isEqualTo(4);
        assertThat(swarm("lock", "release-agent", "A", "--reason", "crashed", "--token", operator, "--json").json().get("released")).hasSize(1);
        JsonNode events = swarm("log", "--kind", "lease.force-released", "--json").json().get("events");
        assertThat(events).hasSize(1);
        assertThat(events.get(0).get("details").get("reason").asString()).isEqualTo("crashed");
        assertThat(swarm("lock", "cleanup", "--json").json().get("expired")).isEmpty();
    }

    @Test
    void theLauncherRunsAHubStartedByHandAsTheBackgroundHubRuns() throws Exception {
        String launcher = Files.readString(Path.of("swarm"));
        for (String option : HubCommands.HUB_JVM_OPTIONS) {
            assertThat(launcher).as("the launcher's options for up").contains(option);
        }
    }
}
