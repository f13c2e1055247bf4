package dev.swarmhub.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.AgentStore;
import dev.swarmhub.agents.Agents;
import dev.swarmhub.messages.Message;
import dev.swarmhub.messages.MessageSignature;
import dev.swarmhub.messages.MessageStore;
import dev.swarmhub.messages.MessageType;
import dev.swarmhub.messages.Messages;
import dev.swarmhub.testing.FakeProcesses;
import dev.swarmhub.testing.MutableClock;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pruning over a real store on a {@link MutableClock}: what goes (old events, settled messages,
 * agents gone long ago) and what stays (anything newer, anything an agent here still waits on),
 * the archive kept before each delete, batches, and the hub's sweep driven by the setting.
 */
class RetentionTest {

    private static final Duration MONTH = Duration.ofDays(30);

    @TempDir
    Path project;

    private MutableClock clock;
    private Store store;
    private Agents agents;
    private Messages messages;
    private Settings settings;
    private Retention retention;

    @BeforeEach
    void openStore() {
        clock = MutableClock.startingAt2030();
        store = TestStores.open(project, clock);
        agents = new Agents(store, new FakeProcesses());
        messages = new Messages(store, agents, new MessageSignature("0123456789abcdef0123456789abcdef".getBytes()));
        settings = new Settings(store, agents, Stream.of(Agents.SETTINGS, Messages.SETTINGS, Retention.SETTINGS).flatMap(List::stream).toList());
        settings.set(Caller.ofOperator(), Agents.GONE_AFTER.name(), "200d"); // agents stay active while the clock moves by weeks
        settings.set(Caller.ofOperator(), Agents.STALE_AFTER.name(), "100d");
        retention = new Retention(store, List.of(Messages.PRUNING, Agents.PRUNING, Retention.EVENTS));
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void removesWhatIsOldAndSettledAndKeepsWhatSomeoneHereStillWaitsOn() {
        Caller alice = register("alice");
        Caller bob = register("bob");
        Caller gone = register("gone-long-ago");
        Message acked = send(alice, "bob", true, "acked");
        messages.ack(bob, acked.id());
        Message read = send(alice, "bob", false, "read, no ack asked");
        messages.read(bob, read.id());
        Message readNotAcked = send(alice, "bob", true, "read but its ack is still awaited");
        messages.read(bob, readNotAcked.id());
        Message unread = send(alice, "bob", false, "never read");
        Message toTheGone = send(alice, "gone-long-ago", true, "to an agent that left");
        agents.leave(gone);
        clock.advance(MONTH.plusDays(1));
        Message recent = send(bob, "alice", false, "recent");
        Caller goneRecently = register("gone-recently");
        agents.leave(goneRecently);
        long eventsBefore = eventCount();
        long recentEvents = store.read(tx -> tx.events(0, null, null, 10_000).stream().filter(e -> e.at() >= clock.millis() - MONTH.toMillis()).count());

        Kept archive = new Kept();
        Retention.Pruned pruned = retention.prune(Caller.ofOperator(), MONTH, archive);

        assertThat(messageIds()).containsExactlyInAnyOrder(readNotAcked.id(), unread.id(), recent.id());
        assertThat(agentIds()).containsExactly("alice", "bob", "gone-recently");
        assertThat(pruned.counts()).extracting(Retention.Pruned.Count::kind).containsExactly("messages", "agents", "events");
        assertThat(pruned.counts().get(0).removed()).isEqualTo(3);
        assertThat(pruned.counts().get(1).removed()).isEqualTo(1);
        assertThat(pruned.counts().get(2).removed()).isEqualTo(eventsBefore - recentEvents).isPositive();
        assertThat(eventCount()).as("the recent events and the prune's own").isEqualTo(recentEvents + 1);
        assertThat(store.read(tx -> tx.latestEvents(null, "retention.pruned", 1)).get(0).details())
                .containsEntry("olderThan", "30d").containsEntry("messages", 3);
        assertThat(archive.kinds).as("every removed row archived, once").hasSize((int) pruned.total());
        assertThat(archive.rows).filteredOn(Message.class::isInstance).extracting(row -> ((Message) row).id())
                .containsExactlyInAnyOrder(acked.id(), read.id(), toTheGone.id());
        assertThat(archive.rows).filteredOn(Agent.class::isInstance).extracting(row -> ((Agent) row).id()).containsExactly("gone-long-ago");
        assertThat(messages.search(alice, "acked", 10)).as("the search index follows").isEmpty();
        assertThat(messages.search(alice, "recent", 10)).hasSize(1);
    }

    @Test
    void anArchiveThatCannotSyncLeavesEveryRowInPlace() {
        Caller alice = register("alice");
        agents.leave(alice);
        clock.advance(MONTH.plusDays(1));
        long events = eventCount();
        Retention.Archive failing = new Kept() {
            @Override
            public void sync() {
                throw new IllegalStateException("disk full");
            }
        };
        assertThatThrownBy(() -> retention.prune(Caller.ofOperator(), MONTH, failing)).hasMessageContaining("disk full");
        assertThat(eventCount()).isEqualTo(events);
        assertThat(agentIds()).containsExactly("alice");
    }

    @Test
    void largeBacklogsGoInBatchesUntilNothingOldIsLeft() {
        appendEvents(Retention.BATCH * 2 + 7);
        clock.advance(MONTH.plusDays(1));
        long old = olderThan(MONTH);
        assertThat(retention.prune(Caller.ofOperator(), MONTH, Retention.Archive.NONE).counts().get(2).removed()).isEqualTo(old);
        assertThat(eventCount()).as("the prune's own").isEqualTo(1);
    }

    @Test
    void onlyTheOperatorPrunesAndOnlyWithAPositiveAge() {
        Caller alice = register("alice");
        assertThat(catchKind(() -> retention.prune(alice, MONTH, Retention.Archive.NONE))).isEqualTo(SwarmException.Kind.UNAUTHENTICATED);
        assertThat(catchKind(() -> retention.prune(Caller.ofOperator(), Duration.ZERO, Retention.Archive.NONE))).isEqualTo(SwarmException.Kind.BAD_INPUT);
        assertThat(catchKind(() -> retention.prune(Caller.ofOperator(), null, Retention.Archive.NONE))).isEqualTo(SwarmException.Kind.BAD_INPUT);
        assertThat(catchKind(() -> retention.prune(Caller.ofOperator(), Duration.ofDays(-1), Retention.Archive.NONE)))
                .isEqualTo(SwarmException.Kind.BAD_INPUT);
        assertThat(catchKind(() -> settings.set(Caller.ofOperator(), Retention.ARCHIVE.name(), "maybe"))).isEqualTo(SwarmException.Kind.BAD_INPUT);
        settings.set(Caller.ofOperator(), Retention.ARCHIVE.name(), "TRUE");
        assertThat(store.read(Retention.ARCHIVE::in)).isTrue();
        settings.set(Caller.ofOperator(), Retention.ARCHIVE.name(), "no");
        assertThat(store.read(Retention.ARCHIVE::in)).isFalse();
    }

    @Test
    void theSweepAppliesTheSettingABatchASecondWhileBehindThenHourly() {
        AtomicInteger archivesOpened = new AtomicInteger();
        Kept archive = new Kept();
        Sweep sweep = retention.sweep(() -> {
            archivesOpened.incrementAndGet();
            return archive;
        });
        appendEvents(Retention.BATCH + 1);
        clock.advance(MONTH.plusDays(1));
        long old = olderThan(MONTH);
        assertThat(old).isGreaterThan(Retention.BATCH);
        sweep.work().run();
        assertThat(olderThan(MONTH)).as("off by default").isEqualTo(old);

        settings.set(Caller.ofOperator(), Retention.OLDER_THAN.name(), "30d");
        sweep.work().run();
        assertThat(olderThan(MONTH)).as("one batch").isEqualTo(old - Retention.BATCH);
        assertThat(archivesOpened).as("prune.archive is off").hasValue(0);

        settings.set(Caller.ofOperator(), Retention.ARCHIVE.name(), "on");
        clock.advance(Duration.ofSeconds(1));
        sweep.work().run();
        assertThat(olderThan(MONTH)).as("the backlog's rest, the next second").isZero();
        assertThat(archivesOpened).hasValue(1);
        assertThat(archive.kinds).containsOnly("events").hasSize((int) old - Retention.BATCH);

        settings.set(Caller.ofOperator(), Retention.OLDER_THAN.name(), "1m");
        appendEvents(1);
        clock.advance(Duration.ofMinutes(2));
        sweep.work().run();
        assertThat(archivesOpened).as("caught up: the next run is an hour after the last").hasValue(1);
        clock.advance(Retention.SWEEP_EVERY);
        sweep.work().run();
        assertThat(archivesOpened).hasValue(2);
        assertThat(olderThan(Duration.ofMinutes(1))).isZero();
    }

    /** An archive that remembers what it was given. */
    private static class Kept implements Retention.Archive {
        final List<String> kinds = new ArrayList<>();
        final List<Object> rows = new ArrayList<>();

        @Override
        public void keep(String kind, Object row) {
            kinds.add(kind);
            rows.add(row);
        }

        @Override
        public void sync() {
        }
    }

    private Caller register(String id) {
        return Caller.ofAgent(id, agents.register(new Agents.Registration(id, "other", null, null, null)).token());
    }

    private Message send(Caller from, String to, boolean ack, String text) {
        return messages.send(from, List.of(to), new Messages.Draft(MessageType.INFO, text, null, ack, null));
    }

    private long eventCount() {
        return store.read(tx -> tx.events(0, null, null, 100_000)).size();
    }

    private long olderThan(Duration age) {
        return store.read(tx -> tx.events(0, null, null, 100_000).stream().filter(e -> e.at() < tx.now() - age.toMillis()).count());
    }

    private void appendEvents(int count) {
        store.write(tx -> {
            for (int i = 0; i < count; i++) {
                tx.appendEvent("test.event", null, null, OrderedMap.of("i", i));
            }
            return null;
        });
    }

    private List<String> messageIds() {
        return store.read(tx -> MessageStore.in(tx).recent(null, null, 100)).stream().map(Message::id).toList();
    }

    private List<String> agentIds() {
        return store.read(tx -> AgentStore.in(tx).agents(true)).stream().map(Agent::id).toList();
    }

    private static SwarmException.Kind catchKind(Runnable call) {
        try {
            call.run();
        } catch (SwarmException refused) {
            return refused.kind();
        }
        throw new AssertionError("not refused");
    }
}
