package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.host.MessageSecret;
import dev.swarmhub.testing.JavaProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Messaging across real OS processes, each on the project's store: the per-sender rate limit
 * holds when 16 processes send as one agent at once; a message whose send returned survives
 * the sender's SIGKILL; concurrent read and ack of one message end in one state.
 */
class MessageProcessTest {

    private static final int PROCESSES = 16;

    @TempDir
    Path project;

    private CliWorkers workers;
    private CliRunner cli;
    private Map<String, String> a;
    private Map<String, String> b;
    private Map<String, String> c;

    @BeforeEach
    void registerAgents() {
        cli = new CliRunner(project);
        workers = new CliWorkers(project);
        a = cli.register("A");
        b = cli.register("B");
        c = cli.register("C");
    }

    @AfterEach
    void stopWorkers() throws InterruptedException {
        workers.close();
    }

    @Test
    void sixteenProcessesSendingAsOneAgentGetExactlyTheLimitAccepted() {
        // the limit's window outlasts the sends however slow the machine (at 10/60s, sends spread over 60 s let an 11th in)
        assertThat(cli.run("config", "messages.rate-limit", "10/1h", "--token", cli.operatorToken()).exitCode()).isZero();
        List<JavaProcess> senders = workers.start(PROCESSES);
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < PROCESSES; i++) {
                senders.get(i).send(CliWorkers.as(a, "send", "B", "info", "process " + i + " round " + round));
            }
        }
        List<CliWorkers.Answer> answers = new ArrayList<>();
        for (JavaProcess sender : senders) {
            answers.add(CliWorkers.answer(sender));
            answers.add(CliWorkers.answer(sender));
        }
        List<CliWorkers.Answer> accepted = answers.stream().filter(answer -> answer.exitCode() == 0).toList();
        assertThat(accepted).as("sends accepted out of %d", answers.size()).hasSize(10);
        for (CliWorkers.Answer refused : answers.stream().filter(answer -> answer.exitCode() != 0).toList()) {
            assertThat(refused.exitCode()).as(refused.out()).isEqualTo(3);
            assertThat(refused.json().path("error").path("code").asString()).isEqualTo("rate_limited");
            assertThat(refused.json().path("error").path("retryAfterMs").asLong()).isBetween(1L, 3_600_000L);
        }
        Set<String> acceptedIds = accepted.stream().map(answer -> answer.json().path("id").asString()).collect(Collectors.toSet());
        CliRunner.Result inbox = cli.run(b, "inbox", "--json");
        assertThat(inbox.json().path("messages")).extracting(message -> message.path("id").asString())
                .containsExactlyInAnyOrderElementsOf(acceptedIds);
        // B's own limit is untouched by A's
        assertThat(cli.run(b, "send", "A", "info", "B is not limited by A").exitCode()).isZero();
    }

    @Test
    void processesUsingAFreshProjectAtOnceShareOneSigningSecret() throws Exception {
        Path fresh = Files.createDirectories(project.resolve("fresh"));
        List<JavaProcess> first = workers.start(6, fresh);
        for (int i = 0; i < first.size(); i++) {
            first.get(i).send(String.join("\t", "agent", "register", "--id", "w" + i, "--json")); // each one's first use of the store
        }
        List<String> tokens = new ArrayList<>();
        for (JavaProcess worker : first) {
            CliWorkers.Answer registered = CliWorkers.answer(worker);
            assertThat(registered.exitCode()).as(registered.out()).isZero();
            tokens.add(registered.json().path("token").asString());
        }
        for (int i = 0; i < first.size(); i++) {
            first.get(i).send(CliWorkers.as(Map.of("SWARM_AGENT", "w" + i, "SWARM_TOKEN", tokens.get(i)), "send", "w" + ((i + 1) % first.size()),
                    "info", "signed by process " + i));
        }
        first.forEach(worker -> assertThat(CliWorkers.answer(worker).exitCode()).isZero());

        CliRunner reader = new CliRunner(fresh);
        for (int i = 0; i < first.size(); i++) {
            JsonNode inbox = reader.run(Map.of("SWARM_AGENT", "w" + i, "SWARM_TOKEN", tokens.get(i)), "inbox", "--json").json();
            assertThat(inbox.path("messages")).as("w%d's inbox", i).hasSize(1);
            assertThat(inbox.path("messages").get(0).path("tampered").asBoolean()).as("signed with the one secret").isFalse();
        }
        assertThat(MessageSecret.file(fresh)).as("the secret lives in the store, shared by every hub of it").doesNotExist();
    }

    @Test
    void aMessageWhoseSendReturnedSurvivesTheSendersSigkill() throws Exception {
        List<String> sent = new ArrayList<>();
        for (int round = 0; round < 4; round++) {
            JavaProcess sender = workers.start(1).get(0);
            sender.send(CliWorkers.as(a, "send", "B", "blocked", "sent just before the kill, round " + round));
            CliWorkers.Answer answer = CliWorkers.answer(sender);
            sender.kill(); // at once after the answer: no shutdown hook, no finally block runs
            assertThat(answer.exitCode()).as(answer.out()).isZero();
            sent.add(answer.json().path("id").asString());
        }
        JsonNode inbox = cli.run(b, "inbox", "--json").json();
        assertThat(inbox.path("messages")).extracting(message -> message.path("id").asString()).containsExactlyElementsOf(sent);
        assertThat(inbox.path("messages")).allSatisfy(message -> {
            assertThat(message.path("tampered").asBoolean()).isFalse();
            assertThat(message.path("ackRequired").asBoolean()).isTrue();
        });
        JsonNode status = cli.run("status", "--json").json();
        assertThat(status.path("awaitingAck").asLong()).as("BLOCKED messages B has not acked").isEqualTo(sent.size());
        JsonNode agents = status.path("agentsByStatus");
        assertThat(agents.path("active").asLong() + agents.path("stale").asLong()).as("none gone: silent past stale-after on a slow run, at most")
                .isEqualTo(3);
    }

    @Test
    void processesReadingAndAckingOneMessageAtOnceEndInOneState() {
        JsonNode sent = cli.run(a, "send", "B", "blocked", "ack me", "--json").json();
        assertThat(sent.propertyNames()).as("the CLI answers a send as HTTP and MCP do").contains("id", "from", "type", "text", "to",
                "ackRequired", "sentAt", "delivery");
        assertThat(sent.path("to").get(0).path("agent").asString()).isEqualTo("B");
        String id = sent.path("id").asString();
        List<JavaProcess> readers = workers.start(8);
        for (int i = 0; i < readers.size(); i++) {
            readers.get(i).send(CliWorkers.as(b, i % 2 == 0 ? "read" : "ack", id.substring(0, 10 + i)));
        }
        List<CliWorkers.Answer> answers = readers.stream().map(CliWorkers::answer).toList();
        assertThat(answers).allSatisfy(answer -> assertThat(answer.exitCode()).as(answer.out()).isZero());
        JsonNode acked = cli.run(b, "ack", id, "--json").json().path("mine");
        assertThat(answers.stream().map(answer -> answer.json().path("mine").path("ackedAt").asString()).filter(at -> !at.isEmpty())
                .collect(Collectors.toSet())).as("every ack saw the same ack time").containsExactly(acked.path("ackedAt").asString());
        assertThat(cli.run(b, "log", "--kind", "message.acked", "--json").json().path("events")).hasSize(1);
        assertThat(answers.stream().map(answer -> answer.json().path("mine").path("readAt").asString()).collect(Collectors.toSet()))
                .as("every reader and acker saw the same read time (an ack reads too)").containsExactly(acked.path("readAt").asString());
        assertThat(cli.run(b, "log", "--kind", "message.read", "--json").json().path("events")).hasSizeLessThanOrEqualTo(1);
        // C is no recipient: its ack is refused, in any process
        CliRunner.Result foreign = cli.run(c, "ack", id);
        assertThat(foreign.exitCode()).as(foreign.err()).isEqualTo(3);
        assertThat(foreign.err()).contains("only a recipient");
    }
}
