package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.agents.PaneBinding;
import dev.swarmhub.host.PaneGuard;
import dev.swarmhub.host.PaneTyper;
import dev.swarmhub.host.Tmux;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.HubProcess;
import dev.swarmhub.testing.JavaProcess;
import dev.swarmhub.testing.TmuxServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Messages typed into agents' real tmux panes. The panes run {@code cat > file} in an ordinary
 * terminal, so each file holds exactly the lines the pane received, and the pane's screen
 * (capture-pane) shows them as typed. Several OS processes type at once: every line must arrive
 * whole, with its Enter, never interleaved with another.
 */
class PaneTypingTest {

    private static final int PROCESSES = 8;
    private static final int MESSAGES_EACH = 25;
    private static final int PANES = 3;
    private static final String TMUX_TIMEOUT_MS = "10000";

    @TempDir
    Path project;

    @TempDir
    Path work;

    private TmuxServer tmux;
    private final List<String> panes = new ArrayList<>();
    private final List<AutoCloseable> processes = new ArrayList<>();

    @BeforeEach
    void startPanes() {
        tmux = TmuxServer.start(work, project, "node");
        tmux.tmux("set-option", "-g", "history-limit", "100000");
        for (int i = 0; i < PANES; i++) {
            panes.add(tmux.newShellPane(project, "exec cat > " + paneFile(i)));
        }
        Await.until("the panes' cat processes to start", () -> java.util.stream.IntStream.range(0, PANES)
                .allMatch(i -> Files.exists(paneFile(i))));
    }

    @AfterEach
    void stopEverything() throws Exception {
        for (AutoCloseable process : processes) {
            process.close();
        }
        tmux.close();
    }

    // ------------------------------------------------------------- the typist, from 8 processes

    @Test
    void linesTypedByEightProcessesIntoThreePanesArriveWholeAndInOrder() throws Exception {
        Path locks = work.resolve("pane-locks");
        List<JavaProcess> typists = new ArrayList<>();
        for (int w = 0; w < PROCESSES; w++) {
            JavaProcess typist = JavaProcess.start(PaneTypeWorker.class, Map.of(), work.resolve("typist-" + w + ".log"),
                    tmux.socket(), locks.toString(), TMUX_TIMEOUT_MS);
            processes.add(typist);
            typists.add(typist);
        }
        typists.forEach(typist -> assertThat(typist.receive()).isEqualTo("ready"));

        Map<Integer, List<String>> expected = new HashMap<>();
        for (int w = 0; w < PROCESSES; w++) {
            for (int k = 0; k < MESSAGES_EACH; k++) {
                int pane = (w + k) % PANES;
                String line = "[swarm] w" + w + " INFO " + k + ": " + awkwardText(w, k);
                expected.computeIfAbsent(pane, p -> new ArrayList<>()).add(line);
                typists.get(w).send(panes.get(pane) + "\t" + line); // all lines go out at once: the processes race
            }
        }
        for (JavaProcess typist : typists) {
            for (int k = 0; k < MESSAGES_EACH; k++) {
                assertThat(typist.receive()).isEqualTo("typed");
            }
        }

        for (int pane = 0; pane < PANES; pane++) {
            assertPaneReceivedExactly(pane, expected.get(pane));
        }
    }

    @Test
    void aTransientTmuxFailureIsTriedAgainAndTheLineArrivesOnce() throws Exception {
        // a tmux on PATH that fails the first try of every typing, before tmux runs anything, as a server hiccup would
        Path wrapped = Files.createDirectories(work.resolve("flaky-bin"));
        Path tries = work.resolve("typing-tries");
        Path flaky = wrapped.resolve("tmux");
        Files.writeString(flaky, String.join("\n", "#!/bin/sh",
                "case \" $* \" in *\" paste-buffer \"*)",
                "  n=$(cat '" + tries + "' 2>/dev/null || echo 0); echo $((n + 1)) > '" + tries + "'",
                "  if [ $((n % 2)) -eq 0 ]; then echo 'server exited unexpectedly' >&2; exit 1; fi ;;",
                "esac",
                "exec '" + realTmux() + "' \"$@\"", ""));
        flaky.toFile().setExecutable(true);
        JavaProcess typist = JavaProcess.start(PaneTypeWorker.class, Map.of("PATH", wrapped + ":" + System.getenv("PATH")),
                work.resolve("flaky-typist.log"), tmux.socket(), work.resolve("pane-locks").toString(), TMUX_TIMEOUT_MS);
        processes.add(typist);
        assertThat(typist.receive()).isEqualTo("ready");

        List<String> lines = List.of("[swarm] w0 INFO 0: first try fails;", "[swarm] w0 INFO 1: so does this one's");
        for (String line : lines) {
            typist.send(panes.get(0) + "\t" + line);
            assertThat(typist.receive()).isEqualTo("typed");
        }
        assertPaneReceivedExactly(0, lines);
        assertThat(Files.readString(tries).strip()).as("typings tried: each line failed once, then went through").isEqualTo("4");
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // before the fix, a hung tmux stopped the typist for good
    void aHungTmuxTimesOutTheTypingWithoutTypingAndTheNextLineArrives() throws Exception {
        Path hang = work.resolve("hang");
        Path wrapped = fakeTmux("hung-bin", "[ -e '" + hang + "' ] && exec sleep 3600"); // hangs like a wedged server, output open
        Files.createFile(hang);
        JavaProcess typist = JavaProcess.start(PaneTypeWorker.class, Map.of("PATH", wrapped + ":" + System.getenv("PATH")),
                work.resolve("hung-typist.log"), tmux.socket(), work.resolve("pane-locks").toString(), "500");
        processes.add(typist);
        assertThat(typist.receive()).isEqualTo("ready");

        typist.send(panes.get(0) + "\t[swarm] w0 INFO 0: never pasted");
        assertThat(typist.receive()).startsWith("failed: ").contains("did not answer within 500 ms");

        Files.delete(hang);
        typist.send("timeout\t" + TMUX_TIMEOUT_MS); // the same typist, with a timeout no busy machine reaches: only the hang may time out
        assertThat(typist.receive()).isEqualTo("ok");
        typist.send(panes.get(0) + "\t[swarm] w0 INFO 1: after the hang");
        assertThat(typist.receive()).isEqualTo("typed");
        assertPaneReceivedExactly(0, List.of("[swarm] w0 INFO 1: after the hang"));
    }

    @Test
    void aTmuxFailureAfterThePasteNeverTypesTheLineAgain() throws Exception {
        // the paste happens, then tmux reports a failure (as when its client loses the server's answer)
        Path wrapped = fakeTmux("lossy-bin", "'" + realTmux() + "' \"$@\"; echo 'lost server' >&2; exit 1");
        JavaProcess typist = JavaProcess.start(PaneTypeWorker.class, Map.of("PATH", wrapped + ":" + System.getenv("PATH")),
                work.resolve("lossy-typist.log"), tmux.socket(), work.resolve("pane-locks").toString(), TMUX_TIMEOUT_MS);
        processes.add(typist);
        assertThat(typist.receive()).isEqualTo("ready");

        List<String> lines = List.of("[swarm] w0 INFO 0: typed once;", "[swarm] w0 INFO 1: and once more");
        for (String line : lines) {
            typist.send(panes.get(0) + "\t" + line);
            assertThat(typist.receive()).isEqualTo("typed");
        }
        // whether Enter went through before the failure cannot be told: it may come twice, which types no text
        Await.until("both lines", () -> lines(paneFile(0)).stream().filter(line -> !line.isEmpty()).count() >= 2);
        assertThat(lines(paneFile(0)).stream().filter(line -> !line.isEmpty())).containsExactlyElementsOf(lines);
    }

    @Test
    void theTextGoesToTmuxThroughTheUsersPrivateDirectoryNotTheSharedTemporaryOne() throws Exception {
        Path unusable = Files.writeString(work.resolve("tmp-is-full"), ""); // no file can be made under it, as in a full /tmp
        Path locks = work.resolve("pane-locks");
        JavaProcess typist = JavaProcess.start(PaneTypeWorker.class, Map.of("JAVA_TOOL_OPTIONS", "-Djava.io.tmpdir=" + unusable),
                work.resolve("private-typist.log"), tmux.socket(), locks.toString(), TMUX_TIMEOUT_MS);
        processes.add(typist);
        assertThat(typist.receive()).isEqualTo("ready");

        typist.send(panes.get(0) + "\t[swarm] w0 INFO 0: private text");
        assertThat(typist.receive()).isEqualTo("typed");
        assertPaneReceivedExactly(0, List.of("[swarm] w0 INFO 0: private text"));
        assertThat(Files.getPosixFilePermissions(locks)).as("the directory's permissions")
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        try (var files = Files.list(locks)) {
            assertThat(files.map(file -> file.getFileName().toString())).as("left in the directory").allMatch(name -> name.endsWith(".lock"));
        }
    }

    /** A tmux on PATH that runs {@code pasteCommand} for a paste (a shell line; "$@" are tmux's arguments) and is tmux otherwise. */
    private Path fakeTmux(String directory, String pasteCommand) throws IOException {
        Path wrapped = Files.createDirectories(work.resolve(directory));
        Path fake = wrapped.resolve("tmux");
        Files.writeString(fake, String.join("\n", "#!/bin/sh",
                "case \" $* \" in *\" paste-buffer \"*) " + pasteCommand + " ;; esac",
                "exec '" + realTmux() + "' \"$@\"", ""));
        fake.toFile().setExecutable(true);
        return wrapped;
    }

    // ------------------------------------------------------------- only ever into the bound agent

    @Test
    void aPaneBackAtItsShellPromptIsNeverTypedIntoSoTypedTextNeverRunsAsACommand() throws Exception {
        Path agentFile = work.resolve("agent.txt");
        Path marker = work.resolve("typed-into-the-shell");
        String pane = tmux.newShellPane(project, "exec bash --norc --noprofile -i");
        tmux.tmux("send-keys", "-t", pane, "cat > " + agentFile, "Enter"); // the "agent" runs in the foreground of the pane's shell
        awaitForeground(pane, "cat");
        PaneBinding binding = new PaneGuard().bind(new Tmux(tmux.socket()), pane, null, null);
        PaneTyper typer = new PaneTyper(work.resolve("pane-locks"), Duration.ofSeconds(10));

        assertThat(typer.type(binding, "for the agent").typed()).isTrue();
        Await.until("the agent to read its line", () -> lines(agentFile).equals(List.of("for the agent")));

        tmux.tmux("send-keys", "-t", pane, "C-z"); // the agent stops; the shell's prompt is back in the pane
        awaitForeground(pane, "bash");
        PaneTyper.Outcome atPrompt = typer.type(binding, "hi; touch " + marker);
        assertThat(atPrompt.typed()).isFalse();
        assertThat(atPrompt.failure()).contains("foreground").contains("bash");
        assertThat(Assertions.catchThrowable(() -> new PaneGuard().bind(new Tmux(tmux.socket()), pane, null, null)))
                .as("binding a pane at a shell prompt").hasMessageContaining("is a shell");

        ProcessHandle.of(binding.agentPid()).orElseThrow().destroyForcibly(); // the agent ends; only the shell is left
        Await.until("the agent to end", () -> ProcessHandle.of(binding.agentPid()).isEmpty());
        PaneTyper.Outcome afterExit = typer.type(binding, "hi; touch " + marker);
        assertThat(afterExit.typed()).isFalse();
        assertThat(afterExit.failure()).contains("exited");

        Path sentinel = work.resolve("sentinel");
        tmux.tmux("send-keys", "-t", pane, "touch " + sentinel, "Enter"); // the shell runs its input in order
        Await.until("the shell to run the sentinel command", () -> Files.exists(sentinel));
        assertThat(marker).as("a command typed into the shell").doesNotExist();
        assertThat(lines(agentFile)).containsExactly("for the agent");
    }

    @Test
    void anAgentStoppedBetweenTheCheckAndThePasteLeavesTheTextUnsentAtTheShellPrompt() throws Exception {
        Path agentFile = work.resolve("agent.txt");
        Path marker = work.resolve("ran-as-a-command");
        String pane = tmux.newShellPane(project, "exec bash --norc --noprofile -i");
        tmux.tmux("send-keys", "-t", pane, "cat > " + agentFile, "Enter");
        awaitForeground(pane, "cat");
        long agent = new PaneGuard().bind(new Tmux(tmux.socket()), pane, null, null).agentPid();
        // the agent stops right after the typist's check, before its keystrokes: the shell takes the foreground
        Path wrapped = fakeTmux("stopping-bin", "kill -STOP " + agent + "; until [ \"$('" + realTmux() + "' -S '" + tmux.socket()
                + "' display-message -p -t '" + pane + "' '#{pane_current_command}')\" = bash ]; do sleep 0.01; done");
        JavaProcess typist = JavaProcess.start(PaneTypeWorker.class, Map.of("PATH", wrapped + ":" + System.getenv("PATH")),
                work.resolve("stopping-typist.log"), tmux.socket(), work.resolve("pane-locks").toString(), TMUX_TIMEOUT_MS);
        processes.add(typist);
        assertThat(typist.receive()).isEqualTo("ready");

        typist.send(pane + "\thi; touch " + marker);
        assertThat(typist.receive()).startsWith("failed: the pasted text was cleared, not sent: ").contains("foreground").contains("bash");

        Path sentinel = work.resolve("sentinel");
        tmux.tmux("send-keys", "-t", pane, "touch " + sentinel, "Enter"); // the shell runs its input in order
        Await.until("the shell to run the sentinel command", () -> Files.exists(sentinel));
        assertThat(marker).as("the message run as a command by the shell").doesNotExist();
        assertThat(agentFile).isEmptyFile();
    }

    private void awaitForeground(String pane, String program) {
        Await.until(program + " in the foreground of " + pane,
                () -> tmux.tmux("display-message", "-p", "-t", pane, "#{pane_current_command}").equals(program));
    }

    @Test
    void anAgentOfAnotherTmuxServerGetsItsLinesThereNeverInThePaneWithItsIdOnTheHubsServer() throws Exception {
        Path otherWork = Files.createDirectories(work.resolve("other-server"));
        Path otherFile = work.resolve("other-pane.txt");
        try (TmuxServer other = TmuxServer.start(otherWork, project, "node")) {
            String otherPane = other.newShellPane(project, "exec cat > " + otherFile);
            assertThat(otherPane).as("pane ids are per server").isEqualTo(panes.get(0));
            Await.until("the other server's cat to start", () -> Files.exists(otherFile));
            CliRunner cli = new CliRunner(project);
            String operator = cli.operatorToken();
            // registered from inside the other server's pane: its $TMUX names that server
            CliRunner.Result registered = cli.run(Map.of("TMUX", other.socket() + ",1,0", "TMUX_PANE", otherPane),
                    "agent", "register", "--id", "away", "--pane", otherPane, "--json");
            assertThat(registered.exitCode()).as(registered.err()).isZero();
            Map<String, String> sender = cli.register("sender");
            processes.add(HubProcess.start(project, Map.of("SWARM_TMUX_SOCKET", tmux.socket()))); // the hub's "own" server is the first

            JsonNode sent = cli.run(sender, "send", "away", "info", "for the other server", "--json").json();
            String id = sent.path("id").asString();
            assertThat(sent.path("delivery").get(0).path("delivery").asString()).as("the send's answer (queued: not known yet)")
                    .isIn("typed", "queued");

            Await.until("the line in the other server's pane", () -> lines(otherFile).size() == 1);
            assertThat(lines(otherFile)).containsExactly("[swarm] sender INFO " + id + ": for the other server");
            assertThat(lines(paneFile(0))).as("the pane with the same id on the hub's server").isEmpty();
            Await.until("the typing's receipt", () -> "delivered".equals(cli.run(Map.of("SWARM_TOKEN", operator), "thread", id, "--json")
                    .json().path("messages").get(0).path("to").get(0).path("pane").asString()));
        }
    }

    @Test
    void anAgentRegisteredOverHttpNamesItsPanesServerAndGetsItsLinesTyped() throws Exception {
        CliRunner cli = new CliRunner(project);
        String operator = cli.operatorToken();
        Map<String, String> sender = cli.register("sender");
        processes.add(HubProcess.start(project, Map.of()));
        int port = ((Number) dev.swarmhub.hub.Hub.readInfo(project).get("port")).intValue();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.util.function.Function<String, java.net.http.HttpResponse<String>> register = body -> {
            try {
                return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/api/v1/agents"))
                        .header("Authorization", "Bearer " + operator).header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        };

        java.net.http.HttpResponse<String> withoutServer = register.apply("{\"id\":\"r0\",\"pane\":\"" + panes.get(0) + "\"}");
        assertThat(withoutServer.statusCode()).isEqualTo(400);
        assertThat(withoutServer.body()).as("what to send").contains("tmuxSocket").doesNotContain("$TMUX");
        java.net.http.HttpResponse<String> registered = register.apply("{\"id\":\"r0\",\"pane\":\"" + panes.get(0)
                + "\",\"tmuxSocket\":\"" + tmux.socket() + "\"}");
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);

        String id = cli.run(sender, "send", "r0", "info", "over http", "--json").json().path("id").asString();
        assertPaneReceivedExactly(0, List.of("[swarm] sender INFO " + id + ": over http"));
    }

    private static String realTmux() {
        return java.util.Arrays.stream(System.getenv("PATH").split(":")).map(directory -> Path.of(directory, "tmux"))
                .filter(Files::isExecutable).findFirst().orElseThrow().toString();
    }

    // ------------------------------------------------------------- through the hub, end to end

    /** How many of the agent's messages its pane's receipt calls delivered. */
    private static long typedReceipts(CliRunner cli, Map<String, String> recipient) {
        JsonNode messages = cli.run(recipient, "inbox", "--json").json().path("messages");
        return java.util.stream.StreamSupport.stream(messages.spliterator(), false)
                .filter(message -> message.path("to").get(0).path("pane").asString("").equals("delivered")).count();
    }

    @Test
    void messagesFromEightSendingProcessesAppearWholeInTheirRecipientsPanes() throws Exception {
        CliRunner cli = new CliRunner(project);
        String operator = cli.operatorToken();
        assertThat(cli.run("config", "messages.rate-limit", "1000/60s", "--token", operator).exitCode()).isZero();
        List<String> recipients = new ArrayList<>();
        List<Map<String, String>> asRecipients = new ArrayList<>();
        for (int i = 0; i < PANES; i++) {
            recipients.add("r" + i);
            CliRunner.Result registered = cli.run("agent", "register", "--id", "r" + i, "--pane", panes.get(i),
                    "--tmux-socket", tmux.socket(), "--json");
            assertThat(registered.exitCode()).as(registered.err()).isZero();
            asRecipients.add(Map.of("SWARM_AGENT", "r" + i, "SWARM_TOKEN", registered.json().path("token").asString()));
        }
        List<Map<String, String>> senders = new ArrayList<>();
        for (int w = 0; w < PROCESSES; w++) {
            senders.add(cli.register("w" + w));
        }
        processes.add(HubProcess.start(project, Map.of()));

        List<JavaProcess> workers = new ArrayList<>();
        for (int w = 0; w < PROCESSES; w++) {
            Map<String, String> environment = new HashMap<>(senders.get(w));
            environment.put("SWARM_ROOT", project.toString());
            JavaProcess worker = JavaProcess.start(HubCliWorker.class, environment, work.resolve("sender-" + w + ".log"), project.toString());
            processes.add(worker);
            workers.add(worker);
        }
        workers.forEach(worker -> assertThat(worker.receive()).isEqualTo("ready"));
        for (int w = 0; w < PROCESSES; w++) {
            for (int k = 0; k < MESSAGES_EACH; k++) {
                int pane = (w + k) % PANES;
                String text = awkwardText(w, k);
                workers.get(w).send(String.join("\t", "send", recipients.get(pane), k % 2 == 0 ? "info" : "question", text, "--json"));
            }
        }
        Map<Integer, List<String>> expected = new HashMap<>();
        for (int w = 0; w < PROCESSES; w++) {
            for (int k = 0; k < MESSAGES_EACH; k++) {
                String[] answer = workers.get(w).receive().split("\t", 2);
                assertThat(answer[0]).as("send %d of w%d: %s", k, w, answer[1]).isEqualTo("0");
                String id = JsonHolder.read(answer[1]).path("id").asString();
                int pane = (w + k) % PANES;
                expected.computeIfAbsent(pane, p -> new ArrayList<>())
                        .add("[swarm] w" + w + " " + (k % 2 == 0 ? "INFO" : "QUESTION") + " " + id + ": " + awkwardText(w, k));
            }
        }

        for (int pane = 0; pane < PANES; pane++) {
            assertPaneReceivedExactly(pane, expected.get(pane));
            Map<String, String> recipient = asRecipients.get(pane);
            int count = expected.get(pane).size();
            // the typist records each receipt just after the line appears in the pane: wait for the receipts, not for the time
            Await.untilWhileProgressing("the receipts of pane " + pane, () -> typedReceipts(cli, recipient),
                    () -> typedReceipts(cli, recipient) == count);
            JsonNode inbox = cli.run(recipient, "inbox", "--json").json();
            assertThat(inbox.path("messages")).hasSize(count);
            for (JsonNode message : inbox.path("messages")) {
                assertThat(message.path("tampered").asBoolean()).isFalse();
                assertThat(message.path("to").get(0).path("pane").asString()).as("receipt of %s", message.path("id")).isEqualTo("delivered");
            }
        }
    }

    @Test
    void aPaneInCopyModeIsLeftFirstAndAPaneBackAtItsShellPromptFailsTheTypingButKeepsTheMessage() throws Exception {
        CliRunner cli = new CliRunner(project);
        String operator = cli.operatorToken();
        assertThat(cli.run("agent", "register", "--id", "r0", "--pane", panes.get(0), "--tmux-socket", tmux.socket()).exitCode()).isZero();
        Path agentFile = work.resolve("r1.txt");
        String shellPane = tmux.newShellPane(project, "exec bash --norc --noprofile -i");
        tmux.tmux("send-keys", "-t", shellPane, "cat > " + agentFile, "Enter");
        awaitForeground(shellPane, "cat");
        CliRunner.Result r1 = cli.run("agent", "register", "--id", "r1", "--pane", shellPane, "--tmux-socket", tmux.socket(), "--json");
        assertThat(r1.exitCode()).as(r1.err()).isZero();
        Map<String, String> sender = cli.register("sender");
        processes.add(HubProcess.start(project, Map.of()));

        tmux.tmux("copy-mode", "-t", panes.get(0));
        assertThat(tmux.tmux("display-message", "-p", "-t", panes.get(0), "#{pane_in_mode}")).isEqualTo("1");
        String typed = cli.run(sender, "send", "r0", "info", "scroll back later; this arrives now", "--json").json().path("id").asString();
        assertPaneReceivedExactly(0, List.of("[swarm] sender INFO " + typed + ": scroll back later; this arrives now"));
        assertThat(tmux.tmux("display-message", "-p", "-t", panes.get(0), "#{pane_in_mode}")).isEqualTo("0");

        tmux.tmux("send-keys", "-t", shellPane, "C-z"); // r1's program stops: its shell's prompt is back in the pane
        awaitForeground(shellPane, "bash");
        Path marker = work.resolve("ran-as-a-command");
        JsonNode sent = cli.run(sender, "send", "r1", "blocked", "hi; touch " + marker, "--json").json();
        String lost = sent.path("id").asString();
        assertThat(sent.path("delivery").get(0).path("delivery").asString()).as("the send's answer (queued: not known yet)")
                .matches("queued|failed: .*foreground.*");
        assertThat(cli.run(sender, "send", "r1", "info", "and this one").out()).as("the send's text answer")
                .containsPattern("r1 \\((queued|failed: .*foreground.*)\\)");
        Map<String, String> asOperator = Map.of("SWARM_TOKEN", operator);
        Await.until("the failed typing's event", () -> cli.run(asOperator, "log", "--kind", "message.pane-failed", "--json").out()
                .contains(lost)); // the verdict: the typist's event and receipt, whatever the send's answer knew
        JsonNode receipt = cli.run(asOperator, "thread", lost, "--json").json().path("messages").get(0).path("to").get(0);
        assertThat(receipt.path("pane").asString()).contains(shellPane).contains("foreground").contains("bash");
        assertThat(receipt.path("deliveredAt").isNull()).as("a failed typing is no delivery").isTrue();
        Map<String, String> asR1 = Map.of("SWARM_AGENT", "r1", "SWARM_TOKEN", r1.json().path("token").asString());
        assertThat(cli.run(asR1, "inbox", "--json").json().path("messages").get(0).path("id").asString()).isEqualTo(lost);

        Path sentinel = work.resolve("sentinel");
        tmux.tmux("send-keys", "-t", shellPane, "touch " + sentinel, "Enter"); // the shell runs its input in order
        Await.until("the shell to run the sentinel command", () -> Files.exists(sentinel));
        assertThat(marker).as("the message typed into the shell").doesNotExist();
    }

    // ------------------------------------------------------------------------------ helpers

    /** Text that breaks naive typing: a trailing ";" (a tmux command separator), quotes, $, backslashes, flags, non-ASCII. */
    private static String awkwardText(int w, int k) {
        String[] tails = {"ends with a semicolon;", "back\\slash\\;", "\"double\" 'single' $HOME `cmd` $(x)", "-t %0 --flag -- -",
                "ünïcødé ✓ — ok", "a;b;c;"};
        return "from w" + w + " #" + k + " " + "x".repeat((w * 31 + k * 17) % 400) + " " + tails[(w + k) % tails.length];
    }

    private Path paneFile(int pane) {
        return work.resolve("pane-" + pane + ".txt");
    }

    /** The pane's file and screen hold exactly these lines (in any order across senders, in order per sender). */
    private void assertPaneReceivedExactly(int pane, List<String> expected) {
        Await.untilWhileProgressing(expected.size() + " lines in pane " + pane, () -> lines(paneFile(pane)).size(),
                () -> lines(paneFile(pane)).size() >= expected.size());
        List<String> received = lines(paneFile(pane));
        assertThat(received).as("lines written by pane %d's program", pane).containsExactlyInAnyOrderElementsOf(expected);
        for (Map.Entry<String, List<String>> sender : bySender(expected).entrySet()) {
            assertThat(bySender(received).get(sender.getKey())).as("order of %s's lines in pane %d", sender.getKey(), pane)
                    .containsExactlyElementsOf(sender.getValue());
        }
        List<String> screen = tmux.capture(panes.get(pane)).stream().filter(line -> !line.isBlank()).toList();
        assertThat(screen).as("pane %d as capture-pane shows it", pane).containsExactlyElementsOf(received);
    }

    private static Map<String, List<String>> bySender(List<String> lines) {
        Map<String, List<String>> bySender = new LinkedHashMap<>();
        for (String line : lines) {
            bySender.computeIfAbsent(line.split(" ", 3)[1], sender -> new ArrayList<>()).add(line);
        }
        return bySender;
    }

    private static List<String> lines(Path file) {
        try {
            String content = Files.readString(file, StandardCharsets.UTF_8);
            int end = content.lastIndexOf('\n'); // a line still being typed is not counted yet
            return end < 0 ? List.of() : content.substring(0, end).lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses one JSON answer. */
    private static final class JsonHolder {
        private static final tools.jackson.databind.json.JsonMapper JSON = tools.jackson.databind.json.JsonMapper.builder().build();

        static JsonNode read(String text) {
            return JSON.readTree(text);
        }
    }
}
