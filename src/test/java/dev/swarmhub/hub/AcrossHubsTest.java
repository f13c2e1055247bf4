package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.agents.Agents;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.EventLog;
import dev.swarmhub.kernel.RateLimitedException;
import dev.swarmhub.leases.ResourceParser;
import dev.swarmhub.messages.Message;
import dev.swarmhub.messages.MessageOperations;
import dev.swarmhub.messages.MessageType;
import dev.swarmhub.messages.Messages;
import dev.swarmhub.messages.RateLimit;
import dev.swarmhub.testing.MutableClock;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several hubs sharing one store, each its own store object with its own services (as one hub
 * per machine over one PostgreSQL database), each calling from many threads at once: the rate
 * limit, Idempotency-Key answers, message retries and escalations happen once across them. The
 * hubs' stores share a {@link MutableClock}, which the test moves between rounds. On SQLite the
 * hubs' stores are store objects of one file; -Dswarm.test.store=postgresql runs it on one database.
 */
class AcrossHubsTest {

    private static final int HUBS = 3;
    private static final int THREADS_PER_HUB = 8;
    /** How often the timers run while the clock moves through the retries and the escalation. */
    private static final Duration TIMER_STEP = Duration.ofSeconds(10);
    /** From a send to its escalation: retries at +30 s, +90 s, +210 s, escalation at +330 s (MessageRetries). */
    private static final Duration SEND_TO_ESCALATION = Duration.ofSeconds(330);
    private static final Duration SEND_TO_LAST_RETRY = Duration.ofSeconds(210);

    @TempDir
    Path project;

    private final MutableClock clock = MutableClock.startingAt2030();
    private final List<Services> hubs = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private Caller a;
    private String aToken;
    private Caller b;

    @BeforeEach
    void openHubs() {
        for (int i = 0; i < HUBS; i++) {
            hubs.add(new Services(project, TestStores.open(project, clock)));
        }
        Services first = hubs.getFirst();
        first.settings.set(Caller.ofOperator(), Agents.GONE_AFTER.name(), "10h"); // the timers' tests move the clock by minutes
        first.settings.set(Caller.ofOperator(), Agents.STALE_AFTER.name(), "5h");
        aToken = first.agents.register(new Agents.Registration("A", "other", null, null, null)).token();
        a = Caller.ofAgent("A", aToken);
        b = Caller.ofAgent("B", first.agents.register(new Agents.Registration("B", "other", null, null, null)).token());
        first.agents.register(new Agents.Registration("C", "other", null, null, null));
    }

    @AfterEach
    void closeHubs() throws InterruptedException {
        threads.shutdownNow();
        assertThat(threads.awaitTermination(20, TimeUnit.SECONDS)).as("test threads ended").isTrue();
        hubs.forEach(Services::close);
    }

    /** Runs the work on every thread of every hub, started together; returns each one's outcome. */
    private <T> List<T> onEveryHubAtOnce(Function<Services, T> work) throws Exception {
        CyclicBarrier start = new CyclicBarrier(HUBS * THREADS_PER_HUB);
        List<Future<T>> running = new ArrayList<>();
        for (Services hub : hubs) {
            for (int i = 0; i < THREADS_PER_HUB; i++) {
                running.add(threads.submit(() -> {
                    start.await();
                    return work.apply(hub);
                }));
            }
        }
        List<T> outcomes = new ArrayList<>();
        for (Future<T> one : running) {
            outcomes.add(one.get(2, TimeUnit.MINUTES)); // a bound against a hang, not a verdict
        }
        return outcomes;
    }

    // ------------------------------------------------------------------------------ the rate limit

    @Test
    void theRateLimitAcceptsExactlyItsCountAcrossHubsAndRefusesTheRestWithTheRateLimitError() throws Exception {
        hubs.getFirst().settings.set(Caller.ofOperator(), Messages.RATE_LIMIT.name(), "10/60s");
        RateLimit limit = hubs.getLast().settings.value(Messages.RATE_LIMIT);
        int sendsPerThread = 2;
        int rounds = 4;
        for (int round = 0; round < rounds; round++) {
            AtomicInteger accepted = new AtomicInteger();
            ConcurrentLinkedQueue<RateLimitedException> refused = new ConcurrentLinkedQueue<>();
            onEveryHubAtOnce(hub -> {
                for (int i = 0; i < sendsPerThread; i++) {
                    try {
                        hub.messages.send(a, List.of("B"), new Messages.Draft(MessageType.INFO, "burst", null, null, null));
                        accepted.incrementAndGet();
                    } catch (RateLimitedException limited) {
                        refused.add(limited);
                    }
                }
                return null;
            });
            int demand = HUBS * THREADS_PER_HUB * sendsPerThread;
            assertThat(accepted).as("round " + round + ": accepted of " + demand + " sends in one window").hasValue(limit.count());
            assertThat(refused).as("round " + round + ": refused, each with the rate-limit error").hasSize(demand - limit.count())
                    .allSatisfy(error -> {
                        assertThat(error.getMessage()).contains("limit " + limit.text());
                        assertThat(error.retryAfterMillis()).as("the round's first slot frees a window after it").isEqualTo(limit.window().toMillis());
                    });
            clock.advance(limit.window()); // the round's sends (all at one store time) leave the window
        }
        assertThat(hubs.getFirst().log.latest("A", "message.sent", EventLog.MAX_LIMIT)).as("stored, as the answers said")
                .hasSize(rounds * limit.count());
        System.out.println("AcrossHubsTest: " + rounds + " rounds of " + HUBS * THREADS_PER_HUB * sendsPerThread + " sends from " + HUBS
                + " hubs: " + limit.count() + " accepted in each window, on " + hubs.getFirst().store.location());
    }

    // ------------------------------------------------------------------------------ Idempotency-Key

    @Test
    void theSameIdempotencyKeyThroughEveryHubAtOnceSendsOnceAndEveryoneGetsTheSameAnswer() throws Exception {
        hubs.getFirst().settings.set(Caller.ofOperator(), Messages.RATE_LIMIT.name(), "1000/60s");
        ResourceParser parser = new ResourceParser(project);
        String body = "{\"to\":[\"B\"],\"type\":\"INFO\",\"text\":\"once\"}";
        int rounds = 8;
        for (int round = 0; round < rounds; round++) {
            String key = "send-" + round;
            List<Map<String, Object>> answers = onEveryHubAtOnce(hub -> {
                Api.Answer answer = new IdempotentAnswers(hub, parser).answer(key, a, aToken, "POST /messages", body, () -> send(hub, body));
                Map<String, Object> document = Api.document(JsonViews.json(answer.document()));
                document.put("status", answer.status());
                return document;
            });
            assertThat(answers).as("round " + round + ": one answer is the send's own, every other a replay")
                    .filteredOn(document -> !document.containsKey("replayed")).hasSize(1);
            answers.forEach(document -> document.remove("replayed"));
            assertThat(answers.stream().distinct().toList()).as("round " + round + ": every answer the same").hasSize(1);
        }
        List<Event> sent = hubs.getFirst().log.latest("A", "message.sent", EventLog.MAX_LIMIT);
        assertThat(sent).as("one message per key").hasSize(rounds);
        System.out.println("AcrossHubsTest: " + rounds + " Idempotency-Keys, each sent by " + HUBS * THREADS_PER_HUB
                + " threads of " + HUBS + " hubs at once: " + sent.size() + " messages");
    }

    /** POST /messages as the API runs it: the body bound to the operation's arguments, the answer rendered. */
    private Api.Answer send(Services hub, String body) {
        Exposed<MessageOperations.Send, Message> send = hub.messageEndpoints.send;
        MessageOperations.Send arguments = send.arguments(Api.document(body), OperationArguments.Wording.BODY);
        return new Api.Answer(send.status(), send.render(arguments, send.operation().run(a, arguments)));
    }

    // ------------------------------------------------------------------------------ retries and escalations

    /** Messages from A to B and C that need an ACK, sent some seconds apart, so that their retries fall due in different rounds. */
    private List<Message> sendSpreadOut(int count) {
        List<Message> sent = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Messages.Draft needsAck = new Messages.Draft(MessageType.BLOCKED, "ack " + i, null, null, null); // BLOCKED needs an ACK
            sent.add(hubs.get(i % HUBS).messages.send(a, List.of("B", "C"), needsAck));
            clock.advance(Duration.ofSeconds(7));
        }
        return sent;
    }

    /** Moves the clock through {@code span} in timer steps, every hub's threads running the retry pass at once after each; returns what they made. */
    private int runTimersThrough(Duration span) throws Exception {
        int made = 0;
        for (long rounds = span.dividedBy(TIMER_STEP); rounds > 0; rounds--) {
            clock.advance(TIMER_STEP);
            made += onEveryHubAtOnce(hub -> hub.messageRetries.retryDue()).stream().mapToInt(Integer::intValue).sum();
        }
        return made;
    }

    /** How often each event of the kind was logged, by the values of the named details (as text). */
    private Map<List<String>, Long> counted(String kind, String... details) {
        return hubs.getFirst().log.latest(null, kind, EventLog.MAX_LIMIT).stream()
                .map(event -> Arrays.stream(details).map(name -> String.valueOf(event.details().get(name))).toList())
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    }

    @Test
    void eachRetryOfAnUnackedMessageIsMadeOnceByOneOfTheHubs() throws Exception {
        List<Message> sent = sendSpreadOut(5);
        int made = runTimersThrough(SEND_TO_LAST_RETRY);

        List<List<String>> expected = sent.stream().flatMap(message -> IntStream.rangeClosed(2, 4).boxed()
                .flatMap(attempt -> Stream.of("B", "C").map(to -> List.of(message.id(), to, attempt.toString())))).toList();
        Map<List<String>, Long> retried = counted("message.retried", "id", "to", "attempt");
        assertThat(retried).as("message.retried events per message, recipient and attempt").containsOnlyKeys(expected)
                .allSatisfy((retry, times) -> assertThat(times).as("times retry " + retry + " was made").isEqualTo(1));
        assertThat(made).as("retries the timers reported").isEqualTo(expected.size());
        assertThat(counted("message.escalated", "id", "to")).as("none due yet").isEmpty();
        System.out.println("AcrossHubsTest: " + expected.size() + " retries, each made once by " + HUBS + " hubs' timers on "
                + THREADS_PER_HUB + " threads each");
    }

    @Test
    void anUnackedMessageIsEscalatedOnceByOneOfTheHubs() throws Exception {
        List<Message> sent = sendSpreadOut(5);
        Message acked = sent.getLast();
        hubs.getLast().messages.ack(b, acked.id());
        int made = runTimersThrough(SEND_TO_ESCALATION.plus(TIMER_STEP.multipliedBy(3))); // and a few rounds after: nothing more

        List<List<String>> expected = sent.stream().flatMap(message -> Stream.of("B", "C")
                .filter(to -> message != acked || !to.equals("B")).map(to -> List.of(message.id(), to))).toList();
        Map<List<String>, Long> escalated = counted("message.escalated", "id", "to");
        assertThat(escalated).as("message.escalated events per message and recipient (B acked the last)").containsOnlyKeys(expected)
                .allSatisfy((escalation, times) -> assertThat(times).as("times " + escalation + " was escalated").isEqualTo(1));
        assertThat(made).as("3 retries and the escalation per unacked recipient").isEqualTo(4 * expected.size());
        List<Message> toTheOperator = hubs.getFirst().messages.inbox(Caller.ofOperator(), false, null).stream()
                .map(Messages.View::message).toList();
        assertThat(toTheOperator).as("the escalations in the operator's inbox").hasSize(expected.size())
                .allSatisfy(escalation -> assertThat(escalation.type()).isEqualTo(MessageType.ESCALATION));
        assertThat(toTheOperator.stream().collect(Collectors.groupingBy(Message::replyTo, Collectors.counting())))
                .as("escalations per message").isEqualTo(sent.stream().collect(Collectors.toMap(Message::id, message -> message == acked ? 1L : 2L)));
        System.out.println("AcrossHubsTest: " + expected.size() + " escalations, each made once by " + HUBS + " hubs' timers on "
                + THREADS_PER_HUB + " threads each");
    }
}
