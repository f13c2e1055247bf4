package dev.swarmhub.messages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.AgentStore;
import dev.swarmhub.agents.Agents;
import dev.swarmhub.agents.PaneBinding;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.EventLog;
import dev.swarmhub.kernel.Gate;
import dev.swarmhub.kernel.RateLimitedException;
import dev.swarmhub.kernel.Settings;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Tokens;
import dev.swarmhub.kernel.Tx;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.FakeProcesses;
import dev.swarmhub.testing.MutableClock;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Messaging in process over a real store: ids, signatures, validation, the rate limit under
 * concurrent senders, broadcast, replies and threads, search, ACK retries and escalation on a
 * {@link MutableClock} (nothing sleeps), and concurrent readers.
 */
class MessagesTest {

    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes();

    @TempDir
    Path project;

    private MutableClock clock;
    private Store store;
    private Agents agents;
    private Messages messages;
    private MessageRetries retries;
    private EventLog log;
    private ExecutorService threads;
    private Caller a;
    private Caller b;
    private Caller c;

    private final FakeProcesses processes = new FakeProcesses();

    @BeforeEach
    void openStore() {
        clock = MutableClock.startingAt2030();
        store = TestStores.open(project, clock);
        agents = new Agents(store, processes);
        messages = new Messages(store, agents, new MessageSignature(SECRET));
        retries = new MessageRetries(store, agents, new MessageSignature(SECRET), messages);
        log = new EventLog(store);
        Settings settings = new Settings(store, agents, java.util.stream.Stream.concat(Agents.SETTINGS.stream(), Messages.SETTINGS.stream()).toList());
        settings.set(Caller.ofOperator(), Agents.GONE_AFTER.name(), "10h"); // the timers' tests move the clock by minutes
        settings.set(Caller.ofOperator(), Agents.STALE_AFTER.name(), "5h");
        threads = Executors.newCachedThreadPool();
        a = register("A");
        b = register("B");
        c = register("C");
    }

    @AfterEach
    void closeStore() throws InterruptedException {
        threads.shutdownNow();
        assertThat(threads.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        store.close();
    }

    private Caller register(String id) {
        Agents.Registered registered = agents.register(new Agents.Registration(id, "other", null, null, null));
        return Caller.ofAgent(id, registered.token());
    }

    /** Registers D with a pane on this host (tmux server and processes alive): deliveries to D are queued for its pane. */
    private Caller registerWithPane() {
        processes.start(1005, 0);
        Agents.Registered registered = agents.register(new Agents.Registration("D", "other", "%5", null, null,
                new PaneBinding("/run/tmux-test/default", "%5", 1005, 0, 1005, 0)));
        return Caller.ofAgent("D", registered.token());
    }

    private static Messages.Draft draft(MessageType type, String text) {
        return new Messages.Draft(type, text, null, null, null);
    }

    private Message send(Caller from, String to, String text) {
        return messages.send(from, List.of(to), draft(MessageType.INFO, text));
    }

    @Test
    void theOperatorSendsBroadcastsAndRepliesAndAnswersReachItsOwnInbox() {
        Caller operator = Caller.ofOperator();
        Message told = messages.send(operator, List.of("A"), draft(MessageType.INFO, "rebase on main"));
        assertThat(told.sender()).isEqualTo(Caller.OPERATOR_ID);
        assertThat(log.latest(null, "message.sent", 1).getFirst().agent()).isEqualTo(Caller.OPERATOR_ID);
        Message answer = messages.reply(a, told.id(), draft(MessageType.INFO, "done"));
        assertThat(answer.recipientNames()).containsExactly(Caller.OPERATOR_ID);
        assertThat(messages.inbox(operator, true, null)).extracting(view -> view.message().text()).containsExactly("done");
        Message followUp = messages.reply(operator, answer.id(), draft(MessageType.INFO, "thanks"));
        assertThat(followUp.recipientNames()).containsExactly("A");
        assertThat(followUp.thread()).isEqualTo(told.thread());
        assertThat(messages.broadcast(operator, draft(MessageType.INFO, "freeze at 5"), false).recipientNames()).containsExactly("A", "B", "C");
        Message between = send(b, "C", "between two agents");
        assertThat(messages.reply(operator, between.id(), draft(MessageType.INFO, "the operator sees every thread")).recipientNames())
                .containsExactly("B");
    }

    @Test
    void recentMessagesAreNewestFirstInPagesAndAnAgentSeesOnlyItsOwn() {
        Message first = send(a, "B", "one");
        Message second = send(b, "C", "two");
        Message third = send(c, "A", "three");
        Message fourth = send(b, "C", "four");
        Caller operator = Caller.ofOperator();
        assertThat(messages.recent(operator, null, 10)).extracting(view -> view.message().id())
                .containsExactly(fourth.id(), third.id(), second.id(), first.id());
        assertThat(messages.recent(operator, null, 2)).extracting(view -> view.message().id()).containsExactly(fourth.id(), third.id());
        assertThat(messages.recent(operator, third.id(), 2)).as("the next page").extracting(view -> view.message().id())
                .containsExactly(second.id(), first.id());
        assertThat(messages.recent(operator, first.id(), 2)).isEmpty();
        assertThat(messages.recent(a, null, 10)).as("A sent one and received three").extracting(view -> view.message().id())
                .containsExactly(third.id(), first.id());
        assertThat(messages.recent(a, null, 10).getFirst().mine()).as("A's receipt of three").isNotNull();
        assertThat(messages.recent(operator, null, 0)).as("at least one").hasSize(1);
        assertThat(messages.recent(operator, null, 10_000)).hasSize(4);
    }

    // ------------------------------------------------------------------ storing, ids, validation

    @Test
    void aSentMessageIsStoredSignedWithASortableIdAndFoundByAnyUniquePrefix() {
        Message first = send(a, "B", "hello");
        clock.advance(Duration.ofMillis(5));
        Message second = send(a, "B", "again");
        assertThat(first.id()).hasSize(26).matches("[0-9A-Z]+");
        assertThat(second.id()).as("ids sort by sending time").isGreaterThan(first.id());
        assertThat(new MessageSignature(SECRET).verify(first)).isTrue();

        Messages.View read = messages.read(b, first.id().substring(0, 20).toLowerCase());
        assertThat(read.message().text()).isEqualTo("hello");
        assertThat(read.tampered()).isFalse();
        assertThat(read.mine().readAt()).isNotNull();
        assertThat(read.mine().deliveredAt()).isNotNull();
        assertThat(catchThrowableOfType(SwarmException.class, () -> messages.read(b, first.id().substring(0, 5))).getMessage())
                .contains("at least 6");
        SwarmException ambiguous = catchThrowableOfType(SwarmException.class, () -> messages.read(b, first.id().substring(0, 6)));
        assertThat(ambiguous.getMessage()).contains("ambiguous", first.id(), second.id());
        assertThat(catchThrowableOfType(SwarmException.class, () -> messages.read(b, "ZZZZZZZZ")).getMessage()).contains("no message");
    }

    @Test
    void textIsCleanedOfControlBidiAndZeroWidthCharactersAndBadInputNamesTheProblem() {
        Message cleaned = send(a, "B", "rm\u001b[2J -rf\u202E/ ok\u200B\nline two\tend");
        assertThat(cleaned.text()).isEqualTo("rm[2J -rf/ ok\nline two\tend");
        Message halves = send(a, "B", "half \uD800 pair \uD83D\uDE00 half \uDC00");
        assertThat(halves.text()).as("lone surrogates removed, a whole pair kept").isEqualTo("half  pair \uD83D\uDE00 half ");
        assertThat(messages.read(b, halves.id()).tampered()).as("read back as signed: no '?' in place of a half").isFalse();

        assertThat(catchThrowableOfType(SwarmException.class, () -> send(a, "B", "\u200B\u202E ")).getMessage()).contains("empty");
        assertThat(catchThrowableOfType(SwarmException.class, () -> send(a, "B", "x".repeat(10 * 1024 + 1))).getMessage())
                .contains("10241 bytes", "at most 10240");
        SwarmException unknown = catchThrowableOfType(SwarmException.class,
                () -> messages.send(a, List.of("B", "nobody", "ghost"), draft(MessageType.INFO, "hi")));
        assertThat(unknown.kind()).isEqualTo(SwarmException.Kind.BAD_INPUT);
        assertThat(unknown.getMessage()).contains("nobody", "ghost").doesNotContain("B,");
        List<String> many = IntStream.range(0, 101).mapToObj(i -> "agent-" + i).toList();
        assertThat(catchThrowableOfType(SwarmException.class, () -> messages.send(a, many, draft(MessageType.INFO, "hi"))).getMessage())
                .contains("at most 100");
        assertThat(catchThrowableOfType(SwarmException.class, () -> MessageType.parse("shout")).getMessage()).contains("REVIEW-REQUEST");
        assertThat(MessageType.parse("review_request")).isEqualTo(MessageType.REVIEW_REQUEST);
        assertThat(MessageType.parse("Review-Request")).isEqualTo(MessageType.REVIEW_REQUEST);
        assertThat(catchThrowableOfType(SwarmException.class, () -> MessageType.parse("escalation"))).isNotNull();
        assertThat(log.latest(null, "message.sent", 100)).as("refused sends store nothing").hasSize(2);
    }

    // ------------------------------------------------------------------ rate limit

    @Test
    void tenSendsPerMinutePassTheEleventhIsDeniedWithTheWaitAndOthersAreNotAffected() {
        for (int i = 0; i < 10; i++) {
            send(a, "B", "message " + i);
            clock.advance(Duration.ofSeconds(1));
        }
        RateLimitedException denied = catchThrowableOfType(RateLimitedException.class, () -> send(a, "B", "eleventh"));
        assertThat(denied.kind()).isEqualTo(SwarmException.Kind.DENIED);
        assertThat(denied.retryAfterMillis()).as("the first send frees its slot 60 s after it").isEqualTo(50_000);
        assertThat(denied.getMessage()).contains("50s");
        send(b, "A", "B has its own limit");

        clock.advance(Duration.ofMillis(50_000));
        send(a, "B", "a slot freed");
        assertThat(catchThrowableOfType(RateLimitedException.class, () -> send(a, "B", "still full"))).isNotNull();
    }

    @Test
    void aBroadcastToThirtyAgentsUsesOneSlot() {
        for (int i = 0; i < 30; i++) {
            register("S" + i);
        }
        assertThat(messages.broadcast(a, draft(MessageType.INFO, "to the whole swarm"), false).recipientNames()).hasSize(32);
        for (int i = 0; i < 9; i++) {
            send(a, "B", "direct " + i);
        }
        RateLimitedException eleventh = catchThrowableOfType(RateLimitedException.class, () -> send(a, "C", "the 11th message"));
        assertThat(eleventh.getMessage()).startsWith("A sent 10 messages in the last 1m (limit 10/1m, setting messages.rate-limit)");
    }

    @Test
    void concurrentSendersAsOneAgentNeverGetMoreThanTheLimitAccepted() throws Exception {
        int senders = 16;
        CyclicBarrier start = new CyclicBarrier(senders);
        List<Future<Boolean>> outcomes = new ArrayList<>();
        for (int i = 0; i < senders; i++) {
            int n = i;
            outcomes.add(threads.submit(() -> {
                start.await();
                try {
                    send(a, "B", "racing " + n);
                    return true;
                } catch (RateLimitedException limited) {
                    return false;
                }
            }));
        }
        long accepted = 0;
        for (Future<Boolean> outcome : outcomes) {
            accepted += Await.done(outcome) ? 1 : 0;
        }
        assertThat(accepted).isEqualTo(10);
        assertThat(messages.inbox(b, false, null)).hasSize(10);
    }

    // ------------------------------------------------------------------ broadcast, replies, threads, search

    @Test
    void broadcastReachesEveryoneButTheSenderUnlessIncludeSelfAndRepliesShareTheThread() {
        Message broadcast = messages.broadcast(a, draft(MessageType.QUESTION, "who owns auth?"), false);
        assertThat(broadcast.recipientNames()).containsExactly("B", "C");
        assertThat(messages.broadcast(a, draft(MessageType.INFO, "me too"), true).recipientNames()).containsExactly("A", "B", "C");
        assertThat(messages.inbox(a, false, null)).extracting(view -> view.message().text()).containsExactly("me too");

        Message reply = messages.reply(b, broadcast.id(), draft(MessageType.INFO, "I do"));
        assertThat(reply.recipientNames()).containsExactly("A");
        assertThat(reply.thread()).isEqualTo(broadcast.id());
        assertThat(reply.replyTo()).isEqualTo(broadcast.id());
        Message joined = messages.send(c, List.of("A"), new Messages.Draft(MessageType.INFO, "me too, partly", null, null, reply.id()));
        assertThat(joined.thread()).isEqualTo(broadcast.id());
        assertThat(messages.thread(a, reply.id())).extracting(view -> view.message().text())
                .containsExactly("who owns auth?", "I do", "me too, partly");
        assertThat(messages.thread(b, broadcast.id())).as("B sees what it sent or received")
                .extracting(view -> view.message().text()).containsExactly("who owns auth?", "I do");

        assertThat(messages.search(a, "auth", 10)).extracting(view -> view.message().id()).containsExactly(broadcast.id());
        assertThat(messages.search(c, "partl*", 10)).extracting(view -> view.message().text()).containsExactly("me too, partly");
        assertThat(messages.search(a, "owns-auth \"NOT", 10)).as("user text is never FTS syntax").isEmpty();
        send(b, "C", "secret auth plan");
        assertThat(messages.search(a, "plan", 10)).as("A was not part of it").isEmpty();
    }

    @Test
    void aSearchWithAControlCharacterIsBadInputNamingItAndSearchKeepsWorking() {
        send(a, "B", "deploy notes");
        SwarmException refused = catchThrowableOfType(SwarmException.class, () -> messages.search(b, "deploy\u0000", 10));
        assertThat(refused.kind()).isEqualTo(SwarmException.Kind.BAD_INPUT);
        assertThat(refused).hasMessageContaining("control character (U+0000) at position 7");
        assertThat(messages.search(b, "deploy", 10)).extracting(view -> view.message().text()).containsExactly("deploy notes");
    }

    // ------------------------------------------------------------------ ACK, retries, escalation

    @Test
    void anUnackedBlockedMessageIsDeliveredAgainWithTheSameIdThenEscalatedOnceToTheActiveAgents() {
        register("D"); // stays silent: stale by the time of the escalation
        clock.advance(Duration.ofHours(6)); // past stale-after (5h) for everyone; A, B and C act again below
        agents.heartbeat(c);
        Message blocked = messages.send(a, List.of("B"), draft(MessageType.BLOCKED, "need review of auth.py"));
        assertThat(blocked.ackRequired()).as("BLOCKED needs an ACK by default").isTrue();
        assertThat(retries.retryDue()).isZero();

        int[] retryAfterSeconds = {30, 60, 120};
        for (int attempt = 2; attempt <= 4; attempt++) {
            messages.read(b, blocked.id()); // read, but not acked
            assertThat(messages.inbox(b, true, null)).as("B's unread inbox before retry " + (attempt - 1)).isEmpty();
            clock.advance(Duration.ofSeconds(retryAfterSeconds[attempt - 2]).minusMillis(1));
            assertThat(retries.retryDue()).as("not yet due").isZero();
            clock.advance(Duration.ofMillis(1));
            assertThat(retries.retryDue()).as("retry " + (attempt - 1)).isEqualTo(1);
            Message.Recipient state = messages.read(a, blocked.id()).message().recipient("B");
            assertThat(state.attempts()).isEqualTo(attempt);
            assertThat(state.ackedAt()).isNull();
            assertThat(state.readAt()).as("delivered again: unread again").isNull();
            assertThat(messages.inbox(b, true, null)).extracting(view -> view.message().id()).as("B's unread inbox after the retry")
                    .containsExactly(blocked.id());
        }
        assertThat(log.latest(null, "message.retried", 10)).extracting(event -> event.details().get("id"))
                .containsOnly(blocked.id()).hasSize(3);

        clock.advance(Duration.ofSeconds(120));
        assertThat(retries.retryDue()).as("the escalation").isEqualTo(1);
        clock.advance(Duration.ofHours(1));
        assertThat(retries.retryDue()).as("never a second escalation").isZero();

        List<Messages.View> escalations = messages.inbox(Caller.ofOperator(), false, null);
        assertThat(escalations).hasSize(1);
        Message escalation = escalations.get(0).message();
        assertThat(escalation.type()).isEqualTo(MessageType.ESCALATION);
        assertThat(escalation.sender()).isEqualTo(Caller.HUB_ID);
        assertThat(escalation.text()).contains("B", "A", blocked.id(), "need review of auth.py");
        assertThat(escalation.recipientNames()).as("active agents and the operator, not the stale D")
                .containsExactly("A", "B", "C", Caller.OPERATOR_ID);
        assertThat(agents.find("D").orElseThrow().status()).isEqualTo(Agent.Status.STALE);
        assertThat(escalations.get(0).tampered()).isFalse();
    }

    @Test
    void theRecipientsAckStopsRetriesAtOnceAndNobodyElseCanAck() {
        Message blocked = messages.send(a, List.of("B"), draft(MessageType.BLOCKED, "stuck"));
        SwarmException foreign = catchThrowableOfType(SwarmException.class, () -> messages.ack(c, blocked.id()));
        assertThat(foreign.kind()).isEqualTo(SwarmException.Kind.DENIED);
        assertThat(foreign.getMessage()).contains("only a recipient");
        assertThat(catchThrowableOfType(SwarmException.class, () -> messages.ack(a, blocked.id())).kind())
                .as("not even its sender").isEqualTo(SwarmException.Kind.DENIED);
        assertThat(catchThrowableOfType(SwarmException.class, () -> messages.ack(b, "0000000000")).kind())
                .isEqualTo(SwarmException.Kind.BAD_INPUT);

        clock.advance(Duration.ofSeconds(30));
        assertThat(retries.retryDue()).isEqualTo(1);
        Messages.View acked = messages.ack(b, blocked.id());
        assertThat(acked.mine().ackedAt()).isEqualTo(clock.millis());
        clock.advance(Duration.ofHours(1));
        assertThat(retries.retryDue()).isZero();
        assertThat(messages.inbox(Caller.ofOperator(), false, null)).as("no escalation").isEmpty();
    }

    @Test
    void concurrentTimersNeverRetryOrEscalateTwice() throws Exception {
        Message blocked = messages.send(a, List.of("B", "C"), draft(MessageType.BLOCKED, "stuck"));
        int total = 0;
        for (long seconds : new long[] {30, 60, 120, 120}) {
            clock.advance(Duration.ofSeconds(seconds));
            CyclicBarrier start = new CyclicBarrier(8);
            List<Future<Integer>> timers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                timers.add(threads.submit(() -> {
                    start.await();
                    return retries.retryDue();
                }));
            }
            for (Future<Integer> timer : timers) {
                total += Await.done(timer);
            }
        }
        assertThat(total).as("3 retries and 1 escalation per recipient").isEqualTo(8);
        assertThat(log.latest(null, "message.escalated", 10)).hasSize(2);
        assertThat(messages.inbox(Caller.ofOperator(), false, null)).hasSize(2);
        assertThat(messages.read(a, blocked.id()).message().recipients()).allMatch(Message.Recipient::escalated);
    }

    @Test
    void aRetryThatFailsStopsNoOtherRetryAndIsTriedAgainLater() {
        RuntimeException brokenSweep = new IllegalStateException("the agents' sweep failed");
        Gate failingOnEscalation = new Gate() {
            @Override
            public void admit(Tx tx, Caller caller) {
                agents.admit(tx, caller);
            }

            @Override
            public void sweep(Tx tx) {
                throw brokenSweep; // escalations sweep first; retries do not
            }
        };
        Messages failing = new Messages(store, failingOnEscalation, new MessageSignature(SECRET));
        MessageRetries failingRetries = new MessageRetries(store, failingOnEscalation, new MessageSignature(SECRET), failing);
        Message first = failing.send(a, List.of("B"), draft(MessageType.BLOCKED, "first"));
        for (long seconds : new long[] {30, 60, 120}) {
            clock.advance(Duration.ofSeconds(seconds));
            assertThat(failingRetries.retryDue()).isEqualTo(1);
        }
        clock.advance(Duration.ofSeconds(90));
        Message second = failing.send(a, List.of("C"), draft(MessageType.BLOCKED, "second"));
        clock.advance(Duration.ofSeconds(30)); // the first's escalation and the second's first retry are both due

        assertThat(catchThrowableOfType(IllegalStateException.class, failingRetries::retryDue)).isSameAs(brokenSweep);
        assertThat(failing.read(a, second.id()).message().recipient("C").attempts()).as("retried though another failed").isEqualTo(2);
        assertThat(failing.read(a, first.id()).message().recipient("B").escalated()).as("rolled back alone").isFalse();

        assertThat(retries.retryDue()).as("the failed escalation, tried again by a working timer").isEqualTo(1);
        assertThat(messages.read(a, first.id()).message().recipient("B").escalated()).isTrue();
    }

    @Test
    void anAgentNamedLikeTheOperatorFromAnOlderStoreGetsOneEscalationCopyAndBreaksNothing() {
        store.write(tx -> { // registered before the id was reserved
            AgentStore.in(tx).saveAgent(new Agent(Caller.OPERATOR_ID, "other", Agent.Status.ACTIVE, "", null, null, null, null, null, null, FakeProcesses.HOST,
                    tx.now(), tx.now(), tx.now(), true, null, null, 0, 0), Tokens.hash("old-token"));
            return null;
        });
        Message blocked = messages.send(a, List.of("B"), draft(MessageType.BLOCKED, "stuck"));
        for (long seconds : new long[] {30, 60, 120, 120}) {
            clock.advance(Duration.ofSeconds(seconds));
            assertThat(retries.retryDue()).isEqualTo(1);
        }
        assertThat(messages.read(a, blocked.id()).message().recipient("B").escalated()).isTrue();
        assertThat(messages.inbox(Caller.ofOperator(), false, null)).singleElement()
                .satisfies(view -> assertThat(view.message().recipientNames()).containsOnlyOnce(Caller.OPERATOR_ID));
    }

    // ------------------------------------------------------------------ signatures, concurrency, waiting

    @Test
    void aSendToAnAgentWithAPaneReturnsAtOnceWithItsTypingQueuedAndNeverWaitsForATypist() {
        registerWithPane();
        Store neverWaits = new dev.swarmhub.testing.ForwardingStore(store) { // a wait in the send would run in the caller's transaction (the HTTP idempotent path) or for nobody (--no-hub)
            @Override
            public void awaitSignal(Signal signal, long seen, long timeoutMillis) {
                throw new AssertionError("the send waited for " + signal);
            }

            @Override
            public void close() {
            }
        };
        Messages sending = new Messages(neverWaits, agents, new MessageSignature(SECRET));

        long typingSignals = store.signalCount(Store.Signal.TYPING);
        Message sent = sending.send(a, List.of("B", "D"), draft(MessageType.INFO, "typed later"));
        Message broadcast = sending.broadcast(a, draft(MessageType.INFO, "to all"), false);
        Message reply = sending.reply(b, broadcast.id(), draft(MessageType.INFO, "no pane here"));

        assertThat(sent.recipients()).extracting(Message.Recipient::delivery).containsExactly("inbox", "queued");
        assertThat(broadcast.recipient("D").delivery()).isEqualTo("queued");
        assertThat(reply.recipient("A").delivery()).isEqualTo("inbox");
        assertThat(log.latest(null, "message.sent", 3)).extracting(event -> event.details().get(Store.QUEUED_FOR_PANE))
                .as("the sends queued for D's pane name it; the reply to A's inbox names none").containsExactly(List.of("D"), List.of("D"), null);
        assertThat(store.signalCount(Store.Signal.TYPING)).as("the typist is woken by the two sends queued for a pane only")
                .isEqualTo(typingSignals + 2);
    }

    @Test
    void aRetryOrAReplyToAnAgentWithAPaneIsQueuedForItsPaneAndWakesTheTypist() {
        Caller d = registerWithPane();
        Message blocked = messages.send(a, List.of("D"), draft(MessageType.BLOCKED, "stuck on D's file"));
        clock.advance(Duration.ofSeconds(30));
        long typingSignals = store.signalCount(Store.Signal.TYPING);
        assertThat(retries.retryDue()).isEqualTo(1);
        assertThat(messages.show(a, blocked.id()).message().recipient("D").delivery()).as("delivered again, into the pane").isEqualTo("queued");
        assertThat(log.latest(null, "message.retried", 1)).singleElement().extracting(event -> event.details().get(Store.QUEUED_FOR_PANE))
                .isEqualTo(List.of("D"));
        assertThat(store.signalCount(Store.Signal.TYPING)).isEqualTo(typingSignals + 1);

        Message fromD = messages.send(d, List.of("A"), draft(MessageType.QUESTION, "asked from D's pane"));
        assertThat(messages.reply(a, fromD.id(), draft(MessageType.INFO, "answered")).recipient("D").delivery()).isEqualTo("queued");
    }

    @Test
    void waitingForTypingsReadsNothingWhenNoRecipientHasAPane() {
        Store neverRead = new dev.swarmhub.testing.ForwardingStore(store) {
            @Override
            public <T> T read(java.util.function.Function<dev.swarmhub.kernel.Tx, T> work) {
                throw new AssertionError("read for a send without panes");
            }

            @Override
            public void close() {
            }
        };
        Message sent = send(a, "B", "to B's inbox");
        assertThat(new PaneTypings(neverRead, new MessageSignature(SECRET)).awaitOutcomes(sent, FakeProcesses.HOST, Duration.ofSeconds(2)))
                .isSameAs(sent);
    }

    @Test
    void aMessageChangedInTheStoreIsReportedAsTamperedAndNeverTypedIntoAPane() throws Exception {
        registerWithPane();
        agents.paneSeen("D", false); // quiet: idle, so its lines are taken for typing
        Message genuine = messages.send(a, List.of("B", "D"), draft(MessageType.INFO, "deploy at 5"));
        Message forPane = send(a, "D", "untouched");
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + project.resolve(".swarm/swarm.db"));
             Statement statement = connection.createStatement()) {
            statement.executeUpdate("UPDATE messages SET text = 'deploy at 4' WHERE id = '" + genuine.id() + "'");
        }
        Messages.View read = messages.read(b, genuine.id());
        assertThat(read.tampered()).isTrue();
        assertThat(read.message().text()).as("the changed text is served to nobody").isNull();
        assertThat(new PaneTypings(store, new MessageSignature(SECRET)).pending(FakeProcesses.HOST, 10, id -> "swarm read " + id)).as("what the typist would type into D's pane")
                .extracting(typing -> typing.messageId() + " tampered=" + typing.tampered() + " line=" + typing.line())
                .containsExactly(genuine.id() + " tampered=true line=null",
                        forPane.id() + " tampered=false line=[swarm] A INFO " + forPane.id() + ": untouched");
        assertThat(messages.inbox(b, false, null).get(0)).extracting(Messages.View::tampered, view -> view.message().text())
                .containsExactly(true, null);
        assertThat(messages.search(b, "deploy", 10)).as("its text is still indexed, but not served")
                .extracting(view -> view.message().text()).containsExactly((String) null);
        Message other = send(a, "B", "fine");
        assertThat(messages.read(b, other.id()).tampered()).isFalse();
        assertThat(new Messages(store, agents, new MessageSignature("another-secret-of-32-bytes-long!".getBytes()))
                .read(b, other.id()).tampered()).as("a different secret").isTrue();
    }

    @Test
    void theSignatureCoversPriorityAckAndReplyToAndMessagesSignedBeforeStillVerify() throws Exception {
        Message question = send(a, "B", "ship it?");
        Message answer = messages.reply(b, question.id(), draft(MessageType.INFO, "yes"));
        assertThat(answer.signature()).startsWith("v2:");
        updateMessage(answer.id(), "reply_to = NULL");
        assertThat(messages.read(a, answer.id()).tampered()).as("reply-to removed").isTrue();
        for (String change : List.of("priority = 'urgent'", "ack_required = 1 - ack_required", "reply_to = '" + question.id() + "'")) {
            Message target = send(b, "A", "covered: " + change);
            updateMessage(target.id(), change);
            assertThat(messages.read(a, target.id()).tampered()).as(change).isTrue();
        }

        // a signature made before version 2: no prefix, over id, sender, time, type, recipients, thread and text
        Message old = send(a, "B", "signed the old way");
        String legacy = legacySignature(old.id(), old.sender(), Long.toString(old.createdAt()), old.type().label(), "B", old.thread(), old.text());
        updateMessage(old.id(), "signature = '" + legacy + "'");
        Messages.View stillGenuine = messages.read(b, old.id());
        assertThat(stillGenuine.tampered()).isFalse();
        assertThat(stillGenuine.message().text()).isEqualTo("signed the old way");
        updateMessage(old.id(), "text = 'changed the old way'");
        assertThat(messages.read(b, old.id()).tampered()).isTrue();
    }

    private void updateMessage(String id, String assignment) throws Exception {
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + project.resolve(".swarm/swarm.db"));
             Statement statement = connection.createStatement()) {
            assertThat(statement.executeUpdate("UPDATE messages SET " + assignment + " WHERE id = '" + id + "'")).isEqualTo(1);
        }
    }

    /** The version-1 encoding, spelled out: each field as its length, ':', the field, ';'. */
    private static String legacySignature(String... fields) throws Exception {
        StringBuilder canonical = new StringBuilder();
        for (String field : fields) {
            canonical.append(field.length()).append(':').append(field).append(';');
        }
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(SECRET, "HmacSHA256"));
        return java.util.HexFormat.of().formatHex(mac.doFinal(canonical.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    @Test
    void concurrentReadersMarkingOneMessageReadAndAckedEndInOneStateWithoutErrors() throws Exception {
        Message blocked = messages.send(a, List.of("B"), draft(MessageType.BLOCKED, "please ack"));
        CyclicBarrier start = new CyclicBarrier(12);
        List<Future<Messages.View>> readers = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            boolean acking = i % 2 == 0;
            readers.add(threads.submit(() -> {
                start.await();
                return acking ? messages.ack(b, blocked.id()) : messages.read(b, blocked.id());
            }));
        }
        for (Future<Messages.View> reader : readers) {
            Await.done(reader);
        }
        Message.Recipient state = messages.read(a, blocked.id()).message().recipient("B");
        assertThat(state.ackedAt()).isNotNull();
        assertThat(state.readAt()).isNotNull().isLessThanOrEqualTo(state.ackedAt());
        assertThat(state.nextRetryAt()).isNull();
        assertThat(log.latest(null, "message.acked", 10)).as("acked once").hasSize(1);
    }

    @Test
    void aWaitingInboxReturnsWhenAMessageArrives() throws Exception {
        Callable<List<Messages.View>> waiting = () -> messages.inbox(c, true, Duration.ofSeconds(30));
        Future<List<Messages.View>> inbox = threads.submit(waiting);
        send(a, "B", "not for C");
        long sent = System.nanoTime();
        send(b, "C", "for C");
        List<Messages.View> got = Await.done(inbox);
        long tookMs = (System.nanoTime() - sent) / 1_000_000;
        assertThat(got).extracting(view -> view.message().text()).containsExactly("for C");
        assertThat(got.get(0).mine().deliveredAt()).isNotNull();
        System.out.printf("MessagesTest: a waiting inbox returned %d ms after the send%n", tookMs);
        assertThat(messages.inbox(c, true, Duration.ZERO)).as("delivered is not read").hasSize(1);
    }
    // ------------------------------------------------------------------ who may do what, exact outcomes

    @Test
    void everyMessageOperationChecksTheCallersTokenAndAWrongOneChangesNothing() {
        Message mine = send(a, "B", "for B");
        long eventsBefore = log.latest(null, null, 1).get(0).id();
        Caller forged = Caller.ofAgent("B", "swt_not-the-token");
        List<org.assertj.core.api.ThrowableAssert.ThrowingCallable> calls = List.of(
                () -> send(forged, "A", "forged"),
                () -> messages.broadcast(forged, draft(MessageType.INFO, "forged"), false),
                () -> messages.reply(forged, mine.id(), draft(MessageType.INFO, "forged")),
                () -> messages.inbox(forged, false, null),
                () -> messages.read(forged, mine.id()),
                () -> messages.show(forged, mine.id()),
                () -> messages.ack(forged, mine.id()),
                () -> messages.thread(forged, mine.id()),
                () -> messages.search(forged, "for", 10));
        for (var call : calls) {
            SwarmException refused = catchThrowableOfType(SwarmException.class, call);
            assertThat(refused).isNotNull();
            assertThat(refused.kind()).isEqualTo(SwarmException.Kind.UNAUTHENTICATED);
            assertThat(refused.getMessage()).isEqualTo("wrong token for agent B");
        }
        assertThat(log.latest(null, null, 1).get(0).id()).as("no event: nothing changed").isEqualTo(eventsBefore);
        assertThat(messages.show(a, mine.id()).message().recipient("B").deliveredAt()).isNull();
    }

    @Test
    void recipientsAreCheckedOneByOneAndNamedWhenUnknownGoneOrMalformed() {
        List<String> hundred = IntStream.range(0, 100).mapToObj(i -> "agent-" + i).toList();
        assertThat(catchThrowableOfType(SwarmException.class, () -> messages.send(a, hundred, draft(MessageType.INFO, "hi"))).getMessage())
                .as("100 recipients are allowed: these are only unknown").startsWith("unknown or gone recipients: agent-0, agent-1,");
        assertThat(catchThrowableOfType(SwarmException.class, () -> send(a, "nobody", "hi")).getMessage())
                .isEqualTo("unknown or gone recipient: nobody");
        SwarmException malformed = catchThrowableOfType(SwarmException.class, () -> messages.send(a, List.of("B", "no one"), draft(MessageType.INFO, "hi")));
        assertThat(malformed.kind()).isEqualTo(SwarmException.Kind.BAD_INPUT);
        assertThat(malformed.getMessage()).startsWith("bad agent id 'no one'");

        agents.leave(c);
        assertThat(catchThrowableOfType(SwarmException.class, () -> send(a, "C", "hi")).getMessage()).isEqualTo("unknown or gone recipient: C");
        assertThat(messages.broadcast(a, draft(MessageType.INFO, "to those here"), false).recipientNames()).as("not the gone C").containsExactly("B");
        assertThat(messages.broadcast(a, draft(MessageType.INFO, "with me"), true).recipientNames()).containsExactly("A", "B");
        assertThat(log.latest("A", "message.sent", 10)).as("an agent's send is logged as its own").hasSize(2);
    }

    @Test
    void aLimitLoweredBelowWhatWasSentWaitsForAllButTheNewestFewToLeave() {
        for (int i = 0; i < 10; i++) {
            send(a, "B", "message " + i);
            clock.advance(Duration.ofSeconds(1));
        }
        new Settings(store, agents, Messages.SETTINGS).set(Caller.ofOperator(), Messages.RATE_LIMIT.name(), "3/60s");
        RateLimitedException denied = catchThrowableOfType(RateLimitedException.class, () -> send(a, "B", "over the lowered limit"));
        assertThat(denied.retryAfterMillis()).as("a slot frees when the third newest (sent at 7 s; it is 10 s) leaves").isEqualTo(57_000);
    }

    @Test
    void aMessageToMoreRecipientsThanTheLimitCountsOnceAndTheNextWaitsForTheOldestToLeaveTheWindow() {
        new Settings(store, agents, Messages.SETTINGS).set(Caller.ofOperator(), Messages.RATE_LIMIT.name(), "2/60s");
        register("D");
        register("E");
        assertThat(messages.send(a, List.of("B", "C", "D", "E"), draft(MessageType.INFO, "four")).recipientNames()).hasSize(4);
        clock.advance(Duration.ofSeconds(10));
        send(a, "B", "second");
        clock.advance(Duration.ofSeconds(5));
        RateLimitedException third = catchThrowableOfType(RateLimitedException.class, () -> send(a, "B", "third"));
        assertThat(third.retryAfterMillis()).as("the first message leaves the window 60 s after it").isEqualTo(45_000);
        clock.advance(Duration.ofMillis(45_001));
        send(a, "B", "third, once the first left");
        assertThat(catchThrowableOfType(RateLimitedException.class, () -> send(a, "B", "fourth")).retryAfterMillis())
                .as("now the second (sent at 10 s; it is 60.001 s) is the oldest in the window").isEqualTo(9_999);
    }

    @Test
    void idsSentInOneMillisecondAreDistinctAndCarryEightyRandomBits() {
        new Settings(store, agents, Messages.SETTINGS).set(Caller.ofOperator(), Messages.RATE_LIMIT.name(), "1000/60s");
        List<String> ids = IntStream.range(0, 40).mapToObj(i -> send(a, "B", "same time " + i).id()).toList();
        assertThat(ids).doesNotHaveDuplicates();
        assertThat(ids).extracting(id -> id.substring(0, 10)).as("48 bits of store time").containsOnly(ids.get(0).substring(0, 10));
        for (int position = 10; position < 26; position++) {
            int at = position;
            assertThat(ids.stream().map(id -> id.charAt(at)).distinct().count()).as("random character " + position).isGreaterThan(1);
        }
    }

    @Test
    void anAmbiguousPrefixNamesAtMostThreeOfTheMessagesItStarts() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ids.add(send(a, "B", "same millisecond " + i).id());
            String prefix = ids.get(0).substring(0, 6);
            if (i == 0) {
                assertThat(messages.read(b, prefix).message().id()).isEqualTo(ids.get(0));
                continue;
            }
            List<String> sorted = ids.stream().sorted().toList();
            String named = String.join(", ", sorted.subList(0, Math.min(3, sorted.size())));
            assertThat(catchThrowableOfType(SwarmException.class, () -> messages.read(b, prefix)).getMessage())
                    .isEqualTo("message id '" + prefix + "' is ambiguous: it starts " + named + (i == 3 ? ", ..." : "") + "; give more characters");
        }
    }

    @Test
    void theOperatorSeesAnyMessageAndItsThreadWithoutMarkingItAndAStrangerSeesNone() {
        Message question = send(a, "B", "ship it?");
        Message answer = messages.reply(b, question.id(), draft(MessageType.INFO, "yes"));
        Messages.View shown = messages.read(Caller.ofOperator(), question.id());
        assertThat(shown.message().text()).isEqualTo("ship it?");
        assertThat(shown.mine()).as("the operator is no recipient").isNull();
        assertThat(shown.message().recipient("B").readAt()).as("the operator's read marks nothing").isNull();
        assertThat(messages.thread(Caller.ofOperator(), answer.id())).extracting(view -> view.message().id()).containsExactly(question.id(), answer.id());

        SwarmException stranger = catchThrowableOfType(SwarmException.class, () -> messages.thread(c, question.id()));
        assertThat(stranger.kind()).isEqualTo(SwarmException.Kind.DENIED);
        assertThat(stranger.getMessage()).isEqualTo("message " + question.id() + " is neither from nor to C");
        assertThat(catchThrowableOfType(SwarmException.class, () -> messages.show(c, question.id())).getMessage()).contains("neither from nor to C");
        assertThat(messages.thread(a, question.id())).hasSize(2);
        assertThat(log.latest(null, "message.read", 10)).isEmpty();
    }

    @Test
    void aRecipientsFirstReadAndAckAreLoggedOnceUnderItsName() {
        Message blocked = messages.send(a, List.of("B"), draft(MessageType.BLOCKED, "need you"));
        assertThat(messages.show(b, blocked.id()).mine().readAt()).as("show marks nothing").isNull();
        messages.read(b, blocked.id());
        messages.read(b, blocked.id());
        messages.read(a, blocked.id()); // the sender is no recipient
        assertThat(log.latest(null, "message.read", 10)).extracting(Event::agent).containsExactly("B");
        messages.ack(b, blocked.id());
        messages.ack(b, blocked.id());
        assertThat(log.latest(null, "message.acked", 10)).extracting(Event::agent, event -> event.details().get("sender"))
                .containsExactly(org.assertj.core.api.Assertions.tuple("B", "A"));
    }

    @Test
    void awaitingAckCountsTheRecipientsThatOweOne() {
        assertThat(messages.awaitingAck()).isZero();
        Message blocked = messages.send(a, List.of("B", "C"), draft(MessageType.BLOCKED, "ack please"));
        send(a, "B", "no ack needed");
        assertThat(messages.awaitingAck()).isEqualTo(2);
        messages.ack(b, blocked.id());
        assertThat(messages.awaitingAck()).isEqualTo(1);
    }

    @Test
    void eachRetryIsLoggedWithItsAttemptAndTheEscalationCountsTheRetriesAndFitsTheTextLimit() {
        Settings settings = new Settings(store, agents, Messages.SETTINGS);
        // "No ACK from B for BLOCKED <26-character id> from A after 3 retries. Original text: " is 92 bytes
        settings.set(Caller.ofOperator(), Messages.MAX_TEXT_BYTES.name(), "200");
        Message fits = messages.send(a, List.of("B"), draft(MessageType.BLOCKED, "x".repeat(108)));
        Message cut = messages.send(a, List.of("C"), draft(MessageType.BLOCKED, "y".repeat(200)));
        for (long seconds : new long[] {30, 60, 120}) {
            clock.advance(Duration.ofSeconds(seconds));
            assertThat(retries.retryDue()).isEqualTo(2);
        }
        assertThat(log.latest(null, "message.retried", 10)).filteredOn(event -> event.details().get("id").equals(fits.id()))
                .extracting(event -> ((Number) event.details().get("attempt")).intValue()).containsExactly(2, 3, 4);
        clock.advance(Duration.ofSeconds(120));
        assertThat(retries.retryDue()).isEqualTo(2);

        List<String> texts = messages.inbox(Caller.ofOperator(), false, null).stream().map(view -> view.message().text()).toList();
        String whole = texts.stream().filter(text -> text.contains(fits.id())).findFirst().orElseThrow();
        assertThat(whole).isEqualTo("No ACK from B for BLOCKED " + fits.id() + " from A after 3 retries. Original text: " + "x".repeat(108));
        String shortened = texts.stream().filter(text -> text.contains(cut.id())).findFirst().orElseThrow();
        int bytes = shortened.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        assertThat(shortened).startsWith("No ACK from C for BLOCKED " + cut.id() + " from A after 3 retries. Original text: yyy").endsWith("…");
        assertThat(bytes).as("shortened to fit, by a tenth at a time").isBetween(160, 200);
    }

    @Test
    void aRetryThatFailsAgainAfterAnotherIsReportedWithTheOtherAsSuppressed() {
        Gate failingOnEscalation = new Gate() {
            @Override
            public void admit(Tx tx, Caller caller) {
                agents.admit(tx, caller);
            }

            @Override
            public void sweep(Tx tx) {
                throw new IllegalStateException("the agents' sweep failed at " + tx.now());
            }
        };
        Messages failing = new Messages(store, failingOnEscalation, new MessageSignature(SECRET));
        MessageRetries failingRetries = new MessageRetries(store, failingOnEscalation, new MessageSignature(SECRET), failing);
        failing.send(a, List.of("B", "C"), draft(MessageType.BLOCKED, "both escalate"));
        for (long seconds : new long[] {30, 60, 120}) {
            clock.advance(Duration.ofSeconds(seconds));
            assertThat(failingRetries.retryDue()).isEqualTo(2);
        }
        clock.advance(Duration.ofSeconds(120)); // both escalations are due, and both fail
        IllegalStateException failed = catchThrowableOfType(IllegalStateException.class, failingRetries::retryDue);
        assertThat(failed).hasMessage("the agents' sweep failed at " + clock.millis());
        assertThat(failed.getSuppressed()).as("the second escalation failed too").singleElement()
                .satisfies(second -> assertThat(second).hasMessage("the agents' sweep failed at " + clock.millis()));
    }

    @Test
    void handingOverGivesTheOldestUnreadMessagesOnceMarkedReadWithTheChannelInTheirEvents() {
        Message first = send(a, "C", "first");
        clock.advance(Duration.ofMillis(1));
        Message second = send(b, "C", "second");
        clock.advance(Duration.ofMillis(1));
        Message third = send(a, "C", "third");
        messages.read(c, second.id()); // read already: not handed over

        assertThat(messages.handOver(c, 1, "hook")).extracting(view -> view.message().id()).containsExactly(first.id());
        assertThat(messages.handOver(c, 5, "prime")).extracting(view -> view.message().id()).containsExactly(third.id());
        assertThat(messages.handOver(c, 5, "hook")).isEmpty();
        Message.Recipient handed = messages.show(a, first.id()).message().recipient("C");
        assertThat(handed.readAt()).isEqualTo(handed.deliveredAt()).isNotNull();
        assertThat(log.latest("C", "message.read", 10)).extracting(event -> event.details().get("id") + " " + event.details().get("via"))
                .contains(first.id() + " hook", third.id() + " prime");
        assertThat(messages.handOver(c, 0, "hook")).as("at least one is asked for").isEmpty();
        assertThat(messages.inbox(c, true, null)).isEmpty();
    }

    @Test
    void aWaitingInboxWithNothingUnreadReturnsWhatItHoldsOnceTheWaitIsOver() {
        Message old = send(a, "C", "already read");
        messages.read(c, old.id());
        assertThat(messages.inbox(c, true, Duration.ofMillis(30))).as("nothing unread came").isEmpty();
        assertThat(messages.inbox(c, false, Duration.ofMillis(30))).extracting(view -> view.message().id()).containsExactly(old.id());
    }

    @Test
    void aTypingsOutcomeIsRecordedAndAWaitForItEndsWhenTheTypistIsDone() throws Exception {
        registerWithPane();
        PaneTypings typings = new PaneTypings(store, new MessageSignature(SECRET));
        Message toB = send(a, "B", "no pane");
        assertThat(typings.awaitOutcomes(toB, FakeProcesses.HOST, Duration.ofSeconds(30))).as("nothing to wait for").isSameAs(toB);
        Message toD = send(a, "D", "type me");
        assertThat(typings.awaitOutcomes(toD, FakeProcesses.HOST, Duration.ofSeconds(30))).as("not idle: typed later, not waited for")
                .isSameAs(toD);
        assertThat(typings.pending(FakeProcesses.HOST, 10, id -> id)).as("not idle: not taken for typing").isEmpty();
        agents.paneSeen("D", false); // its pane was quiet: idle
        assertThat(typings.pending(FakeProcesses.HOST, 10, id -> id)).extracting(PaneTypings.Typing::messageId).containsExactly(toD.id());
        assertThat(typings.awaitOutcomes(toD, "another-host", Duration.ofSeconds(30))).as("not this host's pane").isSameAs(toD);
        assertThat(typings.awaitOutcomes(toD, FakeProcesses.HOST, Duration.ofMillis(20)).recipient("D").delivery())
                .as("not typed within the wait").isEqualTo("queued");

        Future<Message> waiting = threads.submit(() -> typings.awaitOutcomes(toD, FakeProcesses.HOST, Duration.ofSeconds(30)));
        List<PaneTypings.Typing> pending = typings.pending(FakeProcesses.HOST, 10, id -> "swarm read " + id);
        assertThat(pending).extracting(PaneTypings.Typing::messageId).containsExactly(toD.id());
        typings.typed(pending.get(0), true, null);
        Message.Recipient typed = Await.done(waiting).recipient("D");
        assertThat(typed.delivery()).isEqualTo("typed");
        assertThat(typed.deliveredAt()).isEqualTo(clock.millis());
        assertThat(log.latest("D", "message.pane-typed", 10)).extracting(Event::details)
                .containsExactly(java.util.Map.of("id", toD.id(), "pane", "%5"));

        Message again = send(a, "D", "fails");
        typings.typed(typings.pending(FakeProcesses.HOST, 10, id -> "swarm read " + id).get(0), false, "the pane runs another program");
        Message.Recipient failed = messages.show(a, again.id()).message().recipient("D");
        assertThat(failed.delivery()).isEqualTo("failed: the pane runs another program");
        assertThat(failed.deliveredAt()).as("it stays in the inbox, undelivered").isNull();
        assertThat(log.latest("D", "message.pane-failed", 10)).extracting(Event::details)
                .containsExactly(java.util.Map.of("id", again.id(), "pane", "%5", "reason", "the pane runs another program"));
        assertThat(typings.pending(FakeProcesses.HOST, 10, id -> "swarm read " + id)).isEmpty();
    }
}
